"""The screens of a check: start, camera check, guidance/light, verifying, result, problem, lock-out, attract.

Pages only display what the window hands them and report the user's choices
through signals; they never call the controller themselves. Every control has
an accessible name, every screen works with the keyboard alone, and every
user-visible string goes through ``self.tr``.
"""

from __future__ import annotations

import math
import re

from PySide6.QtCore import QCoreApplication, QElapsedTimer, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.core.capture.devices import CameraDevice
from app.core.challenge import MOVEMENT_AND_LIGHT, MOVEMENT_ONLY
from app.core.check.flow import Phase, Problem, ProblemInfo, Session
from app.core.guidance import Guidance, Hint
from app.core.scoring.contract import ImageOut, LivenessResult
from app.gui.plots import PlotWidget, SessionTrace, drift_series, light_series
from app.gui.preview import Canvas
from app.gui.reasons import result_reasons
from app.gui.guidance_view import GuidanceView, guidance_view
from app.gui.texts import problem_text
from app.gui.verdict import Outcome, ResultView
from app.gui.widgets import (
    FAIL_COLOUR,
    NEUTRAL_COLOUR,
    PASS_COLOUR,
    WARN_COLOUR,
    ClickableImage,
    IconKind,
    StatusIcon,
    announce,
    image_with_box,
    scaled_font,
)


#: Longest customer or operator reference a session stores.
REF_MAX = 200
#: Smallest side of anything a finger must hit (touch screens at kiosks and counters).
TOUCH_PX = 44


def _touch(widget: QWidget) -> None:
    """Make a check box or radio button at least :data:`TOUCH_PX` tall (its label is part of the target)."""
    widget.setMinimumHeight(TOUCH_PX)


def _title(widget: QWidget, text: str, factor: float = 1.8) -> QLabel:
    label = QLabel(text, widget)
    label.setFont(scaled_font(widget, factor, bold=True))
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setAccessibleName(text)
    return label


def _button(parent: QWidget, text: str, accessible: str, *, default: bool = False) -> QPushButton:
    button = QPushButton(text, parent)
    button.setAccessibleName(accessible)
    button.setAutoDefault(True)
    button.setDefault(default)
    button.setMinimumHeight(max(TOUCH_PX, round(button.fontMetrics().height() * 2.4)))
    button.setMinimumWidth(TOUCH_PX)
    button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
    return button


class StartPage(QWidget):
    """Camera choice, challenge choice, photosensitivity warning and "Start check".

    Signals
    -------
    startRequested(str spec, str challenge_type), settingsRequested(), historyRequested(), quitRequested(),
    refreshRequested()
    """

    startRequested = Signal(str, str)
    settingsRequested = Signal()
    historyRequested = Signal()
    quitRequested = Signal()
    refreshRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._refusals: dict[str, str] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addStretch(1)
        self.title = _title(self, self.tr("Livegate"), 2.6)
        self.subtitle = QLabel(self.tr("Face liveness check: shows that a live person is in front of the camera."), self)
        self.subtitle.setWordWrap(True)
        self.subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.subtitle.setFont(scaled_font(self, 1.15))
        outer.addWidget(self.title)
        outer.addWidget(self.subtitle)
        outer.addSpacing(18)

        body = QWidget(self)
        em = self.fontMetrics().horizontalAdvance("M")
        body.setMinimumWidth(round(em * 26))
        body.setMaximumWidth(round(em * 46))
        form = QVBoxLayout(body)
        form.setContentsMargins(0, 0, 0, 0)
        cam_row = QHBoxLayout()
        self.camera_label = QLabel(self.tr("&Camera:"), body)
        self.camera = QComboBox(body)
        self.camera.setAccessibleName(self.tr("Camera"))
        self.camera.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.camera_label.setBuddy(self.camera)
        self.refresh = QPushButton(self.tr("&Refresh"), body)
        self.refresh.setAccessibleName(self.tr("Refresh the camera list"))
        cam_row.addWidget(self.camera_label)
        cam_row.addWidget(self.camera, 1)
        cam_row.addWidget(self.refresh)
        form.addLayout(cam_row)
        self.camera_note = QLabel(body)
        self.camera_note.setObjectName("warningNote")
        self.camera_note.setWordWrap(True)
        self.camera_note.setAccessibleName(self.tr("Camera note"))
        self.camera_note.setVisible(False)
        form.addWidget(self.camera_note)

        self.refs_box = QGroupBox(self.tr("References (for staff, optional)"), body)
        self.refs_box.setAccessibleName(self.tr("References"))
        refs = QGridLayout(self.refs_box)
        self.customer_ref = QLineEdit(self.refs_box)
        self.customer_ref.setAccessibleName(self.tr("Customer reference"))
        self.customer_ref.setPlaceholderText(self.tr("e.g. order number"))
        self.operator_ref = QLineEdit(self.refs_box)
        self.operator_ref.setAccessibleName(self.tr("Operator reference"))
        self.operator_ref.setPlaceholderText(self.tr("e.g. desk 2"))
        # One row for both: the start screen must fit a laptop screen at 160 % text.
        for col, (text, edit) in enumerate(((self.tr("C&ustomer:"), self.customer_ref), (self.tr("O&perator:"), self.operator_ref))):
            label = QLabel(text, self.refs_box)
            label.setBuddy(edit)
            edit.setMaxLength(REF_MAX)
            edit.setMinimumHeight(TOUCH_PX)
            refs.addWidget(label, 0, 2 * col)
            refs.addWidget(edit, 0, 2 * col + 1)
            refs.setColumnStretch(2 * col + 1, 1)
        form.addWidget(self.refs_box)

        self.challenge_box = QGroupBox(self.tr("Type of check"), body)
        self.challenge_box.setAccessibleName(self.tr("Type of check"))
        box_layout = QVBoxLayout(self.challenge_box)
        self.light_choice = QRadioButton(self.tr("&Movement and light (most accurate)"), self.challenge_box)
        self.light_choice.setAccessibleName(self.tr("Movement and light check"))
        self.movement_choice = QRadioButton(self.tr("Movement &only (no flashing, for photosensitive people)"), self.challenge_box)
        self.movement_choice.setAccessibleName(self.tr("Movement only check, no flashing"))
        self._group = QButtonGroup(self)
        self._group.addButton(self.light_choice)
        self._group.addButton(self.movement_choice)
        box_layout.addWidget(self.light_choice)
        box_layout.addWidget(self.movement_choice)
        _touch(self.light_choice)
        _touch(self.movement_choice)
        form.addWidget(self.challenge_box)

        warn_row = QHBoxLayout()
        self.warning_icon = StatusIcon(IconKind.WARNING, em=2.0, parent=body)
        self.warning = QLabel(
            self.tr("Photosensitivity warning: this check flashes different colours. Use caution if you are photosensitive, or choose “Movement only”."),
            body,
        )
        self.warning.setWordWrap(True)
        self.warning.setAccessibleName(self.tr("Photosensitivity warning"))
        warn_row.addWidget(self.warning_icon, 0, Qt.AlignmentFlag.AlignTop)
        warn_row.addWidget(self.warning, 1)
        form.addLayout(warn_row)
        form.addSpacing(12)

        self.start = _button(body, self.tr("&Start check"), self.tr("Start check"), default=True)
        self.start.setFont(scaled_font(self, 1.3, bold=True))
        form.addWidget(self.start)
        extra = QHBoxLayout()
        self.settings_button = _button(body, self.tr("S&ettings…"), self.tr("Settings"))
        self.history_button = _button(body, self.tr("&History…"), self.tr("Session history"))
        self.quit_button = _button(body, self.tr("&Quit"), self.tr("Quit"))
        self._history_available = False
        self.history_button.setVisible(False)
        extra.addWidget(self.settings_button)
        extra.addWidget(self.history_button)
        extra.addStretch(1)
        extra.addWidget(self.quit_button)
        form.addLayout(extra)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(body, 6)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

        self.start.clicked.connect(self._on_start)
        self.settings_button.clicked.connect(self.settingsRequested)
        self.history_button.clicked.connect(self.historyRequested)
        self.quit_button.clicked.connect(self.quitRequested)
        self.refresh.clicked.connect(self.refreshRequested)
        self.camera.currentIndexChanged.connect(self._on_camera_changed)
        self.light_choice.toggled.connect(self._on_challenge_changed)
        self.light_choice.setChecked(True)

    def set_operator_controls(self, visible: bool, *, history: bool = False) -> None:
        """Kiosk mode hides the camera picker, settings, history and quit (they sit behind the operator PIN).

        ``history``: a session store is attached, so the history view exists.
        """
        self.settings_button.setVisible(visible)
        self.history_button.setVisible(visible and history)
        self.quit_button.setVisible(visible)
        # The camera is chosen by staff in the settings; a kiosk's customers never see the picker or the references.
        for widget in (self.camera_label, self.camera, self.refresh, self.refs_box):
            widget.setVisible(visible)

    def references(self) -> tuple[str, str]:
        """The customer and operator references typed by the clerk (control characters removed)."""
        clean = [re.sub(r"[\x00-\x1f\x7f]", "", e.text()).strip()[:REF_MAX] for e in (self.customer_ref, self.operator_ref)]
        return clean[0], clean[1]

    def set_challenge(self, challenge_type: str) -> None:
        """Select the radio button of ``challenge_type``."""
        (self.movement_choice if challenge_type == MOVEMENT_ONLY else self.light_choice).setChecked(True)

    def challenge(self) -> str:
        """The chosen challenge type."""
        return MOVEMENT_ONLY if self.movement_choice.isChecked() else MOVEMENT_AND_LIGHT

    def set_cameras(self, devices: list[CameraDevice], *, extra_spec: str | None, selected: str, refusals: dict[str, str]) -> None:
        """Fill the selector.

        Parameters
        ----------
        devices:
            Enumerated cameras.
        extra_spec:
            A non-camera source given on the command line (``sim:live``), listed first.
        selected:
            The spec to select (remembered choice).
        refusals:
            Spec -> reason for cameras refused as virtual.
        """
        self._refusals = dict(refusals)
        self.camera.blockSignals(True)
        self.camera.clear()
        if extra_spec:
            self.camera.addItem(self.tr("Source from the command line: %1").replace("%1", extra_spec), extra_spec)
        for dev in devices:
            label = dev.name or f"camera {dev.index}"
            if dev.virtual:
                label = self.tr("%1 (virtual camera)").replace("%1", label)
            self.camera.addItem(label, dev.spec)
        if self.camera.count() == 0:
            self.camera.addItem(self.tr("No camera found"), "")
        index = max(0, self.camera.findData(selected)) if selected else 0
        self.camera.setCurrentIndex(index)
        self.camera.blockSignals(False)
        self._on_camera_changed()

    def selected_spec(self) -> str:
        """Source spec of the selected camera (``""`` when none)."""
        return str(self.camera.currentData() or "")

    def _on_camera_changed(self, *_: object) -> None:
        spec = self.selected_spec()
        reason = self._refusals.get(spec, "")
        if reason:
            self.camera_note.setText(
                self.tr("This camera looks virtual (%1). Virtual cameras are refused: choose a real camera.").replace("%1", reason)
            )
            announce(self.camera_note, self.camera_note.text())
        elif not spec:
            self.camera_note.setText(self.tr("No camera was found. Connect a camera and press Refresh."))
        self.camera_note.setVisible(bool(reason) or not spec)
        self.start.setEnabled(not reason)

    def _on_challenge_changed(self, *_: object) -> None:
        flashing = self.light_choice.isChecked()
        self.warning.setVisible(flashing)
        self.warning_icon.setVisible(flashing)

    def _on_start(self) -> None:
        if self.start.isEnabled():
            self.startRequested.emit(self.selected_spec(), self.challenge())


