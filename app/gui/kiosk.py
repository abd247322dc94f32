"""Kiosk behaviour: automatic return to start, attract screen when idle, operator access behind a PIN."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.gui.pin import PinChecker

log = logging.getLogger(__name__)

#: Key sequence that opens the operator PIN prompt in kiosk mode.
OPERATOR_SHORTCUT = "Ctrl+Alt+O"


class CountdownTimer(QObject):
    """Counts whole seconds down and fires ``expired`` at zero.

    Signals
    -------
    ticked(int seconds_left), expired()
    """

    ticked = Signal(int)
    expired = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._left = 0
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._on_tick)
        self._final = QTimer(self)
        self._final.setSingleShot(True)
        self._final.timeout.connect(self._on_final)

    @property
    def active(self) -> bool:
        """True while counting down."""
        return self._final.isActive()

    def start(self, seconds: float) -> None:
        """Count down from ``seconds`` (fractions allowed: ``expired`` fires after exactly that long)."""
        self._left = max(0, int(round(seconds)))
        self._timer.start()
        self._final.start(max(1, int(seconds * 1000)))
        self.ticked.emit(self._left)

    def stop(self) -> None:
        """Stop counting (nothing fires)."""
        self._timer.stop()
        self._final.stop()

    def _on_tick(self) -> None:
        self._left = max(0, self._left - 1)
        self.ticked.emit(self._left)

    def _on_final(self) -> None:
        self._timer.stop()
        self.expired.emit()


class IdleWatcher(QObject):
    """Fires ``idle`` after ``timeout_s`` without keyboard, mouse or touch input (application-wide).

    Signals
    -------
    idle(), activity()
    """

    idle = Signal()
    activity = Signal()

    _INPUT = (
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.TouchBegin,
        QEvent.Type.Wheel,
    )

    def __init__(self, timeout_s: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max(1, int(timeout_s * 1000)))
        self._timer.timeout.connect(self.idle)
        self.enabled = False

    def arm(self) -> None:
        """Start (or restart) the idle countdown."""
        self.enabled = True
        self._timer.start()

    def disarm(self) -> None:
        """Stop watching for idleness."""
        self.enabled = False
        self._timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in self._INPUT:
            if self.enabled:
                self._timer.start()
            self.activity.emit()
        return False


class PinDialog(QDialog):
    """Asks for the operator PIN; checks it off the GUI thread.

    Without a stored PIN the dialog says so and lets the operator in (the
    settings dialog is where a PIN is set); three wrong PINs close it. Wrong
    PINs are also limited across dialogs and restarts (``PinThrottle``): the
    dialog then says how long to wait. ``change_advised`` is set when the right
    PIN is shorter than a new PIN may be.

    Parameters
    ----------
    stored_hash:
        ``Settings.kiosk_pin_hash`` (empty: no PIN set).
    verifier:
        Performs the protected action with the PIN and says whether it was
        accepted (the lock-out override). With a verifier there is no access
        without a PIN.
    prompt:
        What the PIN is asked for (default: "Enter the operator PIN.").

    Signals
    -------
    granted()
    """

    granted = Signal()

    def __init__(
        self,
        stored_hash: str,
        parent: QWidget | None = None,
        *,
        verifier: Callable[[str], bool] | None = None,
        prompt: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Operator access"))
        self.setAccessibleName(self.tr("Operator access"))
        self._stored = stored_hash
        self._verifier = verifier
        self._failures = 0
        self._wait_s = 0.0
        # The right PIN was given but is shorter than a new PIN may be (the operator should change it).
        self.change_advised = False
        self._checker = PinChecker(self)
        self._checker.waitRequired.connect(self._on_wait_required, Qt.ConnectionType.QueuedConnection)
        self._checker.changeAdvised.connect(self._on_change_advised, Qt.ConnectionType.QueuedConnection)
        self._checker.checked.connect(self._on_checked, Qt.ConnectionType.QueuedConnection)
        layout = QVBoxLayout(self)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Operator access message"))
        layout.addWidget(self.message)
        self.pin = QLineEdit(self)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setAccessibleName(self.tr("Operator PIN"))
        layout.addWidget(self.pin)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setAccessibleName(self.tr("Check the PIN"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName(self.tr("Cancel"))
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)
        if stored_hash:
            self.message.setText(prompt or self.tr("Enter the operator PIN."))
        elif verifier is not None:
            self.message.setText(self.tr("No operator PIN is set, so this cannot be done here. Set a PIN in the settings."))
            self.pin.setVisible(False)
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        else:
            self.message.setText(self.tr("No operator PIN is set: anyone can open this menu. Set a PIN in the settings."))
            self.pin.setVisible(False)

    def _on_ok(self) -> None:
        if not self._stored and self._verifier is None:
            self.granted.emit()
            self.accept()
            return
        if not self._stored:
            return
        self.setEnabled(False)
        self.message.setText(self.tr("Checking…"))
        self._checker.check(self.pin.text(), self._stored, verifier=self._verifier)

    def _on_wait_required(self, seconds: float) -> None:
        self._wait_s = seconds

    def _on_change_advised(self) -> None:
        self.change_advised = True

    def _on_checked(self, ok: bool) -> None:
        self.setEnabled(True)
        if ok:
            self.granted.emit()
            self.accept()
            return
        self._failures += 1
        log.warning("wrong operator PIN (%d)", self._failures)
        if self._failures >= 3:
            self.reject()
            return
        self.pin.clear()
        self.pin.setFocus()
        wait, self._wait_s = self._wait_s, 0.0
        if wait > 0:
            self.message.setText(self.tr("Too many wrong PINs. Try again in %1 s.").replace("%1", str(math.ceil(wait))))
        else:
            self.message.setText(self.tr("Wrong PIN. Try again."))


class OperatorMenu(QDialog):
    """What an authorised operator may do in kiosk mode.

    Parameters
    ----------
    history:
        Offer the session history (a session store is attached).
    change_pin:
        Ask the operator to set a longer PIN (the one given is from before the 6-digit minimum).

    Signals
    -------
    settingsRequested(), historyRequested(), exitRequested()
    """

    settingsRequested = Signal()
    historyRequested = Signal()
    exitRequested = Signal()

    def __init__(self, parent: QWidget | None = None, *, history: bool = False, change_pin: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Operator menu"))
        self.setAccessibleName(self.tr("Operator menu"))
        layout = QVBoxLayout(self)
        self.notice = QLabel(self.tr("The operator PIN is shorter than 6 digits. Please set a new PIN in the settings."), self)
        self.notice.setWordWrap(True)
        self.notice.setAccessibleName(self.tr("Operator notice"))
        self.notice.setVisible(change_pin)
        layout.addWidget(self.notice)
        self.settings_button = QPushButton(self.tr("&Settings…"), self)
        self.settings_button.setAccessibleName(self.tr("Settings"))
        self.history_button = QPushButton(self.tr("Session &history…"), self)
        self.history_button.setAccessibleName(self.tr("Session history"))
        self.history_button.setVisible(history)
        self.exit_button = QPushButton(self.tr("E&xit kiosk"), self)
        self.exit_button.setAccessibleName(self.tr("Exit the kiosk application"))
        self.close_button = QPushButton(self.tr("&Back"), self)
        self.close_button.setAccessibleName(self.tr("Back to the kiosk"))
        self.close_button.setDefault(True)
        for b in (self.settings_button, self.history_button, self.exit_button, self.close_button):
            layout.addWidget(b)
        self.settings_button.clicked.connect(self._on_settings)
        self.history_button.clicked.connect(self._on_history)
        self.exit_button.clicked.connect(self._on_exit)
        self.close_button.clicked.connect(self.reject)

    def _on_settings(self) -> None:
        self.accept()
        self.settingsRequested.emit()

    def _on_history(self) -> None:
        self.accept()
        self.historyRequested.emit()

    def _on_exit(self) -> None:
        self.accept()
        self.exitRequested.emit()
