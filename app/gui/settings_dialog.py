"""The settings dialog: every user-adjustable setting, saved through :func:`app.core.settings.save_settings`.

Hashing a new operator PIN (PBKDF2, hundreds of milliseconds by design) runs in
a background thread so the window never freezes.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core import defaults
from app.core.capture.devices import CameraDevice
from app.core.challenge import MOVEMENT_AND_LIGHT, MOVEMENT_ONLY
from app.core.settings import Settings, replace, save_settings
from app.gui.pin import hash_new_pin, new_pin_problem

log = logging.getLogger(__name__)


class SettingsDialog(QDialog):
    """Edit and persist the settings.

    Parameters
    ----------
    settings:
        Current values (not modified; the saved copy is :attr:`result_settings`).
    devices:
        Enumerated cameras for the camera selector.
    extra_spec:
        A non-camera source offered too (``--source``).
    path:
        Settings file (default: the user's).

    Signals
    -------
    saved(Settings):
        The new settings were written.
    """

    saved = Signal(object)
    _hashed = Signal(object)

    def __init__(
        self,
        settings: Settings,
        *,
        devices: list[CameraDevice],
        extra_spec: str | None = None,
        path: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.setAccessibleName(self.tr("Settings"))
        self._settings = settings
        self._path = path
        self.result_settings: Settings | None = None
        layout = QVBoxLayout(self)
        # The form scrolls: with large text it is taller than a laptop screen.
        self.form_host = QWidget(self)
        form = QFormLayout(self.form_host)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.camera = QComboBox(self)
        self.camera.addItem(self.tr("First real camera"), "")
        if extra_spec:
            self.camera.addItem(extra_spec, extra_spec)
        for dev in devices:
            suffix = self.tr(" (virtual)") if dev.virtual else ""
            self.camera.addItem(f"{dev.name}{suffix}", dev.spec)
        if settings.camera and self.camera.findData(settings.camera) < 0:
            self.camera.addItem(settings.camera, settings.camera)
        self.camera.setCurrentIndex(max(0, self.camera.findData(settings.camera)))
        self._add(form, self.tr("&Camera:"), self.camera, self.tr("Camera"))

        self.allow_virtual = QCheckBox(self.tr("Accept virtual cameras (testing only)"), self)
        self.allow_virtual.setChecked(settings.allow_virtual_cameras)
        self._add(form, "", self.allow_virtual, self.tr("Accept virtual cameras"))

        self.challenge = QComboBox(self)
        self.challenge.addItem(self.tr("Movement and light (most accurate)"), MOVEMENT_AND_LIGHT)
        self.challenge.addItem(self.tr("Movement only (no flashing)"), MOVEMENT_ONLY)
        self.challenge.setCurrentIndex(max(0, self.challenge.findData(settings.challenge)))
        self._add(form, self.tr("C&heck type:"), self.challenge, self.tr("Check type"))

        self.attenuation = QSpinBox(self)
        self.attenuation.setRange(0, 80)
        self.attenuation.setSuffix(" %")
        self.attenuation.setValue(round(settings.flash_attenuation * 100))
        self._add(form, self.tr("&Dim the flashes by:"), self.attenuation, self.tr("Flash dimming in percent"))

        self.fit_timeout = QDoubleSpinBox(self)
        self.fit_timeout.setRange(1.0, 30.0)
        self.fit_timeout.setDecimals(0)
        self.fit_timeout.setSuffix(" s")
        self.fit_timeout.setValue(settings.face_fit_timeout_s)
        self._add(form, self.tr("&Face-fit time limit:"), self.fit_timeout, self.tr("Face fit time limit in seconds"))

        self.threshold = QDoubleSpinBox(self)
        self.threshold.setRange(defaults.THRESHOLD_MIN, defaults.THRESHOLD_MAX)
        self.threshold.setDecimals(0)
        self.threshold.setValue(settings.threshold)
        self._add(form, self.tr("Pass &threshold (0-100):"), self.threshold, self.tr("Pass threshold"))

        self.audit = QSpinBox(self)
        self.audit.setRange(0, defaults.MAX_AUDIT_IMAGES)
        self.audit.setValue(settings.audit_images)
        self._add(form, self.tr("&Audit images:"), self.audit, self.tr("Number of audit images"))

        self.recordings = QCheckBox(self.tr("Save every session as a recording"), self)
        self.recordings.setChecked(settings.keep_recordings)
        self._add(form, "", self.recordings, self.tr("Save recordings"))

        self.mode = QComboBox(self)
        self.mode.addItem(self.tr("Operator"), "operator")
        self.mode.addItem(self.tr("Kiosk (end users)"), "kiosk")
        self.mode.addItem(self.tr("Demo (confidence and plots shown)"), "demo")
        self.mode.setCurrentIndex(max(0, self.mode.findData(settings.mode)))
        self._add(form, self.tr("&Mode:"), self.mode, self.tr("Mode"))
        self.kiosk_note = QLabel(
            self.tr("Kiosk mode needs an operator PIN (below): it ends the pause after repeated failed checks."), self
        )
        self.kiosk_note.setWordWrap(True)
        self._add(form, "", self.kiosk_note, self.tr("Kiosk mode needs an operator PIN"))


        self.kiosk_reset = QDoubleSpinBox(self)
        self.kiosk_reset.setRange(2.0, 600.0)
        self.kiosk_reset.setDecimals(0)
        self.kiosk_reset.setSuffix(" s")
        self.kiosk_reset.setValue(settings.kiosk_reset_s)
        self._add(form, self.tr("Kiosk: &return to start after:"), self.kiosk_reset, self.tr("Kiosk return delay in seconds"))

        self.pin = QLineEdit(self)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText(self.tr("unchanged") if settings.kiosk_pin_hash else self.tr("not set"))
        self._add(form, self.tr("Kiosk operator &PIN:"), self.pin, self.tr("New operator PIN"))
        self.pin_again = QLineEdit(self)
        self.pin_again.setEchoMode(QLineEdit.EchoMode.Password)
        self._add(form, self.tr("Repeat the PI&N:"), self.pin_again, self.tr("Repeat the new operator PIN"))

        self.language = QComboBox(self)
        self.language.addItem(self.tr("System language"), "")
        self.language.addItem("English", "en")
        self.language.addItem("Español", "es")
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        self._add(form, self.tr("&Language:"), self.language, self.tr("Language"))

        self.text_size = QComboBox(self)
        for size in (100, 125, 160, 200):
            self.text_size.addItem(f"{size} %", size)
        index = self.text_size.findData(settings.text_size)
        if index < 0:  # a size set by hand in the file: offer it as it is
            self.text_size.addItem(f"{settings.text_size} %", settings.text_size)
            index = self.text_size.count() - 1
        self.text_size.setCurrentIndex(index)
        self._add(form, self.tr("Te&xt size:"), self.text_size, self.tr("Text size"))

        self.high_contrast = QCheckBox(self.tr("High contrast"), self)
        self.high_contrast.setChecked(settings.high_contrast)
        self._add(form, "", self.high_contrast, self.tr("High contrast colours"))
        self.staff_screen = QCheckBox(self.tr("Staff view on a second screen"), self)
        self.staff_screen.setChecked(settings.staff_screen)
        self.staff_screen.setToolTip(self.tr("When a second screen is connected, the evidence for staff opens there; otherwise it stays behind the PIN."))
        self._add(form, "", self.staff_screen, self.tr("Staff view on a second screen"))
        self.display_note = QLabel(self.tr("Language, text size and contrast change as soon as the settings are saved."), self)
        self.display_note.setWordWrap(True)
        form.addRow(self.display_note)

        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(self.form_host)
        layout.addWidget(self.scroll, 1)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Settings message"))
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setAccessibleName(self.tr("Save the settings"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName(self.tr("Cancel without saving"))
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)
        self._hashed.connect(self._on_hashed, Qt.ConnectionType.QueuedConnection)
        self._fit_to_screen()

    def _fit_to_screen(self) -> None:
        """As tall as the form, but never taller or wider than the screen's free area (the form scrolls)."""
        hint = self.form_host.sizeHint()
        width = hint.width() + self.scroll.verticalScrollBar().sizeHint().width() + 48
        height = hint.height() + self.buttons.sizeHint().height() + self.message.sizeHint().height() + 64
        screen = self.screen()
        if screen is not None:
            area = screen.availableGeometry()
            width, height = min(width, area.width()), min(height, area.height() - 40)
        self.resize(width, height)

    @staticmethod
    def _add(form: QFormLayout, label: str, field: QWidget, accessible: str) -> None:
        field.setAccessibleName(accessible)
        if label:
            lab = QLabel(label)
            lab.setBuddy(field)
            form.addRow(lab, field)
        else:
            form.addRow(field)

    def collected(self, pin_hash: str) -> Settings:
        """The settings as edited (validated)."""
        return replace(
            self._settings,
            camera=str(self.camera.currentData() or ""),
            allow_virtual_cameras=self.allow_virtual.isChecked(),
            challenge=str(self.challenge.currentData()),
            flash_attenuation=self.attenuation.value() / 100.0,
            face_fit_timeout_s=float(self.fit_timeout.value()),
            threshold=float(self.threshold.value()),
            audit_images=int(self.audit.value()),
            keep_recordings=self.recordings.isChecked(),
            mode=str(self.mode.currentData()),
            kiosk_reset_s=float(self.kiosk_reset.value()),
            kiosk_pin_hash=pin_hash,
            language=str(self.language.currentData() or ""),
            text_size=int(self.text_size.currentData() or 100),
            high_contrast=self.high_contrast.isChecked(),
            staff_screen=self.staff_screen.isChecked(),
        )

    def _on_save(self) -> None:
        pin, again = self.pin.text(), self.pin_again.text()
        if not pin and not again:
            if self.mode.currentData() == "kiosk" and not self._settings.kiosk_pin_hash:
                # Without a PIN nobody could end a lock-out pause or open the operator menu.
                self.message.setText(self.tr("Kiosk mode needs an operator PIN: type one twice below."))
                self.pin.setFocus()
                return
            self._store(self._settings.kiosk_pin_hash)
            return
        if pin != again:
            self.message.setText(self.tr("The two PINs differ. Type the same PIN twice."))
            self.pin_again.setFocus()
            return
        if new_pin_problem(pin) is not None:
            self.message.setText(self.tr("A PIN needs 6 to 64 digits."))
            self.pin.setFocus()
            return
        self.message.setText(self.tr("Saving…"))
        self.setEnabled(False)

        def work() -> None:
            self._hashed.emit(hash_new_pin(pin))

        threading.Thread(target=work, name="livegate-pin-hash", daemon=True).start()

    def _on_hashed(self, pin_hash: str) -> None:
        self.setEnabled(True)
        self._store(pin_hash)

    def _store(self, pin_hash: str) -> None:
        settings = self.collected(pin_hash)
        try:
            save_settings(settings, self._path)
        except OSError as exc:
            log.warning("settings not saved: %s", exc)
            self.message.setText(self.tr("The settings could not be saved: %1").replace("%1", str(exc)))
            return
        self.result_settings = settings
        self.saved.emit(settings)
        self.accept()