class CameraCheckPage(QWidget):
    """"Checking the camera" with a busy indicator and Cancel."""

    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title = _title(self, self.tr("Checking the camera…"))
        layout.addWidget(self.title)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setAccessibleName(self.tr("Checking the camera"))
        self.busy.setTextVisible(False)
        self.busy.setMinimumWidth(round(self.fontMetrics().horizontalAdvance("M") * 24))
        self.busy.setMinimumHeight(round(self.fontMetrics().height() * 1.2))
        layout.addWidget(self.busy, 0, Qt.AlignmentFlag.AlignHCenter)
        self.note = QLabel(self.tr("The camera is being opened and its picture rate measured."), self)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.cancel = _button(self, self.tr("Cancel"), self.tr("Cancel the check"))
        layout.addWidget(self.cancel, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.cancel.clicked.connect(self.cancelRequested)


class GuidancePage(QWidget):
    """The live mirrored preview with the oval, the hint and the fit bar.

    The oval, the text, the arrows and the fit bar follow one state
    (:func:`app.gui.guidance_view.guidance_view`). In light mode (the colour
    flashes) the header and footer stay where they are, so the preview keeps its
    size and place: the header says "Keep your face in the oval", the bar turns
    into a thin progress of the colours and Cancel becomes a visible Stop.
    """

    cancelRequested = Signal()
    hintShown = Signal(object)

    def __init__(self, canvas: Canvas, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.canvas.setParent(self)
        self.canvas.setAccessibleName(self.tr("Camera preview with the oval"))
        self._hint: Hint | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.header = QFrame(self)
        self.header.setObjectName("hintBar")
        header_layout = QVBoxLayout(self.header)
        self.hint = QLabel(self.tr("Look at the camera"), self.header)
        self.hint.setObjectName("hint")
        self.hint.setFont(scaled_font(self, 1.9, bold=True))
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.hint.setAccessibleName(self.tr("Instruction"))
        header_layout.addWidget(self.hint)
        self.notice = QLabel(self.header)
        self.notice.setObjectName("warningNote")
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice.setWordWrap(True)
        self.notice.setFont(scaled_font(self, 1.1))
        self.notice.setAccessibleName(self.tr("Notice"))
        self.notice.setVisible(False)
        header_layout.addWidget(self.notice)
        layout.addWidget(self.header)
        layout.addWidget(self.canvas, 1)
        self.footer = QFrame(self)
        footer_layout = QHBoxLayout(self.footer)
        bar_col = QVBoxLayout()
        self.step = QLabel(self.footer)
        self.step.setAccessibleName(self.tr("Step"))
        self.step.setWordWrap(True)
        self.progress = QProgressBar(self.footer)
        self.progress.setRange(0, 100)
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName(self.tr("How well your face fills the oval"))
        self._bar_height = round(self.fontMetrics().height() * 0.9)
        self.progress.setFixedHeight(self._bar_height)
        bar_col.addWidget(self.step)
        bar_col.addWidget(self.progress)
        self.cancel = _button(self.footer, self.tr("Cancel"), self.tr("Cancel the check"))
        footer_layout.addLayout(bar_col, 1)
        footer_layout.addWidget(self.cancel)
        self._light = False
        self._flash_total = 0
        self.view: GuidanceView | None = None
        #: A head-turn cue of the movement-only check is on screen: guidance must not overwrite its instruction.
        self._cue = False
        layout.addWidget(self.footer)
        self.cancel.clicked.connect(self.cancelRequested)

    @property
    def current_hint(self) -> Hint | None:
        """The hint on screen (``None`` before the first assessed frame)."""
        return self._hint

    def reset(self, *, left_oval: bool = False) -> None:
        """Before a capture: neutral instruction, empty progress.

        ``left_oval``: the flashes were stopped because the face left the oval; say so.
        """
        self._hint = None
        self.view = None
        self._cue = False
        self.canvas.set_cue(None)
        self.hint.setText(self.tr("Look at the camera"))
        self.step.setText(self.tr("Getting ready"))
        self.progress.setValue(0)
        if left_oval:
            text = self.tr("The flashing stopped because your face left the oval. Start again from a little further away.")
            self.notice.setText(text)
            announce(self.notice, text)
        self.notice.setVisible(left_oval)

    def set_light_mode(self, light: bool) -> None:
        """Flashes (``light``) or guidance: the header and footer stay, so the preview does not move."""
        changed = light != self._light
        self._light = light
        self.canvas.renderer.dim = not light
        if light:
            text = self.tr("Keep your face in the oval")
            self.hint.setText(text)
            self.notice.setVisible(False)
            self.step.setText(self.tr("Colours: keep still until they end"))
            self.progress.setValue(0)
            self.progress.setAccessibleName(self.tr("Progress of the colours"))
            self.progress.setFixedHeight(max(4, self._bar_height // 3))
            self.cancel.setText(self.tr("Stop"))
            self.cancel.setAccessibleName(self.tr("Stop the colours and the check"))
            if changed:
                announce(self.hint, text)
        else:
            self.progress.setAccessibleName(self.tr("How well your face fills the oval"))
            self.progress.setFixedHeight(self._bar_height)
            self.cancel.setText(self.tr("Cancel"))
            self.cancel.setAccessibleName(self.tr("Cancel the check"))
            if changed:
                self._hint = None  # the next assessed frame sets the instruction again

    def begin_flash(self, total: int) -> None:
        """The colour sequence of ``total`` steps starts."""
        self._flash_total = max(1, total)
        self.progress.setValue(0)

    def flash_step(self, index: int) -> None:
        """Colour ``index`` (0-based) reached the screen."""
        if self._light and self._flash_total:
            self.progress.setValue(round(100 * (index + 1) / self._flash_total))

    def show_cue(self, direction: str | None, index: int) -> None:
        """Show a head-movement cue of the movement-only check (None: face the screen again; index -1: cues over).

        The preview is mirrored, so the person's own left is the left of the screen: the arrow points the
        way to turn (a nod's arrow points up or down, the same in a mirror).
        """
        self._cue = index >= 0
        if direction == "left":
            text = self.tr("\u2190  Turn your head to your LEFT")
        elif direction == "right":
            text = self.tr("Turn your head to your RIGHT  \u2192")
        elif direction == "up":
            text = self.tr("\u2191  Tilt your head UP (chin up)")
        elif direction == "down":
            text = self.tr("\u2193  Tilt your head DOWN (chin down)")
        elif index >= 0:
            text = self.tr("Look at the screen")
        else:
            self._cue = False
            self.canvas.set_cue(None)
            return
        self.hint.setText(text)
        # The light mode's step line speaks of colours; a movement-only check shows none.
        self.step.setText(self.tr("Head movements: follow each arrow"))
        self.canvas.set_cue(direction)
        announce(self.hint, text)

    def show_guidance(self, guidance: Guidance, hold_progress: float) -> None:
        """Render one assessed frame: oval, arrows, text and bar from one :class:`GuidanceView`."""
        oval = self.canvas.renderer.oval
        if self._light:
            # During the colours only the oval follows the face; the text and bar belong to the flashes.
            self.canvas.set_oval(oval, fits=guidance.hint is Hint.HOLD_STILL)
            return
        view = guidance_view(guidance, hold_progress=hold_progress)
        self.view = view
        self.canvas.set_oval(oval, fits=view.good, scale=view.oval_scale, cue=view.cue)
        self.progress.setValue(round(100 * view.bar))
        self.step.setText(view.step)
        self.progress.setAccessibleDescription(view.step)
        if not self._cue and (guidance.hint is not self._hint or view.text != self.hint.text()):
            self._hint = guidance.hint
            self.hint.setText(view.text)
            announce(self.hint, view.text)
            self.hintShown.emit(guidance.hint)


class VerifyingPage(QWidget):
    """"Verifying" with a visible progress and the remaining time."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title = _title(self, self.tr("Verifying…"))
        layout.addWidget(self.title)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 0)  # busy: scoring reports no partial progress
        self.bar.setTextVisible(False)
        self.bar.setAccessibleName(self.tr("Verification progress"))
        self.bar.setMinimumWidth(round(self.fontMetrics().horizontalAdvance("M") * 24))
        self.bar.setMinimumHeight(round(self.fontMetrics().height() * 1.2))
        layout.addWidget(self.bar, 0, Qt.AlignmentFlag.AlignHCenter)
        self.note = QLabel(self, alignment=Qt.AlignmentFlag.AlignCenter)
        self.note.setWordWrap(True)
        self.note.setAccessibleName(self.tr("Verification status"))
        layout.addWidget(self.note)
        layout.addStretch(2)
        self._clock = QElapsedTimer()
        self._limit_s = 30.0
        self._timer = QTimer(self)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self._on_tick)

    def begin(self, limit_s: float) -> None:
        """Start showing progress towards the hard limit ``limit_s``."""
        self._limit_s = max(1.0, limit_s)
        self._clock.start()
        self._on_tick()
        self._timer.start()

    def end(self) -> None:
        """Stop updating (the phase is over)."""
        self._timer.stop()

    def _on_tick(self) -> None:
        elapsed = self._clock.elapsed() / 1000 if self._clock.isValid() else 0.0
        self.note.setText(
            self.tr("Checking the recording: %1 s so far. This usually takes a few seconds; the check stops after %2 s.")
            .replace("%1", f"{elapsed:.0f}")
            .replace("%2", f"{self._limit_s:.0f}")
        )
        self.bar.setAccessibleDescription(self.note.text())


class ImageDialog(QDialog):
    """An enlarged reference or audit image (Esc or the button closes it)."""

    def __init__(self, title: str, image: ImageOut, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        layout = QVBoxLayout(self)
        label = QLabel(self)
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        side = int(min(screen.width(), screen.height()) * 0.8) if screen is not None else 720
        label.setPixmap(image_with_box(image.image, image.box, max_side=side))
        label.setAccessibleName(title)
        layout.addWidget(label)
        close = _button(self, self.tr("Close"), self.tr("Close the enlarged image"), default=True)
        close.clicked.connect(self.accept)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)


def mode_text(widget: QWidget, challenge_type: str) -> str:
    """The check used and its assurance level, for staff (docs/result.md: Challenge.Assurance).

    Translated in the result page's context (``widget.tr`` here would look in the context of the widget's
    class, which need not be the result page)."""
    if challenge_type == MOVEMENT_ONLY:
        return QCoreApplication.translate("ResultPage", "Check: movement only, no flashes (reduced assurance: consider a second factor)")
    return QCoreApplication.translate("ResultPage", "Check: light and movement (standard assurance)")


class ResultPage(QWidget):
    """The verdict for the person being checked; the evidence for staff behind "Staff view".

    The customer part (banner, one sentence of what happens next, generic tips
    for TRY AGAIN) is always visible. The staff panel (review state, suspected
    attack, what to do, confidence, reasons, reference and audit images, plots)
    is hidden until staff open it (``staffViewRequested``; the window asks for
    the operator PIN where one is set), or shown at once in demo mode.

    Signals
    -------
    newCheckRequested(), tryAgainRequested(), staffViewRequested(), imageOpened(str title)
    """

    newCheckRequested = Signal()
    tryAgainRequested = Signal()
    staffViewRequested = Signal()
    imageOpened = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._images: list[tuple[str, ImageOut | None]] = []
        self._dialog: ImageDialog | None = None
        self._view: ResultView | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.banner = QFrame(self)
        self.banner.setObjectName("verdictBanner")
        self.banner.setAutoFillBackground(True)
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(24, 16, 24, 16)
        self.icon = StatusIcon(IconKind.UNAVAILABLE, em=4.0, parent=self.banner)
        self.verdict = QLabel(self.banner)
        self.verdict.setFont(scaled_font(self, 3.2, bold=True))
        self.verdict.setAccessibleName(self.tr("Result"))
        self.verdict.setWordWrap(True)
        self.explanation = QLabel(self.banner)
        self.explanation.setFont(scaled_font(self, 1.4))
        self.explanation.setWordWrap(True)
        self.explanation.setAccessibleName(self.tr("What happens next"))
        text_col = QVBoxLayout()
        text_col.addStretch(1)
        text_col.addWidget(self.verdict)
        text_col.addWidget(self.explanation)
        # Staff must see which check was used and how much it proves (the movement-only check proves less).
        self.mode = QLabel(self.banner)
        self.mode.setObjectName("checkMode")
        self.mode.setWordWrap(True)
        self.mode.setAccessibleName(self.tr("Check used"))
        text_col.addWidget(self.mode)
        text_col.addStretch(1)
        for label in (self.verdict, self.explanation, self.mode):
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        banner_layout.addWidget(self.icon)
        banner_layout.addSpacing(16)
        banner_layout.addLayout(text_col, 1)
        outer.addWidget(self.banner)

        self.tips_box = QFrame(self)
        tips_layout = QVBoxLayout(self.tips_box)
        tips_layout.setContentsMargins(24, 12, 24, 4)
        self.tips_title = QLabel(self.tr("For the next try:"), self.tips_box)
        self.tips_title.setFont(scaled_font(self, 1.2, bold=True))
        self.tips = QLabel(self.tips_box)
        self.tips.setWordWrap(True)
        self.tips.setFont(scaled_font(self, 1.2))
        self.tips.setAccessibleName(self.tr("Tips for the next try"))
        tips_layout.addWidget(self.tips_title)
        tips_layout.addWidget(self.tips)
        outer.addWidget(self.tips_box)

        self.staff_scroll = QScrollArea(self)
        self.staff_scroll.setWidgetResizable(True)
        self.staff_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.staff = QFrame(self.staff_scroll)
        self.staff.setObjectName("staffPanel")
        self.staff.setAccessibleName(self.tr("Staff view"))
        grid = QGridLayout(self.staff)
        grid.setContentsMargins(24, 12, 24, 12)
        head = QVBoxLayout()
        self.staff_verdict = QLabel(self.staff)
        self.staff_verdict.setObjectName("staffVerdict")
        self.staff_verdict.setFont(scaled_font(self, 1.5, bold=True))
        self.staff_verdict.setAccessibleName(self.tr("Result for staff"))
        self.staff_action = QLabel(self.staff)
        self.staff_action.setWordWrap(True)
        self.staff_action.setFont(scaled_font(self, 1.1, bold=True))
        self.staff_action.setAccessibleName(self.tr("What staff do next"))
        self.suspicion = QLabel(self.staff)
        self.suspicion.setObjectName("warningNote")
        self.suspicion.setWordWrap(True)
        self.suspicion.setAccessibleName(self.tr("Suspected attack"))
        self.checklist = QLabel(self.staff)
        self.checklist.setWordWrap(True)
        self.checklist.setAccessibleName(self.tr("Review checklist"))
        self.confidence = QLabel(self.staff)
        self.confidence.setFont(scaled_font(self, 1.2, bold=True))
        self.confidence.setAccessibleName(self.tr("Confidence"))
        for widget in (self.staff_verdict, self.staff_action, self.suspicion, self.checklist, self.confidence):
            head.addWidget(widget)
        grid.addLayout(head, 0, 0, 1, 2)
        self.reference = ClickableImage(self.staff)
        self.reference.setAccessibleName(self.tr("Reference image with the face box; press Enter to enlarge"))
        self.reference_caption = QLabel(self.tr("Reference image"), self.staff)
        left = QVBoxLayout()
        left.addWidget(self.reference_caption)
        left.addWidget(self.reference)
        left.addStretch(1)
        grid.addLayout(left, 1, 0, Qt.AlignmentFlag.AlignTop)
        right = QVBoxLayout()
        self.reasons_title = QLabel(self.tr("Why"), self.staff)
        self.reasons_title.setFont(scaled_font(self, 1.2, bold=True))
        self.reasons = QLabel(self.staff)
        self.reasons.setWordWrap(True)
        self.reasons.setTextFormat(Qt.TextFormat.PlainText)
        self.reasons.setAccessibleName(self.tr("Reasons"))
        # Rendered from the result's reason codes in the chosen language; marked ``recordedText`` only while it
        # shows English sentences recorded without codes (an older version's result, an unavailable reason).
        self.reasons.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard | Qt.TextInteractionFlag.TextSelectableByMouse)
        right.addWidget(self.reasons_title)
        right.addWidget(self.reasons)
        self.audit_title = QLabel(self.tr("Audit images (click or press Enter to enlarge)"), self.staff)
        self.audit_title.setWordWrap(True)
        right.addWidget(self.audit_title)
        self.audit_row = QHBoxLayout()
        self.audit: list[ClickableImage] = []
        for i in range(4):
            thumb = ClickableImage(self.staff)
            thumb.setAccessibleName(self.tr("Audit image %1; press Enter to enlarge").replace("%1", str(i + 1)))
            thumb.activated.connect(lambda i=i: self._open(i + 1))
            self.audit.append(thumb)
            self.audit_row.addWidget(thumb)
        self.audit_row.addStretch(1)
        right.addLayout(self.audit_row)
        grid.addLayout(right, 1, 1, Qt.AlignmentFlag.AlignTop)
        self.plots_box = QGroupBox(self.tr("Check details (staff only)"), self.staff)
        self.plots_box.setAccessibleName(self.tr("Check details"))
        plots_layout = QHBoxLayout(self.plots_box)
        self.light_plot = PlotWidget(self.tr("Screen colour (strip) and face response (R, G, B lines)"), self.plots_box)
        self.drift_plot = PlotWidget(self.tr("3D check: landmark drift while the face approached"), self.plots_box)
        plots_layout.addWidget(self.light_plot)
        plots_layout.addWidget(self.drift_plot)
        grid.addWidget(self.plots_box, 2, 0, 1, 2)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(3, 1)
        self.staff_scroll.setWidget(self.staff)
        outer.addWidget(self.staff_scroll, 1)
        self._outer = outer

        buttons = QHBoxLayout()
        buttons.setContentsMargins(24, 8, 24, 16)
        self.countdown = QLabel(self)
        self.countdown.setAccessibleName(self.tr("Automatic return"))
        self.countdown.setWordWrap(True)
        self.staff_button = _button(self, self.tr("&Staff view…"), self.tr("Show the evidence for staff"))
        self.try_again = _button(self, self.tr("&Try again"), self.tr("Try again with a new check"))
        self.new_check = _button(self, self.tr("&New check"), self.tr("New check"), default=True)
        self.new_check.setFont(scaled_font(self, 1.2, bold=True))
        buttons.addWidget(self.countdown, 1)
        buttons.addWidget(self.staff_button)
        buttons.addWidget(self.try_again)
        buttons.addWidget(self.new_check)
        outer.addLayout(buttons)
        self.reference.activated.connect(lambda: self._open(0))
        self.try_again.clicked.connect(self.tryAgainRequested)
        self.new_check.clicked.connect(self.newCheckRequested)
        self.staff_button.clicked.connect(self._on_staff_button)
        self._staff_host: QWidget | None = None
        self.set_staff_visible(False)

    @property
    def view(self) -> ResultView | None:
        """What the screen shows now (``None`` before the first result)."""
        return self._view

    @property
    def staff_visible(self) -> bool:
        """The staff panel is open."""
        return not self.staff_scroll.isHidden()

    @property
    def staff_elsewhere(self) -> bool:
        """The staff panel lives in the staff window on a second screen."""
        return self._staff_host is not None

    def move_staff_panel(self, host: QWidget | None) -> None:
        """Put the staff panel into ``host``'s layout (the staff window on a second screen), or back onto this
        page (``None``). While it is elsewhere the customer's screen shows no staff button."""
        self._staff_host = host
        if host is not None:
            layout = host.layout()
            assert layout is not None
            self._outer.removeWidget(self.staff_scroll)
            layout.addWidget(self.staff_scroll, 1)
            self.staff_scroll.setVisible(True)
            self.staff_button.setVisible(False)
            self._outer.setStretchFactor(self.banner, 1)
        else:
            self.staff_scroll.setParent(self)
            self._outer.insertWidget(self._outer.count() - 1, self.staff_scroll, 1)
            self.staff_button.setVisible(True)
            self.set_staff_visible(False)

    def set_staff_visible(self, visible: bool) -> None:
        """Open or close the staff panel (the window checks the PIN before opening it)."""
        if self._staff_host is not None:
            return  # on its own screen the panel is always open; this page keeps the customer's layout
        self.staff_scroll.setVisible(visible)
        # Without the staff panel the verdict banner fills the screen: readable from across the counter.
        self._outer.setStretchFactor(self.banner, 0 if visible else 1)
        self.staff_button.setText(self.tr("&Hide staff view") if visible else self.tr("&Staff view…"))
        self.staff_button.setAccessibleName(self.tr("Hide the evidence for staff") if visible else self.tr("Show the evidence for staff"))

    def _on_staff_button(self) -> None:
        if self.staff_visible:
            self.set_staff_visible(False)
        else:
            self.staffViewRequested.emit()

    def show_session(
        self,
        session: Session,
        trace: SessionTrace | None,
        view: ResultView,
        *,
        staff: bool = False,
    ) -> None:
        """Render the session's outcome; ``staff`` opens the staff panel at once (demo mode).

        The confidence, reasons, images and plots are only in the staff panel, which only staff open
        (the person being checked never sees a score).
        """
        self._view = view
        outcome = session.outcome
        result: LivenessResult | None = outcome.result if outcome is not None else None
        kind, colour = {
            Outcome.PASS: (IconKind.PASS, PASS_COLOUR),
            Outcome.REVIEW: (IconKind.PASS, PASS_COLOUR),
            Outcome.FAIL: (IconKind.FAIL, FAIL_COLOUR),
            Outcome.TRY_AGAIN: (IconKind.WARNING, NEUTRAL_COLOUR),
            Outcome.UNAVAILABLE: (IconKind.UNAVAILABLE, NEUTRAL_COLOUR),
        }[view.outcome]
        self.icon.set_kind(kind)
        self.verdict.setText(view.verdict)
        self.explanation.setText(view.next_step)
        self.banner.setStyleSheet(
            # Children transparent: the high-contrast style paints every widget black otherwise.
            f"QFrame#verdictBanner {{ background-color: {colour.name()}; }} "
            "QFrame#verdictBanner QWidget { background: transparent; } QFrame#verdictBanner QLabel { color: white; }"
        )
        self.verdict.setAccessibleDescription(view.next_step)
        announce(self.verdict, f"{view.verdict}. {view.next_step}")
        self.tips.setText("\n".join(f"• {t}" for t in view.tips))
        self.tips_box.setVisible(bool(view.tips))

        self.staff_verdict.setText(view.staff_verdict)
        review = view.outcome is Outcome.REVIEW
        staff_colour = {Outcome.PASS: PASS_COLOUR, Outcome.FAIL: FAIL_COLOUR}.get(view.outcome, NEUTRAL_COLOUR)
        if review:
            self.staff_verdict.setStyleSheet(f"QLabel#staffVerdict {{ background-color: {WARN_COLOUR.name()}; color: black; padding: 0.2em 0.5em; }}")
        else:
            self.staff_verdict.setStyleSheet(f"QLabel#staffVerdict {{ background-color: {staff_colour.name()}; color: white; padding: 0.2em 0.5em; }}")
        self.staff_action.setText(view.staff_action)
        self.suspicion.setText("\n".join(view.suspicions))
        self.suspicion.setVisible(bool(view.suspicions))
        self.checklist.setText("\n".join(f"☐ {c}" for c in view.checklist))
        self.checklist.setVisible(bool(view.checklist))
        confidence_text = ""
        if result is not None:
            confidence_text = self.tr("Confidence %1 (threshold %2)").replace("%1", f"{result.confidence:.0f}").replace("%2", f"{result.threshold:.0f}")
        self.confidence.setText(confidence_text)
        self.confidence.setVisible(bool(confidence_text))
        if result is None:
            reason = outcome.unavailable_reason if outcome is not None else ""
            rendered = [(reason, False)] if reason else []
        else:
            rendered = result_reasons(result)
        reasons = [text for text, _ in rendered]
        self.mode.setText(mode_text(self, session.challenge_type))
        self.reasons.setText("\n".join(f"• {r}" for r in reasons) if reasons else self.tr("No further details."))
        self.reasons.setProperty("recordedText", bool(rendered) and not any(from_code for _, from_code in rendered))
        self._images = []
        side = round(self.fontMetrics().height() * 12)
        if result is not None and result.reference is not None:
            self.reference.setPixmap(image_with_box(result.reference.image, result.reference.box, max_side=side))
            self._images.append((self.tr("Reference image"), result.reference))
            self.reference.setVisible(True)
            self.reference_caption.setVisible(True)
        else:
            self.reference.clear()
            self.reference.setVisible(False)
            self.reference_caption.setVisible(False)
            self._images.append(("", None))
        audits = list(result.audit[:4]) if result is not None else []
        for i, thumb in enumerate(self.audit):
            if i < len(audits):
                thumb.setPixmap(image_with_box(audits[i].image, audits[i].box, max_side=round(side / 2.2)))
                thumb.setVisible(True)
                self._images.append((self.tr("Audit image %1").replace("%1", str(i + 1)), audits[i]))
            else:
                thumb.clear()
                thumb.setVisible(False)
        self.audit_title.setVisible(bool(audits))
        plots = result.plots if result is not None else None
        self.light_plot.set_light(light_series(plots, trace), self.tr("No light challenge in this check."))
        self.drift_plot.set_drift(drift_series(plots, trace), self.tr("Not enough face movement recorded."))
        self.try_again.setVisible(view.offer_try_again)
        self.set_staff_visible(staff)
        self.new_check.setFocus()

    def set_countdown(self, seconds: int | None) -> None:
        """Kiosk: show the automatic return countdown (``None`` hides it)."""
        self.countdown.setText("" if seconds is None else self.tr("Returning to the start screen in %1 s").replace("%1", str(seconds)))

    def _open(self, index: int) -> None:
        if index >= len(self._images) or self._images[index][1] is None:
            return
        title, image = self._images[index]
        assert image is not None
        self._dialog = ImageDialog(title, image, self)
        self._dialog.setModal(True)
        self._dialog.open()
        self.imageOpened.emit(title)


def _message_layout(
    page: QWidget, title: str, body_scale: float, body_max_em: float
) -> tuple[QVBoxLayout, "StatusIcon", QLabel, QLabel]:
    """The layout shared by message pages: a warning icon, a large title and a centred, wrapped body text."""
    layout = QVBoxLayout(page)
    layout.setContentsMargins(24, 24, 24, 24)
    layout.addStretch(1)
    icon = StatusIcon(IconKind.WARNING, em=4.0, parent=page)
    layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignHCenter)
    title_label = _title(page, title, 2.2)
    layout.addWidget(title_label)
    body = QLabel(page)
    body.setWordWrap(True)
    body.setAlignment(Qt.AlignmentFlag.AlignCenter)
    body.setFont(scaled_font(page, body_scale))
    em = page.fontMetrics().horizontalAdvance("M")
    body.setMinimumWidth(round(em * 24))
    body.setMaximumWidth(round(em * body_max_em))
    body.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    body_row = QHBoxLayout()
    body_row.addStretch(1)
    body_row.addWidget(body, 4)
    body_row.addStretch(1)
    layout.addLayout(body_row)
    return layout, icon, title_label, body


#: Problems another try on the same camera and installation cannot fix: "Back to start" is the main action.
RETRY_CANNOT_HELP = frozenset({Problem.MODEL_MISSING, Problem.CAMERA_VIRTUAL, Problem.CAMERA_NOT_PINNED, Problem.CAMERA_LOW_RESOLUTION})


class ProblemPage(QWidget):
    """An error or time-out: what happened, what to do, and the action that can help as the main button.

    Problems a retry cannot fix (a missing model, a refused or too small camera)
    offer only "Back to start"; a suspected virtual camera also tells staff.
    """

    tryAgainRequested = Signal()
    homeRequested = Signal()
    staffViewRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout, self.icon, self.title, self.body = _message_layout(self, "", 1.3, 46)
        self.body.setAccessibleName(self.tr("What happened"))
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setFont(scaled_font(self, 0.9))
        self.detail.setAccessibleName(self.tr("Technical detail"))
        self.detail.setProperty("recordedText", True)  # the technical detail is logged and shown as recorded
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.detail)
        self.staff_note = QLabel(self)
        self.staff_note.setObjectName("warningNote")
        self.staff_note.setWordWrap(True)
        self.staff_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.staff_note.setAccessibleName(self.tr("Note for staff"))
        self.staff_note.setVisible(False)
        layout.addWidget(self.staff_note)
        # After a time-out, staff (behind the PIN) hear whether the capture already pointed at an attack; the
        # customer sees only the generic time-out text, whatever the panel holds.
        self.staff_panel = QLabel(self)
        self.staff_panel.setObjectName("staffPanel")
        self.staff_panel.setWordWrap(True)
        self.staff_panel.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.staff_panel.setAccessibleName(self.tr("Staff view"))
        self.staff_panel.setVisible(False)
        layout.addWidget(self.staff_panel)
        layout.addSpacing(12)
        row = QHBoxLayout()
        row.addStretch(1)
        self.staff_button = _button(self, self.tr("&Staff view…"), self.tr("Show the evidence for staff"))
        self.staff_button.setVisible(False)
        row.addWidget(self.staff_button)
        self.home = _button(self, self.tr("&Back to start"), self.tr("Back to the start screen"))
        self.try_again = _button(self, self.tr("&Try again"), self.tr("Try again with a new check"), default=True)
        self.try_again.setFont(scaled_font(self, 1.2, bold=True))
        row.addWidget(self.home)
        row.addWidget(self.try_again)
        row.addStretch(1)
        layout.addLayout(row)
        self.countdown = QLabel(self, alignment=Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.countdown)
        layout.addStretch(2)
        self.try_again.clicked.connect(self.tryAgainRequested)
        self.home.clicked.connect(self.homeRequested)
        self.staff_button.clicked.connect(self._on_staff_button)

    @property
    def staff_visible(self) -> bool:
        """The staff panel is open."""
        return not self.staff_panel.isHidden()

    def set_staff_visible(self, visible: bool) -> None:
        """Open or close the staff panel (the window checks the PIN before opening it)."""
        visible = visible and not self.staff_button.isHidden()
        self.staff_panel.setVisible(visible)
        self.staff_button.setText(self.tr("&Hide staff view") if visible else self.tr("&Staff view…"))
        self.staff_button.setAccessibleName(self.tr("Hide the evidence for staff") if visible else self.tr("Show the evidence for staff"))

    def _on_staff_button(self) -> None:
        if self.staff_visible:
            self.set_staff_visible(False)
        else:
            self.staffViewRequested.emit()

    def _set_primary(self, retry: bool) -> None:
        """``retry``: "Try again" is the main action; else only "Back to start" is offered."""
        self.try_again.setVisible(retry)
        self.try_again.setDefault(retry)
        self.home.setDefault(not retry)
        self.home.setFont(scaled_font(self, 1.2, bold=True) if not retry else self.font())
        (self.try_again if retry else self.home).setFocus()

    def show_message(self, title: str, body: str, detail: str = "") -> None:
        """Render a problem that is not the flow's own (the session store refused a step)."""
        self.title.setText(title)
        self.title.setAccessibleName(title)
        self.body.setText(body)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.staff_note.setVisible(False)
        self.staff_button.setVisible(False)
        self.set_staff_visible(False)
        announce(self.title, f"{title}. {body}")
        self._set_primary(True)

    def show_problem(self, info: ProblemInfo | None, phase: Phase, suspicions: list[str] | None = None) -> None:
        """Render a TIMEOUT or ERROR; ``suspicions``: what staff are told after a time-out (see
        :func:`app.gui.verdict.timeout_suspicions`)."""
        if info is None:
            info = ProblemInfo(Problem.RUNTIME, "")
        text = problem_text(info)
        self.title.setText(text.title)
        self.title.setAccessibleName(text.title)
        self.body.setText(text.body)
        self.detail.setText(info.detail)
        self.detail.setVisible(bool(info.detail))
        if info.problem is Problem.CAMERA_VIRTUAL:
            self.staff_note.setText(
                self.tr("For staff: a virtual camera can feed a prepared video instead of the person. Check this device and its camera.")
            )
        elif info.problem is Problem.CAMERA_NOT_PINNED:
            self.staff_note.setText(
                self.tr("For staff: this kiosk is pinned to one camera, and another source was about to be used. Reconnect the "
                        "kiosk's own camera; if it was replaced, pin the new one (livegate devices --pin).")
            )
        self.staff_note.setVisible(info.problem in (Problem.CAMERA_VIRTUAL, Problem.CAMERA_NOT_PINNED))
        # Every time-out offers the staff view (whether or not something is suspected, so the button tells
        # the customer nothing).
        self.staff_button.setVisible(phase is Phase.TIMEOUT)
        lines = [self.tr("No decision")]
        lines += list(suspicions or []) or [self.tr("Nothing pointed at a screen, a print or a device before the check stopped.")]
        if suspicions:
            lines.append(self.tr("Before another try, check this device; if in doubt, check the identity manually."))
        self.staff_panel.setText("\n".join(lines))
        self.set_staff_visible(False)
        announce(self.title, f"{text.title}. {text.body}")
        self._set_primary(info.problem not in RETRY_CANNOT_HELP)

    def set_countdown(self, seconds: int | None) -> None:
        """Kiosk: show the automatic return countdown (``None`` hides it)."""
        self.countdown.setText("" if seconds is None else self.tr("Returning to the start screen in %1 s").replace("%1", str(seconds)))


class LockoutPage(QWidget):
    """New checks are refused after repeated failures: for how long, and the operator override behind the PIN.

    Signals
    -------
    overrideRequested(), homeRequested()
    """

    overrideRequested = Signal()
    homeRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout, self.icon, self.title, self.body = _message_layout(self, self.tr("Checks are paused"), 1.4, 60)
        self.body.setAccessibleName(self.tr("Why checks are paused"))
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setAccessibleName(self.tr("Note for staff"))
        layout.addWidget(self.note)
        layout.addSpacing(12)
        row = QHBoxLayout()
        row.addStretch(1)
        self.home = _button(self, self.tr("&Back to start"), self.tr("Back to the start screen"), default=True)
        self.override = _button(self, self.tr("&Operator override…"), self.tr("End the pause with the operator PIN"))
        row.addWidget(self.home)
        row.addWidget(self.override)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)
        self.minutes = 0
        self.home.clicked.connect(self.homeRequested)
        self.override.clicked.connect(self.overrideRequested)

    def show_status(self, minutes: int, *, override_available: bool) -> None:
        """Render a lock-out that ends in about ``minutes`` minutes."""
        self.minutes = max(1, int(minutes))
        if self.minutes == 1:
            text = self.tr("Too many failed checks on this device. Try again in 1 minute.")
        else:
            text = self.tr("Too many failed checks on this device. Try again in %1 minutes.").replace("%1", str(self.minutes))
        changed = text != self.body.text()
        self.body.setText(text)
        if override_available:
            self.note.setText(self.tr("Staff can end the pause early with the operator PIN."))
        else:
            self.note.setText(self.tr("No operator PIN is set on this device, so the pause cannot be ended early."))
        self.override.setVisible(override_available)
        if changed:
            announce(self.body, f"{self.title.text()}. {text}")

    def show_needs_operator(self, *, override_available: bool) -> None:
        """Render a pause that only an operator ends (the device's lock-out record was removed or altered)."""
        self.minutes = 0
        text = self.tr("Checks on this device are paused until a member of staff confirms it with the operator PIN.")
        changed = text != self.body.text()
        self.body.setText(text)
        if override_available:
            self.note.setText("")
        else:
            self.note.setText(self.tr("No operator PIN is set on this device, so the pause cannot be ended early."))
        self.override.setVisible(override_available)
        if changed:
            announce(self.body, f"{self.title.text()}. {text}")

