"""The check controller: runs the core :class:`~app.core.flow.CheckFlow` and its side effects for the GUI.

It owns the analysis worker (camera + landmarks), the per-session analyzer and
recording, and the scoring thread; it turns the flow's events into Qt signals
the window renders. It never paints and never blocks: camera opening, model
loading, landmarks, JPEG encoding, scoring and recording finalisation all run
off the GUI thread.

Sessions (``sessions=``, the process's ``SessionService``): every check is a
session in the store. Pressing Start *creates* one (refused while the device
is locked out), the first capture epoch *starts* it, and the check's end
finishes it: a scored result is stored with its images (and the recording when
the session keeps one) *before* the result screen shows; a result that cannot
be scored ends it FAILED, a face-fit time-out FAILED, a camera problem, a
verification time-out or a cancel ERROR. Sessions started through the local
API are run for their own settings (:meth:`CheckController.run_session`).
Every store call runs in the :class:`~app.gui.sessions.StoreBridge` thread.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
import weakref
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
from app.core.errors import ConfigError, LivegateError, StoreError
from app.core.flow import CaptureStarted, CheckFlow, FlowConfig, FlowEvent, GuidanceUpdated, Outcome, Phase, PhaseChanged, Problem, Session
from app.core.models.pool import model_pool
from app.core.recording import RecordingWriter
from app.core.scoring.contract import Analyzer, LivenessResult, SessionContext
from app.core.screen import ScreenState
from app.core.sessions import LockedOut, LockoutStatus, SessionError, SessionEvent, SessionService, SessionSettings, SessionStateError
from app.core.sessions import Session as StoredSession
from app.core.settings import Settings
from app.gui.plots import SessionTrace
from app.gui.scoring import AnalyzerFactory, ScoringRunner, default_analyzer_factory, make_analyzer
from app.gui.sessions import StoreBridge
from app.gui.worker import AnalysisWorker, CaptureSink, LandmarkStageLike

log = logging.getLogger(__name__)

SourceFactory = Callable[[str, ScreenState], FrameSource]
LandmarksFactory = Callable[[], LandmarkStageLike]
#: Period of the session store upkeep (expiry of unstarted sessions, retention purge when due).
MAINTENANCE_MS = 15 * 60 * 1000


def default_landmarks_factory() -> LandmarkStageLike:
    """The process's MediaPipe landmark stage (video mode, up to three faces), lent for one capture."""
    return model_pool().landmarks()


class LazySink(CaptureSink):
    """A capture sink whose analyzer is built on the first frame, in the worker thread.

    Building the real analyzer may load models; doing it in the worker keeps the GUI responsive.
    """

    def __init__(self, epoch: int, factory: AnalyzerFactory, context: SessionContext, recorder: RecordingWriter | None) -> None:
        super().__init__(epoch, None, recorder)
        self._factory = factory
        self.context = context
        self._built = False
        #: The finished recording (set by the scoring thread), handed to the store.
        self.recording_path: Path | None = None

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
class StoreProblem:
    """Why a check could not be recorded in the session store.

    Attributes
    ----------
    kind:
        ``create`` (the session could not be created), ``start`` (it could not be
        started), ``save`` (the result could not be stored; nothing counts as
        passed) or ``ended`` (another program ended or deleted the session first).
    detail:
        The store's message (for example "the disk is full").
    """

    kind: str
    detail: str


