"""Small shared widgets and helpers: painted status icons, font scaling, screen-reader announcements."""

from __future__ import annotations

import enum

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QAccessible,
    QAccessibleEvent,
    QColor,
    QFont,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

try:  # Qt >= 6.8
    from PySide6.QtGui import QAccessibleAnnouncementEvent
except ImportError:  # pragma: no cover - older Qt
    QAccessibleAnnouncementEvent = None  # type: ignore[assignment,misc]

from app.core.challenge import Box

#: Verdict colours, chosen for white text at >= 7:1 contrast.
PASS_COLOUR = QColor(27, 94, 32)
FAIL_COLOUR = QColor(183, 28, 28)
NEUTRAL_COLOUR = QColor(84, 84, 84)
WARN_COLOUR = QColor(255, 193, 7)


class IconKind(str, enum.Enum):
    """Painted icons (no font or image file needed, sharp at any DPI)."""

    PASS = "pass"
    FAIL = "fail"
    UNAVAILABLE = "unavailable"
    WARNING = "warning"


def scaled_font(widget: QWidget, factor: float, *, bold: bool = False) -> QFont:
    """The widget's font scaled by ``factor`` (follows the user's text size setting)."""
    font = QFont(widget.font())
    size = font.pointSizeF()
    if size > 0:
        font.setPointSizeF(size * factor)
    else:
        font.setPixelSize(max(8, round(font.pixelSize() * factor)))
    font.setBold(bold)
    return font


def announce(widget: QWidget, text: str) -> None:
    """Have screen readers speak ``text`` (an announcement where Qt has it, else a name change)."""
    widget.setAccessibleDescription(text)
    if not QAccessible.isActive():
        return
    if QAccessibleAnnouncementEvent is not None:
        QAccessible.updateAccessibility(QAccessibleAnnouncementEvent(widget, text))
    else:  # pragma: no cover - older Qt
        QAccessible.updateAccessibility(QAccessibleEvent(widget, QAccessible.Event.DescriptionChanged))


def paint_icon(painter: QPainter, rect: QRectF, kind: IconKind) -> None:
    """Draw a status icon filling ``rect`` (a square)."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    s = min(rect.width(), rect.height())
    r = QRectF(rect.center().x() - s / 2, rect.center().y() - s / 2, s, s)
    white = QPen(QColor(255, 255, 255), s * 0.11, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    if kind is IconKind.WARNING:
        tri = QPainterPath()
        tri.moveTo(r.center().x(), r.top() + s * 0.04)
        tri.lineTo(r.right() - s * 0.02, r.bottom() - s * 0.06)
        tri.lineTo(r.left() + s * 0.02, r.bottom() - s * 0.06)
        tri.closeSubpath()
        painter.fillPath(tri, WARN_COLOUR)
        dark = QPen(QColor(0, 0, 0), s * 0.1, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        painter.setPen(dark)
        painter.drawLine(QPointF(r.center().x(), r.top() + s * 0.36), QPointF(r.center().x(), r.top() + s * 0.64))
        painter.drawPoint(QPointF(r.center().x(), r.top() + s * 0.8))
        painter.restore()
        return
    fill = {IconKind.PASS: PASS_COLOUR, IconKind.FAIL: FAIL_COLOUR}.get(kind, NEUTRAL_COLOUR)
    painter.setPen(QPen(QColor(255, 255, 255), s * 0.04))
    painter.setBrush(fill)
    painter.drawEllipse(r.adjusted(s * 0.03, s * 0.03, -s * 0.03, -s * 0.03))
    painter.setPen(white)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if kind is IconKind.PASS:
        path = QPainterPath()
        path.moveTo(r.left() + s * 0.27, r.top() + s * 0.52)
        path.lineTo(r.left() + s * 0.44, r.top() + s * 0.68)
        path.lineTo(r.left() + s * 0.74, r.top() + s * 0.34)
        painter.drawPath(path)
    elif kind is IconKind.FAIL:
        painter.drawLine(QPointF(r.left() + s * 0.32, r.top() + s * 0.32), QPointF(r.right() - s * 0.32, r.bottom() - s * 0.32))
        painter.drawLine(QPointF(r.right() - s * 0.32, r.top() + s * 0.32), QPointF(r.left() + s * 0.32, r.bottom() - s * 0.32))
    else:
        painter.drawLine(QPointF(r.left() + s * 0.3, r.center().y()), QPointF(r.right() - s * 0.3, r.center().y()))
    painter.restore()


class StatusIcon(QWidget):
    """A painted status icon whose size follows the font (large-text friendly)."""

    def __init__(self, kind: IconKind = IconKind.WARNING, *, em: float = 3.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._kind = kind
        self._em = em
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_kind(self, kind: IconKind) -> None:
        """Show another icon."""
        self._kind = kind
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        side = round(self.fontMetrics().height() * self._em)
        return QSize(side, side)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        paint_icon(p, QRectF(self.rect()), self._kind)
        p.end()


def bgr_to_qimage(image: np.ndarray) -> QImage:
    """A deep-copied QImage of a BGR ``uint8`` array (safe to keep after the array is gone)."""
    arr = np.ascontiguousarray(image)
    return QImage(arr.data, arr.shape[1], arr.shape[0], int(arr.strides[0]), QImage.Format.Format_BGR888).copy()


def image_with_box(image: np.ndarray, box: Box | None, *, max_side: int) -> QPixmap:
    """A pixmap of ``image`` scaled to ``max_side`` with ``box`` (frame pixels) drawn on it."""
    qimg = bgr_to_qimage(image)
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(w, h))
    pix = QPixmap.fromImage(qimg).scaled(
        max(1, round(w * scale)), max(1, round(h * scale)), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
    if box is not None:
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(QColor(0, 230, 118), max(2.0, 3.0 * scale)))
        p.drawRect(QRectF(box.x * scale, box.y * scale, box.w * scale, box.h * scale))
        p.end()
    return pix


class ClickableImage(QLabel):
    """An image that can be activated by mouse or keyboard (Enter/Space) to enlarge it."""

    activated = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            self.activated.emit()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit()
            return
        super().keyPressEvent(event)
