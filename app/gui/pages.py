"""The screens of a check: start, camera check, guidance/light, verifying, result, problem, lock-out, attract.

Pages only display what the window hands them and report the user's choices
through signals; they never call the controller themselves. Every control has
an accessible name, every screen works with the keyboard alone, and every
user-visible string goes through ``self.tr``.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QElapsedTimer, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
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
from app.core.check.flow import Phase, ProblemInfo, Session
from app.core.guidance import Guidance, Hint
from app.core.scoring.contract import ImageOut, LivenessResult
from app.gui.plots import PlotWidget, SessionTrace, drift_series, light_series
from app.gui.preview import Canvas
from app.gui.texts import hint_text, problem_text
from app.gui.widgets import (
    FAIL_COLOUR,
    NEUTRAL_COLOUR,
    PASS_COLOUR,
    ClickableImage,
    IconKind,
    StatusIcon,
    announce,
    image_with_box,
    scaled_font,
)


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
    button.setMinimumHeight(round(button.fontMetrics().height() * 2.4))
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
        """Kiosk mode hides settings, history and quit (they sit behind the operator PIN).

        ``history``: a session store is attached, so the history view exists.
        """
        self.settings_button.setVisible(visible)
        self.history_button.setVisible(visible and history)
        self.quit_button.setVisible(visible)

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
    """The live mirrored preview with the oval, the hint and the face-fit progress.

    In light mode (the colour flashes) the hint and buttons are hidden so that the
    canvas, and therefore the flashes, cover the whole window.
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
        self.progress = QProgressBar(self.footer)
        self.progress.setRange(0, 100)
        self.progress.setFormat(self.tr("%p% face fit"))
        self.progress.setAccessibleName(self.tr("Face fit progress"))
        self.progress.setMinimumHeight(round(self.fontMetrics().height() * 1.8))
        self.cancel = _button(self.footer, self.tr("Cancel"), self.tr("Cancel the check"))
        footer_layout.addWidget(self.progress, 1)
        footer_layout.addWidget(self.cancel)
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
        self._cue = False
        self.canvas.set_cue(None)
        self.hint.setText(self.tr("Look at the camera"))
        self.progress.setValue(0)
        if left_oval:
            text = self.tr("The flashing stopped because your face left the oval. Start again from a little further away.")
            self.notice.setText(text)
            announce(self.notice, text)
        self.notice.setVisible(left_oval)

    def set_light_mode(self, light: bool) -> None:
        """Hide (light) or show (guidance) everything around the canvas."""
        self.header.setVisible(not light)
        self.footer.setVisible(not light)
        self.canvas.renderer.dim = not light

    def show_cue(self, direction: str | None, index: int) -> None:
        """Show a head-turn cue of the movement-only check (None: face the screen again; index -1: cues over).

        The preview is mirrored, so the person's own left is the left of the screen: the arrow points the
        way to turn.
        """
        self._cue = index >= 0
        if direction == "left":
            text = self.tr("\u2190  Turn your head to your LEFT")
        elif direction == "right":
            text = self.tr("Turn your head to your RIGHT  \u2192")
        elif index >= 0:
            text = self.tr("Look at the screen")
        else:
            self._cue = False
            return
        self.hint.setText(text)
        self.canvas.set_cue(direction)
        announce(self.hint, text)

    def show_guidance(self, guidance: Guidance, hold_progress: float) -> None:
        """Render one assessed frame."""
        fits = guidance.fit is not None and guidance.fit.fits
        oval = self.canvas.renderer.oval
        self.canvas.set_oval(oval, fits=fits)
        progress = guidance.progress if hold_progress <= 0 else 1.0
        self.progress.setValue(round(100 * progress))
        self.progress.setAccessibleDescription(self.progress.text())
        if guidance.hint is not self._hint and not getattr(self, "_cue", False):
            self._hint = guidance.hint
            text = hint_text(guidance.hint, too_close=guidance.fit is not None and guidance.fit.too_close)
            self.hint.setText(text)
            announce(self.hint, text)
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
    """The check used and its assurance level, for staff (docs/result.md: Challenge.Assurance)."""
    if challenge_type == MOVEMENT_ONLY:
        return widget.tr("Check: movement only, no flashes (reduced assurance: consider a second factor)")
    return widget.tr("Check: light and movement (standard assurance)")