class AttractPage(QWidget):
    """Kiosk idle screen: an invitation with a gently pulsing oval. Any key or touch leaves it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Welcome screen"))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._phase = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(80)
        self._timer.timeout.connect(self._on_tick)
        layout = QVBoxLayout(self)
        layout.addStretch(3)
        self.title = _title(self, self.tr("Face check"), 3.0)
        self.explain = QLabel(
            self.tr("A quick check that a real person is in front of the camera. Look at the screen, move closer when asked "
                    "and keep still while the screen shows colours. It takes about 10 seconds."),
            self,
        )
        self.explain.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.explain.setFont(scaled_font(self, 1.25))
        self.explain.setWordWrap(True)
        self.invite = QLabel(self.tr("Press any key or touch the screen to start"), self)
        self.invite.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.invite.setFont(scaled_font(self, 1.5, bold=True))
        self.invite.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.explain)
        layout.addWidget(self.invite)
        layout.addStretch(1)

    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        self._timer.start()
        super().showEvent(event)  # type: ignore[arg-type]

    def hideEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        self._timer.stop()
        super().hideEvent(event)  # type: ignore[arg-type]

    def _on_tick(self) -> None:
        self._phase = (self._phase + 0.08) % (2 * math.pi)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(640, 480)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        h = self.height() * 0.42
        w = h / 1.618
        grow = 1.0 + 0.04 * math.sin(self._phase)
        rect = QRectF(self.width() / 2 - w * grow / 2, self.height() * 0.08, w * grow, h * grow)
        p.setPen(QPen(QColor(255, 255, 255, 200), max(3.0, self.width() / 300)))
        p.drawEllipse(rect)
        p.end()


class GoodFitPicture(QWidget):
    """A drawn picture of a good fit: a screen at eye level with the oval filled by a face, at arm's length."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Picture: a face filling the oval on the screen, the screen at eye level"))
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        em = self.fontMetrics().height()
        return QSize(round(em * 11), round(em * 9))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        em = self.fontMetrics().height()
        return QSize(round(em * 7), round(em * 6))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        w, h = float(self.width()), float(self.height())
        fg = self.palette().windowText().color()
        line = max(2.0, min(w, h) / 90)
        # The screen: a rounded rectangle on a stand.
        screen = QRectF(w * 0.08, h * 0.06, w * 0.84, h * 0.72)
        p.setPen(QPen(fg, line))
        p.setBrush(QColor(30, 30, 30))
        p.drawRoundedRect(screen, line * 3, line * 3)
        p.drawLine(QPointF(w * 0.5, screen.bottom()), QPointF(w * 0.5, h * 0.9))
        p.drawLine(QPointF(w * 0.36, h * 0.9), QPointF(w * 0.64, h * 0.9))
        # The oval and a face filling it.
        oh = screen.height() * 0.84
        ow = oh / 1.618
        oval = QRectF(screen.center().x() - ow / 2, screen.center().y() - oh / 2, ow, oh)
        face = oval.adjusted(ow * 0.06, oh * 0.05, -ow * 0.06, -oh * 0.03)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(214, 170, 140))
        p.drawEllipse(face)
        p.setBrush(QColor(40, 40, 40))
        eye_y = face.top() + face.height() * 0.42
        for ex in (0.33, 0.67):
            p.drawEllipse(QPointF(face.left() + face.width() * ex, eye_y), face.width() * 0.06, face.width() * 0.04)
        p.setPen(QPen(QColor(40, 40, 40), line))
        p.setBrush(Qt.BrushStyle.NoBrush)
        mouth = QRectF(face.left() + face.width() * 0.34, face.top() + face.height() * 0.62, face.width() * 0.32, face.height() * 0.14)
        p.drawArc(mouth, 200 * 16, 140 * 16)
        p.setPen(QPen(QColor(60, 200, 90), line * 1.5))
        p.drawEllipse(oval)
        p.end()


