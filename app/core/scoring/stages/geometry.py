"""3D geometry from the approach: perspective parallax between far and near frames.

A flat object (print, phone, tablet) seen from two distances maps from one
image to the other by a homography. A face does not: the nose is a few
centimetres in front of the eyes and mouth corners, the contour several
centimetres behind them, so when the face approaches the camera those points
move away from where a planar mapping of the eye/brow/mouth frame puts them.

For several (far, near) frame pairs the stage fits a homography on rigid,
roughly coplanar landmarks (eye corners, brows, mouth corners) and measures
the residual of held-out probes (nose, midline, contour), normalised by the
inter-ocular distance, against the landmark jitter measured between frames
taken at the same distance. It also estimates the epipole from the residual
vectors and reads a relative depth per probe (plane + parallax), which tells
a protruding nose (a face) from a cylinder bent around a vertical axis (a
curved print, whose midline is all at one depth). Medians over pairs.

In a movement-only check only the frames before the first head-turn cue are
measured (a turn is not the approach's perspective). Too little approach
(scale change below ``min_scale``) abstains; the
landmark model's z values and pose matrix are never used (they are learned
priors, not measurements). Dose-response: a reflective object lit by the
screen brightens, relative to the room, as it comes closer.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.core import facemesh
from app.core.enums import Verdict
from app.core.scoring.contract import CheckResult
from app.core.scoring.evidence import UNSET, Evidence, number
from app.core.scoring.features import AROUND_REGIONS, CENTRE_REGIONS, SessionData
from app.core.scoring.reasons import ReasonCode
from app.core.scoring.registry import STAGES, StageSpec
from app.core.scoring.stages.base import (
    SessionInput,
    block_jackknife_se,
    logistic_score,
    moved_by_errors,
    nanmedian,
    result,
)
from app.core.scoring.stages.light import group_signal

#: Rigid, roughly coplanar landmarks: eye corners, brows, mouth corners.
PLANE = facemesh.EYE_CORNERS + facemesh.BROWS + facemesh.MOUTH_CORNERS
#: Nose probes (in front of the plane).
NOSE = (1, 4, 5, 195, 2, 98, 327)
#: Midline probes that are not on the nose (forehead, lips, chin).
MIDLINE = (10, 151, 9, 0, 17, 200, 152)
#: Contour probes (behind the plane).
CONTOUR = (234, 454, 93, 323, 132, 361, 58, 288, 172, 397, 136, 365)
PROBES = NOSE + MIDLINE + CONTOUR
#: Robust ranges the score's features are clipped to.
FEATURE_RANGES: dict[str, tuple[float, float]] = {
    "nose_excess": (-2.0, 10.0),
    "contour_excess": (-2.0, 20.0),
    "depth_nose": (-2.0, 2.0),
    "dose_response": (-1.0, 1.0),
    # Not a human nose's 1.5-3.5 cm: this estimate reads up to ~11 cm on genuine simulated heads that turn while
    # they approach (docs/accuracy.md); beyond 8 a value adds nothing more.
    "nose_depth_cm": (-3.0, 8.0),
    "contour_depth_cm": (-3.0, 8.0),
    "nose_growth": (-0.2, 0.4),
}
#: Nose segments whose image length, relative to the eye span, grows as a real face approaches:
#: (nose tip, mid-eyes), (under the tip, between the eyes), (nose ridge, between the eyes). ``None`` = the
#: midpoint of the two eye centres.
NOSE_SEGMENTS = (
    (facemesh.NOSE_TIP, None),
    (facemesh.UNDER_NOSE_TIP, facemesh.BETWEEN_EYES),
    (facemesh.NOSE_RIDGE, facemesh.BETWEEN_EYES),
)
#: Assumed camera and face sizes for the metric depth estimate (:func:`approach_depths`). A webcam's
#: horizontal field of view is 55-80 degrees and adult eye-centre distances 56-70 mm, so the centimetre
#: values carry roughly +-20 % scale uncertainty; their sign and order of magnitude are what count.
ASSUMED_HFOV_DEG = 65.0
ASSUMED_IPD_M = 0.063
#: At most this many frames enter the depth regression (evenly spread; keeps the stage fast).
DEPTH_MAX_FRAMES = 80


def _normaliser(points: np.ndarray) -> np.ndarray:
    """Hartley normalisation matrix (centroid at 0, mean distance sqrt(2))."""
    c = points.mean(axis=0)
    scale = math.sqrt(2.0) / max(float(np.linalg.norm(points - c, axis=1).mean()), 1e-9)
    return np.array([[scale, 0, -scale * c[0]], [0, scale, -scale * c[1]], [0, 0, 1.0]])


def fit_homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares homography (normalised DLT) mapping ``src`` (N, 2) to ``dst`` (N, 2), N >= 4."""
    if len(src) < 4 or len(src) != len(dst):
        raise ValueError(f"a homography needs at least 4 point pairs, got {len(src)} and {len(dst)}")
    ts, td = _normaliser(src), _normaliser(dst)
    s = (ts @ np.c_[src, np.ones(len(src))].T).T
    d = (td @ np.c_[dst, np.ones(len(dst))].T).T
    rows = []
    for (x, y, _), (u, v, _) in zip(s, d):
        rows.append([-x, -y, -1, 0, 0, 0, u * x, u * y, u])
        rows.append([0, 0, 0, -x, -y, -1, v * x, v * y, v])
    _, _, vt = np.linalg.svd(np.asarray(rows))
    h = vt[-1].reshape(3, 3)
    h = np.linalg.inv(td) @ h @ ts
    return h / h[2, 2]


