"""The main window: one stacked screen per flow phase, kiosk and demo behaviour, the settings dialog."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeyEvent, QKeySequence, QScreen, QShortcut, QShowEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QStackedWidget, QWidget

from app.core.capture.devices import CameraDevice, list_cameras, pin_refusal
from app.core.capture.spec import parse_spec
from app.core.challenge import MOVEMENT_ONLY, Challenge
from app.core.errors import ConfigError
from app.core.check.flow import Phase, Session
from app.core.guidance import Guidance
from app.core.errors import StoreError
from app.core.sessions import LockoutStatus, PinRejected
from app.core.sessions import Session as StoredSession
from app.core.settings import Settings, replace, save_settings
from app.gui.appearance import Appearance
from app.gui.controller import CheckController, StoreProblem
from app.gui.flash import FlashController
from app.gui.history import HistoryPage
from app.gui.kiosk import OPERATOR_SHORTCUT, CountdownTimer, IdleWatcher, OperatorMenu, PinDialog
from app.gui.pages import (
    AttractPage,
    CameraCheckPage,
    CountdownPage,
    GetReadyPage,
    GuidancePage,
    LockoutPage,
    ProblemPage,
    ResultPage,
    StartPage,
    VerifyingPage,
)
from app.gui.preview import Canvas, make_canvas
from app.gui.settings_dialog import SettingsDialog
from app.gui.texts import store_problem_text
from app.gui.staff_screen import StaffWindow, second_screen
from app.gui.verdict import result_view, timeout_suspicions

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
    appearance:
        The application's language, contrast and text size; with it, saved settings that change them apply at
        once (the screens are rebuilt).

    Signals
    -------
    pageShown(str name):
        A screen became current (``start``, ``get_ready``, ``countdown``, ``camera_check``, ``guidance``, ``light``,
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
        appearance: Appearance | None = None,
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
        #: Checks the current customer has made (a new customer starts from the start screen).
        self.attempts = 0
        self.page_name = "start"
        self.setWindowTitle(self.tr("Livegate face check"))
        self.setAccessibleName(self.tr("Livegate face check"))

        self.canvas = canvas or make_canvas()
        self.appearance = appearance
        self.stack = QStackedWidget(self)
        self.setCentralWidget(self.stack)
        #: Seconds of the 3-2-1 countdown before the camera starts.
        self.countdown_s = 3
        self._pending_start: tuple[str, str] | None = None
        self._references: tuple[str, str] = ("", "")
        #: The staff view on a second screen (setting ``staff_screen``), while one exists.
        self.staff_window: StaffWindow | None = None
        self._build_pages()
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
        controller.flashRequested.connect(lambda steps: self.guidance_page.begin_flash(len(steps)))
        self.flash.colourShown.connect(lambda index, _t: self.guidance_page.flash_step(index))
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
        gui = QGuiApplication.instance()
        if isinstance(gui, QGuiApplication):
            # A monitor plugged in or out moves the staff view to it or back behind the PIN.
            gui.screenAdded.connect(self._on_screens_changed)
            gui.screenRemoved.connect(self._on_screens_changed)

    def _build_pages(self) -> None:
        """Create every screen and wire its signals (again after a change of language or text size)."""
        controller = self.controller
        self.start_page = StartPage(self.stack)
        self.get_ready_page = GetReadyPage(self.stack)
        self.countdown_page = CountdownPage(self.stack)
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
            self.get_ready_page,
            self.countdown_page,
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
        self.start_page.startRequested.connect(self._on_start_requested)
        self.start_page.settingsRequested.connect(self.open_settings)
        self.start_page.historyRequested.connect(self.show_history)
        self.start_page.quitRequested.connect(self.close)
        self.start_page.refreshRequested.connect(self.refresh_cameras)
        self.get_ready_page.backRequested.connect(self.go_home)
        self.get_ready_page.beginRequested.connect(self._on_begin)
        self.countdown_page.cancelRequested.connect(self.go_home)
        self.countdown_page.finished.connect(self._on_countdown_finished)
        self.camera_page.cancelRequested.connect(self.go_home)
        self.guidance_page.cancelRequested.connect(self.go_home)
        self.result_page.newCheckRequested.connect(self.go_home)
        self.result_page.tryAgainRequested.connect(self.try_again)
        self.result_page.staffViewRequested.connect(self.open_staff_view)
        self.problem_page.tryAgainRequested.connect(self.try_again)
        self.problem_page.homeRequested.connect(self.go_home)
        self.problem_page.staffViewRequested.connect(self.open_staff_view)
        self.lockout_page.homeRequested.connect(self.go_home)
        self.lockout_page.overrideRequested.connect(self.open_lockout_override)
        self.history_page.backRequested.connect(self.go_home)

    def rebuild_pages(self) -> None:
        """Build every screen again (new language or text size), keeping the camera canvas and the flow."""
        name = self.page_name
        if self.page_name == "history":
            self.history_page.deactivate()
        self.canvas.setParent(self)  # the canvas outlives the guidance page that holds it
        self.canvas.hide()
        if self.staff_window is not None:
            self.result_page.move_staff_panel(None)  # the old panel goes with its page
        for page in [self.stack.widget(i) for i in range(self.stack.count())]:
            self.stack.removeWidget(page)
            page.deleteLater()
        self._build_pages()
        if self.staff_window is not None:
            self.staff_window.deleteLater()  # built again in the new language
            self.staff_window = None
        self.update_staff_screen()
        self.canvas.show()
        self.setWindowTitle(self.tr("Livegate face check"))
        self.setAccessibleName(self.tr("Livegate face check"))
        self.start_page.set_operator_controls(not self.kiosk, history=self.controller.store is not None)
        self.start_page.set_challenge(self.settings.challenge)
        self.refresh_cameras()
        self._show(name if name in ("start", "attract") else "start")

    # --- modes ----------------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The settings in force."""
        return self.controller.settings

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
        selected = self.controller.resolve_spec()  # --source, the pinned camera, the remembered one, the first real one
        refusals = {}
        if not self.settings.allow_virtual_cameras:
            refusals = {d.spec: d.virtual_reason or "virtual" for d in devices if d.virtual}
        if self.settings.pinned_camera:
            refusals.update({d.spec: pin_refusal(self.settings.pinned_camera, d) for d in devices
                             if d.fingerprint != self.settings.pinned_camera})
        self.start_page.set_cameras(devices, extra_spec=extra, selected=selected, refusals=refusals)

    @staticmethod
    def _is_extra(spec: str | None) -> bool:
        if not spec:
            return False
        try:
            return parse_spec(spec).kind != "camera"
        except ConfigError:
            return True

    def start_check(
        self,
        spec: str | None = None,
        challenge_type: str | None = None,
        *,
        retry: bool = False,
        references: tuple[str, str] | None = None,
    ) -> Session | None:
        """Start a new check (what the Start button does).

        Returns the flow's session at once without a session store; with one,
        ``None`` (the check begins once its stored session exists, or the
        lock-out screen shows). ``retry``: the same customer tries again
        (counts towards their tries), else a new customer begins. ``references``:
        the clerk's customer and operator references (a retry keeps the last ones).
        """
        spec = spec if spec is not None else self.start_page.selected_spec()
        challenge_type = challenge_type or self.start_page.challenge()
        self._last_start = (spec, challenge_type)
        self.attempts = self.attempts + 1 if retry else 1
        if references is not None:
            self._references = references
        elif not retry:
            self._references = ("", "")
        self.countdown.stop()
        self.idle.disarm()
        customer_ref, operator_ref = self._references
        return self.controller.start_check(
            spec=spec or None, challenge_type=challenge_type, customer_ref=customer_ref, operator_ref=operator_ref
        )

    def try_again(self) -> None:
        """A brand-new session with the same camera and challenge."""
        spec, challenge_type = self._last_start
        self.start_check(spec, challenge_type, retry=True)

    def go_home(self) -> None:
        """Abandon any session and show the start screen."""
        self.countdown.stop()
        self.countdown_page.stop()
        self._pending_start = None
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
        """Use saved settings from now on; a new language, contrast or text size applies at once.

        Changes to the lock-out (and to the operator PIN that guards it) take
        effect only after the operator PIN in force confirms them; without it
        they are taken back out of the saved settings.
        """
        previous = self.settings
        self.controller.apply_settings(settings)
        self.flash.attenuation = settings.flash_attenuation
        if self.appearance is not None and self.appearance.apply(settings) and not self.controller.busy:
            self.rebuild_pages()
        self.start_page.set_challenge(settings.challenge)
        self.refresh_cameras()
        self.update_staff_screen()
        sessions = self.controller.sessions
        if sessions is not None and sessions.lockout_changes_pending():
            self._confirm_lockout_settings(previous, settings)

    def _confirm_lockout_settings(self, previous: Settings, settings: Settings) -> None:
        sessions = self.controller.sessions
        assert sessions is not None

        def confirm(pin: str) -> bool:
            try:
                sessions.confirm_lockout_settings(pin)
            except PinRejected as exc:
                log.warning("lock-out settings change refused: %s", exc)
                return False
            except StoreError as exc:
                log.error("lock-out settings change could not be stored: %s", exc)
                return False
            return True

        dialog = PinDialog(
            previous.kiosk_pin_hash or settings.kiosk_pin_hash,
            self,
            verifier=confirm,
            prompt=self.tr("Enter the operator PIN to change the lock-out settings."),
        )
        dialog.rejected.connect(lambda: self._revert_lockout_settings(previous))
        dialog.open()
        self._pin_dialog = dialog

    def _revert_lockout_settings(self, previous: Settings) -> None:
        """The PIN was not given: the lock-out fields and the PIN go back to what is in force."""
        current = self.settings
        reverted = replace(
            current,
            lockout_enabled=previous.lockout_enabled,
            lockout_failures=previous.lockout_failures,
            lockout_window_s=previous.lockout_window_s,
            lockout_duration_s=previous.lockout_duration_s,
            kiosk_pin_hash=previous.kiosk_pin_hash,
        )
        log.warning("lock-out settings change not confirmed with the operator PIN; the previous ones stay in force")
        if self.settings_path is not None:
            try:
                save_settings(reverted, self.settings_path)
            except OSError as exc:
                log.warning("settings not saved: %s", exc)
        self.controller.apply_settings(reverted)

    def open_staff_view(self) -> None:
        """The result's evidence for staff: behind the operator PIN where one is set (and always in kiosk mode)."""
        if not self.settings.kiosk_pin_hash and not self.kiosk:
            self._staff_page().set_staff_visible(True)
            return
        pin = PinDialog(self.settings.kiosk_pin_hash, self, prompt=self.tr("Enter the operator PIN to see the evidence."))
        pin.granted.connect(self._on_staff_granted)
        pin.open()
        self._pin_dialog = pin

    def staff_screen_target(self) -> QScreen | None:
        """The screen for the staff view: another screen than this window's, when the setting asks for it."""
        if not self.settings.staff_screen:
            return None
        return second_screen(self.screen(), QGuiApplication.screens())

    def update_staff_screen(self) -> None:
        """Open the staff window on the second screen (moving the result's staff panel there), or close it and
        put the panel back behind the PIN when there is no second screen or the setting is off."""
        target = self.staff_screen_target()
        if target is None:
            if self.staff_window is not None:
                self.result_page.move_staff_panel(None)
                self.staff_window.allow_close()
                self.staff_window.close()
                self.staff_window.deleteLater()
                self.staff_window = None
            return
        if self.staff_window is None:
            self.staff_window = StaffWindow()
            self.result_page.move_staff_panel(self.staff_window)
        self.staff_window.place_on(target)
        self.staff_window.set_waiting(self.page_name != "result")
        self.staff_window.show()

    def _on_screens_changed(self, _screen: QScreen) -> None:
        # Qt announces a removed screen before it is gone from screens(): decide once it is.
        QTimer.singleShot(0, self.update_staff_screen)

    def _staff_page(self) -> ResultPage | ProblemPage:
        """The page whose staff panel the staff view opens: a time-out's, else the result's."""
        return self.problem_page if self.page_name in ("timeout", "error") else self.result_page

    def _on_staff_granted(self) -> None:
        if self.page_name in ("result", "timeout", "error"):
            self.countdown.stop()  # staff are reviewing: no automatic return under their hands
            page = self._staff_page()
            page.set_countdown(None)
            page.set_staff_visible(True)

    def lockout_left(self) -> int | None:
        """Failures the device may still count before its lock-out (``None`` without a session store or policy)."""
        sessions = self.controller.sessions
        if sessions is None or not self.settings.lockout_enabled:
            return None
        try:
            status = sessions.lockout_status()
        except StoreError as exc:
            log.warning("lock-out state unreadable: %s", exc)
            return None
        return 0 if status.locked else max(0, status.limit - status.recent_failures)

    def open_operator_menu(self) -> None:
        """Kiosk: PIN prompt, then the operator menu."""
        pin = PinDialog(self.settings.kiosk_pin_hash, self)
        pin.granted.connect(self._show_operator_menu)
        pin.open()
        self._pin_dialog = pin

    def _show_operator_menu(self) -> None:
        change_pin = bool(getattr(getattr(self, "_pin_dialog", None), "change_advised", False))
        menu = OperatorMenu(self, history=self.controller.store is not None, change_pin=change_pin)
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
        if self._lockout is not None and self._lockout.needs_operator:
            self.lockout_page.show_needs_operator(override_available=bool(self.settings.kiosk_pin_hash))
            if show:
                self._show("lockout")
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
        self.attempts = 1
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
            "get_ready": self.get_ready_page,
            "countdown": self.countdown_page,
            "camera_check": self.camera_page,
            "guidance": self.guidance_page,
            "light": self.guidance_page,
            "cues": self.guidance_page,
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
        if self.staff_window is not None:
            self.staff_window.set_waiting(name != "result")
        if name == "start":
            self.start_page.start.setFocus()
        elif name == "attract":
            self.attract_page.setFocus()
        self.pageShown.emit(name)

    def _on_phase(self, phase: Phase, previous: Phase, session: Session | None) -> None:
        capturing = phase.is_capturing
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
            self.guidance_page.set_light_mode(True)
            self._show("light")
        elif phase is Phase.CUES:
            # The movement-only check keeps the instruction bar and the preview: they show the head-turn cues.
            self.guidance_page.set_light_mode(False)
            self._show("cues")
        elif phase is Phase.VERIFYING:
            self.guidance_page.set_light_mode(False)
            self.verifying_page.begin(self.controller.flow.config.verify_timeout_s)
            self._show("verifying")
        elif phase is Phase.RESULT and session is not None:
            view = result_view(session, attempts=self.attempts, lockout_left=self.lockout_left())
            self.result_page.show_session(
                session, self.controller.trace, view, staff=self.demo
            )
            self._show("result")
            self._arm_auto_reset()
        elif phase in (Phase.TIMEOUT, Phase.ERROR):
            self.guidance_page.set_light_mode(False)
            suspicions = timeout_suspicions(self.controller.source_info) if phase is Phase.TIMEOUT else []
            self.problem_page.show_problem(session.problem if session is not None else None, phase, suspicions)
            self._show(phase.value)
            self._arm_auto_reset()

    def _on_capture_started(self, challenge: Challenge, reason: str) -> None:
        self.canvas.set_oval(challenge.oval)
        self.guidance_page.reset(left_oval=reason == "left_oval")

    def _on_guidance(self, guidance: Guidance, hold: float) -> None:
        if self.controller.phase is Phase.GUIDANCE or self.controller.phase.is_challenge:
            self.guidance_page.show_guidance(guidance, hold)

    def _on_start_requested(self, spec: str, challenge_type: str) -> None:
        self._remember(spec, challenge_type)
        self.show_get_ready(spec, challenge_type)

    def show_get_ready(self, spec: str, challenge_type: str) -> None:
        """Instructions, the picture of a good fit, the warning, the privacy notice and consent, before the camera."""
        self._pending_start = (spec, challenge_type)
        s = self.settings
        self.get_ready_page.prepare(
            flashing=challenge_type != MOVEMENT_ONLY,
            keep_recordings=s.keep_recordings,
            audit_images=s.audit_images,
            retention_days=s.retention_days,
        )
        self._show("get_ready")
        if self.kiosk:
            self.idle.arm()  # an abandoned get-ready screen returns to the start by itself

    def _on_begin(self) -> None:
        if self._pending_start is None:
            return
        self.idle.disarm()
        self._show("countdown")
        self.countdown_page.begin(self.countdown_s)

    def _on_countdown_finished(self) -> None:
        pending, self._pending_start = self._pending_start, None
        if pending is not None and self.page_name == "countdown":
            self.start_check(*pending, references=self.start_page.references())

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
        if self.controller.phase.is_capturing or self.page_name in ("get_ready", "countdown", "camera_check", "history", "lockout", "store_error"):
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
        elif self.kiosk and self.page_name in ("history", "get_ready"):
            self.go_home()

    def _on_activity(self) -> None:
        if self.page_name == "attract":
            self._show("start")
            self.idle.arm()

    def show_fitted(self, preferred: tuple[int, int] = (1100, 760)) -> None:
        """Operator mode: a window of ``preferred`` size, shrunk to the screen's free area (taskbar excluded), centred."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            self.resize(*preferred)
            self.show()
            return
        area = screen.availableGeometry()
        width, height = min(preferred[0], area.width()), min(preferred[1], area.height())
        self.resize(width, height)
        self.show()
        # The frame (title bar) is known only once shown: keep the whole window inside the free area.
        frame = self.frameGeometry()
        extra_w, extra_h = frame.width() - self.width(), frame.height() - self.height()
        if extra_w or extra_h:
            self.resize(min(width, area.width() - extra_w), min(height, area.height() - extra_h))
        frame = self.frameGeometry()
        frame.moveCenter(area.center())
        self.move(frame.topLeft())

    def show_kiosk(self) -> None:
        """Kiosk: full screen, also without a window manager (which would otherwise leave the window its own size)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is not None:
            self.setGeometry(screen.geometry())
        self.showFullScreen()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.update_staff_screen()
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
        if self.staff_window is not None:
            self.staff_window.allow_close()
            self.staff_window.close()
        self.controller.shutdown()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.idle)
        super().closeEvent(event)
