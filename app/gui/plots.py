"""Operator/demo plots: displayed colours vs. the face's measured response, and 3D landmark drift.

The series come from the scoring result (``LivenessResult.plots``) when it has
them, otherwise from what the GUI measured during the session
(:class:`SessionTrace`): the face's mean colour per analysed frame, the
screen colour logged at that moment, and how far the nose tip strays from
where a flat (planar) face would put it, in inter-ocular distances.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.core import facemesh
from app.core.landmarks import LandmarkResult
from app.core.screen import ScreenState

#: Landmarks used for the planar prediction of the nose tip (eye corners, mouth corners) and the nose tip.
_FRAME_POINTS = facemesh.EYE_CORNERS + facemesh.MOUTH_CORNERS
_NOSE_TIP = facemesh.NOSE_TIP


@dataclass
class SessionTrace:
    """Per-frame measurements of one capture epoch, for the operator plots."""

    t_ns: list[int] = field(default_factory=list)
    face_bgr: list[tuple[float, float, float]] = field(default_factory=list)
    displayed: list[tuple[float, float, float]] = field(default_factory=list)
    drift_t_ns: list[int] = field(default_factory=list)
    drift: list[float] = field(default_factory=list)
    _reference: np.ndarray | None = None

    def clear(self) -> None:
        """Start a new epoch."""
        self.t_ns.clear()
        self.face_bgr.clear()
        self.displayed.clear()
        self.drift_t_ns.clear()
        self.drift.clear()
        self._reference = None

    def add(self, t_ns: int, landmarks: LandmarkResult, face_bgr: tuple[float, float, float], screen: ScreenState, *, light: bool) -> None:
        """Record one analysed frame (``light``: during the flashes)."""
        face = landmarks.face if landmarks.face_count == 1 else None
        if face is None:
            return
        if light and not any(math.isnan(v) for v in face_bgr):
            self.t_ns.append(t_ns)
            self.face_bgr.append(face_bgr)
            self.displayed.append(screen.colour_at(t_ns, 0.5))
        pts = face.points.astype(np.float64)
        if self._reference is None:
            self._reference = pts
            return
        value = planar_nose_residual(self._reference, pts, face.inter_ocular_px)
        if value is not None:
            self.drift_t_ns.append(t_ns)
            self.drift.append(value)


def planar_nose_residual(reference: np.ndarray, current: np.ndarray, iod: float) -> float | None:
    """Nose-tip distance from its position predicted by a similarity fit of the eye/mouth corners.

    A flat picture moves its nose with the rest of the face (residual near 0);
    a real face seen closer pushes the nose outward. In inter-ocular distances.
    """
    if iod <= 1.0:
        return None
    src = reference[list(_FRAME_POINTS)]
    dst = current[list(_FRAME_POINTS)]
    # Similarity x' = a x - b y + tx, y' = b x + a y + ty by least squares.
    rows = []
    rhs = []
    for (x, y), (u, v) in zip(src, dst):
        rows.append([x, -y, 1.0, 0.0])
        rows.append([y, x, 0.0, 1.0])
        rhs.extend([u, v])
    sol, *_ = np.linalg.lstsq(np.asarray(rows), np.asarray(rhs), rcond=None)
    a, b, tx, ty = sol
    nx, ny = reference[_NOSE_TIP]
    predicted = np.array([a * nx - b * ny + tx, b * nx + a * ny + ty])
    return float(np.linalg.norm(current[_NOSE_TIP] - predicted) / iod)


@dataclass(frozen=True)
class LightSeries:
    """Displayed and measured colour over time (seconds from the first sample)."""

    t_s: np.ndarray
    displayed: np.ndarray  # (N, 3) RGB 0..255
    measured: np.ndarray  # (N, 3) RGB, each channel normalised to 0..1 over the session
    fitted: np.ndarray | None = None  # (N, 3) the scoring's model of the response, same normalisation


@dataclass(frozen=True)
class DriftSeries:
    """Landmark drift over time: named lines, each normalised to 0..1, plus a one-line note."""

    t_s: np.ndarray
    lines: tuple[tuple[str, np.ndarray], ...]
    note: str = ""


def _normalise(values: np.ndarray, like: np.ndarray | None = None) -> np.ndarray:
    ref = values if like is None else like
    lo = np.nanmin(ref, axis=0, keepdims=True)
    hi = np.nanmax(ref, axis=0, keepdims=True)
    return (values - lo) / np.maximum(hi - lo, 1e-6)


def _unit(values: np.ndarray) -> np.ndarray:
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    return (values - lo) / max(hi - lo, 1e-9)


def light_series(plots: dict[str, Any] | None, trace: SessionTrace | None) -> LightSeries | None:
    """The light plot's data: the scoring's ``plots["light"]`` (``t_ms``, ``displayed_rgb``,
    ``face_rgb``, ``fitted_rgb``; see docs/result.md), else what the GUI measured."""
    data = (plots or {}).get("light")
    try:
        if isinstance(data, dict) and "t_ms" in data:
            t = np.asarray(data["t_ms"], float) / 1000.0
            disp = np.asarray(data["displayed_rgb"], float).reshape(len(t), 3)
            meas = np.asarray(data["face_rgb"], float).reshape(len(t), 3)
            fitted = data.get("fitted_rgb")
            fit = np.asarray(fitted, float).reshape(len(t), 3) if fitted is not None else None
            if len(t) >= 2:
                return LightSeries(t - t[0], disp, _normalise(meas), _normalise(fit, meas) if fit is not None else None)
    except (KeyError, TypeError, ValueError):
        pass
    if trace is None or len(trace.t_ns) < 2:
        return None
    t = np.asarray(trace.t_ns, float) / 1e9
    bgr = np.asarray(trace.face_bgr, float)
    return LightSeries(t - t[0], np.asarray(trace.displayed, float), _normalise(bgr[:, ::-1]))


def drift_series(plots: dict[str, Any] | None, trace: SessionTrace | None) -> DriftSeries | None:
    """The drift plot's data: the scoring's ``plots["geometry"]`` (``t_ms``, ``iod_px``, ``centre_x``,
    ``centre_y``, ``pair_nose_residual``), else the GUI's own nose-residual trace."""
    data = (plots or {}).get("geometry")
    try:
        if isinstance(data, dict) and "t_ms" in data:
            t = np.asarray(data["t_ms"], float) / 1000.0
            iod = np.asarray(data["iod_px"], float)
            cx, cy = np.asarray(data["centre_x"], float), np.asarray(data["centre_y"], float)
            if len(t) >= 2 and len(iod) == len(t) == len(cx) == len(cy):
                drift = np.hypot(cx - cx[0], cy - cy[0]) / np.maximum(iod, 1.0)
                residuals = [float(v) for v in data.get("pair_nose_residual", []) if v is not None]
                note = ""
                if residuals:
                    note = (
                        QCoreApplication.translate("Plots", "nose residual, median of %1 far/near pairs: %2")
                        .replace("%1", str(len(residuals)))
                        .replace("%2", f"{float(np.median(residuals)):.3f}")
                    )
                lines = (
                    (QCoreApplication.translate("Plots", "eye distance"), _unit(iod)),
                    (QCoreApplication.translate("Plots", "centre drift"), _unit(drift)),
                )
                return DriftSeries(t - t[0], lines, note)
    except (KeyError, TypeError, ValueError):
        pass
    if trace is None or len(trace.drift) < 2:
        return None
    t = np.asarray(trace.drift_t_ns, float) / 1e9
    values = np.asarray(trace.drift, float)
    name = QCoreApplication.translate("Plots", "nose residual")
    note = QCoreApplication.translate("Plots", "peak %1 eye distances").replace("%1", f"{float(values.max()):.3f}")
    return DriftSeries(t - t[0], ((name, _unit(values)),), note)


