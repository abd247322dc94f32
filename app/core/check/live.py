"""The live check: runs the :class:`~app.core.check.flow.CheckFlow` and its side effects, without Qt.

:class:`LiveCheck` owns the capture epoch (camera + landmarks), the per-session
analyzer and recording, the scoring thread and the check's stored session.
It runs in one *owner* thread (the GUI thread, or ``livegate check``'s main
loop): every public method and every :class:`CheckListener` call happens
there. Work done in other threads (analysis, scoring, recording finalisation)
comes back through the injected ``post`` callable, which must run the given
function later in the owner thread. The owner also calls :meth:`LiveCheck.tick`
a few times per second while :attr:`LiveCheck.ticking` (deadlines, and the
grace period a camera gets to be released before it is opened again).

Sessions (``store=``, a :class:`~app.core.check.stored.StoreExecutor`): every
check is a session in the store. Starting a check *creates* one (refused while
the device is locked out), the first capture epoch *starts* it, and the check's
end finishes it: a scored result is stored with its images (and the recording
when the session keeps one) *before* the result is announced; a result that
cannot be scored ends it FAILED, a face-fit time-out FAILED, a camera problem, a
verification time-out or a cancel ERROR (:class:`~app.core.check.stored.StoredCheck`).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core import paths
from app.core.capture.base import FrameSource, monotonic_ns
from app.core.capture.devices import CameraDevice, find_camera, pin_refusal
from app.core.capture.frame import Frame, SourceInfo
from app.core.capture.spec import open_source, parse_spec
from app.core.challenge import Challenge
from app.core.check.capture import (
    AnalyzerFactory,
    CaptureEpoch,
    CaptureSink,
    LandmarkStageLike,
    default_analyzer_factory,
    default_landmarks_factory,
)
from app.core.check.flow import (
    NS,
    CaptureStarted,
    CheckFlow,
    FlowConfig,
    FlowEvent,
    FrameAnalysis,
    GuidanceUpdated,
    Outcome,
    Phase,
    PhaseChanged,
    Problem,
    Session,
)
from app.core.check.cues import TIMING_SOURCE as CUE_TIMING_SOURCE
from app.core.check.cues import CuePlayer
from app.core.check.stored import (
    EndKind,
    OwnSessions,
    RecordState,
    StoreExecutor,
    StoredCheck,
    StoredCheckListener,
    StoreProblem,
    end_session,
)
from app.core.errors import ConfigError, LivegateError
from app.core.guidance import Guidance
from app.core.recording import RecordingWriter
from app.core.scoring.contract import SessionContext
from app.core.screen import ScreenState
from app.core.sessions import LockoutStatus, SessionSettings
from app.core.sessions.service import SessionEvent
from app.core.sessions import Session as StoredSession
from app.core.settings import Settings

log = logging.getLogger(__name__)

SourceFactory = Callable[[str, ScreenState], FrameSource]
LandmarksFactory = Callable[[], LandmarkStageLike]
Post = Callable[[Callable[[], None]], None]
#: Time a released camera gets before it is opened again (when the old capture has not ended yet).
START_GRACE_S = 1.5


class CheckListener:
    """What a :class:`LiveCheck` announces (always in its owner's thread). Override what you need."""

    def phase_changed(self, phase: Phase, previous: Phase, session: Session | None) -> None:
        """The flow moved; a GUI switches screens."""

    def guidance_changed(self, guidance: Guidance, hold_progress: float) -> None:
        """A frame was assessed (hint, fit, progress)."""

    def frame_analysed(self, analysis: FrameAnalysis, phase: Phase) -> None:
        """An analysed frame is about to be handed to the flow (for plots)."""

    def capture_started(self, challenge: Challenge, reason: str) -> None:
        """A capture epoch began (the view shows its oval); reason ``new`` or ``left_oval``."""

    def flash_requested(self, steps: list[Any]) -> None:
        """The colour sequence must be shown; report each colour with :meth:`LiveCheck.colour_shown`."""

    def flash_stop_requested(self) -> None:
        """Any running colour sequence must stop."""

    def cue_changed(self, direction: str | None, index: int) -> None:
        """A movement-only check put head-turn cue ``index`` up (``direction`` "left"/"right"/"up"/"down") or took it down (None).

        The check plays the cues itself (into its screen state); a GUI draws the cue in force.
        """

    def outcome_ready(self, session: Session) -> None:
        """The session reached RESULT (``session.outcome`` is set)."""

    def recording_saved(self, path: str) -> None:
        """A session recording was written (only without a session store)."""

    def source_opened(self, info: SourceInfo) -> None:
        """The source is open."""

    def preparing(self) -> None:
        """A check was requested and its session is being created."""

    def locked_out(self, status: LockoutStatus) -> None:
        """A check was refused: the device is locked out after repeated failures."""

    def store_failed(self, problem: StoreProblem) -> None:
        """The session store refused a step; the check was stopped and nothing counts as passed."""

    def record_finished(self, record: StoredSession) -> None:
        """The store finished this check's session (its final status)."""

    def remote_start_requested(self, record: StoredSession) -> None:
        """A session was started through the local API (run it with :meth:`LiveCheck.run_session` or refuse it)."""

    def sessions_changed(self, event: SessionEvent) -> None:
        """Any session event."""

    def ticks_needed(self) -> None:
        """The owner must call :meth:`LiveCheck.tick` periodically until :attr:`LiveCheck.ticking` is False."""


@dataclass(frozen=True)
class ScoringToken:
    """Identifies the scoring job of one session epoch (late answers of old jobs are dropped)."""

    session_id: str
    epoch: int


class _StoredRelay(StoredCheckListener):
    """Hands the stored session's answers to the check (kept apart so they are not part of its public API)."""

    def __init__(self, check: "LiveCheck") -> None:
        self.check = check

    def created(self, stored: StoredCheck) -> None:
        self.check._on_stored_created(stored)

    def locked_out(self, stored: StoredCheck, status: LockoutStatus) -> None:
        if stored is self.check.stored:
            self.check._announce("locked_out", status)

    def store_failed(self, stored: StoredCheck, problem: StoreProblem) -> None:
        self.check._on_stored_failed(stored, problem)

    def saved(self, stored: StoredCheck, outcome: Outcome) -> None:
        self.check._on_stored_saved(stored, outcome)

    def finished(self, record: StoredSession) -> None:
        self.check._announce("record_finished", record)


class LiveCheck:
    """Runs checks, one at a time (see the module docstring).

    Parameters
    ----------
    settings:
        The user's settings (read for every new session).
    source_spec:
        Source that overrides the settings' camera (``--source``), e.g. ``sim:live``.
    flow_config:
        Flow limits; default: from ``settings`` (tests pass short limits).
    screen:
        Shared log of displayed colours (handed to simulated sources).
    devices:
        Enumerated cameras, for the virtual-camera policy.
    source_factory, landmarks_factory, analyzer_factory:
        Collaborators; defaults are the real ones.
    recordings_dir:
        Where session recordings go (default: the data folder's ``recordings``).
    store:
        The session store link; None: checks are not recorded (tools, older tests).
    post:
        Runs a function later in the owner's thread (called from any thread): the GUI emits a queued
        signal, ``livegate check`` puts it in the queue its loop drains.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        source_spec: str | None = None,
        flow_config: FlowConfig | None = None,
        screen: ScreenState | None = None,
        devices: list[CameraDevice] | None = None,
        source_factory: SourceFactory | None = None,
        landmarks_factory: LandmarksFactory | None = None,
        analyzer_factory: AnalyzerFactory | None = None,
        recordings_dir: Path | None = None,
        store: StoreExecutor | None = None,
        post: Post,
    ) -> None:
        self.settings = settings
        self.source_spec = source_spec
        self._fixed_config = flow_config
        self.screen = screen or ScreenState()
        self.devices: list[CameraDevice] = list(devices or [])
        self._source_factory = source_factory or self._open_source
        self._landmarks_factory = landmarks_factory or default_landmarks_factory
        self._analyzer_factory = analyzer_factory or default_analyzer_factory
        self._recordings_dir = recordings_dir
        self._post = post
        self._listeners: list[CheckListener] = []
        self._next_flow_id: str | None = None
        self.flow = CheckFlow(config=self._config(), session_ids=self._take_flow_id)
        self.flow.subscribe(self._on_flow_event)
        self.store = store
        if store is not None:
            store.service.update_settings(settings)
        #: The stored session of the running (or last) check.
        self.stored: StoredCheck | None = None
        self._own = OwnSessions()
        self._relay = _StoredRelay(self)
        self._scoring_sinks: dict[ScoringToken, CaptureSink] = {}
        self.timing_source = ""
        #: Facts about the screen that shows the flashes (set by the GUI; stored with recordings).
        self.display_info: dict[str, Any] = {}
        self.source_info: SourceInfo | None = None
        self.epoch: CaptureEpoch | None = None
        self.retiring: list[CaptureEpoch] = []
        self._sink: CaptureSink | None = None
        self._pending_spec: str | None = None
        self._request_spec: str | None = None
        self._grace_until_ns: int | None = None
        #: The capture epoch of the last check (its statistics, for the benchmark).
        self.last_epoch: CaptureEpoch | None = None
        #: Plays a movement-only check's head-turn cues (advanced by :meth:`tick` and each analysed frame).
        self.cues = CuePlayer(self.screen, on_shown=self._on_cue_shown, on_finished=self._on_cues_finished,
                              on_hidden=self._on_cue_hidden)

    # --- listeners ----------------------------------------------------------------------------

    def subscribe(self, listener: CheckListener) -> None:
        """Announce events to ``listener`` (in the owner's thread)."""
        self._listeners.append(listener)

    def _announce(self, name: str, *args: Any) -> None:
        for listener in list(self._listeners):
            getattr(listener, name)(*args)

    # --- queries ------------------------------------------------------------------------------

    @property
    def phase(self) -> Phase:
        """The flow's current phase."""
        return self.flow.phase

    @property
    def session(self) -> Session | None:
        """The running (or last) session, ``None`` on the start screen."""
        return self.flow.session

    @property
    def record(self) -> StoredSession | None:
        """The store's session of the running (or last) check, as last answered."""
        return self.stored.record if self.stored is not None else None

    def latest_frame(self) -> Frame | None:
        """The newest captured frame (a preview pulls this)."""
        epoch = self.epoch
        return epoch.frames.peek() if epoch is not None else None

    @property
    def busy(self) -> bool:
        """True while a check is being prepared, captured, scored or stored."""
        if self.flow.phase.is_capturing or self.flow.phase is Phase.VERIFYING:
            return True
        stored = self.stored
        return stored is not None and stored.state in (RecordState.REQUESTED, RecordState.PERSISTING)

    @property
    def ticking(self) -> bool:
        """True while deadlines run or a capture waits to start."""
        running = self.flow.session is not None and not self.flow.phase.is_final
        return running or self._pending_spec is not None

    # --- commands -----------------------------------------------------------------------------

    def apply_settings(self, settings: Settings) -> None:
        """Use new settings from the next session on."""
        self.settings = settings
        self.flow.config = self._config()
        if self.store is not None:
            self.store.service.update_settings(settings)

    def resolve_spec(self, spec: str | None = None) -> str:
        """The source to open: explicit > ``--source`` > the pinned camera, wherever it is plugged in > remembered
        camera > first real camera > ``""`` (camera indices change when cameras are replugged; the pin does not)."""
        for candidate in (spec, self.source_spec):
            if candidate:
                return candidate
        pinned = [d for d in self.devices if self.settings.pinned_camera and d.fingerprint == self.settings.pinned_camera]
        if pinned:
            return pinned[0].spec
        if self.settings.camera:
            return self.settings.camera
        real = [d for d in self.devices if not d.virtual]
        return real[0].spec if real else ""

    def virtual_refusal(self, spec: str) -> str:
        """The reason ``spec`` is refused as a virtual camera, or ``""``."""
        if self.settings.allow_virtual_cameras or not spec:
            return ""
        try:
            parsed = parse_spec(spec)
        except ConfigError:
            return ""
        if parsed.kind != "camera":
            return ""
        device = find_camera(parsed.target, self.devices)
        if device is not None and device.virtual:
            return device.virtual_reason or "the device looks like a virtual camera"
        return ""

    def pin_refusal(self, spec: str) -> str:
        """Why ``spec`` may not run checks on a kiosk pinned to one camera (``settings.pinned_camera``), or ``""``.

        Only that camera may: another camera, a camera no longer connected and any other source (a file, a
        recording, a simulator) are refused, since each could feed a prepared video.
        """
        pinned = self.settings.pinned_camera
        if not pinned:
            return ""
        try:
            parsed = parse_spec(spec)
        except ConfigError:
            parsed = None
        if parsed is None or parsed.kind != "camera":
            return f"this kiosk runs checks only with its pinned camera, not with the source {spec!r}"
        return pin_refusal(pinned, find_camera(parsed.target, self.devices))

    def start_check(
        self, *, spec: str | None = None, challenge_type: str | None = None, customer_ref: str = "", operator_ref: str = ""
    ) -> Session | None:
        """Start a brand-new check (also what "Try again" does).

        Without a store the flow starts at once and its session is returned.
        With one, a store session is created first and ``None`` is returned: the
        flow starts when the session exists, or ``locked_out`` / ``store_failed``
        explains why it cannot. ``customer_ref`` / ``operator_ref``: the clerk's
        references, stored with the session (ignored without a store).
        """
        if self.store is None:
            return self._start_flow(spec=spec, challenge_type=challenge_type)
        if self.stored is not None and self.stored.state is RecordState.REQUESTED:
            return None  # already asked; the session is on its way
        if self.flow.phase.is_capturing or self.flow.phase is Phase.VERIFYING:
            self.cancel()
        if self.stored is not None:
            self.stored.close(EndKind.ERROR, "a new check was started before this one ended")
        settings = SessionSettings.from_settings(self.settings, challenge=challenge_type or self.settings.challenge)
        if customer_ref or operator_ref:
            settings = dataclasses.replace(settings, customer_ref=customer_ref, operator_ref=operator_ref)
        self._request_spec = spec
        self._announce("preparing")
        stored = StoredCheck(self.store, self._relay, self._own)
        self.stored = stored  # before the answer, which an inline executor gives at once
        stored.create(settings)
        return None

    def run_session(self, record: StoredSession, *, spec: str | None = None) -> Session | None:
        """Run the check of a session started through the API (already IN_PROGRESS), with its settings."""
        if self.store is None:
            raise RuntimeError("run_session needs a session store")
        if self.stored is not None and self.stored.state is RecordState.REQUESTED:
            self.stored.close(EndKind.ERROR, "cancelled before the check began")
        if self.flow.phase.is_capturing or self.flow.phase is Phase.VERIFYING:
            self.cancel()
        log.info("running session %s started through the API", record.id)
        if self.stored is not None:
            self.stored.close(EndKind.ERROR, "a new check was started before this one ended")
        self.stored = StoredCheck.adopt(self.store, record, self._relay, self._own)
        return self._start_flow(spec=spec, challenge_type=record.settings.challenge, flow_id=record.id)

    def refuse_session(self, record: StoredSession, reason: str) -> None:
        """End an API-started session this check cannot run now (ERROR with ``reason``)."""
        log.warning("session %s started through the API was refused: %s", record.id, reason)
        if self.store is not None:
            end_session(self.store, record.id, EndKind.ERROR, reason, done=self._on_other_ended)

    def cancel(self) -> None:
        """Abandon the running (or requested) check and return to START; its session ends as ERROR("cancelled")."""
        self.flow.cancel(monotonic_ns())
        if self.stored is not None:
            self.stored.close(EndKind.ERROR, "cancelled")

    def colour_shown(self, index: int, t_ns: int) -> None:
        """Colour ``index`` of the sequence began to reach the screen at ``t_ns``."""
        self.flow.colour_shown(index, t_ns)

    def flash_finished(self, t_ns: int) -> None:
        """The last colour has been on screen for its full duration."""
        self.flow.flash_finished(t_ns)

    def flash_stop(self) -> None:
        """Ask the view to stop any running flash sequence."""
        self._announce("flash_stop_requested")

    def advance_cues(self) -> None:
        """Move the head-turn cues on when a pause or a cue is over (owner thread; cheap, call often)."""
        self.cues.advance()

    def _on_cue_shown(self, index: int, direction: str, t_ns: int) -> None:
        self.flow.cue_shown(index, t_ns)
        self._announce("cue_changed", direction, index)

    def _on_cue_hidden(self, index: int, t_ns: int) -> None:
        # The view takes the arrow down with the screen state: the pause means "face the screen again".
        self._announce("cue_changed", None, index)

    def _on_cues_finished(self, t_ns: int) -> None:
        self._announce("cue_changed", None, -1)
        self.flow.cues_finished(t_ns)

    def tick(self, now_ns: int | None = None) -> None:
        """Check deadlines and start a capture whose grace period ended (owner thread, a few times a second)."""
        self.cues.advance()
        now = monotonic_ns() if now_ns is None else now_ns
        if self._pending_spec is not None and self._grace_until_ns is not None and now >= self._grace_until_ns:
            self._start_pending_capture()
        epoch = self.epoch
        capture = epoch.capture if epoch is not None else None
        if capture is not None and capture.last_arrival_ns:
            self.flow.frames_alive(capture.last_arrival_ns)
        self.flow.tick(now)

    def maintain(self) -> None:
        """Periodic store upkeep on an idle check (a kiosk may run for weeks without a check)."""
        if self.store is not None and not self.busy:
            self.store.submit(lambda service: service.maintain(), what="expire and purge sessions")

    def store_event(self, event: SessionEvent) -> None:
        """A session event reached the owner's thread (a GUI relays them; sessions started elsewhere are announced)."""
        if event.kind == "started" and event.session is not None and event.session_id not in self._own:
            self._announce("remote_start_requested", event.session)
        self._announce("sessions_changed", event)

    def shutdown(self, timeout_s: float = 3.0) -> None:
        """Stop everything and join the capture threads; an open session ends as ERROR."""
        if self.stored is not None:
            self.stored.close(EndKind.ERROR, "the app was closed during the check")
        self._stop_capture()
        for epoch in list(self.retiring):
            epoch.join(timeout_s)

    # --- flow start ---------------------------------------------------------------------------

    def _start_flow(self, *, spec: str | None, challenge_type: str | None, flow_id: str | None = None) -> Session:
        self._stop_capture()
        self.flash_stop()
        self.screen.clear()  # a new session starts from the neutral screen
        self.source_info = None
        self._next_flow_id = flow_id
        session = self.flow.start(monotonic_ns(), challenge_type=challenge_type)
        self._announce("ticks_needed")
        resolved = self.resolve_spec(spec)
        if not resolved:
            self.flow.camera_failed(Problem.CAMERA_NOT_FOUND, "no camera was found on this machine", monotonic_ns())
            return session
        refusal = self.virtual_refusal(resolved)
        if refusal:
            self.flow.camera_failed(Problem.CAMERA_VIRTUAL, refusal, monotonic_ns())
            return session
        refusal = self.pin_refusal(resolved)
        if refusal:
            self.flow.camera_failed(Problem.CAMERA_NOT_PINNED, refusal, monotonic_ns())
            return session
        self._pending_spec = resolved
        if self.retiring:
            self._grace_until_ns = monotonic_ns() + int(START_GRACE_S * NS)  # wait for the old capture to release the camera
        else:
            self._start_pending_capture()
        return session

    def _take_flow_id(self) -> str:
        flow_id, self._next_flow_id = self._next_flow_id, None
        return flow_id or uuid.uuid4().hex

    def _config(self) -> FlowConfig:
        if self._fixed_config is not None:
            return dataclasses.replace(self._fixed_config, challenge_type=self.settings.challenge)
        return FlowConfig.from_settings(self.settings)

    def _open_source(self, spec: str, screen: ScreenState) -> FrameSource:
        return open_source(spec, screen=screen, devices=self.devices or None)

    # --- the stored session's answers ------------------------------------------------------------

    def _on_stored_created(self, stored: StoredCheck) -> None:
        if stored is not self.stored:
            stored.close(EndKind.ERROR, "cancelled before the check began")
            return
        assert stored.record is not None
        spec, self._request_spec = self._request_spec, None
        self._start_flow(spec=spec, challenge_type=stored.record.settings.challenge, flow_id=stored.record.id)

    def _on_stored_failed(self, stored: StoredCheck, problem: StoreProblem) -> None:
        if stored is not self.stored:
            return
        if problem.kind == "create":  # no flow ran yet
            self._announce("store_failed", problem)
            return
        if problem.kind in ("save", "ended") and not self._verifying(stored):
            return
        self.flow.cancel(monotonic_ns())
        if problem.kind != "locked_out":  # the lock-out status follows through locked_out()
            self._announce("store_failed", problem)

    def _on_stored_saved(self, stored: StoredCheck, outcome: Outcome) -> None:
        if stored is not self.stored or not self._verifying(stored):
            return
        self.flow.result_ready(outcome, monotonic_ns())

    def _on_other_ended(self, record: StoredSession | None) -> None:
        if record is not None:
            self._own.discard(record.id)
            self._announce("record_finished", record)

    def _verifying(self, stored: StoredCheck) -> bool:
        session = self.flow.session
        return session is not None and session.id == stored.id and self.flow.phase is Phase.VERIFYING

    def _end_stored_for(self, session: Session | None) -> None:
        """A check ended on a time-out or error screen: FAILED for the participant's time-out, ERROR otherwise."""
        stored = self.stored
        if stored is None or not stored.open:
            return
        problem = session.problem if session is not None else None
        if problem is None:
            stored.close(EndKind.ERROR, "the check stopped")
        elif problem.problem is Problem.FACE_FIT_TIMEOUT:
            detail = problem.detail or "the face did not fit the oval in time"
            stored.close(EndKind.FAIL, f"time-out: {detail}")
        else:
            stored.close(EndKind.ERROR, f"{problem.problem.value}: {problem.detail}" if problem.detail else problem.problem.value)

    # --- capture ------------------------------------------------------------------------------

    def _start_pending_capture(self) -> None:
        self._grace_until_ns = None
        spec = self._pending_spec
        self._pending_spec = None
        if spec is None or not self.flow.phase.is_capturing:
            return
        screen = self.screen
        post = self._post
        holder: list[CaptureEpoch] = []
        epoch = CaptureEpoch(
            source_factory=lambda: self._source_factory(spec, screen),
            landmarks_factory=self._landmarks_factory,
            read_timeout_s=1.0,
            on_opened=lambda info: post(lambda: self._on_opened(info)),
            on_analysed=lambda: post(lambda: self._on_analysed(holder[0])),
            on_failed=lambda problem, detail: post(lambda: self._on_epoch_failed(holder[0], problem, detail)),
            on_stopped=lambda: post(lambda: self._on_epoch_stopped(holder[0])),
        )
        holder.append(epoch)
        self.epoch = epoch
        self.last_epoch = epoch
        if self._sink is not None:
            epoch.set_sink(self._sink)
        epoch.start()

    def _stop_capture(self) -> None:
        """Stop the capture epoch (non-blocking) and close the session's sink."""
        self._close_sink()
        epoch, self.epoch = self.epoch, None
        if epoch is not None:
            epoch.stop()
            self.retiring.append(epoch)

    def _on_epoch_stopped(self, epoch: CaptureEpoch) -> None:
        if epoch in self.retiring:
            self.retiring.remove(epoch)
        if not self.retiring and self._pending_spec is not None:
            self._start_pending_capture()

    def _on_opened(self, info: SourceInfo) -> None:
        self.source_info = info
        self._announce("source_opened", info)

    def _on_epoch_failed(self, epoch: CaptureEpoch, problem: Problem, detail: str) -> None:
        if epoch is not self.epoch:
            return
        self.flow.camera_failed(problem, detail, monotonic_ns())

    def _on_analysed(self, epoch: CaptureEpoch) -> None:
        if epoch is not self.epoch:
            return
        analysis = epoch.take_analysis()
        if analysis is None:
            return
        self._announce("frame_analysed", analysis, self.flow.phase)
        self.cues.advance()
        self.flow.frame_analysed(analysis, monotonic_ns())

    # --- flow events --------------------------------------------------------------------------

    def _on_flow_event(self, event: FlowEvent) -> None:
        if isinstance(event, GuidanceUpdated):
            self._announce("guidance_changed", event.guidance, event.hold_progress)
        elif isinstance(event, CaptureStarted):
            self._begin_capture(event.session, event.challenge, event.epoch, event.reason)
        elif isinstance(event, PhaseChanged):
            self._on_phase(event)

    def _on_phase(self, event: PhaseChanged) -> None:
        phase, session = event.phase, event.session
        if event.previous is Phase.LIGHT and phase is not Phase.LIGHT:
            self.flash_stop()
        if event.previous is Phase.CUES and phase is not Phase.CUES and self.cues.active:
            self.cues.stop()
            self._announce("cue_changed", None, -1)
        if phase is Phase.CUES and session is not None and session.challenge is not None:
            session.challenge.timing_source = CUE_TIMING_SOURCE
            self.cues.play(list(session.challenge.moves))
        elif phase is Phase.LIGHT and session is not None and session.challenge is not None:
            session.challenge.timing_source = self.timing_source
            self._announce("flash_requested", list(session.challenge.colours))
        elif phase is Phase.VERIFYING and session is not None:
            self._begin_scoring(session)
        elif phase.is_final or phase is Phase.START:
            self._stop_capture()
        if phase in (Phase.TIMEOUT, Phase.ERROR):
            self._end_stored_for(session)
        self._announce("phase_changed", phase, event.previous, session)
        if phase is Phase.RESULT and session is not None:
            self._announce("outcome_ready", session)

    def _begin_capture(self, session: Session, challenge: Challenge, epoch: int, reason: str) -> None:
        self._close_sink()
        info = self.source_info or SourceInfo(kind="unknown", name="")
        stored = self.stored if self.stored is not None and self.stored.id == session.id else None
        record = stored.record if stored is not None else None
        if stored is not None and record is not None:
            if stored.state in (RecordState.CREATED, RecordState.STARTED):
                stored.start()
            context = SessionContext(
                session.id, challenge, info, threshold=record.settings.threshold, audit_images=record.settings.audit_images
            )
            keep = record.settings.keep_recording
        else:
            context = SessionContext(
                session.id, challenge, info, threshold=self.settings.threshold, audit_images=self.settings.audit_images
            )
            keep = self.settings.keep_recordings
        recorder = None
        if keep:
            try:
                recorder = RecordingWriter(self._recording_path(session))
            except OSError as exc:
                log.warning("cannot record session %s: %s", session.id, exc)
        sink = CaptureSink(epoch, self._analyzer_factory, context, recorder)
        self._sink = sink
        if self.epoch is not None:
            self.epoch.set_sink(sink)
            self.epoch.set_oval(challenge.oval)
        self._announce("capture_started", challenge, reason)

    def _recording_path(self, session: Session) -> Path:
        folder = self._recordings_dir or (paths.data_dir() / "recordings")
        return folder / f"{session.id}.lgrec"

    def _detach_sink(self) -> CaptureSink | None:
        sink, self._sink = self._sink, None
        if sink is not None and self.epoch is not None:
            self.epoch.set_sink(None)
        return sink

    def _close_sink(self) -> None:
        """Detach and seal the sink; its recording is finished in the background (or dropped when empty)."""
        sink = self._detach_sink()
        if sink is None:
            return
        sink.seal()
        session = self.flow.session
        if sink.recorder is not None:
            if self.store is not None:
                # With a store only the scored capture is kept (encrypted); an abandoned one leaves no plaintext.
                sink.recorder.abort()
                sink.recorder = None
            elif session is not None and sink.frames > 0:
                extra = {"session_id": session.id, "phase": self.flow.phase.value, "epoch": sink.epoch}
                threading.Thread(
                    target=self._finish_recording, args=(sink, session, extra), name="livegate-recording", daemon=True
                ).start()
            else:
                sink.recorder.abort()
                sink.recorder = None

    def _finish_recording(self, sink: CaptureSink, session: Session, extra: dict[str, Any]) -> None:
        """Write the recording's manifest (any thread but the owner's)."""
        recorder = sink.recorder
        if recorder is None:
            return
        sink.recorder = None
        try:
            challenge = sink.context.challenge
            path = recorder.close(
                challenge=challenge.to_dict(),
                camera=(self.source_info.to_dict() if self.source_info else {}),
                display={
                    **self.display_info,
                    "flash_attenuation": self.settings.flash_attenuation,
                    "timing_source": challenge.timing_source,
                    "neutral_rgb": list(ScreenState.NEUTRAL),
                },
                extra=extra,
            )
            log.info("session %s recorded to %s", session.id, path)
            sink.recording_path = Path(path)
            if self.store is None:
                saved = str(path)
                self._post(lambda: self._announce("recording_saved", saved))
        except (LivegateError, OSError) as exc:
            log.warning("session %s could not be recorded: %s", session.id, exc)

    # --- scoring ------------------------------------------------------------------------------

    def _begin_scoring(self, session: Session) -> None:
        sink = self._detach_sink()
        epoch, self.epoch = self.epoch, None
        if epoch is not None:  # the camera is not needed any more; free the CPU for scoring
            epoch.stop()
            self.retiring.append(epoch)
        token = ScoringToken(session.id, session.epoch)
        if sink is None:
            self._run_scoring(token, lambda: Outcome(None, "no frames were captured for scoring"))
            return
        self._scoring_sinks[token] = sink
        extra = {"session_id": session.id, "phase": "verifying", "epoch": sink.epoch}

        def job() -> Outcome:
            try:
                return sink.finish()
            finally:
                self._finish_recording(sink, session, extra)

        self._run_scoring(token, job)

    def _run_scoring(self, token: ScoringToken, job: Callable[[], Outcome]) -> None:
        """Run ``job`` in its own thread; a job that hangs never blocks the owner (the VERIFYING deadline ends it)."""

        def target() -> None:
            try:
                outcome = job()
            except Exception as exc:  # noqa: BLE001 - reported as "scoring unavailable", never a pass
                log.exception("scoring failed")
                outcome = Outcome(None, f"scoring failed ({type(exc).__name__}: {exc})")
            self._post(lambda: self._on_scored(token, outcome))

        threading.Thread(target=target, name="livegate-scoring", daemon=True).start()

    def _on_scored(self, token: ScoringToken, outcome: Outcome) -> None:
        sink = self._scoring_sinks.pop(token, None)
        recording = sink.recording_path if sink is not None else None
        session = self.flow.session
        if session is None or token != ScoringToken(session.id, session.epoch) or self.flow.phase is not Phase.VERIFYING:
            log.info("dropping a late scoring answer for %s", token)
            if self.store is not None and recording is not None:
                recording.unlink(missing_ok=True)
            return
        stored = self.stored
        if self.store is None or stored is None or stored.id != session.id or not stored.open:
            self.flow.result_ready(outcome, monotonic_ns())
            return
        stored.persist(outcome, recording)
