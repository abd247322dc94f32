"""The check controller: runs the core :class:`~app.core.flow.CheckFlow` and its side effects for the GUI.

It owns the analysis worker (camera + landmarks), the per-session analyzer and
recording, and the scoring thread; it turns the flow's events into Qt signals
the window renders. It never paints and never blocks: camera opening, model
loading, landmarks, JPEG encoding, scoring and recording finalisation all run
off the GUI thread.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from app.core import paths
from app.core.capture.base import FrameSource, monotonic_ns
from app.core.capture.devices import CameraDevice, find_camera
from app.core.capture.frame import Frame, SourceInfo
from app.core.capture.spec import open_source, parse_spec
from app.core.challenge import Challenge
from app.core.errors import ConfigError, LivegateError
from app.core.flow import CaptureStarted, CheckFlow, FlowConfig, FlowEvent, GuidanceUpdated, Outcome, Phase, PhaseChanged, Problem, Session
from app.core.landmarks import LandmarkStage
from app.core.recording import RecordingWriter
from app.core.scoring.contract import Analyzer, LivenessResult, SessionContext
from app.core.screen import ScreenState
from app.core.settings import Settings
from app.gui.plots import SessionTrace
from app.gui.scoring import AnalyzerFactory, ScoringRunner, default_analyzer_factory, make_analyzer
from app.gui.worker import AnalysisWorker, CaptureSink, LandmarkStageLike

log = logging.getLogger(__name__)

SourceFactory = Callable[[str, ScreenState], FrameSource]
LandmarksFactory = Callable[[], LandmarkStageLike]


def default_landmarks_factory() -> LandmarkStageLike:
    """The real MediaPipe landmark stage (video mode, up to three faces)."""
    return LandmarkStage.create()


class LazySink(CaptureSink):
    """A capture sink whose analyzer is built on the first frame, in the worker thread.

    Building the real analyzer may load models; doing it in the worker keeps the GUI responsive.
    """

    def __init__(self, epoch: int, factory: AnalyzerFactory, context: SessionContext, recorder: RecordingWriter | None) -> None:
        super().__init__(epoch, None, recorder)
        self._factory = factory
        self.context = context
        self._built = False

    def _ensure(self) -> None:
        if not self._built:
            self._built = True
            self.analyzer, self.unavailable_reason = make_analyzer(self._factory, self.context)

    def add(self, frame: Frame, landmarks: Any) -> None:
        """Build the analyzer on the first frame, then feed it (worker thread)."""
        with self.lock:
            if self.sealed:
                return
            self._ensure()
        super().add(frame, landmarks)

    def finish(self) -> Outcome:
        """Seal and score (scoring thread). Never a pass without a result."""
        self.seal()
        with self.lock:
            self._ensure()
            analyzer: Analyzer | None = self.analyzer
        if analyzer is None:
            return Outcome(None, self.unavailable_reason or "scoring is unavailable")
        if self.frames == 0:
            return Outcome(None, "no frame was analysed")
        result: LivenessResult = analyzer.finish()
        return Outcome(result)


@dataclass(frozen=True)
class ScoringToken:
    """Identifies the scoring job of one session epoch (late answers of old jobs are dropped)."""

    session_id: str
    epoch: int


class CheckController(QObject):
    """Runs checks. One instance per window.

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
        Enumerated cameras, for the virtual-camera policy (``refresh_devices`` fills it).
    source_factory, landmarks_factory, analyzer_factory:
        Collaborators; defaults are the real ones.
    recordings_dir:
        Where session recordings go (default: the data folder's ``recordings``).
    tick_ms:
        Period of the deadline checks.

    Signals
    -------
    phaseChanged(Phase phase, Phase previous, Session session):
        The flow moved; the window switches screens.
    guidanceChanged(Guidance guidance, float hold_progress):
        A frame was assessed (hint, fit, progress).
    captureStarted(Challenge challenge, str reason):
        A capture epoch began (the view shows its oval); reason ``new`` or ``left_oval``.
    flashRequested(list steps), flashStopRequested():
        The view's flash controller must start or stop.
    outcomeReady(Session session):
        The session reached RESULT (``session.outcome`` is set).
    recordingSaved(str path):
        A session recording was written.
    """

    phaseChanged = Signal(object, object, object)
    guidanceChanged = Signal(object, float)
    captureStarted = Signal(object, str)
    flashRequested = Signal(object)
    flashStopRequested = Signal()
    outcomeReady = Signal(object)
    recordingSaved = Signal(str)
    sourceOpened = Signal(object)

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
        tick_ms: int = 100,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.source_spec = source_spec
        self._fixed_config = flow_config
        self.screen = screen or ScreenState()
        self.devices: list[CameraDevice] = list(devices or [])
        self._source_factory = source_factory or self._open_source
        self._landmarks_factory = landmarks_factory or default_landmarks_factory
        self._analyzer_factory = analyzer_factory or default_analyzer_factory
        self._recordings_dir = recordings_dir
        self.flow = CheckFlow(config=self._config())
        self.flow.subscribe(self._on_flow_event)
        self.timing_source = ""
        #: Facts about the screen that shows the flashes (set by the window; stored with recordings).
        self.display_info: dict[str, Any] = {}
        self.trace = SessionTrace()
        self.source_info: SourceInfo | None = None
        self._worker: AnalysisWorker | None = None
        self._retiring: list[AnalysisWorker] = []
        self._sink: LazySink | None = None
        self._pending_spec: str | None = None
        self._scoring = ScoringRunner(self)
        self._scoring.finished.connect(self._on_scored)
        self._tick = QTimer(self)
        self._tick.setInterval(tick_ms)
        self._tick.timeout.connect(self._on_tick)
        self._start_grace = QTimer(self)
        self._start_grace.setSingleShot(True)
        self._start_grace.setInterval(1500)
        self._start_grace.timeout.connect(self._start_pending_worker)
        #: Worker statistics of the last capture (for the benchmark).
        self.last_worker: AnalysisWorker | None = None

    # --- public API ---------------------------------------------------------------------------

    @property
    def phase(self) -> Phase:
        """The flow's current phase."""
        return self.flow.phase

    @property
    def session(self) -> Session | None:
        """The running (or last) session, ``None`` on the start screen."""
        return self.flow.session

    def latest_frame(self) -> Frame | None:
        """The newest captured frame (the preview pulls this)."""
        worker = self._worker
        return worker.frames.peek() if worker is not None else None

    def apply_settings(self, settings: Settings) -> None:
        """Use new settings from the next session on."""
        self.settings = settings
        self.flow.config = self._config()

    def resolve_spec(self, spec: str | None = None) -> str:
        """The source to open: explicit > ``--source`` > remembered camera > first real camera > ``""``."""
        for candidate in (spec, self.source_spec, self.settings.camera):
            if candidate:
                return candidate
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

    def start_check(self, *, spec: str | None = None, challenge_type: str | None = None) -> Session:
        """Start a brand-new session (also what "Try again" does)."""
        self._stop_capture()
        self.flash_stop()
        self.trace.clear()
        self.screen.clear()  # a new session starts from the neutral screen
        self.source_info = None
        session = self.flow.start(monotonic_ns(), challenge_type=challenge_type)
        self._tick.start()
        resolved = self.resolve_spec(spec)
        if not resolved:
            self.flow.camera_failed(Problem.CAMERA_NOT_FOUND, "no camera was found on this machine", monotonic_ns())
            return session
        refusal = self.virtual_refusal(resolved)
        if refusal:
            self.flow.camera_failed(Problem.CAMERA_VIRTUAL, refusal, monotonic_ns())
            return session
        self._pending_spec = resolved
        if self._retiring:
            self._start_grace.start()  # wait for the old capture to release the camera
        else:
            self._start_pending_worker()
        return session

    def cancel(self) -> None:
        """Abandon the running session and return to START."""
        self.flow.cancel(monotonic_ns())

    def colour_shown(self, index: int, t_ns: int) -> None:
        """Slot for the flash controller's ``colourShown``."""
        self.flow.colour_shown(index, t_ns)

    def flash_finished(self, t_ns: int) -> None:
        """Slot for the flash controller's ``sequenceFinished``."""
        self.flow.flash_finished(t_ns)

    def flash_stop(self) -> None:
        """Ask the view to stop any running flash sequence."""
        self.flashStopRequested.emit()

    def shutdown(self, timeout_s: float = 3.0) -> None:
        """Stop everything and join the threads (window close)."""
        self._tick.stop()
        self._stop_capture()
        for worker in list(self._retiring):
            worker.join(timeout_s)

    # --- sources ------------------------------------------------------------------------------

    def _config(self) -> FlowConfig:
        if self._fixed_config is not None:
            return dataclasses.replace(self._fixed_config, challenge_type=self.settings.challenge)
        return FlowConfig.from_settings(self.settings)

    def _open_source(self, spec: str, screen: ScreenState) -> FrameSource:
        return open_source(spec, screen=screen, devices=self.devices or None)

    def _start_pending_worker(self) -> None:
        self._start_grace.stop()
        spec = self._pending_spec
        self._pending_spec = None
        if spec is None or not self.flow.phase.is_capturing:
            return
        screen = self.screen
        worker = AnalysisWorker(
            source_factory=lambda: self._source_factory(spec, screen),
            landmarks_factory=self._landmarks_factory,
            read_timeout_s=1.0,
        )
        worker.analysed.connect(lambda w=worker: self._on_analysed(w), Qt.ConnectionType.QueuedConnection)
        worker.failed.connect(lambda p, d, w=worker: self._on_worker_failed(w, p, d), Qt.ConnectionType.QueuedConnection)
        worker.opened.connect(self._on_opened, Qt.ConnectionType.QueuedConnection)
        worker.stopped.connect(lambda w=worker: self._on_worker_stopped(w), Qt.ConnectionType.QueuedConnection)
        self._worker = worker
        self.last_worker = worker
        if self._sink is not None:
            worker.set_sink(self._sink)
        worker.start()

    def _stop_capture(self) -> None:
        """Stop the worker (non-blocking) and close the session's sink."""
        self._close_sink()
        worker = self._worker
        self._worker = None
        if worker is not None:
            worker.stop()
            self._retiring.append(worker)

    def _on_worker_stopped(self, worker: AnalysisWorker) -> None:
        if worker in self._retiring:
            self._retiring.remove(worker)
        if not self._retiring and self._pending_spec is not None:
            self._start_pending_worker()

    def _on_opened(self, info: SourceInfo) -> None:
        self.source_info = info
        self.sourceOpened.emit(info)

    def _on_worker_failed(self, worker: AnalysisWorker, problem: Problem, detail: str) -> None:
        if worker is not self._worker:
            return
        self.flow.camera_failed(problem, detail, monotonic_ns())

    def _on_analysed(self, worker: AnalysisWorker) -> None:
        if worker is not self._worker:
            return
        analysis = worker.take_analysis()
        if analysis is None:
            return
        phase = self.flow.phase
        if phase in (Phase.GUIDANCE, Phase.LIGHT):
            self.trace.add(analysis.t_ns, analysis.landmarks, analysis.stats.face_bgr, self.screen, light=phase is Phase.LIGHT)
        self.flow.frame_analysed(analysis, monotonic_ns())

    def _on_tick(self) -> None:
        worker = self._worker
        capture = worker.capture if worker is not None else None
        if capture is not None and capture.last_arrival_ns:
            self.flow.frames_alive(capture.last_arrival_ns)
        self.flow.tick(monotonic_ns())
        if self.flow.session is None or self.flow.phase.is_final:
            self._tick.stop()

    # --- flow events ----------------------------------------------------------------------------

    def _on_flow_event(self, event: FlowEvent) -> None:
        if isinstance(event, GuidanceUpdated):
            self.guidanceChanged.emit(event.guidance, event.hold_progress)
        elif isinstance(event, CaptureStarted):
            self._begin_capture(event.session, event.challenge, event.epoch, event.reason)
        elif isinstance(event, PhaseChanged):
            self._on_phase(event)

    def _on_phase(self, event: PhaseChanged) -> None:
        phase, session = event.phase, event.session
        if event.previous is Phase.LIGHT and phase is not Phase.LIGHT:
            self.flash_stop()
        if phase is Phase.LIGHT and session is not None and session.challenge is not None:
            session.challenge.timing_source = self.timing_source
            self.flashRequested.emit(list(session.challenge.colours))
        elif phase is Phase.VERIFYING and session is not None:
            self._begin_scoring(session)
        elif phase.is_final or phase is Phase.START:
            self._stop_capture()
        self.phaseChanged.emit(phase, event.previous, session)
        if phase is Phase.RESULT and session is not None:
            self.outcomeReady.emit(session)

    def _begin_capture(self, session: Session, challenge: Challenge, epoch: int, reason: str) -> None:
        self._close_sink()
        self.trace.clear()
        info = self.source_info or SourceInfo(kind="unknown", name="")
        context = SessionContext(session.id, challenge, info, threshold=self.settings.threshold, audit_images=self.settings.audit_images)
        recorder = None
        if self.settings.keep_recordings:
            try:
                recorder = RecordingWriter(self._recording_path(session))
            except OSError as exc:
                log.warning("cannot record session %s: %s", session.id, exc)
        sink = LazySink(epoch, self._analyzer_factory, context, recorder)
        self._sink = sink
        if self._worker is not None:
            self._worker.set_sink(sink)
            self._worker.set_oval(challenge.oval)
        self.captureStarted.emit(challenge, reason)

    def _recording_path(self, session: Session) -> Path:
        folder = self._recordings_dir or (paths.data_dir() / "recordings")
        return folder / f"{session.id}.lgrec"

    def _detach_sink(self) -> LazySink | None:
        sink, self._sink = self._sink, None
        if sink is not None and self._worker is not None:
            self._worker.set_sink(None)
        return sink

    def _close_sink(self) -> None:
        """Detach and seal the sink; its recording is finished in the background (or dropped when empty)."""
        sink = self._detach_sink()
        if sink is None:
            return
        sink.seal()
        session = self.flow.session
        if sink.recorder is not None:
            if session is not None and sink.frames > 0:
                self._finish_recording_async(sink, session)
            else:
                sink.recorder.abort()
                sink.recorder = None

    def _finish_recording_async(self, sink: LazySink, session: Session) -> None:
        extra = {"session_id": session.id, "phase": self.flow.phase.value, "epoch": sink.epoch}
        threading.Thread(target=self._finish_recording, args=(sink, session, extra), name="livegate-recording", daemon=True).start()

    def _finish_recording(self, sink: LazySink, session: Session, extra: dict[str, Any]) -> None:
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
            self.recordingSaved.emit(str(path))
        except (LivegateError, OSError) as exc:
            log.warning("session %s could not be recorded: %s", session.id, exc)

    # --- scoring --------------------------------------------------------------------------------

    def _begin_scoring(self, session: Session) -> None:
        sink = self._detach_sink()
        worker, self._worker = self._worker, None
        if worker is not None:  # the camera is not needed any more; free the CPU for scoring
            worker.stop()
            self._retiring.append(worker)
        token = ScoringToken(session.id, session.epoch)
        if sink is None:
            self._scoring.run(token, lambda: Outcome(None, "no frames were captured for scoring"))
            return
        extra = {"session_id": session.id, "phase": "verifying", "epoch": sink.epoch}

        def job() -> Outcome:
            try:
                return sink.finish()
            finally:
                self._finish_recording(sink, session, extra)

        self._scoring.run(token, job)

    def _on_scored(self, token: ScoringToken, outcome: Outcome) -> None:
        session = self.flow.session
        if session is None or token != ScoringToken(session.id, session.epoch):
            log.info("dropping a late scoring answer for %s", token)
            return
        self.flow.result_ready(outcome, monotonic_ns())