class PlotWidget(QWidget):
    """A small line chart: one or more series against time, painted with QPainter.

    ``set_light`` draws the displayed colour as a strip of colour bands with the
    measured face response (R, G, B) as lines on top; ``set_drift`` draws one line.
    """

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = title
        self._light: LightSeries | None = None
        self._drift: DriftSeries | None = None
        self._empty_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAccessibleName(title)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance("M") * 30, fm.height() * 9)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance("M") * 16, fm.height() * 6)

    def set_light(self, series: LightSeries | None, empty_text: str) -> None:
        """Show a light series (``None``: show ``empty_text``)."""
        self._light, self._drift, self._empty_text = series, None, empty_text
        self.setAccessibleDescription(empty_text if series is None else f"{len(series.t_s)} samples")
        self.update()

    def set_drift(self, series: DriftSeries | None, empty_text: str) -> None:
        """Show a drift series (``None``: show ``empty_text``)."""
        self._drift, self._light, self._empty_text = series, None, empty_text
        self.setAccessibleDescription(empty_text if series is None else f"{len(series.t_s)} samples")
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pal = self.palette()
        fm = self.fontMetrics()
        p.fillRect(self.rect(), pal.base())
        p.setPen(pal.text().color())
        p.drawText(QRectF(6, 2, self.width() - 12, fm.height() + 2), Qt.AlignmentFlag.AlignLeft, self._title)
        area = QRectF(8, fm.height() + 8, self.width() - 16, self.height() - fm.height() - 16)
        p.setPen(QPen(pal.mid().color(), 1))
        p.drawRect(area)
        if self._light is not None:
            self._paint_light(p, area, self._light)
        elif self._drift is not None:
            self._paint_drift(p, area, self._drift)
        else:
            p.setPen(pal.text().color())
            p.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._empty_text)
        p.end()

    @staticmethod
    def _x(area: QRectF, t: float, t_max: float) -> float:
        return area.left() + area.width() * (t / t_max if t_max > 0 else 0.0)

    def _paint_light(self, p: QPainter, area: QRectF, s: LightSeries) -> None:
        t_max = float(s.t_s[-1]) or 1.0
        strip = QRectF(area.left(), area.top(), area.width(), area.height() * 0.22)
        for i in range(len(s.t_s) - 1):
            x0, x1 = self._x(area, float(s.t_s[i]), t_max), self._x(area, float(s.t_s[i + 1]), t_max)
            r, g, b = (int(max(0, min(255, v))) for v in s.displayed[i])
            p.fillRect(QRectF(x0, strip.top(), max(1.0, x1 - x0 + 0.5), strip.height()), QColor(r, g, b))
        lines = QRectF(area.left(), strip.bottom() + 4, area.width(), area.bottom() - strip.bottom() - 6)
        colours = (QColor(235, 70, 70), QColor(60, 200, 90), QColor(80, 140, 255))
        for channel, colour in enumerate(colours):
            self._polyline(p, lines, s.t_s, s.measured[:, channel], t_max, QPen(colour, 2))
            if s.fitted is not None:
                self._polyline(p, lines, s.t_s, s.fitted[:, channel], t_max, QPen(colour, 1, Qt.PenStyle.DashLine))

    def _polyline(self, p: QPainter, area: QRectF, t: np.ndarray, v: np.ndarray, t_max: float, pen: QPen) -> None:
        path = QPainterPath()
        started = False
        for ti, vi in zip(t, v):
            if not math.isfinite(float(vi)):
                started = False
                continue
            pt = QPointF(self._x(area, float(ti), t_max), area.bottom() - area.height() * min(1.0, max(0.0, float(vi))))
            if started:
                path.lineTo(pt)
            else:
                path.moveTo(pt)
                started = True
        p.setPen(pen)
        p.drawPath(path)

    def _paint_drift(self, p: QPainter, area: QRectF, s: DriftSeries) -> None:
        t_max = float(s.t_s[-1]) or 1.0
        colours = (self.palette().highlight().color(), QColor(255, 183, 77), QColor(129, 199, 132))
        fm = self.fontMetrics()
        legend_h = fm.height() + 2
        note_h = fm.height() + 2 if s.note else 0
        lines_area = area.adjusted(2, legend_h + 2, -2, -note_h - 2)
        x = area.left() + 6
        for (name, values), colour in zip(s.lines, colours):
            self._polyline(p, lines_area, s.t_s, values, t_max, QPen(colour, 2))
            p.fillRect(QRectF(x, area.top() + legend_h / 2 - 1, fm.horizontalAdvance("M"), 3), colour)
            x += fm.horizontalAdvance("M") + 4
            p.setPen(self.palette().text().color())
            p.drawText(QPointF(x, area.top() + fm.ascent() + 1), name)
            x += fm.horizontalAdvance(name) + fm.horizontalAdvance("MM")
        if s.note:
            p.setPen(self.palette().text().color())
            p.drawText(QRectF(area.left() + 6, area.bottom() - note_h, area.width() - 12, note_h), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, s.note)
