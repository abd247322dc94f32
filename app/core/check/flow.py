"""The check's state machine: START -> CAMERA_CHECK -> GUIDANCE -> LIGHT or CUES -> VERIFYING -> RESULT.

Core only (no Qt, no threads, no clock of its own): every input carries the
monotonic time it refers to, so the machine is driven the same way by the GUI,
by tests with hand-made inputs and by headless tools. The GUI renders the
:class:`Phase` and performs the side effects the :class:`FlowEvent` s ask for
(open the camera, restart the analysis, flash, score).

Rules that fix the reference client's known weaknesses:

* every ``start()`` (including "Try again" and "New check") builds a brand-new
  :class:`Session`: new id, new oval jitter, new colour nonce;
* a face that leaves the oval during the light challenge stops the flashing and
  sends the flow back to guidance with a fresh colour sequence;
* a movement-only check runs its head-turn cues in the CUES phase instead of
  the colours' LIGHT phase: the face may turn and shift while following a cue,
  and may even be lost for a while (a head turned further than the landmark
  model follows), but a face that is lost for longer, doubled or far from the
  oval sends the flow back to guidance with fresh cues;
* every waiting phase has a deadline (face fit, camera open, camera stall,
  flashing, verifying), so no screen can hang.
"""

from __future__ import annotations

import enum
import logging
import statistics
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.core.challenge import MOVEMENT_AND_LIGHT, MOVEMENT_ONLY, Challenge, make_colour_sequence, make_move_sequence
from app.core.guidance import Guidance, GuidanceThresholds, GuidanceTracker, Hint, ImageStats
from app.core.landmarks import LandmarkResult
from app.core.scoring.contract import LivenessResult
from app.core.settings import Settings

log = logging.getLogger(__name__)

NS = 1_000_000_000


class Phase(enum.StrEnum):
    """The screens of a check (their values are the screen names the GUI and logs use)."""

    START = "start"
    CAMERA_CHECK = "camera_check"
    GUIDANCE = "guidance"
    #: The colour challenge: full-screen colours are flashed.
    LIGHT = "light"
    #: The movement-only check's challenge: head-turn cues are shown, no colour is flashed.
    CUES = "cues"
    VERIFYING = "verifying"
    RESULT = "result"
    TIMEOUT = "timeout"
    ERROR = "error"

    @property
    def is_capturing(self) -> bool:
        """Phases during which the camera must be open."""
        return self in (Phase.CAMERA_CHECK, Phase.GUIDANCE, Phase.LIGHT, Phase.CUES)

    @property
    def is_challenge(self) -> bool:
        """The challenge phases: the colours (LIGHT) or the head-turn cues (CUES)."""
        return self in (Phase.LIGHT, Phase.CUES)

    @property
    def is_final(self) -> bool:
        """Phases that end a session (a new ``start()`` is needed)."""
        return self in (Phase.RESULT, Phase.TIMEOUT, Phase.ERROR)


class Problem(enum.StrEnum):
    """Why a session ended in TIMEOUT or ERROR. The GUI owns the wording."""

    CAMERA_NOT_FOUND = "camera_not_found"
    CAMERA_BUSY = "camera_busy"
    CAMERA_VIRTUAL = "camera_virtual"
    CAMERA_NOT_PINNED = "camera_not_pinned"
    CAMERA_LOW_RESOLUTION = "camera_low_resolution"
    CAMERA_LOW_FPS = "camera_low_fps"
    CAMERA_STALLED = "camera_stalled"
    MODEL_MISSING = "model_missing"
    FACE_FIT_TIMEOUT = "face_fit_timeout"
    VERIFY_TIMEOUT = "verify_timeout"
    RUNTIME = "runtime"


@dataclass(frozen=True)
class ProblemInfo:
    """A TIMEOUT or ERROR reason: the kind plus a technical detail (logged, shown small)."""

    problem: Problem
    detail: str = ""
    #: The hint that was showing when a face-fit time-out happened (explains *why*).
    last_hint: Hint | None = None