class ResultPage(QWidget):
    """PASS / FAIL (or "scoring unavailable") readable in two seconds, with evidence for staff.

    Signals
    -------
    newCheckRequested(), tryAgainRequested(), imageOpened(str title)
    """

    newCheckRequested = Signal()
    tryAgainRequested = Signal()
    imageOpened = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._images: list[tuple[str, ImageOut | None]] = []
        self._dialog: ImageDialog | None = None
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
        self.explanation = QLabel(self.banner)
        self.explanation.setFont(scaled_font(self, 1.3))
        self.explanation.setWordWrap(True)
        text_col = QVBoxLayout()
        text_col.addWidget(self.verdict)
        text_col.addWidget(self.explanation)
        # Staff must see which check was used and how much it proves (the movement-only check proves less).
        self.mode = QLabel(self.banner)
        self.mode.setObjectName("checkMode")
        self.mode.setWordWrap(True)
        self.mode.setAccessibleName(self.tr("Check used"))
        text_col.addWidget(self.mode)
        banner_layout.addWidget(self.icon)
        banner_layout.addSpacing(16)
        banner_layout.addLayout(text_col, 1)
        self.confidence = QLabel(self.banner)
        self.confidence.setFont(scaled_font(self, 1.6, bold=True))
        self.confidence.setAccessibleName(self.tr("Confidence"))
        banner_layout.addWidget(self.confidence)
        outer.addWidget(self.banner)

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget(scroll)
        grid = QGridLayout(content)
        grid.setContentsMargins(24, 12, 24, 12)
        self.reference = ClickableImage(content)
        self.reference.setAccessibleName(self.tr("Reference image with the face box; press Enter to enlarge"))
        self.reference_caption = QLabel(self.tr("Reference image"), content)
        grid.addWidget(self.reference_caption, 0, 0)
        grid.addWidget(self.reference, 1, 0, Qt.AlignmentFlag.AlignTop)
        right = QVBoxLayout()
        self.reasons_title = QLabel(self.tr("Why"), content)
        self.reasons_title.setFont(scaled_font(self, 1.2, bold=True))
        self.reasons = QLabel(content)
        self.reasons.setWordWrap(True)
        self.reasons.setTextFormat(Qt.TextFormat.PlainText)
        self.reasons.setAccessibleName(self.tr("Reasons"))
        self.reasons.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard | Qt.TextInteractionFlag.TextSelectableByMouse)
        right.addWidget(self.reasons_title)
        right.addWidget(self.reasons)
        self.audit_title = QLabel(self.tr("Audit images (click or press Enter to enlarge)"), content)
        right.addWidget(self.audit_title)
        self.audit_row = QHBoxLayout()
        self.audit: list[ClickableImage] = []
        for i in range(4):
            thumb = ClickableImage(content)
            thumb.setAccessibleName(self.tr("Audit image %1; press Enter to enlarge").replace("%1", str(i + 1)))
            thumb.activated.connect(lambda i=i: self._open(i + 1))
            self.audit.append(thumb)
            self.audit_row.addWidget(thumb)
        self.audit_row.addStretch(1)
        right.addLayout(self.audit_row)
        grid.addLayout(right, 1, 1, Qt.AlignmentFlag.AlignTop)
        self.plots_box = QGroupBox(self.tr("Check details (staff only)"), content)
        self.plots_box.setAccessibleName(self.tr("Check details"))
        plots_layout = QHBoxLayout(self.plots_box)
        self.light_plot = PlotWidget(self.tr("Screen colour (strip) and face response (R, G, B lines)"), self.plots_box)
        self.drift_plot = PlotWidget(self.tr("3D check: landmark drift while the face approached"), self.plots_box)
        plots_layout.addWidget(self.light_plot)
        plots_layout.addWidget(self.drift_plot)
        grid.addWidget(self.plots_box, 2, 0, 1, 2)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(3, 1)
        scroll.setWidget(content)
        outer.addWidget(scroll, 1)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(24, 8, 24, 16)
        self.countdown = QLabel(self)
        self.countdown.setAccessibleName(self.tr("Automatic return"))
        self.try_again = _button(self, self.tr("&Try again"), self.tr("Try again with a new check"))
        self.new_check = _button(self, self.tr("&New check"), self.tr("New check"), default=True)
        self.new_check.setFont(scaled_font(self, 1.2, bold=True))
        buttons.addWidget(self.countdown, 1)
        buttons.addWidget(self.try_again)
        buttons.addWidget(self.new_check)
        outer.addLayout(buttons)
        self.reference.activated.connect(lambda: self._open(0))
        self.try_again.clicked.connect(self.tryAgainRequested)
        self.new_check.clicked.connect(self.newCheckRequested)

    def show_session(self, session: Session, trace: SessionTrace | None, *, show_confidence: bool, show_plots: bool) -> None:
        """Render the session's outcome."""
        outcome = session.outcome
        result: LivenessResult | None = outcome.result if outcome is not None else None
        if result is None:
            kind, colour = IconKind.UNAVAILABLE, NEUTRAL_COLOUR
            verdict = self.tr("Scoring unavailable")
            reason = outcome.unavailable_reason if outcome is not None else ""
            explanation = self.tr("No decision was made: this check cannot say whether the person is live.")
            reasons = [reason] if reason else []
        elif result.status != "SUCCEEDED":
            # No decision was made (e.g. an over-exposed face could not show the colours): ask for a retry
            # with the reasons, never suggest that the person was an attack.
            kind, colour = IconKind.WARNING, NEUTRAL_COLOUR
            verdict = self.tr("TRY AGAIN")
            explanation = self.tr("The check could not be completed, so no decision was made. See below what to change.")
            reasons = list(result.reasons)
        elif result.decision == "pass":
            kind, colour = IconKind.PASS, PASS_COLOUR
            verdict = self.tr("PASS")
            explanation = self.tr("A live person was confirmed.")
            reasons = list(result.reasons)
        else:
            kind, colour = IconKind.FAIL, FAIL_COLOUR
            verdict = self.tr("FAIL")
            explanation = self.tr("A live person could not be confirmed.")
            reasons = list(result.reasons)
        self.icon.set_kind(kind)
        self.verdict.setText(verdict)
        self.explanation.setText(explanation)
        self.banner.setStyleSheet(
            f"QFrame#verdictBanner {{ background-color: {colour.name()}; }} QFrame#verdictBanner QLabel {{ color: white; }}"
        )
        self.verdict.setAccessibleDescription(explanation)
        announce(self.verdict, f"{verdict}. {explanation}")
        confidence_text = ""
        if result is not None and show_confidence:
            confidence_text = self.tr("Confidence %1 (threshold %2)").replace("%1", f"{result.confidence:.0f}").replace("%2", f"{result.threshold:.0f}")
        self.confidence.setText(confidence_text)
        self.confidence.setVisible(bool(confidence_text))
        self.mode.setText(mode_text(self, session.challenge_type))
        self.reasons.setText("\n".join(f"• {r}" for r in reasons) if reasons else self.tr("No further details."))
        self._images = []
        side = round(self.fontMetrics().height() * 16)
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
        self.plots_box.setVisible(show_plots)
        if show_plots:
            plots = result.plots if result is not None else None
            self.light_plot.set_light(light_series(plots, trace), self.tr("No light challenge in this check."))
            self.drift_plot.set_drift(drift_series(plots, trace), self.tr("Not enough face movement recorded."))
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


