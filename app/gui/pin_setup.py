"""First start of kiosk mode without an operator PIN: set one, or kiosk mode does not start.

A kiosk pauses after repeated failed checks, and only the operator PIN ends a
pause (and opens the operator menu); a kiosk without a PIN could neither be
unpaused nor protected. So ``livegate gui --kiosk`` (or the kiosk mode setting)
with no PIN asks for one first; cancelling leaves kiosk mode unstarted.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.core.sessions.pin import hash_pin
from app.core.settings import Settings, replace, save_settings

# Operator PIN length limits (as the settings dialog).
PIN_MIN, PIN_MAX = 4, 64


class PinSetupDialog(QDialog):
    """Asks for a new operator PIN twice; on OK the hashed PIN is saved with the settings.

    Attributes
    ----------
    result_settings:
        The saved settings (with the PIN hash) after the dialog was accepted, else ``None``.
    """

    def __init__(self, settings: Settings, path: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Set the operator PIN"))
        self._settings = settings
        self._path = path
        self.result_settings: Settings | None = None
        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "Kiosk mode needs an operator PIN: it opens the operator menu and ends the pause that follows "
                "repeated failed checks. Choose a PIN of 4 to 64 characters."
            ),
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.pin = QLineEdit(self)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setAccessibleName(self.tr("New operator PIN"))
        self.pin.setPlaceholderText(self.tr("New PIN"))
        layout.addWidget(self.pin)
        self.pin_again = QLineEdit(self)
        self.pin_again.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_again.setAccessibleName(self.tr("Repeat the new operator PIN"))
        self.pin_again.setPlaceholderText(self.tr("Repeat the PIN"))
        layout.addWidget(self.pin_again)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Message"))
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._on_ok)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _on_ok(self) -> None:
        pin, again = self.pin.text(), self.pin_again.text()
        if pin != again:
            self.message.setText(self.tr("The two PINs differ. Type the same PIN twice."))
            return
        if not PIN_MIN <= len(pin) <= PIN_MAX:
            self.message.setText(self.tr("A PIN needs 4 to 64 characters."))
            return
        settings = replace(self._settings, kiosk_pin_hash=hash_pin(pin))
        try:
            save_settings(settings, self._path)
        except OSError as exc:
            self.message.setText(self.tr("The PIN could not be saved: %1").replace("%1", str(exc)))
            return
        self.result_settings = settings
        self.accept()