class GetReadyPage(QWidget):
    """Before the camera starts: how to stand, a picture of a good fit, the photosensitivity warning,
    what is recorded and for how long, and consent.

    Signals
    -------
    beginRequested(), backRequested()
    """

    beginRequested = Signal()
    backRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 16, 24, 16)
        self.title = _title(self, self.tr("Before you start"), 2.0)
        outer.addWidget(self.title)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget(scroll)
        row = QHBoxLayout(content)
        self.picture = GoodFitPicture(content)
        row.addWidget(self.picture, 2)
        col = QVBoxLayout()
        self.steps = QLabel(content)
        self.steps.setWordWrap(True)
        self.steps.setFont(scaled_font(self, 1.15))
        self.steps.setAccessibleName(self.tr("How to do the check"))
        self.steps.setText(
            "\n".join(
                f"{i}. {s}"
                for i, s in enumerate(
                    (
                        self.tr("Hold the device at eye level, or sit facing the screen, about an arm's length away."),
                        self.tr("When asked, move slowly closer until your face fills the oval."),
                        self.tr("Keep still while the screen shows colours. It takes a few seconds."),
                    ),
                    start=1,
                )
            )
        )
        col.addWidget(self.steps)
        warn_row = QHBoxLayout()
        self.warning_icon = StatusIcon(IconKind.WARNING, em=1.6, parent=content)
        self.warning = QLabel(
            self.tr("Photosensitivity warning: this check flashes different colours. If you are photosensitive, go back and choose “Movement only”."),
            content,
        )
        self.warning.setObjectName("warningNote")
        self.warning.setWordWrap(True)
        self.warning.setAccessibleName(self.tr("Photosensitivity warning"))
        warn_row.addWidget(self.warning_icon, 0, Qt.AlignmentFlag.AlignTop)
        warn_row.addWidget(self.warning, 1)
        col.addLayout(warn_row)
        self.privacy_title = QLabel(self.tr("Your privacy"), content)
        self.privacy_title.setFont(scaled_font(self, 1.1, bold=True))
        self.privacy = QLabel(content)
        self.privacy.setWordWrap(True)
        self.privacy.setAccessibleName(self.tr("Privacy notice"))
        col.addWidget(self.privacy_title)
        col.addWidget(self.privacy)
        self.consent = QCheckBox(self.tr("I agree that the camera records me for this check"), content)
        self.consent.setAccessibleName(self.tr("Consent to the recording"))
        _touch(self.consent)
        col.addWidget(self.consent)
        col.addStretch(1)
        row.addLayout(col, 3)
        scroll.setWidget(content)
        outer.addWidget(scroll, 1)
        buttons = QHBoxLayout()
        self.back = _button(self, self.tr("&Back"), self.tr("Back to the start screen"))
        self.begin = _button(self, self.tr("&Begin"), self.tr("Begin the check"), default=True)
        self.begin.setFont(scaled_font(self, 1.2, bold=True))
        buttons.addWidget(self.back)
        buttons.addStretch(1)
        buttons.addWidget(self.begin)
        outer.addLayout(buttons)
        self.consent.toggled.connect(self._on_consent)
        self.back.clicked.connect(self.backRequested)
        self.begin.clicked.connect(self._on_begin)
        self._on_consent(False)

    def prepare(self, *, flashing: bool, keep_recordings: bool, audit_images: int, retention_days: int) -> None:
        """Fill the notice for this check's settings; consent starts unticked."""
        self.warning.setVisible(flashing)
        self.warning_icon.setVisible(flashing)
        if keep_recordings:
            what = self.tr("The camera video of this check, one reference picture of your face, up to %1 more pictures and the result are recorded.")
        else:
            what = self.tr("One reference picture of your face, up to %1 more pictures and the result are recorded; the video is not kept.")
        what = what.replace("%1", str(max(0, audit_images)))
        where = self.tr("They are kept encrypted on this device and used only to confirm that a live person took part.")
        if retention_days > 0:
            how_long = self.tr("They are deleted after %1 days.").replace("%1", str(retention_days))
        else:
            how_long = self.tr("They are kept until staff delete them.")
        self.privacy.setText(f"{what} {where} {how_long}")
        self.consent.setChecked(False)
        self._on_consent(False)
        self.consent.setFocus()

    def _on_consent(self, checked: bool) -> None:
        self.begin.setEnabled(checked)

    def _on_begin(self) -> None:
        if self.consent.isChecked():
            self.beginRequested.emit()


