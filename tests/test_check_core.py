"""The live check's Qt-free plumbing: capture epoch, sink, analyzer driver, colour player, and a whole check."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.core.capture.base import FrameSource, monotonic_ns
from app.core.capture.frame import Frame, SourceInfo
from app.core.challenge import MOVEMENT_AND_LIGHT, MOVEMENT_ONLY, Box, Challenge, ColourStep, Oval
from app.core.check.capture import CaptureEpoch, CaptureSink, LatestSlot
from app.core.check.flash import FlashPlayer
from app.core.check.flow import FlowConfig, Phase, Problem, Session
from app.core.check.live import CheckListener, LiveCheck
from app.core.check.stored import InlineStoreExecutor, StoreProblem
from app.core.errors import CameraBusy, SourceEnded, StoreError
from app.core.landmarks import FaceLandmarks, LandmarkResult
from app.core.scoring.contract import ImageOut, LivenessResult, SessionContext
from app.core.scoring.pipeline import AnalyzerDriver
from app.core.screen import ScreenState
from app.core.settings import Settings
from app.devtools.synthetic_results import make_service
from landmark_puppets import face_points

IMAGE = np.random.default_rng(1).integers(70, 190, (480, 640, 3), dtype=np.uint8)




class Walker:
    """A scripted participant: far from the camera until the oval is known, then comes close in half a second."""

    def __init__(self) -> None:
        self.oval: Oval | None = None
        self.since = 0

    def faces(self, t_ns: int) -> list[tuple[float, float, float]]:
        oval = self.oval
        if oval is None:
            return []
        grow = min(1.0, max(0.0, (t_ns - self.since - 300_000_000) / 0.5e9))
        return [(oval.cx, oval.cy, (0.5 + 0.5 * grow) * oval.w)]


class WalkerSource(FrameSource):
    """Frames paced at 30 fps, ``count`` of them (then the source ends)."""

    def __init__(self, walker: Walker | None = None, count: int = 10_000) -> None:
        super().__init__()
        self.walker = walker or Walker()
        self.count = count
        self.index = 0
        self.info = SourceInfo(kind="sim", name="walker", width=640, height=480, fps=30.0)
        self.closed = threading.Event()
        self._next = 0.0

    def open(self) -> None:
        self._next = time.monotonic()

    def read(self, timeout: float = 2.0) -> Frame:
        if self.index >= self.count:
            raise SourceEnded("the end of the clip")
        self._next += 1 / 30
        delay = self._next - time.monotonic()
        if delay > 0:
            time.sleep(delay)  # pacing a fake camera (not a test sleep)
        frame = Frame(IMAGE, monotonic_ns(), self.index)
        self.index += 1
        return self._note(frame)

    def close(self) -> None:
        self.closed.set()

    def set_oval(self, oval: Oval) -> None:
        self.walker.since = monotonic_ns()
        self.walker.oval = oval


class WalkerStage:
    """Landmarks from the walker."""

    def __init__(self, walker: Walker) -> None:
        self.walker = walker
        self.closed = False

    def process(self, frame: Frame) -> LandmarkResult:
        faces = tuple(FaceLandmarks.from_points(face_points(*f)) for f in self.walker.faces(frame.t_ns))
        return LandmarkResult(frame.index, frame.t_ns, faces, 0.1)

    def close(self) -> None:
        self.closed = True


class FixedAnalyzer:
    """Scores every session with one decision."""

    def __init__(self, context: SessionContext, decision: str = "pass") -> None:
        self.context = context
        self.decision = decision
        self.frames: list[Frame] = []

    def add(self, frame: Frame, landmarks: LandmarkResult) -> None:
        self.frames.append(frame)

    def finish(self) -> LivenessResult:
        last = self.frames[-1]
        ref = ImageOut(last.image, Box(200, 100, 200, 260), last.index, last.t_ns)
        return LivenessResult(
            session_id=self.context.session_id,
            status="SUCCEEDED",
            confidence=91.0 if self.decision == "pass" else 12.0,
            decision=self.decision,
            threshold=self.context.threshold,
            checks=[],
            reasons=["Scripted."],
            challenge=self.context.challenge,
            reference=ref,
            audit=[ref],
            frame_size=(640, 480),
        )


def context() -> SessionContext:
    return SessionContext("s1", Challenge.new(640, 480, challenge_type=MOVEMENT_AND_LIGHT), SourceInfo(kind="sim", name="x"))


def frame(i: int) -> Frame:
    return Frame(IMAGE, 1_000_000 * (i + 1), i)


def no_face(f: Frame) -> LandmarkResult:
    return LandmarkResult(f.index, f.t_ns, (), 0.1)


# --- mailbox, epoch ----------------------------------------------------------------------------


def test_latest_slot_keeps_only_the_newest() -> None:
    slot: LatestSlot[int] = LatestSlot()
    slot.put(1)
    slot.put(2)
    assert slot.peek() == 2 and slot.take() == 2 and slot.take() is None


def test_an_epoch_reports_frames_then_the_end_and_closes_everything() -> None:
    walker = Walker()
    source = WalkerSource(walker, count=20)
    stage = WalkerStage(walker)
    events: list[Any] = []
    analysed = threading.Event()
    stopped = threading.Event()

    def on_analysed() -> None:
        events.append("analysed")
        analysed.set()

    epoch = CaptureEpoch(
        source_factory=lambda: source,
        landmarks_factory=lambda: stage,
        on_opened=lambda info: events.append(("opened", info.name)),
        on_analysed=on_analysed,
        on_failed=lambda problem, detail: events.append(("failed", problem)),
        on_stopped=lambda: (events.append("stopped"), stopped.set()),
    )
    sink = CaptureSink(1, lambda ctx: FixedAnalyzer(ctx), context())
    epoch.set_sink(sink)
    epoch.start()
    assert analysed.wait(5)
    assert events[0] == ("opened", "walker")
    assert events.count("analysed") == 1  # not again until the owner takes the analysis
    assert epoch.take_analysis() is not None
    assert stopped.wait(5)  # the clip ends: reported, then everything closes
    assert ("failed", Problem.CAMERA_STALLED) in events and events[-1] == "stopped"
    assert epoch.close(3) and not epoch.running
    assert source.closed.is_set() and stage.closed
    assert epoch.capture is not None and epoch.capture._thread is None  # the capture thread was joined
    assert sink.frames == epoch.frames_read > 0


def test_an_epoch_whose_camera_is_busy_fails_without_loading_the_model() -> None:
    def busy() -> FrameSource:
        raise CameraBusy("camera 'X' is in use")

    built: list[int] = []
    failures: list[tuple[Problem, str]] = []
    epoch = CaptureEpoch(
        source_factory=busy,
        landmarks_factory=lambda: built.append(1) or WalkerStage(Walker()),  # type: ignore[func-returns-value]
        on_failed=lambda problem, detail: failures.append((problem, detail)),
    )
    epoch.start()
    assert epoch.join(5)
    assert failures == [(Problem.CAMERA_BUSY, "camera 'X' is in use")] and built == []


# --- sink and driver ---------------------------------------------------------------------------


def test_a_missing_scoring_module_is_unavailable_never_a_pass() -> None:
    def missing(ctx: SessionContext) -> Any:
        raise ImportError("No module named 'app.core.scoring.pipeline'")

    sink = CaptureSink(1, missing, context())
    sink.add(frame(0), no_face(frame(0)))
    outcome = sink.finish()
    assert outcome.result is None and "not installed" in outcome.unavailable_reason


def test_an_analyzer_that_breaks_on_a_frame_is_dropped_and_the_capture_goes_on() -> None:
    class Broken(FixedAnalyzer):
        def add(self, frame: Frame, landmarks: LandmarkResult) -> None:
            raise RuntimeError("bad frame")

    sink = CaptureSink(1, lambda ctx: Broken(ctx), context())
    sink.add(frame(0), no_face(frame(0)))
    sink.add(frame(1), no_face(frame(1)))
    outcome = sink.finish()
    assert sink.frames == 2 and outcome.result is None
    assert outcome.unavailable_reason == "scoring failed while analysing a frame (RuntimeError: bad frame)"


def test_a_sealed_sink_takes_no_more_frames_and_scores_what_it_had() -> None:
    analyzers: list[FixedAnalyzer] = []

    def build(ctx: SessionContext) -> FixedAnalyzer:
        analyzers.append(FixedAnalyzer(ctx))
        return analyzers[-1]

    sink = CaptureSink(1, build, context())
    sink.add(frame(0), no_face(frame(0)))
    sink.seal()
    sink.add(frame(1), no_face(frame(1)))
    outcome = sink.finish()
    assert outcome.result is not None and outcome.result.decision == "pass"
    assert [f.index for f in analyzers[0].frames] == [0]


def test_a_sink_without_frames_has_nothing_to_score() -> None:
    outcome = CaptureSink(1, lambda ctx: FixedAnalyzer(ctx), context()).finish()
    assert (outcome.result, outcome.unavailable_reason) == (None, "no frame was analysed")


def test_the_recording_path_driver_lets_errors_through() -> None:
    class Backwards(FixedAnalyzer):
        def add(self, frame: Frame, landmarks: LandmarkResult) -> None:
            raise ValueError("frame 1 goes back in time")

    driver = AnalyzerDriver(lambda: Backwards(context()), tolerant=False)

    class Stage:
        def process(self, f: Frame) -> LandmarkResult:
            return no_face(f)

    with pytest.raises(ValueError, match="back in time"):
        driver.feed([frame(0)], Stage())


# --- colours without a display ------------------------------------------------------------------


def test_the_player_writes_each_colour_to_the_screen_state_for_its_time() -> None:
    now = [1_000_000_000]
    screen = ScreenState()
    shown: list[tuple[int, int]] = []
    finished: list[int] = []
    player = FlashPlayer(screen, on_shown=lambda i, t: shown.append((i, t)), on_finished=finished.append, attenuation=0.5,
                         clock=lambda: now[0])
    steps = [ColourStep("black", (0, 0, 0), 0, 300), ColourStep("red", (255, 0, 0), 300, 100)]
    player.play(steps)
    assert shown == [(0, 1_000_000_000)] and player.active
    now[0] += 200_000_000
    player.advance()
    assert len(shown) == 1 and player.due_in() == pytest.approx(0.1)
    now[0] += 100_000_000
    player.advance()
    assert shown[-1] == (1, 1_300_000_000)
    assert screen.colour_at(1_300_000_000 + 300_000_000) == (127.5, 0.0, 0.0)  # wiped in, at half brightness
    now[0] += 400_000_000
    player.advance()
    assert finished == [1_700_000_000] and not player.active
    assert screen.events()[-1].rgb == ScreenState.NEUTRAL


def test_stopping_the_player_returns_the_screen_to_neutral() -> None:
    screen = ScreenState()
    player = FlashPlayer(screen, on_shown=lambda i, t: None, on_finished=lambda t: None)
    player.play([ColourStep("red", (255, 0, 0), 300, 100)])
    player.stop()
    assert not player.active and screen.events()[-1].rgb == ScreenState.NEUTRAL


# --- a whole check, without Qt -------------------------------------------------------------------

FAST = FlowConfig(face_fit_timeout_s=5.0, hold_still_s=0.3, camera_check_frames=4, camera_check_min_s=0.1, verify_timeout_s=5.0)


class Ending(CheckListener):
    def __init__(self) -> None:
        self.phases: list[Phase] = []
        self.problems: list[StoreProblem] = []
        self.records: list[Any] = []

    def phase_changed(self, phase: Phase, previous: Phase, session: Session | None) -> None:
        self.phases.append(phase)

    def store_failed(self, problem: StoreProblem) -> None:
        self.problems.append(problem)

    def record_finished(self, record: Any) -> None:
        self.records.append(record)


def run_check(
    check: LiveCheck, inbox: "queue.SimpleQueue[Callable[[], None]]", ending: Ending, *, challenge: str, limit_s: float = 15.0
) -> None:
    """The owner loop of a check (as ``livegate check`` runs it)."""
    player = FlashPlayer(check.screen, on_shown=check.colour_shown, on_finished=check.flash_finished)
    listener = CheckListener()
    listener.flash_requested = player.play  # type: ignore[method-assign]
    listener.flash_stop_requested = player.stop  # type: ignore[method-assign]
    check.subscribe(listener)
    check.start_check(challenge_type=challenge)
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and not (ending.phases and (ending.phases[-1].is_final or ending.problems)):
        try:
            inbox.get(timeout=min(0.02, player.due_in()))()
        except queue.Empty:
            pass
        player.advance()
        check.tick()


@pytest.mark.parametrize("store_fails", [False, True])
def test_a_whole_stored_check_runs_without_qt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_fails: bool) -> None:
    service = make_service(tmp_path / "data", settings=Settings(), kiosk=True)
    if store_fails:
        def disk_full(*args: object, **kwargs: object) -> None:
            raise StoreError("cannot write reference.enc: the disk is full")

        monkeypatch.setattr(service.store, "write_file", disk_full)
    walker = Walker()
    inbox: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
    check = LiveCheck(
        settings=Settings(),
        source_spec="walker:",
        flow_config=FAST,
        source_factory=lambda spec, screen: WalkerSource(walker),
        landmarks_factory=lambda: WalkerStage(walker),
        analyzer_factory=lambda ctx: FixedAnalyzer(ctx),
        store=InlineStoreExecutor(service),
        post=inbox.put,
    )
    ending = Ending()
    check.subscribe(ending)
    try:
        # The failing store needs no colours to reach its save: the quicker movement-only flow.
        run_check(check, inbox, ending, challenge=MOVEMENT_ONLY if store_fails else MOVEMENT_AND_LIGHT)
    finally:
        check.shutdown()
    try:
        (record,) = service.list()
        if store_fails:
            assert ending.phases[-1] is Phase.START and ending.problems[0].kind == "save"
            assert record.status == "ERROR" and record.reason.startswith("storage failed")
        else:
            assert ending.phases[-2:] == [Phase.VERIFYING, Phase.RESULT]
            assert Phase.LIGHT in ending.phases
            session = check.session
            assert session is not None and session.challenge is not None
            assert len(session.challenge.shown_ns) == len(session.challenge.colours)  # every colour time-stamped
            assert (record.id, record.status, record.decision) == (session.id, "SUCCEEDED", "pass")
            assert ending.records[-1].id == record.id
        assert all(not e.running for e in [*check.retiring, check.last_epoch] if e is not None)
    finally:
        service.close()