class ProblemPage(QWidget):
    """An error or time-out: what happened, what to do, "Try again"."""

    tryAgainRequested = Signal()
    homeRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout, self.icon, self.title, self.body = _message_layout(self, "", 1.3, 46)
        self.body.setAccessibleName(self.tr("What happened"))
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setFont(scaled_font(self, 0.9))
        self.detail.setAccessibleName(self.tr("Technical detail"))
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.detail)
        layout.addSpacing(12)
        row = QHBoxLayout()
        row.addStretch(1)
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

    def show_message(self, title: str, body: str, detail: str = "") -> None:
        """Render a problem that is not the flow's own (the session store refused a step)."""
        self.title.setText(title)
        self.title.setAccessibleName(title)
        self.body.setText(body)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        announce(self.title, f"{title}. {body}")
        self.try_again.setFocus()

    def show_problem(self, info: ProblemInfo | None, phase: Phase) -> None:
        """Render a TIMEOUT or ERROR."""
        if info is None:
            from app.core.check.flow import Problem

            info = ProblemInfo(Problem.RUNTIME, "")
        text = problem_text(info)
        self.title.setText(text.title)
        self.title.setAccessibleName(text.title)
        self.body.setText(text.body)
        self.detail.setText(info.detail)
        self.detail.setVisible(bool(info.detail))
        announce(self.title, f"{text.title}. {text.body}")
        self.try_again.setFocus()

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
        self.invite = QLabel(self.tr("Press any key or touch the screen to start"), self)
        self.invite.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.invite.setFont(scaled_font(self, 1.5))
        self.invite.setWordWrap(True)
        layout.addWidget(self.title)
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
