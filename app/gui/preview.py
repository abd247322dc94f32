"""The live preview: mirrored camera picture, the session's oval, the dimmed surround and the flashes.

The canvas *pulls* the newest frame on a timer (never a queue of frames), so a
slow paint skips frames instead of building a backlog. Two backends share one
renderer:

* :class:`GLCanvas` (a ``QOpenGLWidget``) when OpenGL works: a flash colour's
  on-screen time is taken from ``QOpenGLWidget.frameSwapped``, emitted after
  the window's ``swapBuffers`` returned, the most precise signal a widget app gets;
* :class:`RasterCanvas` otherwise (offscreen tests, machines without GL): the
  time is taken at the end of the ``paintEvent`` that drew the colour; the raster
  backing store is flushed right after it.

Both report ``presented(token, t_ns)`` on the monotonic clock of the frames.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QImage, QOffscreenSurface, QOpenGLContext, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtOpenGLWidgets import QOpenGLWidget
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.core.capture.base import monotonic_ns
from app.core.capture.frame import Frame
from app.core.challenge import Oval
from app.core.screen import ScreenState

log = logging.getLogger(__name__)

#: Overlay opacity outside and inside the oval during a flash (reference client).
FLASH_ALPHA_OUTSIDE = 0.90
FLASH_ALPHA_INSIDE = 0.75
#: Opacity of the dimming outside the oval during guidance.
DIM_ALPHA = 0.55

TIMING_GL = "QOpenGLWidget.frameSwapped (after the window's swapBuffers returned)"
TIMING_RASTER = "QWidget.paintEvent end (raster backing store, flushed right after the paint)"


@dataclass(frozen=True)
class FlashPaint:
    """What the flash overlay shows now.

    Attributes
    ----------
    token:
        Changes with every colour step; echoed by ``presented``.
    colour:
        The step's colour, attenuation applied.
    previous:
        The colour being wiped over (``None`` before the first step).
    start_ns:
        When the step first reached the screen (``None`` until presented).
    wipe_ns:
        Wipe duration; 0 = the colour appears at once.
    direction:
        Where the new colour's edge travels, as the customer sees the screen (``down``, ``up``, ``right``: from
        their left to their right, ``left``); see :func:`app.core.challenge.wipe_reach`.
    """

    token: int
    colour: QColor
    previous: QColor | None
    start_ns: int | None
    wipe_ns: int
    direction: str = "down"

    def fraction(self, now_ns: int) -> float:
        """Share of the wipe done: of the window height or width already showing the new colour."""
        if self.wipe_ns <= 0:
            return 1.0
        if self.start_ns is None:
            return 0.0
        return max(0.0, min(1.0, (now_ns - self.start_ns) / self.wipe_ns))


class SceneRenderer:
    """Paints one preview scene; shared by both canvas backends (no widget state of its own)."""

    def __init__(self) -> None:
        self.frame: Frame | None = None
        self.image: QImage | None = None
        self.oval: Oval | None = None
        self.face_fits = False
        #: The oval drawn at this share of its size (the small "start further away" oval before the far gate).
        self.oval_scale = 1.0
        #: Arrows beside the oval: ``"closer"`` (pointing out: the face should grow), ``"back"`` (pointing in) or ``""``.
        self.cue = ""
        self.dim = True
        self.mirror = True
        self.flash: FlashPaint | None = None
        #: Head-movement cue in force ("left"/"right": the person's own side; "up"/"down": a nod), drawn as an
        #: arrow beside, above or below the oval.
        self.turn_cue: str | None = None
        neutral = ScreenState.NEUTRAL
        self.background = QColor(*neutral)

    def set_frame(self, frame: Frame) -> None:
        """Use ``frame`` for the next paint (the QImage borrows the array; the frame keeps it alive)."""
        img = frame.image
        self.frame = frame
        self.image = QImage(img.data, img.shape[1], img.shape[0], int(img.strides[0]), QImage.Format.Format_BGR888)

    def frame_rect(self, width: float, height: float) -> QRectF:
        """Where the frame is drawn: aspect-fit and centred (the oval must stay whole)."""
        if self.frame is None:
            fw, fh = 640.0, 480.0
        else:
            fw, fh = float(self.frame.width), float(self.frame.height)
        scale = min(width / fw, height / fh)
        w, h = fw * scale, fh * scale
        return QRectF((width - w) / 2, (height - h) / 2, w, h)

    def oval_rect(self, width: float, height: float) -> QRectF | None:
        """The oval in widget coordinates (mirrored like the picture)."""
        if self.oval is None:
            return None
        fr = self.frame_rect(width, height)
        fw = float(self.frame.width) if self.frame is not None else 640.0
        scale = fr.width() / fw
        cx = (fw - self.oval.cx) if self.mirror else self.oval.cx
        ow, oh = self.oval.w * self.oval_scale, self.oval.h * self.oval_scale
        return QRectF(
            fr.x() + (cx - ow / 2) * scale,
            fr.y() + (self.oval.cy - oh / 2) * scale,
            ow * scale,
            oh * scale,
        )

    def paint(self, painter: QPainter, width: float, height: float, now_ns: int) -> None:
        """Draw the whole scene into a ``width`` x ``height`` area."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.fillRect(QRectF(0, 0, width, height), self.background)
        fr = self.frame_rect(width, height)
        if self.image is not None:
            painter.save()
            if self.mirror:
                painter.translate(fr.x() + fr.width(), fr.y())
                painter.scale(-1.0, 1.0)
                painter.drawImage(QRectF(0, 0, fr.width(), fr.height()), self.image)
            else:
                painter.drawImage(fr, self.image)
            painter.restore()
        oval = self.oval_rect(width, height)
        full = QPainterPath()
        full.addRect(QRectF(0, 0, width, height))
        ellipse = QPainterPath()
        if oval is not None:
            ellipse.addEllipse(oval)
        outside = full.subtracted(ellipse) if oval is not None else full
        if self.flash is not None:
            self._paint_flash(painter, width, height, full, outside, ellipse, now_ns)
        elif self.dim and oval is not None:
            painter.fillPath(outside, QColor(0, 0, 0, int(255 * DIM_ALPHA)))
        if oval is not None:
            colour = QColor(60, 200, 90) if self.face_fits else QColor(255, 255, 255)
            pen = QPen(colour, max(3.0, width / 250.0))
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(oval)
            if self.cue in ("closer", "back") and self.flash is None:
                self._paint_cue(painter, oval, pen)
        if self.turn_cue in ("left", "right", "up", "down") and oval is not None:  # a cue of the movement-only check
            self._paint_turn_cue(painter, oval, width, height)

    def _paint_cue(self, painter: QPainter, oval: QRectF, pen: QPen) -> None:
        """Chevrons left and right of the oval: outwards for "move closer", inwards for "move back"."""
        size = max(10.0, oval.width() * 0.08)
        gap = size * 0.9
        cy = oval.center().y()
        outward = self.cue == "closer"
        painter.setPen(QPen(pen.color(), pen.widthF(), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        for side in (-1.0, 1.0):
            x = oval.left() - gap if side < 0 else oval.right() + gap
            tip = side * (size / 2 if outward else -size / 2)  # the chevron's point, relative to x
            for dy in (-size / 2, size / 2):
                painter.drawLine(QPointF(x + tip, cy), QPointF(x - tip, cy + dy))

    def _paint_turn_cue(self, painter: QPainter, oval: QRectF, width: float, height: float) -> None:
        """A large arrow beside the oval toward the cued side, or a pair of arrows up or down on both sides of
        the oval for a nod (the preview is mirrored: the person's left is the screen's left; up and down are the
        same either way). The oval fills nearly the frame's height, so a nod's arrows stand beside it, not over
        the face."""
        cue = self.turn_cue
        size = max(40.0, oval.width() * 0.45)
        cy = oval.center().y()
        if cue in ("left", "right"):
            left = cue == "left"
            tips = [(max(size * 0.1, oval.left() - size * 1.2) if left else min(width - size * 0.1, oval.right() + size * 1.2), cy)]
            along, across = (1.0 if left else -1.0, 0.0), (0.0, 1.0)  # the body extends from the tip toward the oval
        else:
            up = cue == "up"
            tip_y = cy - size / 2 if up else cy + size / 2
            tips = [(max(size * 0.5, oval.left() - size * 0.6), tip_y), (min(width - size * 0.5, oval.right() + size * 0.6), tip_y)]
            along, across = (0.0, 1.0 if up else -1.0), (1.0, 0.0)
        # The arrow's outline in (along, across) units of ``size``: head, then shaft.
        shape = ((0.0, 0.0), (0.5, -0.45), (0.5, -0.18), (1.0, -0.18), (1.0, 0.18), (0.5, 0.18), (0.5, 0.45))
        painter.setPen(QPen(QColor(0, 0, 0), max(2.0, size / 25.0)))
        painter.setBrush(QColor(255, 200, 0))
        for tx, ty in tips:
            path = QPainterPath()
            for k, (a, c) in enumerate(shape):
                point = QPointF(tx + size * (a * along[0] + c * across[0]), ty + size * (a * along[1] + c * across[1]))
                if k == 0:
                    path.moveTo(point)
                else:
                    path.lineTo(point)
            path.closeSubpath()
            painter.drawPath(path)

    def _paint_flash(
        self,
        painter: QPainter,
        width: float,
        height: float,
        full: QPainterPath,
        outside: QPainterPath,
        ellipse: QPainterPath,
        now_ns: int,
    ) -> None:
        flash = self.flash
        assert flash is not None
        for colour, rect in flash_rects(flash, width, height, now_ns):
            if colour is None or rect.isEmpty():
                continue
            band = QPainterPath()
            band.addRect(rect)
            out_colour = QColor(colour)
            out_colour.setAlphaF(FLASH_ALPHA_OUTSIDE)
            painter.fillPath(band.intersected(outside), out_colour)
            if not ellipse.isEmpty():
                in_colour = QColor(colour)
                in_colour.setAlphaF(FLASH_ALPHA_INSIDE)
                painter.fillPath(band.intersected(ellipse), in_colour)


def flash_rects(flash: FlashPaint, width: float, height: float, now_ns: int) -> list[tuple[QColor | None, QRectF]]:
    """The new colour's and the previous colour's rectangles of a wiping flash, in widget coordinates.

    The widget's x runs from the customer's left to their right (a screen is drawn for whoever looks at it),
    so a ``right`` wipe grows the new colour from x = 0; the same geometry as
    :func:`app.core.challenge.wipe_reach`.
    """
    f = flash.fraction(now_ns)
    if flash.direction == "up":
        edge = height * (1.0 - f)
        return [(flash.colour, QRectF(0, edge, width, height - edge)), (flash.previous, QRectF(0, 0, width, edge))]
    if flash.direction == "right":
        edge = width * f
        return [(flash.colour, QRectF(0, 0, edge, height)), (flash.previous, QRectF(edge, 0, width - edge, height))]
    if flash.direction == "left":
        edge = width * (1.0 - f)
        return [(flash.colour, QRectF(edge, 0, width - edge, height)), (flash.previous, QRectF(0, 0, edge, height))]
    edge = height * f
    return [(flash.colour, QRectF(0, 0, width, edge)), (flash.previous, QRectF(0, edge, width, height - edge))]


class _CanvasMixin:
    """Frame pulling and flash bookkeeping shared by both backends."""

    presented: Signal
    renderer: SceneRenderer
    timing_source: str

    def _init_canvas(self, widget: QWidget, frame_provider: Callable[[], Frame | None] | None, interval_ms: int) -> None:
        self.renderer = SceneRenderer()
        self._provider = frame_provider
        self._widget = widget
        self._last_index: int | None = None
        self._painted_token: int | None = None
        self.painted_frames = 0
        self.first_painted_index: int | None = None
        self.last_painted_index: int | None = None
        self.paints = 0
        self._pull = QTimer(widget)
        self._pull.setInterval(interval_ms)
        self._pull.setTimerType(Qt.TimerType.PreciseTimer)
        self._pull.timeout.connect(self._on_pull)
        widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        widget.setMinimumSize(QSize(240, 180))
        widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def set_frame_provider(self, provider: Callable[[], Frame | None] | None) -> None:
        """Where the newest frame is pulled from (``None`` stops pulling)."""
        if provider != self._provider:
            self._last_index = None
        self._provider = provider
        if provider is None:
            self._pull.stop()
        else:
            self._pull.start()

    def reset_stats(self) -> None:
        """Restart the painted-frame counters (for the benchmark)."""
        self.painted_frames = 0
        self.first_painted_index = self.last_painted_index = None

    def set_oval(self, oval: Oval | None, *, fits: bool = False, scale: float = 1.0, cue: str = "") -> None:
        """Show ``oval`` (frame pixels); green when ``fits``, drawn at ``scale``, with arrows for ``cue``."""
        self.renderer.oval = oval
        self.renderer.face_fits = fits
        self.renderer.oval_scale = scale
        self.renderer.cue = cue
        self._widget.update()

    def set_cue(self, direction: str | None) -> None:
        """Show a head-movement cue arrow (``None`` removes it)."""
        self.renderer.turn_cue = direction
        self._widget.update()

    def set_flash(self, flash: FlashPaint | None) -> None:
        """Show a flash step (``None`` ends the flashes)."""
        self.renderer.flash = flash
        self._widget.update()

    def clear(self) -> None:
        """Forget the picture (between sessions)."""
        self.renderer.frame = None
        self.renderer.image = None
        self.renderer.oval = None
        self.renderer.flash = None
        self.renderer.cue = ""
        self.renderer.turn_cue = None
        self._last_index = None
        self._widget.update()

    def _on_pull(self) -> None:
        if self._provider is None:
            return
        frame = self._provider()
        if frame is None or frame.index == self._last_index:
            return
        self._last_index = frame.index
        self.renderer.set_frame(frame)
        self.painted_frames += 1
        if self.first_painted_index is None:
            self.first_painted_index = frame.index
        self.last_painted_index = frame.index
        self._widget.update()

    def _paint_scene(self, painter: QPainter) -> None:
        self.paints += 1
        self.renderer.paint(painter, float(self._widget.width()), float(self._widget.height()), monotonic_ns())
        flash = self.renderer.flash
        self._painted_token = flash.token if flash is not None else None

    def _report_presented(self) -> None:
        token = self._painted_token
        if token is not None:
            self.presented.emit(token, monotonic_ns())


class RasterCanvas(QWidget, _CanvasMixin):
    """Preview canvas on the raster backing store (flash time = end of paintEvent)."""

    presented = Signal(int, object)
    timing_source = TIMING_RASTER

    def __init__(self, *, frame_provider: Callable[[], Frame | None] | None = None, interval_ms: int = 15, parent: QWidget | None = None) -> None:
        QWidget.__init__(self, parent)
        self._init_canvas(self, frame_provider, interval_ms)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        self._paint_scene(painter)
        painter.end()
        self._report_presented()


class GLCanvas(QOpenGLWidget, _CanvasMixin):
    """Preview canvas rendered with OpenGL (flash time = ``frameSwapped``)."""

    presented = Signal(int, object)
    timing_source = TIMING_GL

    def __init__(self, *, frame_provider: Callable[[], Frame | None] | None = None, interval_ms: int = 15, parent: QWidget | None = None) -> None:
        QOpenGLWidget.__init__(self, parent)
        self._init_canvas(self, frame_provider, interval_ms)
        self.frameSwapped.connect(self._report_presented)

    def paintGL(self) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        self._paint_scene(painter)
        painter.end()


Canvas = RasterCanvas | GLCanvas


#: Software OpenGL renderers: compositing the window on the CPU is slower than the raster path.
SOFTWARE_GL = ("llvmpipe", "softpipe", "swiftshader", "software rasterizer", "gdi generic")


def opengl_available() -> bool:
    """Whether hardware OpenGL works on this display (``LIVEGATE_GL=0/1`` forces the answer).

    Software renderers (Mesa llvmpipe under Xvfb, for instance) count as unavailable:
    they would composite every frame on the CPU the analysis needs.
    """
    forced = os.environ.get("LIVEGATE_GL", "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    if QGuiApplication.platformName() in ("offscreen", "minimal", "vnc"):
        return False
    ctx = QOpenGLContext()
    if not ctx.create():
        return False
    surface = QOffscreenSurface()
    surface.create()
    renderer = ""
    ok = ctx.makeCurrent(surface)
    if ok:
        renderer = str(ctx.functions().glGetString(0x1F01) or "")  # GL_RENDERER
        ctx.doneCurrent()
    surface.destroy()
    if ok and any(name in renderer.lower() for name in SOFTWARE_GL):
        log.info("OpenGL renderer %r is software: using the raster preview", renderer)
        return False
    return bool(ok)


def make_canvas(*, frame_provider: Callable[[], Frame | None] | None = None, prefer_gl: bool | None = None, parent: QWidget | None = None) -> Canvas:
    """The best canvas for this display: GL (precise flash timing) when it works, raster otherwise."""
    use_gl = opengl_available() if prefer_gl is None else prefer_gl
    canvas: Canvas = GLCanvas(frame_provider=frame_provider, parent=parent) if use_gl else RasterCanvas(frame_provider=frame_provider, parent=parent)
    log.info("preview canvas: %s", type(canvas).__name__)
    return canvas


def with_start(flash: FlashPaint, start_ns: int) -> FlashPaint:
    """``flash`` with its on-screen start time filled in."""
    return replace(flash, start_ns=start_ns)


__all__ = [
    "Canvas",
    "FlashPaint",
    "flash_rects",
    "GLCanvas",
    "RasterCanvas",
    "SceneRenderer",
    "make_canvas",
    "opengl_available",
    "with_start",
]