@dataclass(frozen=True)
class Outcome:
    """What VERIFYING produced: a scored result, or the reason scoring is unavailable.

    ``result is None`` is never a pass: the result screen says "scoring unavailable".
    """

    result: LivenessResult | None
    unavailable_reason: str = ""

    @property
    def available(self) -> bool:
        """True when a scored result exists."""
        return self.result is not None


@dataclass(frozen=True)
class FrameAnalysis:
    """One analysed frame, as the analysis worker hands it to the flow.

    Attributes
    ----------
    index:
        The frame's index in its source (gaps = frames the worker skipped).
    t_ns:
        Capture time (monotonic clock).
    width, height:
        Frame size in pixels.
    landmarks:
        The landmark stage's result.
    stats:
        Cheap image statistics (see :func:`app.core.guidance.measure_image`).
    """

    index: int
    t_ns: int
    width: int
    height: int
    landmarks: LandmarkResult
    stats: ImageStats


@dataclass(frozen=True)
class FlowConfig:
    """Limits of the flow. ``from_settings`` maps the user's settings; tests shorten them."""

    challenge_type: str = MOVEMENT_AND_LIGHT
    face_fit_timeout_s: float = 7.0
    #: "Hold still" pause between fitting and the flashes (reference: about 1 s).
    hold_still_s: float = 1.0
    #: Frames and time over which the camera's rate is measured before guidance.
    camera_check_frames: int = 8
    camera_check_min_s: float = 0.25
    #: Time the camera may take to deliver its first frame after ``start()``.
    camera_open_timeout_s: float = 10.0
    #: Seconds without a new frame before the camera counts as stopped.
    stall_timeout_s: float = 1.2
    #: Hard limit on scoring.
    verify_timeout_s: float = 30.0
    #: Extra time the flashing may take beyond the sequence's nominal length.
    light_slack_s: float = 3.0
    #: Consecutive analysed frames without a fitting face that stop the flashing.
    light_leave_frames: int = 3
    #: During head-turn cues: a face centre further than this (times the oval width) from the oval's counts as gone.
    cue_leave_offset: float = 0.45
    #: During head-turn cues: how long no face at all is tolerated. A head turned further than the landmark model
    #: follows loses its face until it turns back (a cue is up for 1.3-1.7 s); someone who walked away does not
    #: come back.
    cue_face_lost_s: float = 2.0
    min_width: int = 320
    min_height: int = 240
    min_fps: float = 15.0
    thresholds: GuidanceThresholds = field(default_factory=GuidanceThresholds)

    def __post_init__(self) -> None:
        if self.challenge_type not in (MOVEMENT_AND_LIGHT, MOVEMENT_ONLY):
            raise ValueError(
                f"challenge_type must be {MOVEMENT_AND_LIGHT!r} or {MOVEMENT_ONLY!r}, got {self.challenge_type!r}"
            )
        for name in ("face_fit_timeout_s", "hold_still_s", "stall_timeout_s", "verify_timeout_s", "camera_open_timeout_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"FlowConfig.{name} must be positive, got {getattr(self, name)!r}")

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> "FlowConfig":
        """Limits from the user's settings, with ``overrides`` applied on top."""
        values: dict[str, Any] = {"challenge_type": settings.challenge, "face_fit_timeout_s": settings.face_fit_timeout_s}
        values.update(overrides)
        return cls(**values)


@dataclass
class Session:
    """One single-use check. Never reused: "Try again" creates a new one.

    Attributes
    ----------
    id:
        Random session id (uuid4 hex).
    number:
        1-based count of sessions started by this flow (for logs and tests).
    challenge_type:
        Movement + light or movement only.
    started_ns:
        When ``start()`` was called.
    challenge:
        Built once the frame size is known (end of the camera check); a face that
        leaves during the flashes replaces it with one holding a fresh colour sequence.
    epoch:
        Increments every time the capture restarts within the session (analysis
        and recording restart with it).
    """

    id: str
    number: int
    challenge_type: str
    started_ns: int
    challenge: Challenge | None = None
    epoch: int = 0
    frame_size: tuple[int, int] = (0, 0)
    measured_fps: float = 0.0
    problem: ProblemInfo | None = None
    outcome: Outcome | None = None
    #: Monotonic time each phase was (last) entered.
    phase_ns: dict[str, int] = field(default_factory=dict)
    #: Times the face left the oval during the challenge (the flashes or the head-turn cues).
    light_restarts: int = 0


# --- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseChanged:
    """The flow moved from ``previous`` to ``phase``."""

    previous: Phase
    phase: Phase
    session: Session | None


@dataclass(frozen=True)
class GuidanceUpdated:
    """A frame was assessed during GUIDANCE or a challenge phase (LIGHT, CUES)."""

    guidance: Guidance
    #: 0..1 progress of the hold-still pause (0 when not holding).
    hold_progress: float


@dataclass(frozen=True)
class CaptureStarted:
    """Analysis (and recording) must (re)start for ``challenge``; previous frames are void."""

    session: Session
    challenge: Challenge
    epoch: int
    #: Why it restarted: "new" or "left_oval".
    reason: str


FlowEvent = PhaseChanged | GuidanceUpdated | CaptureStarted
Listener = Callable[[FlowEvent], None]


class CheckFlow:
    """The check's state machine (see the module docstring).

    Parameters
    ----------
    config:
        Limits and the challenge type (keyword-only; defaults suit production).
    session_ids:
        Source of session ids (tests pass a deterministic one).
    """

    def __init__(self, *, config: FlowConfig | None = None, session_ids: Callable[[], str] | None = None) -> None:
        self.config = config or FlowConfig()
        self._new_id = session_ids or (lambda: uuid.uuid4().hex)
        self.phase = Phase.START
        self.session: Session | None = None
        self.guidance: Guidance | None = None
        self._listeners: list[Listener] = []
        self._count = 0
        self._tracker: GuidanceTracker | None = None
        # camera check
        self._check_frames: list[tuple[int, int]] = []
        self._last_frame_ns: int | None = None
        # guidance
        self._unfit_ns = 0  # time spent in guidance without holding
        self._last_guidance_ns: int | None = None
        self._hold_since: int | None = None
        # light
        self._leave_count = 0
        self._face_lost_ns: int | None = None  # first analysed frame without a face during the cues

    # --- observers ------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(event)`` for every :data:`FlowEvent` (synchronously, in the caller's thread)."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        """Stop calling ``listener``."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, event: FlowEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    def _enter(self, phase: Phase, now_ns: int) -> None:
        previous = self.phase
        self.phase = phase
        if self.session is not None:
            self.session.phase_ns[phase.value] = now_ns
        log.info("session %s: %s -> %s", self.session.id if self.session else "-", previous.value, phase.value)
        self._emit(PhaseChanged(previous, phase, self.session))

    # --- commands -------------------------------------------------------------------------

    def start(self, now_ns: int, *, challenge_type: str | None = None) -> Session:
        """Begin a brand-new session (from any phase; a running one is abandoned).

        Parameters
        ----------
        now_ns:
            Monotonic time of the request.
        challenge_type:
            Override of the configured challenge for this session.
        """
        kind = challenge_type or self.config.challenge_type
        if kind not in (MOVEMENT_AND_LIGHT, MOVEMENT_ONLY):
            raise ValueError(f"unknown challenge type {kind!r}; use {MOVEMENT_AND_LIGHT!r} or {MOVEMENT_ONLY!r}")
        self._count += 1
        self.session = Session(self._new_id(), self._count, kind, now_ns)
        self.guidance = None
        self._tracker = None
        self._check_frames = []
        self._last_frame_ns = None
        self._enter(Phase.CAMERA_CHECK, now_ns)
        return self.session

    def cancel(self, now_ns: int) -> None:
        """Abandon the session and return to START."""
        self.session = None
        self.guidance = None
        self._tracker = None
        if self.phase is not Phase.START:
            self._enter(Phase.START, now_ns)

    def camera_failed(self, problem: Problem, detail: str, now_ns: int) -> None:
        """The capture side reports a camera (or model) failure; ignored outside capture."""
        if self.phase.is_capturing:
            self._fail(problem, detail, now_ns)

    def frame_analysed(self, analysis: FrameAnalysis, now_ns: int) -> None:
        """Feed one analysed frame (only the newest matters; frames may be skipped)."""
        if not self.phase.is_capturing or self.session is None:
            return
        self._last_frame_ns = now_ns
        if self.phase is Phase.CAMERA_CHECK:
            self._camera_check(analysis, now_ns)
        elif self.phase is Phase.GUIDANCE:
            self._guide(analysis, now_ns)
        elif self.phase.is_challenge:
            self._watch_challenge(analysis, now_ns)

    def frames_alive(self, last_arrival_ns: int) -> None:
        """The capture side saw a frame at ``last_arrival_ns`` (even if its analysis is still queued).

        Keeps the stall deadline about the *camera*, not about how busy the consumer is.
        """
        if self.phase.is_capturing and self._last_frame_ns is not None:
            self._last_frame_ns = max(self._last_frame_ns, int(last_arrival_ns))

    def colour_shown(self, index: int, t_ns: int) -> None:
        """The GUI reports that colour ``index`` of the current sequence began to reach the screen."""
        if self.phase is not Phase.LIGHT or self.session is None or self.session.challenge is None:
            return
        shown = self.session.challenge.shown_ns
        if index != len(shown):
            log.warning("colour %d reported out of order (have %d)", index, len(shown))
            return
        shown.append(int(t_ns))

    def cue_shown(self, index: int, t_ns: int) -> None:
        """Head-turn cue ``index`` of the current sequence went up on the screen at ``t_ns``."""
        if self.phase is not Phase.CUES or self.session is None or self.session.challenge is None:
            return
        cues = self.session.challenge.cue_ns
        if index != len(cues):
            log.warning("cue %d reported out of order (have %d)", index, len(cues))
            return
        cues.append(int(t_ns))

    def flash_finished(self, now_ns: int) -> None:
        """The last colour has been on screen for its full duration (ignored outside the LIGHT phase)."""
        self._sequence_finished(Phase.LIGHT, "flash sequence", "colours", now_ns)

    def cues_finished(self, now_ns: int) -> None:
        """The last head-turn cue has been on screen for its full duration (ignored outside the CUES phase)."""
        self._sequence_finished(Phase.CUES, "cue sequence", "cues", now_ns)

    def _sequence_finished(self, phase: Phase, what: str, items: str, now_ns: int) -> None:
        """Go on to scoring once ``phase``'s sequence is over, if every item of it was time-stamped when shown."""
        if self.phase is not phase or self.session is None or self.session.challenge is None:
            return
        challenge = self.session.challenge
        shown, planned = (
            (challenge.shown_ns, challenge.colours) if phase is Phase.LIGHT else (challenge.cue_ns, challenge.moves)
        )
        if len(shown) != len(planned):
            self._fail(Problem.RUNTIME, f"the {what} ended with {len(shown)} of {len(planned)} {items} time-stamped", now_ns)
            return
        self._enter(Phase.VERIFYING, now_ns)

    def result_ready(self, outcome: Outcome, now_ns: int) -> None:
        """Scoring finished (or is unavailable); ignored unless VERIFYING."""
        if self.phase is not Phase.VERIFYING or self.session is None:
            return
        self.session.outcome = outcome
        self._enter(Phase.RESULT, now_ns)

    def tick(self, now_ns: int) -> None:
        """Check deadlines; call a few times per second even when no frames arrive."""
        session = self.session
        if session is None:
            return
        entered = session.phase_ns.get(self.phase.value, now_ns)
        if self.phase.is_capturing:
            if self._last_frame_ns is None:
                if now_ns - entered > self.config.camera_open_timeout_s * NS:
                    self._fail(Problem.CAMERA_STALLED, "the camera delivered no picture after it was opened", now_ns)
                    return
            elif now_ns - self._last_frame_ns > self.config.stall_timeout_s * NS:
                silent = (now_ns - self._last_frame_ns) / NS
                self._fail(Problem.CAMERA_STALLED, f"no new frame for {silent:.1f} s", now_ns)
                return
        if self.phase is Phase.GUIDANCE:
            self._account_unfit(now_ns)
            if self._unfit_ns > self.config.face_fit_timeout_s * NS:
                self._time_out(now_ns)
        elif self.phase.is_challenge and session.challenge is not None:
            steps = session.challenge.moves if self.phase is Phase.CUES else session.challenge.colours
            nominal = sum(c.duration_ms for c in steps) / 1000
            if now_ns - entered > (nominal + self.config.light_slack_s) * NS:
                what = "cue" if self.phase is Phase.CUES else "flash"
                self._fail(Problem.RUNTIME, f"the {what} sequence did not finish within {nominal:.1f} s", now_ns)
        elif self.phase is Phase.VERIFYING:
            if now_ns - entered > self.config.verify_timeout_s * NS:
                self._fail(Problem.VERIFY_TIMEOUT, f"scoring took longer than {self.config.verify_timeout_s:.0f} s", now_ns)

    # --- internals ------------------------------------------------------------------------

    def _fail(self, problem: Problem, detail: str, now_ns: int) -> None:
        if self.session is not None:
            self.session.problem = ProblemInfo(problem, detail)
        log.warning("session %s: %s (%s)", self.session.id if self.session else "-", problem.value, detail)
        self._enter(Phase.ERROR, now_ns)

    def _time_out(self, now_ns: int) -> None:
        assert self.session is not None
        last = self.guidance.hint if self.guidance is not None else None
        self.session.problem = ProblemInfo(
            Problem.FACE_FIT_TIMEOUT, f"face did not fit the oval within {self.config.face_fit_timeout_s:.0f} s", last
        )
        self._enter(Phase.TIMEOUT, now_ns)

    def _camera_check(self, a: FrameAnalysis, now_ns: int) -> None:
        assert self.session is not None
        cfg = self.config
        if a.width < cfg.min_width or a.height < cfg.min_height:
            self._fail(
                Problem.CAMERA_LOW_RESOLUTION,
                f"the camera gives {a.width}x{a.height}; at least {cfg.min_width}x{cfg.min_height} is needed",
                now_ns,
            )
            return
        self._check_frames.append((a.index, a.t_ns))
        first_index, first_t = self._check_frames[0]
        span_s = (a.t_ns - first_t) / NS
        if len(self._check_frames) < cfg.camera_check_frames or span_s < cfg.camera_check_min_s:
            return
        fps = self._rate(self._check_frames)
        self.session.measured_fps = fps
        if fps < cfg.min_fps:
            self._fail(Problem.CAMERA_LOW_FPS, f"the camera delivers {fps:.1f} fps; at least {cfg.min_fps:.0f} is needed", now_ns)
            return
        self.session.frame_size = (a.width, a.height)
        self.session.challenge = Challenge.new(a.width, a.height, challenge_type=self.session.challenge_type)
        self._begin_guidance(now_ns, reason="new")

    @staticmethod
    def _rate(samples: list[tuple[int, int]]) -> float:
        """Frames per second the *source* delivers: index steps over time (skipped frames count)."""
        rates = []
        for (i0, t0), (i1, t1) in zip(samples, samples[1:]):
            if t1 > t0 and i1 > i0:
                rates.append((i1 - i0) * NS / (t1 - t0))
        return statistics.median(rates) if rates else 0.0

    def _begin_guidance(self, now_ns: int, *, reason: str) -> None:
        session = self.session
        assert session is not None and session.challenge is not None
        session.epoch += 1
        self._tracker = GuidanceTracker(session.challenge.oval, self.config.thresholds)
        self.guidance = None
        self._unfit_ns = 0
        self._last_guidance_ns = now_ns
        self._hold_since = None
        self._enter(Phase.GUIDANCE, now_ns)
        self._emit(CaptureStarted(session, session.challenge, session.epoch, reason))

    def _account_unfit(self, now_ns: int) -> None:
        """Add the time since the last update to the face-fit clock unless the user is holding."""
        if self._last_guidance_ns is not None and self._hold_since is None:
            self._unfit_ns += max(0, now_ns - self._last_guidance_ns)
        self._last_guidance_ns = now_ns

    def _guide(self, a: FrameAnalysis, now_ns: int) -> None:
        assert self._tracker is not None and self.session is not None
        self._account_unfit(now_ns)
        guidance = self._tracker.update(a.landmarks, a.stats)
        self.guidance = guidance
        if guidance.ready or (self._hold_since is not None and guidance.raw_hint is Hint.HOLD_STILL):
            # Small motions during the pause are tolerated once holding has begun;
            # losing the fit (or the picture) is not.
            if self._hold_since is None:
                self._hold_since = a.t_ns
        else:
            self._hold_since = None
        hold = 0.0
        if self._hold_since is not None:
            hold = min(1.0, (a.t_ns - self._hold_since) / (self.config.hold_still_s * NS))
        self._emit(GuidanceUpdated(guidance, hold))
        if hold >= 1.0:
            # The challenge phase: the head-turn cues of a movement-only check, otherwise the colours.
            self._leave_count = 0
            self._face_lost_ns = None
            challenge = self.session.challenge
            self._enter(Phase.CUES if challenge is not None and challenge.moves else Phase.LIGHT, now_ns)
        elif self._unfit_ns > self.config.face_fit_timeout_s * NS:
            self._time_out(now_ns)

    def _watch_challenge(self, a: FrameAnalysis, now_ns: int) -> None:
        assert self._tracker is not None and self.session is not None and self.session.challenge is not None
        guidance = self._tracker.update(a.landmarks, a.stats)
        self.guidance = guidance
        self._emit(GuidanceUpdated(guidance, 1.0))
        if self.phase is Phase.CUES:
            # A turning head leaves the fit (its face box narrows and shifts): only a doubled or far-off face, or
            # one lost for longer than a strong turn takes, counts as gone.
            fit = guidance.fit
            if guidance.face_count == 0:
                if self._face_lost_ns is None:
                    self._face_lost_ns = a.t_ns
                in_oval = a.t_ns - self._face_lost_ns <= self.config.cue_face_lost_s * NS
            else:
                self._face_lost_ns = None
                in_oval = guidance.face_count == 1 and fit is not None and fit.offset <= self.config.cue_leave_offset
        else:
            in_oval = guidance.face_count == 1 and guidance.fit is not None and guidance.fit.fits
        self._leave_count = 0 if in_oval else self._leave_count + 1
        if self._leave_count >= self.config.light_leave_frames:
            old = self.session.challenge
            if self.phase is Phase.CUES:
                # The cues have been seen: never replay them. Same oval, fresh cues.
                self.session.challenge = Challenge(old.type, old.oval, moves=make_move_sequence())
                self.session.light_restarts += 1
                log.info("session %s: face lost during the head-turn cues; back to guidance", self.session.id)
                self._begin_guidance(now_ns, reason="left_oval")
                return
            # The aborted sequence has been seen: never replay it. Same oval, fresh colours.
            self.session.challenge = Challenge(old.type, old.oval, make_colour_sequence())
            self.session.light_restarts += 1
            log.info("session %s: face left the oval during the flashes; back to guidance", self.session.id)
            self._begin_guidance(now_ns, reason="left_oval")
