"""The check controller: the GUI's adapter around the core :class:`~app.core.check.live.LiveCheck`.

Everything a check does lives in :mod:`app.core.check` (no Qt). This adapter
gives the core the GUI's threads and clocks and turns its events into Qt
signals the window renders:

* work the core does in other threads (analysis, scoring, recordings) comes
  back to the GUI thread through one queued signal (the core's ``post``);
* every session store call runs in the :class:`~app.gui.sessions.StoreBridge`
  thread, which answers in the GUI thread (the core's store executor), and the
  bridge relays session events;
* ``QTimer`` s drive the core's deadlines and the store's upkeep;
* the operator plots' :class:`~app.gui.plots.SessionTrace` is filled here.

It never paints and never blocks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from app.core.capture.devices import CameraDevice
from app.core.capture.frame import Frame, SourceInfo
from app.core.challenge import Challenge
from app.core.check.capture import AnalyzerFactory
from app.core.check.flow import CheckFlow, FlowConfig, FrameAnalysis, Phase, Session
from app.core.check.live import CheckListener, LandmarksFactory, LiveCheck, SourceFactory
from app.core.check.stored import StoreProblem
from app.core.guidance import Guidance
from app.core.screen import ScreenState
from app.core.sessions import LockoutStatus
from app.core.sessions.service import SessionEvent, SessionService
from app.core.sessions import Session as StoredSession
from app.core.settings import Settings
from app.gui.plots import SessionTrace
from app.gui.sessions import StoreBridge

__all__ = ["CheckController", "StoreProblem"]

log = logging.getLogger(__name__)

#: Period of the session store upkeep (expiry of unstarted sessions, retention purge when due).
MAINTENANCE_MS = 15 * 60 * 1000


class _Relay(CheckListener):
    """Turns the core's listener calls into the controller's signals (all in the GUI thread)."""

    def __init__(self, owner: "CheckController") -> None:
        self.owner = owner

    def phase_changed(self, phase: Phase, previous: Phase, session: Session | None) -> None:
        if phase is Phase.CAMERA_CHECK:
            self.owner.trace.clear()  # a new session
        self.owner.phaseChanged.emit(phase, previous, session)

    def guidance_changed(self, guidance: Guidance, hold_progress: float) -> None:
        self.owner.guidanceChanged.emit(guidance, hold_progress)

    def frame_analysed(self, analysis: FrameAnalysis, phase: Phase) -> None:
        if phase is Phase.GUIDANCE or phase.is_challenge:
            owner = self.owner
            owner.trace.add(analysis.t_ns, analysis.landmarks, analysis.stats.face_bgr, owner.screen, light=phase is Phase.LIGHT)

    def capture_started(self, challenge: Challenge, reason: str) -> None:
        self.owner.trace.clear()
        self.owner.captureStarted.emit(challenge, reason)

    def flash_requested(self, steps: list[Any]) -> None:
        self.owner.flashRequested.emit(steps)

    def flash_stop_requested(self) -> None:
        self.owner.flashStopRequested.emit()

    def cue_changed(self, direction: str | None, index: int) -> None:
        self.owner.cueChanged.emit(direction, index)

    def outcome_ready(self, session: Session) -> None:
        self.owner.outcomeReady.emit(session)

    def recording_saved(self, path: str) -> None:
        self.owner.recordingSaved.emit(path)

    def source_opened(self, info: SourceInfo) -> None:
        self.owner.sourceOpened.emit(info)

    def preparing(self) -> None:
        self.owner.preparing.emit()

    def locked_out(self, status: LockoutStatus) -> None:
        self.owner.lockedOut.emit(status)

    def store_failed(self, problem: StoreProblem) -> None:
        self.owner.storeFailed.emit(problem)

    def record_finished(self, record: StoredSession) -> None:
        self.owner.recordFinished.emit(record)

    def remote_start_requested(self, record: StoredSession) -> None:
        self.owner.remoteStartRequested.emit(record)

    def sessions_changed(self, event: SessionEvent) -> None:
        self.owner.sessionsChanged.emit(event)

    def ticks_needed(self) -> None:
        self.owner._tick.start()


class CheckController(QObject):
    """Runs checks for one window (see the module docstring).

    Parameters
    ----------
    settings, source_spec, flow_config, screen, devices, source_factory, landmarks_factory, analyzer_factory,
    recordings_dir:
        As :class:`~app.core.check.live.LiveCheck`.
    sessions:
        The process's session service; every check is then a stored session (``None``: not recorded).
    tick_ms:
        Period of the deadline checks.

    Signals
    -------
    phaseChanged(Phase phase, Phase previous, Session session), guidanceChanged(Guidance, float),
    captureStarted(Challenge, str), flashRequested(list steps), flashStopRequested(), outcomeReady(Session),
    recordingSaved(str path), sourceOpened(SourceInfo), preparing(), lockedOut(LockoutStatus),
    storeFailed(StoreProblem), recordFinished(app.core.sessions.Session), remoteStartRequested(app.core.sessions.Session),
    sessionsChanged(SessionEvent), cueChanged(str or None direction, int index):
        The core's :class:`~app.core.check.live.CheckListener` events of the same names.
    """

    phaseChanged = Signal(object, object, object)
    guidanceChanged = Signal(object, float)
    captureStarted = Signal(object, str)
    flashRequested = Signal(object)
    flashStopRequested = Signal()
    cueChanged = Signal(object, int)
    outcomeReady = Signal(object)
    recordingSaved = Signal(str)
    sourceOpened = Signal(object)
    preparing = Signal()
    lockedOut = Signal(object)
    storeFailed = Signal(object)
    recordFinished = Signal(object)
    remoteStartRequested = Signal(object)
    sessionsChanged = Signal(object)
    _posted = Signal(object)

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
        self._posted.connect(self._run_posted, Qt.ConnectionType.QueuedConnection)
        #: The session store link (``None``: checks are not recorded, for tools and older tests).
        self.store: StoreBridge | None = None
        if sessions is not None:
            sessions.update_settings(settings)
            self.store = StoreBridge(sessions, kiosk=True, parent=self)
        self.trace = SessionTrace()
        self._tick = QTimer(self)
        self._tick.setInterval(tick_ms)
        self._tick.timeout.connect(self._on_tick)
        self.core = LiveCheck(
            settings=settings,
            source_spec=source_spec,
            flow_config=flow_config,
            screen=screen,
            devices=devices,
            source_factory=source_factory,
            landmarks_factory=landmarks_factory,
            analyzer_factory=analyzer_factory,
            recordings_dir=recordings_dir,
            store=self.store,
            post=self._post,
        )
        self.core.subscribe(_Relay(self))
        #: Expires sessions not started in time and runs the retention purge (the service keeps it hourly).
        self._maintenance = QTimer(self)
        self._maintenance.setInterval(MAINTENANCE_MS)
        self._maintenance.timeout.connect(self.core.maintain)
        if self.store is not None:
            self.store.eventReceived.connect(self.core.store_event)
            self._maintenance.start()

    # --- the core's thread hand-over and clock -------------------------------------------------

    def _post(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` in the GUI thread (called from any thread)."""
        try:
            self._posted.emit(fn)
        except RuntimeError:  # the controller was deleted while a thread still ran (process shutting down)
            log.debug("a late answer was dropped: the controller is gone")

    def _run_posted(self, fn: Callable[[], None]) -> None:
        fn()

    def _on_tick(self) -> None:
        self.core.tick()
        if not self.core.ticking:
            self._tick.stop()

    # --- state (delegated) -----------------------------------------------------------------------

    @property
    def flow(self) -> CheckFlow:
        """The core's flow state machine."""
        return self.core.flow

    @property
    def settings(self) -> Settings:
        """The settings in force."""
        return self.core.settings

    @property
    def screen(self) -> ScreenState:
        """The shared log of displayed colours."""
        return self.core.screen

    @property
    def source_spec(self) -> str | None:
        """Source that overrides the settings' camera."""
        return self.core.source_spec

    @source_spec.setter
    def source_spec(self, value: str | None) -> None:
        self.core.source_spec = value

    @property
    def devices(self) -> list[CameraDevice]:
        """Enumerated cameras."""
        return self.core.devices

    @devices.setter
    def devices(self, value: list[CameraDevice]) -> None:
        self.core.devices = list(value)

    @property
    def timing_source(self) -> str:
        """How the flash times are taken (stored with each challenge)."""
        return self.core.timing_source

    @timing_source.setter
    def timing_source(self, value: str) -> None:
        self.core.timing_source = value

    @property
    def display_info(self) -> dict[str, Any]:
        """Facts about the screen that shows the flashes (stored with recordings)."""
        return self.core.display_info

    @display_info.setter
    def display_info(self, value: dict[str, Any]) -> None:
        self.core.display_info = value

    @property
    def source_info(self) -> SourceInfo | None:
        """The open source's facts."""
        return self.core.source_info

    @property
    def phase(self) -> Phase:
        """The flow's current phase."""
        return self.core.phase

    @property
    def session(self) -> Session | None:
        """The running (or last) session, ``None`` on the start screen."""
        return self.core.session

    @property
    def record(self) -> StoredSession | None:
        """The store's session of the running (or last) check."""
        return self.core.record

    @property
    def sessions(self) -> SessionService | None:
        """The session service (``None`` without a store)."""
        return self.store.service if self.store is not None else None

    @property
    def busy(self) -> bool:
        """True while a check is being prepared, captured, scored or stored."""
        return self.core.busy

    def latest_frame(self) -> Frame | None:
        """The newest captured frame (the preview pulls this)."""
        return self.core.latest_frame()

    # --- commands (delegated) ----------------------------------------------------------------------

    def apply_settings(self, settings: Settings) -> None:
        """Use new settings from the next session on."""
        self.core.apply_settings(settings)

    def resolve_spec(self, spec: str | None = None) -> str:
        """The source to open: explicit > ``--source`` > remembered camera > first real camera > ``""``."""
        return self.core.resolve_spec(spec)

    def virtual_refusal(self, spec: str) -> str:
        """The reason ``spec`` is refused as a virtual camera, or ``""``."""
        return self.core.virtual_refusal(spec)

    def start_check(
        self, *, spec: str | None = None, challenge_type: str | None = None, customer_ref: str = "", operator_ref: str = ""
    ) -> Session | None:
        """Start a brand-new check (see :meth:`LiveCheck.start_check`)."""
        return self.core.start_check(spec=spec, challenge_type=challenge_type, customer_ref=customer_ref, operator_ref=operator_ref)

    def run_session(self, record: StoredSession, *, spec: str | None = None) -> Session | None:
        """Run the check of a session started through the API (already IN_PROGRESS), with its settings."""
        return self.core.run_session(record, spec=spec)

    def refuse_session(self, record: StoredSession, reason: str) -> None:
        """End an API-started session this screen cannot run now (ERROR with ``reason``)."""
        self.core.refuse_session(record, reason)

    def cancel(self) -> None:
        """Abandon the running (or requested) check and return to START; its session ends as ERROR("cancelled")."""
        self.core.cancel()

    def colour_shown(self, index: int, t_ns: int) -> None:
        """Slot for the flash controller's ``colourShown``."""
        self.core.colour_shown(index, t_ns)

    def flash_finished(self, t_ns: int) -> None:
        """Slot for the flash controller's ``sequenceFinished``."""
        self.core.flash_finished(t_ns)

    def flash_stop(self) -> None:
        """Ask the view to stop any running flash sequence."""
        self.core.flash_stop()

    def shutdown(self, timeout_s: float = 3.0) -> None:
        """Stop everything and join the threads (window close); an open session ends as ERROR."""
        self._tick.stop()
        self._maintenance.stop()
        self.core.shutdown(timeout_s)
        if self.store is not None:
            self.store.close(timeout_s=max(timeout_s, 10.0))