def apply_homography(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map (N, 2) points through ``h``."""
    p = np.c_[points, np.ones(len(points))] @ h.T
    return p[:, :2] / p[:, 2:3]


def plane_parallax(far: np.ndarray, near: np.ndarray, iod: float) -> dict[str, Any]:
    """Residuals of the probes against a homography fitted on :data:`PLANE` (one frame pair).

    Parameters
    ----------
    far, near:
        (478, 2) landmarks of the two frames.
    iod:
        Inter-ocular distance in the near frame (normaliser).

    Returns
    -------
    dict
        ``plane_rms``, ``nose``, ``midline``, ``contour`` (mean residual / iod),
        ``gamma_*`` (median relative depth per group, sign fixed so the contour is behind),
        ``residuals`` (probe residual vectors / iod).
    """
    plane = list(PLANE)
    h = fit_homography(far[plane], near[plane])
    plane_res = near[plane] - apply_homography(h, far[plane])
    probes = list(PROBES)
    pred = apply_homography(h, far[probes])
    res = (near[probes] - pred) / iod
    n_nose, n_mid = len(NOSE), len(MIDLINE)
    mag = np.linalg.norm(res, axis=1)
    out: dict[str, Any] = {
        "plane_rms": float(np.sqrt((plane_res**2).sum(axis=1).mean()) / iod),
        "nose": float(mag[:n_nose].mean()),
        "midline": float(mag[n_nose : n_nose + n_mid].mean()),
        "contour": float(mag[n_nose + n_mid :].mean()),
        "residuals": res,
    }
    # Plane + parallax: residual_i = gamma_i * (x_i * e_w - e_xy); solve for the epipole e by SVD.
    centre = near[plane].mean(axis=0)
    x = (near[probes] - centre) / iod
    rows = np.stack([res[:, 1], -res[:, 0], res[:, 0] * x[:, 1] - res[:, 1] * x[:, 0]], axis=1)
    weights = mag / max(float(mag.max()), 1e-9)
    _, _, vt = np.linalg.svd(rows * weights[:, None])
    e = vt[-1]
    direction = x * e[2] - e[None, :2]
    norm2 = (direction**2).sum(axis=1)
    gamma = np.where(norm2 > 0.05, (res * direction).sum(axis=1) / np.maximum(norm2, 1e-9), np.nan)
    g_nose = nanmedian(gamma[:n_nose])
    g_mid = nanmedian(gamma[n_nose : n_nose + n_mid])
    g_contour = nanmedian(gamma[n_nose + n_mid :])
    if math.isfinite(g_contour) and g_contour > 0:
        g_nose, g_mid, g_contour = -g_nose, -g_mid, -g_contour
    out.update({"gamma_nose": g_nose, "gamma_midline": g_mid, "gamma_contour": g_contour})
    return out


def approach_depths(points: np.ndarray, iod: np.ndarray, frame_size: tuple[int, int]) -> dict[str, float]:
    """Depth of the nose, midline and contour relative to the eye/brow/mouth plane, in centimetres.

    Plane + parallax over the whole approach: every frame's :data:`PLANE` landmarks are mapped by a
    homography onto a reference (the median of the nearest frames), so whatever the plane does (scale,
    shift, rotation, tilt) cancels; what is left for a probe is its parallax, ``r = depth * d_theta``: its
    offset from the plane (metres, at the reference's scale) times how far its line of sight turned
    (radians, from the assumed field of view). One least-squares slope per probe over all frames, medians
    per group. A flat sheet gives ~0 everywhere; a sheet bent around a vertical axis moves its sides back
    but not its nose in front of its midline; a face has a nose in front and a contour behind. Rotation
    without translation adds sight-line change without parallax, which only shrinks the estimates
    (never invents depth).

    Parameters
    ----------
    points:
        (N, 478, 2) landmarks of usable frames (one face each).
    iod:
        (N,) inter-ocular distances in pixels.
    frame_size:
        (width, height) of the frames.

    Returns
    -------
    dict
        ``nose_cm``, ``midline_cm``, ``contour_cm`` (positive = toward the camera), ``nose_depth_cm``
        (nose minus midline), ``contour_depth_cm`` (how far the contour lies behind the plane), their
        standard errors ``*_se_cm`` (frames taken as independent), ``contour_depth_block_se_cm`` (the
        contour's error from stretches of frames, :func:`_contour_block_se`) and ``sight_change`` (RMS change of sight line, radians). NaN when there
        are too few frames.
    """
    nan = {k: math.nan for k in ("nose_cm", "midline_cm", "contour_cm", "nose_depth_cm", "contour_depth_cm",
                                 "nose_depth_se_cm", "contour_depth_se_cm", "contour_depth_block_se_cm", "sight_change")}
    n = len(points)
    w, h = frame_size
    if n < 6 or w <= 0 or h <= 0:
        return nan
    if n > DEPTH_MAX_FRAMES:
        keep = np.unique(np.linspace(0, n - 1, DEPTH_MAX_FRAMES).round().astype(int))
        points, iod = points[keep], iod[keep]
        n = len(points)
    f = (w / 2) / math.tan(math.radians(ASSUMED_HFOV_DEG) / 2)
    centre = np.array([w / 2, h / 2])
    plane, probes = list(PLANE), list(PROBES)
    near = np.argsort(-iod)[: min(5, n)]
    ref = np.median(points[near], axis=0)
    px_per_m = float(np.median(iod[near])) / ASSUMED_IPD_M
    theta_ref = (ref[probes] - centre) / f
    res = np.empty((n, len(probes), 2))
    dth = np.empty((n, len(probes), 2))
    for k in range(n):
        hmat = fit_homography(points[k, plane], ref[plane])
        res[k] = (apply_homography(hmat, points[k, probes]) - ref[probes]) / px_per_m
        dth[k] = (points[k, probes] - centre) / f - theta_ref
    den = (dth * dth).sum(axis=(0, 2))
    depth = (res * dth).sum(axis=(0, 2)) / np.maximum(den, 1e-12)
    sigma = np.sqrt(((res - depth[None, :, None] * dth) ** 2).mean(axis=(0, 2)))
    se = sigma / np.sqrt(np.maximum(den, 1e-12))
    a, b = len(NOSE), len(NOSE) + len(MIDLINE)
    nose, mid, contour = (float(np.median(depth[sl])) * 100 for sl in (slice(0, a), slice(a, b), slice(b, None)))
    se_n, se_m, se_c = (float(np.median(se[sl])) * 100 for sl in (slice(0, a), slice(a, b), slice(b, None)))
    block_se_c = _contour_block_se(res[:, b:], dth[:, b:])
    return {
        "nose_cm": nose,
        "midline_cm": mid,
        "contour_cm": contour,
        "nose_depth_cm": nose - mid,
        "contour_depth_cm": -contour,
        "nose_depth_se_cm": math.hypot(se_n, se_m),
        "contour_depth_se_cm": se_c,
        "contour_depth_block_se_cm": block_se_c,
        "sight_change": float(np.sqrt((dth**2).sum(axis=2).mean())),
    }


def _contour_block_se(res: np.ndarray, dth: np.ndarray) -> float:
    """Block error (cm) of the contour group's depth (median over its probes, :func:`approach_depths`).

    An outline is where the surface turns away from the camera, not a fixed point of skin: its landmarks
    slide as the head turns a little while it approaches, and wander together in a dim room, so whole
    stretches of frames shift at once (:func:`block_jackknife_se`)."""
    num = (res * dth).sum(axis=2)  # (n, probes)
    den = (dth * dth).sum(axis=2)
    return block_jackknife_se(
        len(res), lambda keep: float(np.median(num[keep].sum(axis=0) / np.maximum(den[keep].sum(axis=0), 1e-12))) * 100
    )


def nose_growth(points: np.ndarray, iod: np.ndarray) -> dict[str, float]:
    """How fast the nose grows relative to the eye span as the face grows in the image.

    Perspective magnifies what is nearer the camera more: a nose standing 2-5 cm in front of the eyes
    looks longer, relative to the eye span, at 30 cm than at 60 cm (the "selfie nose"). On a picture,
    flat or bent around a vertical axis, nose and eyes lie at one depth and the ratio stays put. For each
    segment of :data:`NOSE_SEGMENTS`, a robust least-squares slope of log(segment / eye-corner span)
    against log(inter-ocular distance) over all usable frames; the median over segments.

    Parameters
    ----------
    points:
        (N, 478, 2) landmarks of usable frames.
    iod:
        (N,) inter-ocular distances in pixels.

    Returns
    -------
    dict
        ``nose_growth`` (dimensionless slope; ~0 for a picture, 0.05-0.3 for faces in the simulator) and
        ``nose_growth_se``; NaN with fewer than 10 frames or too little change of size.
    """
    out = {"nose_growth": math.nan, "nose_growth_se": math.nan}
    if len(points) < 10:
        return out
    x = np.log(np.asarray(iod, np.float64))
    xc = x - x.mean()
    sxx = float((xc**2).sum())
    if sxx < 1e-6 or float(x.max() - x.min()) < 0.1:
        return out
    span = np.linalg.norm(points[:, facemesh.RIGHT_EYE_OUTER] - points[:, facemesh.LEFT_EYE_OUTER], axis=1)
    right, left = facemesh.eye_centres(points)
    eyes = (right + left) / 2
    slopes, ses = [], []
    for a, b in NOSE_SEGMENTS:
        other = eyes if b is None else points[:, b]
        seg = np.linalg.norm(points[:, a] - other, axis=1)
        ok = (seg > 1e-6) & (span > 1e-6)
        if ok.sum() < 10:
            continue
        y = np.log(seg[ok] / span[ok])
        xk = xc[ok]
        design_ = np.c_[xk, np.ones_like(xk)]
        coef = np.linalg.lstsq(design_, y, rcond=None)[0]
        r = y - design_ @ coef
        mad = 1.4826 * float(np.median(np.abs(r))) + 1e-9
        w = np.clip(2.0 * mad / np.maximum(np.abs(r), 1e-12), 0.0, 1.0)  # Huber-like: down-weight outlier frames
        coef = np.linalg.lstsq(design_ * w[:, None], y * w, rcond=None)[0]
        r = y - design_ @ coef
        wsxx = float((w * xk**2).sum())
        slopes.append(float(coef[0]))
        ses.append(math.sqrt(float((w * r**2).sum()) / max(float(w.sum()) - 2.0, 1.0) / max(wsxx, 1e-12)))
    if slopes:
        out["nose_growth"] = float(np.median(slopes))
        out["nose_growth_se"] = float(np.median(ses))
    return out


class GeometryReason(ReasonCode):
    TOO_FEW_FRAMES = "geometry.too_few_frames", "Too few frames with one clear face to measure the face's shape."
    TOO_LITTLE_APPROACH = (
        "geometry.too_little_approach",
        "The face did not come close enough to the camera (size changed x{scale:.2f}, x{needed:.2f} needed) "
        "to check its 3D shape.",
    )
    FACE_3D = "geometry.face_3d", "As the face came closer, its nose and outline moved the way a real 3D face does."
    FLAT = "geometry.flat", "As the face came closer, it moved like a flat picture rather than a 3D face."
    IMPOSSIBLE = (
        "geometry.impossible",
        "As the face came closer, its shape measured physically impossible for a human face ({what}): the video "
        "looks manipulated (e.g. digitally zoomed), not filmed from a real head.",
    )


@dataclass
class GeometryEvidence(Evidence):
    """What the geometry stage measured (fields in the result document's order)."""

    frames_used: int = UNSET
    scale_change: float = UNSET
    iod_far_px: float = UNSET
    iod_near_px: float = UNSET
    pairs: int = UNSET
    nose_residual: float = UNSET
    midline_residual: float = UNSET
    contour_residual: float = UNSET
    plane_rms: float = UNSET
    jitter_nose: float = UNSET
    jitter_contour: float = UNSET
    jitter_plane: float = UNSET
    nose_excess: float = UNSET
    contour_excess: float = UNSET
    gamma_nose: float = UNSET
    gamma_midline: float = UNSET
    gamma_contour: float = UNSET
    depth_nose: float = UNSET
    dose_response: float = UNSET
    # :func:`approach_depths`
    nose_cm: float = UNSET
    midline_cm: float = UNSET
    contour_cm: float = UNSET
    nose_depth_cm: float = UNSET
    contour_depth_cm: float = UNSET
    nose_depth_se_cm: float = UNSET
    contour_depth_se_cm: float = UNSET
    contour_depth_block_se_cm: float = UNSET  # the same from stretches of frames (block jackknife)
    sight_change: float = UNSET
    # :func:`nose_growth`
    nose_growth: float = UNSET
    nose_growth_se: float = UNSET
    features: dict[str, float] = UNSET


@dataclass
class GeometryAnalysis:
    """The measurements of one session: the evidence, the plot series, and why the stage abstains (None:
    it can judge)."""

    evidence: GeometryEvidence
    plots: dict[str, Any] = field(default_factory=dict)
    abstain: GeometryReason | None = None
    params: dict[str, Any] = field(default_factory=dict)  # numbers the abstention's sentence quotes

    @property
    def ok(self) -> bool:
        return self.abstain is None


@dataclass
class GeometryOptions:
    """Options of the geometry stage.

    Attributes
    ----------
    min_scale:
        Near/far inter-ocular ratio needed; below it the stage abstains (too little motion).
    pair_frames:
        Far and near frames used (pairs = its square).
    far_quantile, near_quantile:
        Frames at or below / above these inter-ocular quantiles count as far / near.
    min_iod_px:
        Frames with smaller faces are ignored (landmarks too coarse).
    coef, bias:
        Logistic score over the features (fitted on training seeds).
    contour_front_max_cm:
        A face outline more than this in front of the eye/brow/mouth plane is impossible (a face's outline
        lies several centimetres behind its eye corners).
    nose_growth_max:
        A nose that grows faster than this relative to the eye span is impossible (perspective alone gives
        roughly nose depth / distance).
    impossible_se:
        A value counts as impossible only when it lies this many of its standard errors beyond the limit
        (landmark noise must not fail a genuine face).
    impossible_block_se:
        The outline counts as in front of the eyes only when it also lies this many of its block errors
        (``contour_depth_block_se_cm``) beyond the limit: its side must not depend on which stretch of the
        approach is measured. In dim rooms a genuine outline's landmarks wander together over stretches of
        frames; two simulated genuine users read 3.7 cm "in front" with frame-independent errors of 0.8 cm but
        block errors of 10-12 cm, while a hand-made hollow head reads 3.5-5 cm with block errors of 0.7-3.8 cm
        (docs/accuracy.md, "Errors that allow for the face's own changes").
    """

    min_scale: float = 1.3
    pair_frames: int = 5
    far_quantile: float = 0.2
    near_quantile: float = 0.8
    min_iod_px: float = 20.0
    coef: dict[str, float] = field(default_factory=lambda: {"nose_excess": 1.5, "depth_nose": 1.0, "contour_excess": 0.15})
    bias: float = -3.0
    contour_front_max_cm: float = 0.0
    nose_growth_max: float = 0.6
    impossible_se: float = 2.0
    impossible_block_se: float = 1.0


def impossible_geometry(ev: GeometryEvidence, o: GeometryOptions) -> dict[str, str]:
    """What the measured shape shows that no human face can produce, by feature name (empty when nothing):
    an outline in front of the eye plane, a nose growing implausibly fast. Each value must be beyond its
    limit by ``impossible_se`` of its standard errors; the outline also by ``impossible_block_se`` of its
    block error.

    The nose's depth in centimetres is not among these: a genuine head that turns while it approaches
    inflates it (a hand-made 3D head with a 2.5 cm nose turning +-4 degrees reads 8.5 +- 0.7 cm), so a limit on
    it would reject genuine users (fresh genuine sessions read up to 11.5 cm); its fusion input is only
    clipped (:data:`FEATURE_RANGES`), so a larger value adds nothing."""

    def beyond(value: float, se: Any, limit: float) -> bool:
        return moved_by_errors(value, se, -o.impossible_se) > limit

    out: dict[str, str] = {}
    front = -number(ev.contour_depth_cm)
    steady = moved_by_errors(front, ev.contour_depth_block_se_cm, -o.impossible_block_se) > o.contour_front_max_cm
    if beyond(front, ev.contour_depth_se_cm, o.contour_front_max_cm) and steady:
        out["contour_depth_cm"] = f"its outline {front:.1f} cm in front of the eyes, where a face's outline lies behind them"
    growth = number(ev.nose_growth)
    if beyond(growth, ev.nose_growth_se, o.nose_growth_max):
        out["nose_growth"] = (
            f"its nose grew {growth:.2f} times as fast as the eye span, at most {o.nose_growth_max:.1f} is possible"
        )
    return out


class GeometryStage:
    """Session stage: ``evaluate(session) -> CheckResult`` named ``geometry``."""

    name = "geometry"

    def __init__(self, options: GeometryOptions) -> None:
        self.options = options

    @classmethod
    def create(cls, options: GeometryOptions | None = None) -> "GeometryStage":
        return cls(options or GeometryOptions())

    def close(self) -> None:
        """Nothing to release."""

    def analyse(self, session: SessionInput) -> GeometryAnalysis:
        """The measurements (and why the stage abstains, if it does)."""
        o = self.options
        d: SessionData = session.data
        ok = (d.n_faces == 1) & np.isfinite(d.iod) & (d.iod >= o.min_iod_px) & np.isfinite(d.points[:, 0, 0])
        # Frames with closed eyes move the eyelid-adjacent landmarks; skip them.
        ok &= ~(d.blink > 0.6)
        cues = session.challenge.cue_ns
        if session.challenge.moves and cues:
            # A movement-only check: the perspective is the approach's. A head turning on a cue swings its
            # outline and nose across the eye/brow/mouth plane, which reads as an outline in front of the eyes
            # (a "physically impossible" face), so the frames from the first cue on are not measured here.
            ok &= np.asarray(d.t_ns, np.int64) < int(cues[0])
        idx = np.flatnonzero(ok)
        evidence = GeometryEvidence(frames_used=int(len(idx)))
        if len(idx) < 2 * 3:
            return GeometryAnalysis(evidence, abstain=GeometryReason.TOO_FEW_FRAMES)
        iod = d.iod[idx]
        far_cut, near_cut = np.quantile(iod, o.far_quantile), np.quantile(iod, o.near_quantile)
        far = idx[iod <= far_cut]
        near = idx[iod >= near_cut]
        far = far[np.argsort(d.iod[far])][: o.pair_frames]
        near = near[np.argsort(-d.iod[near])][: o.pair_frames]
        scale = float(np.median(d.iod[near]) / max(np.median(d.iod[far]), 1e-6))
        evidence.scale_change = scale
        evidence.iod_far_px = float(np.median(d.iod[far]))
        evidence.iod_near_px = float(np.median(d.iod[near]))
        if scale < o.min_scale or len(far) < 2 or len(near) < 2:
            return GeometryAnalysis(
                evidence, abstain=GeometryReason.TOO_LITTLE_APPROACH, params={"scale": scale, "needed": o.min_scale}
            )
        pairs = []
        for i in far:
            for j in near:
                pairs.append(plane_parallax(d.points[i].astype(np.float64), d.points[j].astype(np.float64), float(d.iod[j])))
        # Jitter: the same measurement between near frames (same distance, no parallax expected).
        jitter = []
        near_all = idx[iod >= near_cut]
        near_all = near_all[np.argsort(d.t_ns[near_all])]
        for a, b in zip(near_all[:-1:2], near_all[1::2]):
            jp = plane_parallax(d.points[a].astype(np.float64), d.points[b].astype(np.float64), float(d.iod[b]))
            jitter.append(jp)
            if len(jitter) >= 12:
                break

        def med(key: str, items: list[dict[str, Any]]) -> float:
            return nanmedian([p[key] for p in items])

        nose, contour, midline, plane_rms = med("nose", pairs), med("contour", pairs), med("midline", pairs), med("plane_rms", pairs)
        j_nose = med("nose", jitter) if jitter else math.nan
        j_contour = med("contour", jitter) if jitter else math.nan
        j_plane = med("plane_rms", jitter) if jitter else math.nan
        noise_floor = max(j_nose if math.isfinite(j_nose) else 0.0, j_plane if math.isfinite(j_plane) else 0.0, 0.004)
        g_nose, g_mid, g_contour = med("gamma_nose", pairs), med("gamma_midline", pairs), med("gamma_contour", pairs)
        depth_nose = (g_nose - g_mid) / abs(g_contour) if math.isfinite(g_contour) and abs(g_contour) > 1e-6 else math.nan
        evidence.pairs = len(pairs)
        evidence.nose_residual = nose
        evidence.midline_residual = midline
        evidence.contour_residual = contour
        evidence.plane_rms = plane_rms
        evidence.jitter_nose = j_nose
        evidence.jitter_contour = j_contour
        evidence.jitter_plane = j_plane
        evidence.nose_excess = (nose - noise_floor) / noise_floor
        evidence.contour_excess = (contour - max(j_contour if math.isfinite(j_contour) else 0.0, 0.004)) / noise_floor
        evidence.gamma_nose = g_nose
        evidence.gamma_midline = g_mid
        evidence.gamma_contour = g_contour
        evidence.depth_nose = depth_nose
        evidence.dose_response = self._dose_response(d)
        usable = d.points[idx].astype(np.float64)
        evidence = dataclasses.replace(evidence, **approach_depths(usable, d.iod[idx], d.frame_size))
        evidence = dataclasses.replace(evidence, **nose_growth(usable, d.iod[idx]))
        # Landmark drift for the operator plot: face centre and size over time.
        t0 = int(d.t_ns[0])
        plots = {
            "t_ms": ((d.t_ns[idx] - t0) / 1e6).round(1).tolist(),
            "iod_px": np.round(d.iod[idx], 2).tolist(),
            "centre_x": np.round(d.box[idx, 0] + d.box[idx, 2] / 2, 1).tolist(),
            "centre_y": np.round(d.box[idx, 1] + d.box[idx, 3] / 2, 1).tolist(),
            "pair_nose_residual": [round(p["nose"], 4) for p in pairs],
        }
        return GeometryAnalysis(evidence, plots)

    @staticmethod
    def _dose_response(d: SessionData) -> float:
        """Slope of log(face / room brightness) against log(face size) before the flashes.

        Positive when the face brightens as it nears the (lit) screen, the
        signature of a reflective object near the display.
        """
        face = group_signal(d.regions, CENTRE_REGIONS).mean(axis=1)
        room = group_signal(d.regions, AROUND_REGIONS).mean(axis=1)
        ok = np.isfinite(face) & np.isfinite(room) & np.isfinite(d.iod) & (room > 3) & (face > 3)
        if ok.sum() < 10:
            return math.nan
        x = np.log(d.iod[ok])
        y = np.log(face[ok] / room[ok])
        if float(x.std()) < 0.1:
            return math.nan
        return float(np.polyfit(x, y, 1)[0])

    def features(self, evidence: GeometryEvidence) -> dict[str, float]:
        """The numbers the score uses, clipped to the ranges a genuine face produces (NaN where missing).

        A value beyond what a human face can produce counts against liveness, never for it: it becomes its
        range's least live value (a nose 8 cm in front of the eyes is evidence of manipulation, not of depth)."""
        out = {}
        for k, (lo, hi) in FEATURE_RANGES.items():
            v = number(getattr(evidence, k))
            out[k] = float(np.clip(v, lo, hi)) if math.isfinite(v) else math.nan
        for k in impossible_geometry(evidence, self.options):
            out[k] = FEATURE_RANGES[k][0]
        return out

    def evaluate(self, session: SessionInput) -> CheckResult:
        res, _ = self.evaluate_with_plots(session)
        return res

    def evaluate_with_plots(self, session: SessionInput) -> tuple[CheckResult, dict[str, Any]]:
        """Judge the 3D shape; also returns the landmark-drift plot series."""
        a = self.analyse(session)
        ev = a.evidence
        if a.abstain is not None:
            return result(self.name, Verdict.ABSTAIN, None, a.abstain, ev, **a.params), a.plots
        feats = self.features(ev)
        ev.features = feats
        score = logistic_score(feats, self.options.coef, self.options.bias)
        impossible = impossible_geometry(ev, self.options)
        if impossible:
            return result(self.name, Verdict.FAIL, min(score, 0.02), GeometryReason.IMPOSSIBLE, ev, hard_fail=True,
                          what="; ".join(impossible.values())), a.plots
        if score >= 0.5:
            return result(self.name, Verdict.PASS, score, GeometryReason.FACE_3D, ev), a.plots
        return result(self.name, Verdict.FAIL, score, GeometryReason.FLAT, ev), a.plots


STAGE = STAGES.register(
    StageSpec("geometry", GeometryStage, GeometryOptions, GeometryEvidence, order=30, plots=True, feature_ranges=FEATURE_RANGES)
)
