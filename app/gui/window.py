"""The main window: one stacked screen per flow phase, kiosk and demo behaviour, the settings dialog."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QStackedWidget, QWidget

from app.core.capture.devices import CameraDevice, list_cameras
from app.core.capture.spec import parse_spec
from app.core.challenge import Challenge
from app.core.errors import ConfigError
from app.core.check.flow import Phase, Session
from app.core.guidance import Guidance
from app.core.errors import StoreError
from app.core.sessions import LockoutStatus, PinRejected
from app.core.sessions import Session as StoredSession
from app.core.settings import Settings, replace, save_settings
from app.gui.controller import CheckController, StoreProblem
from app.gui.flash import FlashController
from app.gui.history import HistoryPage
from app.gui.kiosk import OPERATOR_SHORTCUT, CountdownTimer, IdleWatcher, OperatorMenu, PinDialog
from app.gui.pages import AttractPage, CameraCheckPage, GuidancePage, LockoutPage, ProblemPage, ResultPage, StartPage, VerifyingPage
from app.gui.preview import Canvas, make_canvas
from app.gui.settings_dialog import SettingsDialog
from app.gui.texts import store_problem_text

log = logging.getLogger(__name__)


def qt_camera_names() -> list[str]:
    """Camera names from Qt Multimedia (used where V4L2 enumeration is not available)."""
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError as exc:  # missing libpulse and similar
        log.info("Qt Multimedia unavailable for camera names: %s", exc)
        return []
    return [dev.description() for dev in QMediaDevices.videoInputs()]


class MainWindow(QMainWindow):
    """Renders the controller's flow.

    With a session store on the controller, every check is a stored session;
    the window adds the lock-out screen (with the operator override behind the
    PIN), the session history (operators; behind the PIN in kiosk mode) and
    runs the checks of sessions started through the local API.

    Parameters
    ----------
    controller:
        Runs the checks (inject one with simulated sources in tests).
    settings_path:
        Settings file the dialog saves to (default: the user's).
    kiosk:
        Full screen, no window chrome, auto-return, operator actions behind the PIN.
    demo:
        Confidence and plots shown on the result screen.
    canvas:
        Preview canvas (default: GL when available, raster otherwise).
    attract_after_s:
        Kiosk: idle seconds on the start screen before the attract screen.
    camera_lister:
        Enumerates cameras (tests pass a fixed list).

    Signals
    -------
    pageShown(str name):
        A screen became current (``start``, ``camera_check``, ``guidance``, ``light``,
        ``verifying``, ``result``, ``timeout``, ``error``, ``attract``, ``lockout``,
        ``store_error``, ``history``).
    autoReset():
        Kiosk mode returned to the start screen by itself.
    """

    pageShown = Signal(str)
    autoReset = Signal()

    def __init__(
        self,
        *,
        controller: CheckController,
        settings_path: Path | None = None,
        kiosk: bool = False,
        demo: bool = False,
        canvas: Canvas | None = None,
        attract_after_s: float = 60.0,
        camera_lister: Callable[[], list[CameraDevice]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.settings_path = settings_path
        self.kiosk = kiosk
        self.demo = demo
        self._camera_lister = camera_lister or (lambda: list_cameras(fallback=qt_camera_names))
        self._last_start: tuple[str, str] = ("", controller.settings.challenge)
        self._operator_exit = False
        self.page_name = "start"
        self.setWindowTitle(self.tr("Livegate face check"))
        self.setAccessibleName(self.tr("Livegate face check"))

        self.canvas = canvas or make_canvas()
        self.stack = QStackedWidget(self)
        self.setCentralWidget(self.stack)
        self.start_page = StartPage(self.stack)
        self.camera_page = CameraCheckPage(self.stack)
        self.guidance_page = GuidancePage(self.canvas, self.stack)
        self.verifying_page = VerifyingPage(self.stack)
        self.result_page = ResultPage(self.stack)
        self.problem_page = ProblemPage(self.stack)
        self.attract_page = AttractPage(self.stack)
        self.lockout_page = LockoutPage(self.stack)
        self.history_page = HistoryPage(self.stack)
        self.history_page.attach(controller.store)
        for page in (
            self.start_page,
            self.camera_page,
            self.guidance_page,
            self.verifying_page,
            self.result_page,
            self.problem_page,
            self.attract_page,
            self.lockout_page,
            self.history_page,
        ):
            self.stack.addWidget(page)
        self._lockout: LockoutStatus | None = None
        self._lockout_timer = QTimer(self)
        self._lockout_timer.setInterval(15_000)
        self._lockout_timer.timeout.connect(self.refresh_lockout)

        self.flash = FlashController(canvas=self.canvas, screen=controller.screen, attenuation=controller.settings.flash_attenuation, parent=self)
        controller.timing_source = self.flash.timing_source

        # controller -> view
        controller.phaseChanged.connect(self._on_phase)
        controller.guidanceChanged.connect(self._on_guidance)
        controller.captureStarted.connect(self._on_capture_started)
        controller.flashRequested.connect(self.flash.play)
        controller.flashStopRequested.connect(self.flash.stop)
        controller.cueChanged.connect(self.guidance_page.show_cue)
        controller.preparing.connect(self._on_preparing)
        controller.lockedOut.connect(self.show_lockout)
        controller.storeFailed.connect(self._on_store_failed)
        controller.remoteStartRequested.connect(self._on_remote_start)
        controller.sessionsChanged.connect(lambda _event: self.history_page.on_sessions_changed())
        # view -> controller
        self.flash.colourShown.connect(controller.colour_shown)
        self.flash.sequenceFinished.connect(controller.flash_finished)
        self.start_page.startRequested.connect(self._on_start_requested)
        self.start_page.settingsRequested.connect(self.open_settings)
        self.start_page.historyRequested.connect(self.show_history)
        self.start_page.quitRequested.connect(self.close)
        self.start_page.refreshRequested.connect(self.refresh_cameras)
        self.camera_page.cancelRequested.connect(self.go_home)
        self.guidance_page.cancelRequested.connect(self.go_home)
        self.result_page.newCheckRequested.connect(self.go_home)
        self.result_page.tryAgainRequested.connect(self.try_again)
        self.problem_page.tryAgainRequested.connect(self.try_again)
        self.problem_page.homeRequested.connect(self.go_home)
        self.lockout_page.homeRequested.connect(self.go_home)
        self.lockout_page.overrideRequested.connect(self.open_lockout_override)
        self.history_page.backRequested.connect(self.go_home)

        self.countdown = CountdownTimer(self)
        self.countdown.ticked.connect(self._on_countdown)
        self.countdown.expired.connect(self._on_countdown_expired)
        self.idle = IdleWatcher(attract_after_s, self)
        self.idle.idle.connect(self._on_idle)
        self.idle.activity.connect(self._on_activity)
        app = QCoreApplication.instance()
        if kiosk and app is not None:
            app.installEventFilter(self.idle)
        self._operator_shortcut = QShortcut(QKeySequence(OPERATOR_SHORTCUT), self)
        self._operator_shortcut.activated.connect(self.open_operator_menu)
        self._operator_shortcut.setEnabled(kiosk)
        self.start_page.set_operator_controls(not kiosk, history=controller.store is not None)
        if kiosk:
            self.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        self.start_page.set_challenge(controller.settings.challenge)
        self.refresh_cameras()
        self._show("start")
        if kiosk:
            self.idle.arm()  # the attract screen appears when the kiosk idles, from the start

    # --- modes ----------------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The settings in force."""
        return self.controller.settings

    @property
    def show_confidence(self) -> bool:
        """Confidence: always in demo mode, per setting for operators, never in kiosk mode."""
        if self.demo or self.settings.mode == "demo":
            return True
        if self.kiosk or self.settings.mode == "kiosk":
            return False
        return self.settings.show_confidence

    @property
    def show_plots(self) -> bool:
        """Plots for staff and demo booths; never for kiosk end users."""
        return self.demo or not (self.kiosk or self.settings.mode == "kiosk")

    # --- actions -----------------------------------------------------------------------------

    def refresh_cameras(self) -> None:
        """Enumerate cameras and refill the start screen's selector."""
        try:
            devices = self._camera_lister()
        except OSError as exc:
            log.warning("camera enumeration failed: %s", exc)
            devices = []
        self.controller.devices = devices
        extra = self.controller.source_spec if self._is_extra(self.controller.source_spec) else None
        selected = self.controller.source_spec or self.settings.camera or self.controller.resolve_spec()
        refusals = {}
        if not self.settings.allow_virtual_cameras:
            refusals = {d.spec: d.virtual_reason or "virtual" for d in devices if d.virtual}
        self.start_page.set_cameras(devices, extra_spec=extra, selected=selected, refusals=refusals)

    @staticmethod
    def _is_extra(spec: str | None) -> bool:
        if not spec:
            return False
        try:
            return parse_spec(spec).kind != "camera"
        except ConfigError:
            return True

    def start_check(self, spec: str | None = None, challenge_type: str | None = None) -> Session | None:
        """Start a new check (what the Start button does).

        Returns the flow's session at once without a session store; with one,
        ``None`` (the check begins once its stored session exists, or the
        lock-out screen shows).
        """
        spec = spec if spec is not None else self.start_page.selected_spec()
        challenge_type = challenge_type or self.start_page.challenge()
        self._last_start = (spec, challenge_type)
        self.countdown.stop()
        self.idle.disarm()
        return self.controller.start_check(spec=spec or None, challenge_type=challenge_type)

    def try_again(self) -> None:
        """A brand-new session with the same camera and challenge."""
        spec, challenge_type = self._last_start
        self.start_check(spec, challenge_type)

    def go_home(self) -> None:
        """Abandon any session and show the start screen."""
        self.countdown.stop()
        self.controller.cancel()
        if self.controller.phase is Phase.START:
            self._on_phase(Phase.START, Phase.START, None)

    def open_settings(self) -> None:
        """The settings dialog (operator mode, or kiosk after the PIN)."""
        extra = self.controller.source_spec if self._is_extra(self.controller.source_spec) else None
        dialog = SettingsDialog(self.settings, devices=self.controller.devices, extra_spec=extra, path=self.settings_path, parent=self)
        dialog.saved.connect(self.apply_settings)
        dialog.open()
        self._settings_dialog = dialog

    def apply_settings(self, settings: Settings) -> None:
        """Use saved settings from now on."""
        self.controller.apply_settings(settings)
        self.flash.attenuation = settings.flash_attenuation
        self.start_page.set_challenge(settings.challenge)
        self.refresh_cameras()

    def open_operator_menu(self) -> None:
        """Kiosk: PIN prompt, then the operator menu."""
        pin = PinDialog(self.settings.kiosk_pin_hash, self)
        pin.granted.connect(self._show_operator_menu)
        pin.open()
        self._pin_dialog = pin

    def _show_operator_menu(self) -> None:
        menu = OperatorMenu(self, history=self.controller.store is not None)
        menu.settingsRequested.connect(self.open_settings)
        menu.historyRequested.connect(self.show_history)
        menu.exitRequested.connect(self._operator_quit)
        menu.open()
        self._operator_menu = menu

    # --- sessions: lock-out, history, API-started checks ------------------------------------------

    def show_lockout(self, status: LockoutStatus) -> None:
        """The device is locked out: say for how long, offer the operator override."""
        self._lockout = status
        self.countdown.stop()
        self.refresh_lockout(show=True)
        self._lockout_timer.start()
        self._arm_auto_reset()

    def lockout_minutes(self) -> int:
        """Whole minutes (rounded up) until the shown lock-out ends; 0 when it has ended."""
        sessions = self.controller.sessions
        status = self._lockout
        if sessions is None or status is None or status.until is None:
            return 0
        remaining = status.until - sessions.clock.now()
        return 0 if remaining <= 0 else max(1, math.ceil(remaining / 60))

    def refresh_lockout(self, show: bool = False) -> None:
        """Update the remaining time; back to the start screen once the lock-out is over."""
        if not show and self.page_name != "lockout":
            self._lockout_timer.stop()
            return
        minutes = self.lockout_minutes()
        if minutes <= 0:
            self._lockout_timer.stop()
            if self.page_name == "lockout":
                self.go_home()
            return
        self.lockout_page.show_status(minutes, override_available=bool(self.settings.kiosk_pin_hash))
        if show:
            self._show("lockout")

    def open_lockout_override(self) -> None:
        """PIN prompt that ends the lock-out through the session service."""
        sessions = self.controller.sessions
        if sessions is None:
            return

        def override(pin: str) -> bool:
            try:
                sessions.override_lockout(pin)
            except PinRejected as exc:
                log.warning("lock-out override refused: %s", exc)
                return False
            except StoreError as exc:
                log.error("lock-out override could not be stored: %s", exc)
                return False
            return True

        dialog = PinDialog(self.settings.kiosk_pin_hash, self, verifier=override, prompt=self.tr("Enter the operator PIN to end the pause."))
        dialog.granted.connect(self._on_lockout_overridden)
        dialog.open()
        self._pin_dialog = dialog

    def _on_lockout_overridden(self) -> None:
        log.warning("lock-out ended early by an operator")
        self._lockout = None
        self._lockout_timer.stop()
        self.go_home()

    def show_history(self) -> None:
        """The session history (operators; in kiosk mode only reached through the PIN)."""
        if self.controller.store is None or self.controller.busy:
            return
        self.countdown.stop()
        self._show("history")
        self.history_page.reset_filters(self.settings.retention_days or 30)
        self.history_page.activate()
        if self.kiosk:
            self.idle.arm()  # an unattended kiosk leaves the history by itself

    def _on_preparing(self) -> None:
        self.countdown.stop()
        self.canvas.clear()
        self.guidance_page.reset()
        self._show("camera_check")

    def _on_store_failed(self, problem: StoreProblem) -> None:
        text = store_problem_text(problem.kind)
        self.problem_page.show_message(text.title, text.body, problem.detail)
        self._show("store_error")
        self._arm_auto_reset()

    def busy_reason(self) -> str:
        """Why an API-started session cannot run now (``""``: it can)."""
        if self.controller.busy:
            return "another check is running on this screen"
        if self.page_name == "history":
            return "an operator is using the session history on this screen"
        if QApplication.activeModalWidget() is not None:
            return "an operator dialog is open on this screen"
        return ""

    def _on_remote_start(self, record: StoredSession) -> None:
        reason = self.busy_reason()
        if reason:
            self.controller.refuse_session(record, reason)
            return
        self.countdown.stop()
        self.idle.disarm()
        spec = self.start_page.selected_spec()
        self._last_start = (spec, record.settings.challenge)
        self.controller.run_session(record, spec=spec or None)

    def allow_close(self) -> None:
        """Let the next close request through (kiosk mode ignores closing otherwise)."""
        self._operator_exit = True

    def _operator_quit(self) -> None:
        self._operator_exit = True
        self.close()

    # --- flow rendering ---------------------------------------------------------------------

    def _show(self, name: str) -> None:
        pages = {
            "start": self.start_page,
            "camera_check": self.camera_page,
            "guidance": self.guidance_page,
            "light": self.guidance_page,
            "verifying": self.verifying_page,
            "result": self.result_page,
            "timeout": self.problem_page,
            "error": self.problem_page,
            "store_error": self.problem_page,
            "attract": self.attract_page,
            "lockout": self.lockout_page,
            "history": self.history_page,
        }
        if self.page_name == "history" and name != "history":
            self.history_page.deactivate()
        if name != "lockout":
            self._lockout_timer.stop()
        self.page_name = name
        self.stack.setCurrentWidget(pages[name])
        if name == "start":
            self.start_page.start.setFocus()
        elif name == "attract":
            self.attract_page.setFocus()
        self.pageShown.emit(name)

    def _on_phase(self, phase: Phase, previous: Phase, session: Session | None) -> None:
        capturing = phase in (Phase.CAMERA_CHECK, Phase.GUIDANCE, Phase.LIGHT)
        self.canvas.set_frame_provider(self.controller.latest_frame if capturing else None)
        if phase is not Phase.VERIFYING:
            self.verifying_page.end()
        if phase is Phase.START:
            self.canvas.clear()
            self.result_page.set_countdown(None)
            self.problem_page.set_countdown(None)
            if self.kiosk:
                self.idle.arm()
            self._show("start")
        elif phase is Phase.CAMERA_CHECK:
            self.canvas.clear()
            self.guidance_page.reset()
            self._show("camera_check")
        elif phase is Phase.GUIDANCE:
            self.guidance_page.set_light_mode(False)
            self._show("guidance")
        elif phase is Phase.LIGHT:
            # The movement-only check keeps the instruction bar: it shows the head-turn cues.
            movement = session is not None and session.challenge is not None and bool(session.challenge.moves)
            self.guidance_page.set_light_mode(not movement)
            self._show("light")
        elif phase is Phase.VERIFYING:
            self.guidance_page.set_light_mode(False)
            self.verifying_page.begin(self.controller.flow.config.verify_timeout_s)
            self._show("verifying")
        elif phase is Phase.RESULT and session is not None:
            self.result_page.show_session(session, self.controller.trace, show_confidence=self.show_confidence, show_plots=self.show_plots)
            self._show("result")
            self._arm_auto_reset()
        elif phase in (Phase.TIMEOUT, Phase.ERROR):
            self.guidance_page.set_light_mode(False)
            self.problem_page.show_problem(session.problem if session is not None else None, phase)
            self._show(phase.value)
            self._arm_auto_reset()

    def _on_capture_started(self, challenge: Challenge, reason: str) -> None:
        self.canvas.set_oval(challenge.oval)
        self.guidance_page.reset(left_oval=reason == "left_oval")

    def _on_guidance(self, guidance: Guidance, hold: float) -> None:
        if self.controller.phase in (Phase.GUIDANCE, Phase.LIGHT):
            self.guidance_page.show_guidance(guidance, hold)

    def _on_start_requested(self, spec: str, challenge_type: str) -> None:
        self._remember(spec, challenge_type)
        self.start_check(spec, challenge_type)

    def _remember(self, spec: str, challenge_type: str) -> None:
        """Remember the chosen camera and challenge (command-line sources are not remembered)."""
        changes: dict[str, object] = {}
        if spec and not self._is_extra(spec) and spec != self.settings.camera:
            changes["camera"] = spec
        if challenge_type != self.settings.challenge:
            changes["challenge"] = challenge_type
        if not changes:
            return
        new = replace(self.settings, **changes)
        self.controller.apply_settings(new)
        path = self.settings_path

        def write() -> None:
            try:
                save_settings(new, path)
            except OSError as exc:
                log.warning("could not remember the camera choice: %s", exc)

        threading.Thread(target=write, name="livegate-settings", daemon=True).start()

    def _on_escape(self) -> None:
        if self.controller.phase.is_capturing or self.page_name in ("camera_check", "history", "lockout", "store_error"):
            self.go_home()
        elif self.page_name == "attract":
            self._show("start")

    # --- kiosk ------------------------------------------------------------------------------

    def _arm_auto_reset(self) -> None:
        if self.kiosk:
            self.countdown.start(self.settings.kiosk_reset_s)

    def _on_countdown(self, seconds: int) -> None:
        self.result_page.set_countdown(seconds)
        self.problem_page.set_countdown(seconds)

    def _on_countdown_expired(self) -> None:
        if self.controller.phase.is_final or self.page_name in ("store_error", "lockout"):
            self.go_home()
            self.autoReset.emit()

    def _on_idle(self) -> None:
        if self.kiosk and self.page_name == "start":
            self._show("attract")
        elif self.kiosk and self.page_name == "history":
            self.go_home()

    def _on_activity(self) -> None:
        if self.page_name == "attract":
            self._show("start")
            self.idle.arm()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        screen = self.screen()
        if screen is not None:
            size = screen.size()
            self.controller.display_info = {
                "screen": screen.name(),
                "size_px": [size.width(), size.height()],
                "device_pixel_ratio": screen.devicePixelRatio(),
                "refresh_hz": screen.refreshRate(),
                "full_screen": self.isFullScreen(),
            }

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:
            self._on_escape()
            event.accept()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self.kiosk and not self._operator_exit:
            event.ignore()
            return
        self.flash.stop()
        self.controller.shutdown()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.idle)
        super().closeEvent(event)