@dataclass
class _Request:
    """A check the user asked for, waiting for its session to be created."""

    spec: str | None
    challenge_type: str | None
    cancelled: bool = False


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
        A session recording was written (only without a session store: with
        one, recordings go into the store encrypted).
    preparing():
        A check was requested and its session is being created.
    lockedOut(LockoutStatus status):
        A check was refused: the device is locked out after repeated failures.
    storeFailed(StoreProblem problem):
        The session store refused a step; the check was stopped and nothing
        counts as passed.
    recordFinished(app.core.sessions.Session record):
        The store finished this check's session (its final status).
    remoteStartRequested(app.core.sessions.Session record):
        A session was started through the local API; the window decides
        whether to run it (:meth:`run_session`) or refuse it (:meth:`refuse_session`).
    sessionsChanged(SessionEvent event):
        Any session event (the history view refreshes).
    """

    phaseChanged = Signal(object, object, object)
    guidanceChanged = Signal(object, float)
    captureStarted = Signal(object, str)
    flashRequested = Signal(object)
    flashStopRequested = Signal()
    outcomeReady = Signal(object)
    recordingSaved = Signal(str)
    sourceOpened = Signal(object)
    preparing = Signal()
    lockedOut = Signal(object)
    storeFailed = Signal(object)
    recordFinished = Signal(object)
    remoteStartRequested = Signal(object)
    sessionsChanged = Signal(object)

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
        sessions: SessionService | None = None,
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
        self._next_flow_id: str | None = None
        self.flow = CheckFlow(config=self._config(), session_ids=self._take_flow_id)
        self.flow.subscribe(self._on_flow_event)
        #: The session store link (``None``: checks are not recorded, for tools and older tests).
        self.store: StoreBridge | None = None
        #: The store session of the running (or last) check.
        self.record: StoredSession | None = None
        self._record_open = False
        self._record_started = False
        self._request: _Request | None = None
        self._persist_cancel: threading.Event | None = None
        self._own_ids: set[str] = set()
        self._own_lock = threading.Lock()
        self._scoring_sinks: dict[ScoringToken, LazySink] = {}
        #: Expires sessions not started in time and runs the retention purge (the service keeps it hourly).
        self._maintenance = QTimer(self)
        self._maintenance.setInterval(MAINTENANCE_MS)
        self._maintenance.timeout.connect(self._maintain)
        if sessions is not None:
            sessions.update_settings(settings)
            self.store = StoreBridge(sessions, kiosk=True, parent=self)
            self.store.eventReceived.connect(self._on_store_event)
            self._maintenance.start()
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

    @property
    def sessions(self) -> SessionService | None:
        """The session service (``None`` without a store)."""
        return self.store.service if self.store is not None else None

    @property
    def busy(self) -> bool:
        """True while a check is being prepared, captured, scored or stored."""
        if self._request is not None or self.flow.phase in (Phase.CAMERA_CHECK, Phase.GUIDANCE, Phase.LIGHT, Phase.VERIFYING):
            return True
        return self._persist_cancel is not None and not self._persist_cancel.is_set()

    def apply_settings(self, settings: Settings) -> None:
        """Use new settings from the next session on."""
        self.settings = settings
        self.flow.config = self._config()
        if self.store is not None:
            self.store.service.update_settings(settings)

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

    def start_check(self, *, spec: str | None = None, challenge_type: str | None = None) -> Session | None:
        """Start a brand-new check (also what "Try again" does).

        Without a store the flow starts at once and its session is returned.
        With one, a store session is created first (in the store thread) and
        ``None`` is returned: the flow starts when the session exists, or
        ``lockedOut`` / ``storeFailed`` explains why it cannot.
        """
        if self.store is None:
            return self._start_flow(spec=spec, challenge_type=challenge_type)
        if self._request is not None:
            return None  # already asked; the session is on its way
        if self.flow.phase.is_capturing or self.flow.phase is Phase.VERIFYING:
            self.cancel()
        request = _Request(spec, challenge_type)
        self._request = request
        settings = SessionSettings.from_settings(self.settings, challenge=challenge_type or self.settings.challenge)

        def create(service: SessionService) -> StoredSession | LockoutStatus:
            try:
                record = service.create(settings)
            except LockedOut:
                return service.lockout_status()
            with self._own_lock:
                self._own_ids.add(record.id)
            return record

        self.store.submit(
            create,
            done=lambda answer: self._on_created(request, answer),
            failed=lambda exc: self._on_create_failed(request, exc),
            what="create a session",
        )
        self.preparing.emit()
        return None

    def run_session(self, record: StoredSession, *, spec: str | None = None) -> Session | None:
        """Run the check of a session started through the API (already IN_PROGRESS), with its settings."""
        if self.store is None:
            raise RuntimeError("run_session needs a session store")
        if self._request is not None:
            self._request.cancelled = True
            self._request = None
        if self.flow.phase.is_capturing or self.flow.phase is Phase.VERIFYING:
            self.cancel()
        log.info("running session %s started through the API", record.id)
        self._adopt(record, started=True)
        return self._start_flow(spec=spec, challenge_type=record.settings.challenge, flow_id=record.id)

    def refuse_session(self, record: StoredSession, reason: str) -> None:
        """End an API-started session this screen cannot run now (ERROR with ``reason``)."""
        log.warning("session %s started through the API was refused: %s", record.id, reason)
        self._close_record(record.id, "error", reason)

    def _start_flow(self, *, spec: str | None, challenge_type: str | None, flow_id: str | None = None) -> Session:
        self._stop_capture()
        self.flash_stop()
        self.trace.clear()
        self.screen.clear()  # a new session starts from the neutral screen
        self.source_info = None
        self._next_flow_id = flow_id
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
        """Abandon the running (or requested) check and return to START; its session ends as ERROR("cancelled")."""
        if self._request is not None:
            self._request.cancelled = True
            self._request = None
        self.flow.cancel(monotonic_ns())
        self._end_record("error", "cancelled")

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
        """Stop everything and join the threads (window close); an open session ends as ERROR."""
        self._tick.stop()
        self._maintenance.stop()
        if self._request is not None:
            self._request.cancelled = True
            self._request = None
        self._end_record("error", "the app was closed during the check")
        self._stop_capture()
        for worker in list(self._retiring):
            worker.join(timeout_s)
        if self.store is not None:
            self.store.close(timeout_s=max(timeout_s, 10.0))

    # --- the session store ------------------------------------------------------------------

    def _maintain(self) -> None:
        """Periodic store upkeep on an idle screen (a kiosk may run for weeks without a check)."""
        if self.store is not None and not self.busy:
            self.store.submit(lambda service: service.maintain(), what="expire and purge sessions")

    def _take_flow_id(self) -> str:
        flow_id, self._next_flow_id = self._next_flow_id, None
        return flow_id or uuid.uuid4().hex

    def _is_own(self, session_id: str) -> bool:
        with self._own_lock:
            return session_id in self._own_ids

    def _forget(self, session_id: str) -> None:
        """This GUI's own session can no longer be ``started`` (single use): stop remembering its id."""
        with self._own_lock:
            self._own_ids.discard(session_id)

    def _adopt(self, record: StoredSession, *, started: bool) -> None:
        """Make ``record`` the session of the next check (ending any still-open one)."""
        self._end_record("error", "a new check was started before this one ended")
        self.record = record
        self._record_open = True
        self._record_started = started
        self._persist_cancel = None

    def _on_created(self, request: _Request, answer: StoredSession | LockoutStatus) -> None:
        if isinstance(answer, LockoutStatus):
            if request is self._request:
                self._request = None
                log.info("check refused: the device is locked out until %s", answer.until)
                self.lockedOut.emit(answer)
            return
        if request is not self._request or request.cancelled:
            self._close_record(answer.id, "error", "cancelled before the check began")
            return
        self._request = None
        self._adopt(answer, started=False)
        self._start_flow(spec=request.spec, challenge_type=answer.settings.challenge, flow_id=answer.id)

    def _on_create_failed(self, request: _Request, exc: BaseException) -> None:
        if request is not self._request:
            return
        self._request = None
        log.error("a session could not be created: %s", exc)
        self.storeFailed.emit(StoreProblem("create", str(exc)))

    def _start_record(self) -> None:
        """Capture begins: mark the session IN_PROGRESS (API sessions already are)."""
        record = self.record
        if self.store is None or record is None or not self._record_open or self._record_started:
            return
        self._record_started = True
        sid = record.id
        self.store.submit(
            lambda service: service.start(sid),
            done=lambda started: self._on_record_started(sid, started),
            failed=lambda exc: self._on_start_failed(sid, exc),
            what=f"start session {sid}",
        )

    def _on_record_started(self, sid: str, started: StoredSession) -> None:
        self._forget(sid)  # its "started" event was delivered before this answer (same thread, same order)
        if self.record is not None and self.record.id == sid:
            self.record = started

    def _on_start_failed(self, sid: str, exc: BaseException) -> None:
        self._forget(sid)
        if self.record is None or self.record.id != sid or not self._record_open:
            return
        log.error("session %s could not be started: %s", sid, exc)
        self._close_record(sid, "error", f"could not be started: {exc}")
        self._record_open = False
        self.flow.cancel(monotonic_ns())
        if isinstance(exc, LockedOut):
            self.store.submit(lambda service: service.lockout_status(), done=self.lockedOut.emit, what="lock-out status")  # type: ignore[union-attr]
        else:
            self.storeFailed.emit(StoreProblem("start", str(exc)))

    def _end_record(self, kind: str, reason: str) -> None:
        """End the open session of the current check (``kind`` ``fail`` or ``error``); no-op when none is open."""
        record = self.record
        if self.store is None or record is None or not self._record_open:
            return
        self._record_open = False
        if self._persist_cancel is not None:
            self._persist_cancel.set()
        self._close_record(record.id, kind, reason)

    def _close_record(self, sid: str, kind: str, reason: str) -> None:
        if self.store is None:
            return

        def close(service: SessionService) -> StoredSession | None:
            try:
                if kind == "fail":
                    try:
                        return service.fail(sid, reason)
                    except SessionStateError:  # never started (CREATED): it cannot fail, it ends in ERROR
                        return service.error(sid, reason)
                return service.error(sid, reason)
            except SessionStateError as exc:  # already finished (stored result, storage error, expired) meanwhile
                log.info("session %s was already finished; not ending it as %s (%s): %s", sid, kind, reason, exc)
                return None

        self.store.submit(close, done=self._on_record_closed, what=f"end session {sid}")

    def _on_record_closed(self, record: StoredSession | None) -> None:
        if record is None:
            return
        self._forget(record.id)
        if self.record is not None and self.record.id == record.id:
            self.record = record
        self.recordFinished.emit(record)

    def _end_record_for(self, phase: Phase, session: Session | None) -> None:
        """A check ended on a time-out or error screen: FAILED for the user's time-out, ERROR otherwise."""
        problem = session.problem if session is not None else None
        if problem is None:
            self._end_record("error", "the check stopped")
        elif problem.problem is Problem.FACE_FIT_TIMEOUT:
            self._end_record("fail", f"time-out: {problem.detail}" if problem.detail else "time-out: the face did not fit the oval in time")
        else:
            self._end_record("error", f"{problem.problem.value}: {problem.detail}" if problem.detail else problem.problem.value)

    def _on_store_event(self, event: SessionEvent) -> None:
        if event.kind == "started" and event.session is not None and not self._is_own(event.session_id):
            self.remoteStartRequested.emit(event.session)
        self.sessionsChanged.emit(event)

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
        # The slots hold the worker weakly: a lambda holding it strongly, connected to the worker's own
        # signals, is a cycle through Qt that Python's collector cannot see, and kept every old
        # worker with its source, frames and analyzer alive (the kiosk's growth per retry).
        ref = weakref.ref(worker)
        worker.analysed.connect(lambda r=ref: self._on_analysed(r()), Qt.ConnectionType.QueuedConnection)
        worker.failed.connect(lambda p, d, r=ref: self._on_worker_failed(r(), p, d), Qt.ConnectionType.QueuedConnection)
        worker.opened.connect(self._on_opened, Qt.ConnectionType.QueuedConnection)
        worker.stopped.connect(lambda r=ref: self._on_worker_stopped(r()), Qt.ConnectionType.QueuedConnection)
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

    def _on_worker_stopped(self, worker: AnalysisWorker | None) -> None:
        if worker is not None and worker in self._retiring:
            self._retiring.remove(worker)
        if not self._retiring and self._pending_spec is not None:
            self._start_pending_worker()

    def _on_opened(self, info: SourceInfo) -> None:
        self.source_info = info
        self.sourceOpened.emit(info)

    def _on_worker_failed(self, worker: AnalysisWorker | None, problem: Problem, detail: str) -> None:
        if worker is None or worker is not self._worker:
            return
        self.flow.camera_failed(problem, detail, monotonic_ns())

    def _on_analysed(self, worker: AnalysisWorker | None) -> None:
        if worker is None or worker is not self._worker:
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
        if phase in (Phase.TIMEOUT, Phase.ERROR):
            self._end_record_for(phase, session)
        self.phaseChanged.emit(phase, event.previous, session)
        if phase is Phase.RESULT and session is not None:
            self.outcomeReady.emit(session)

    def _begin_capture(self, session: Session, challenge: Challenge, epoch: int, reason: str) -> None:
        self._close_sink()
        self.trace.clear()
        info = self.source_info or SourceInfo(kind="unknown", name="")
        record = self.record if self.record is not None and self.record.id == session.id else None
        if record is not None:
            self._start_record()
            context = SessionContext(
                session.id, challenge, info, threshold=record.settings.threshold, audit_images=record.settings.audit_images
            )
            keep = record.settings.keep_recording
        else:
            context = SessionContext(session.id, challenge, info, threshold=self.settings.threshold, audit_images=self.settings.audit_images)
            keep = self.settings.keep_recordings
        recorder = None
        if keep:
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
            if self.store is not None:
                # With a store only the scored capture is kept (encrypted); an abandoned one leaves no plaintext.
                sink.recorder.abort()
                sink.recorder = None
            elif session is not None and sink.frames > 0:
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
            sink.recording_path = Path(path)
            if self.store is None:
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
        self._scoring_sinks[token] = sink
        extra = {"session_id": session.id, "phase": "verifying", "epoch": sink.epoch}

        def job() -> Outcome:
            try:
                return sink.finish()
            finally:
                self._finish_recording(sink, session, extra)

        self._scoring.run(token, job)

    def _on_scored(self, token: ScoringToken, outcome: Outcome) -> None:
        sink = self._scoring_sinks.pop(token, None)
        recording = sink.recording_path if sink is not None else None
        session = self.flow.session
        if session is None or token != ScoringToken(session.id, session.epoch) or self.flow.phase is not Phase.VERIFYING:
            log.info("dropping a late scoring answer for %s", token)
            if self.store is not None:
                _remove(recording)
            return
        record = self.record
        if self.store is None or record is None or record.id != session.id or not self._record_open:
            self.flow.result_ready(outcome, monotonic_ns())
            return
        self._persist(token, outcome, record, recording)

    def _persist(self, token: ScoringToken, outcome: Outcome, record: StoredSession, recording: Path | None) -> None:
        """Store the outcome (files first, then the record), then show it; the screen never runs ahead of the store."""
        assert self.store is not None
        cancel = threading.Event()
        self._persist_cancel = cancel
        sid = record.id

        def save(service: SessionService) -> StoredSession | None:
            try:
                if cancel.is_set():  # the check ended meanwhile (time-out, cancel): that end is recorded instead
                    return None
                result = outcome.result
                if result is None:
                    return service.fail(sid, f"the check could not be scored: {outcome.unavailable_reason or 'scoring is unavailable'}")
                if result.session_id != sid:
                    result = dataclasses.replace(result, session_id=sid)
                return service.complete(sid, result, recording=recording)
            finally:
                _remove(recording)  # stored encrypted by now, or not to be kept: no plaintext is left behind

        self.store.submit(
            save,
            done=lambda saved: self._on_persisted(token, outcome, cancel, saved),
            failed=lambda exc: self._on_persist_failed(token, cancel, sid, exc),
            what=f"store the result of session {sid}",
        )

    def _current(self, token: ScoringToken) -> bool:
        session = self.flow.session
        return session is not None and token == ScoringToken(session.id, session.epoch) and self.flow.phase is Phase.VERIFYING

    def _on_persisted(self, token: ScoringToken, outcome: Outcome, cancel: threading.Event, saved: StoredSession | None) -> None:
        if saved is not None:
            if self.record is not None and self.record.id == saved.id:
                self.record = saved
            self.recordFinished.emit(saved)
        if cancel.is_set() or not self._current(token):
            return
        self._record_open = False
        self._persist_cancel = None
        self.flow.result_ready(outcome, monotonic_ns())

    def _on_persist_failed(self, token: ScoringToken, cancel: threading.Event, sid: str, exc: BaseException) -> None:
        log.error("the result of session %s could not be stored: %s", sid, exc)
        # StoreError: the service already made it ERROR("storage failed"). Anything else (a result that
        # cannot be encoded, a session ended elsewhere) is closed as ERROR here if it is still open.
        self._close_record(sid, "error", f"the result could not be stored: {exc}")
        if cancel.is_set() or not self._current(token):
            return
        self._record_open = False
        self._persist_cancel = None
        kind = "ended" if isinstance(exc, SessionError) and not isinstance(exc, StoreError) else "save"
        self.flow.cancel(monotonic_ns())
        self.storeFailed.emit(StoreProblem(kind, str(exc)))


def _remove(path: Path | None) -> None:
    """Delete a plaintext recording (missing is fine)."""
    if path is None:
        return
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not delete the plaintext recording %s: %s", path, exc)