class CountdownPage(QWidget):
    """3-2-1 before the camera starts, with what to do; Cancel goes back.

    Signals
    -------
    finished(), cancelRequested()
    """

    finished = Signal()
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None, *, step_ms: int = 1000) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.note = _title(self, self.tr("Look at the screen, an arm's length away"), 1.5)
        layout.addWidget(self.note)
        self.number = QLabel(self)
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number.setFont(scaled_font(self, 6.0, bold=True))
        self.number.setAccessibleName(self.tr("Countdown"))
        layout.addWidget(self.number)
        self.cancel = _button(self, self.tr("Cancel"), self.tr("Cancel the check"))
        layout.addWidget(self.cancel, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self._left = 0
        self._timer = QTimer(self)
        self._timer.setInterval(step_ms)
        self._timer.timeout.connect(self._on_tick)
        self.cancel.clicked.connect(self._on_cancel)

    @property
    def running(self) -> bool:
        """The countdown is on."""
        return self._timer.isActive()

    def begin(self, seconds: int = 3) -> None:
        """Count down from ``seconds``; ``finished`` follows the last number."""
        self._left = max(1, seconds)
        self._show_number()
        self._timer.start()

    def stop(self) -> None:
        """Stop without finishing."""
        self._timer.stop()

    def _show_number(self) -> None:
        self.number.setText(str(self._left))
        announce(self.number, str(self._left))

    def _on_tick(self) -> None:
        self._left -= 1
        if self._left <= 0:
            self._timer.stop()
            self.finished.emit()
            return
        self._show_number()

    def _on_cancel(self) -> None:
        self._timer.stop()
        self.cancelRequested.emit()
