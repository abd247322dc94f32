"""Light response: does the face reflect *this* session's colour sequence, on time, like a 3D face?

Model (product reference, section 3): a skin pixel is albedo x (ambient +
screen light x geometry) x camera gain. Over the colour sequence the face
colour ``y(t)`` (RGB) therefore follows the displayed colour ``E(t - lag)``
through a fixed 3x3 display-to-camera mixing ``M`` on top of a slowly varying
baseline::

    y_c(t) = sum_k M_ck E_k(t - lag) + a_c + b_c tau + e_c tau^2

The stage

1. rebuilds ``E`` from the challenge (wipe ramps, exposure smoothing);
2. fits the model for every lag from -40 to 600 ms and keeps the best lag
   overall and the best lag inside the calibrated display-to-camera window;
3. compares the fit with the fits of decoy sequences (same timing, colours
   never shown): a face must follow *this* sequence, not just "flashes";
4. compensates auto-exposure / white balance by using face / background
   ratios when the background is bright enough (a global gain cancels);
5. reads the spatial pattern at the chosen lag: the response of the sides
   of the face relative to its centre (3D shading), of the area around the
   head relative to the face (a print or a device near the camera responds,
   a room far behind a head does not), a concentrated glare blob (a glossy
   screen), and the sweep order: for every colour, the part of the face the
   wipe reaches first (the forehead for a down wipe, the customer's left
   cheek for a wipe to their right) takes the new colour before the part it
   reaches last (:meth:`LightStage._sweep_order`).

Hard failures: the face does not follow this sequence (another sequence or
none, e.g. a replay or an injected stream), it follows it too late (a
forged real-time tint), it carries colour changes of its own (a replay of
another check whose glass also mirrors this one's colours), it follows
the sequence as a whole but not colour by colour (a recorded sequence that
happens to resemble this one in a few steps), or one camera channel that
changes clearly follows it no better than chance (a recorded sequence that
matches this one in the other channels), or the light crossed the face in
another order than this session's wipes (a tint painted without knowing
each colour's direction). When too few colours show their sweep order the
stage abstains, which never counts as a pass.

A face whose skin is clipped white cannot change colour, so an over-exposed
capture abstains (the session cannot pass; the customer is told to reduce
the light) instead of being called a replay.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.core.challenge import MOVEMENT_ONLY
from app.core.enums import Verdict
from app.core.scoring.contract import CheckResult
from app.core.scoring.display import DisplayTimeline, SampledTimeline, decoy_sequences
from app.core.scoring.evidence import UNSET, Evidence, number
from app.core.scoring.features import AROUND_REGIONS, CENTRE_REGIONS, R, RING_REGIONS, SIDE_REGIONS, SessionData
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

log = logging.getLogger(__name__)

UPPER_REGIONS = ("forehead", "upper", "nose_bridge")
#: Robust ranges the score's features are clipped to (a single extreme value must not decide).
FEATURE_RANGES: dict[str, tuple[float, float]] = {
    "gain_db": (-5.0, 20.0),
    "snr_db": (-10.0, 25.0),
    "r2": (0.0, 1.0),
    "side_centre": (0.0, 2.0),
    "surround": (-0.5, 1.5),
    "response_spread": (0.0, 8.0),
    "wipe_lead_ms": (-40.0, 100.0),
    "foreign_excess": (0.0, 1.5),
    "rel_amplitude": (0.0, 2.0),
}
LOWER_REGIONS = ("chin", "lower", "under_nose")
#: The subject's own left and right of the face (their left appears on the image's right): cheek and the side
#: near the contour, which faces further sideways and so leans most towards one half of the screen.
SUBJECT_LEFT_REGIONS = ("cheek_l", "side_l")
SUBJECT_RIGHT_REGIONS = ("cheek_r", "side_r")
#: Per wipe direction (the customer's frame, :data:`app.core.challenge.WIPES`): the part of the face the sweep
#: lights first and the part it lights last. The screen's half where a wipe starts lights most the part of the
#: face turned towards it: the top half the forehead, the customer's left half their left cheek and side.
SWEEP_REGIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "down": (UPPER_REGIONS, LOWER_REGIONS),
    "up": (LOWER_REGIONS, UPPER_REGIONS),
    "right": (SUBJECT_LEFT_REGIONS, SUBJECT_RIGHT_REGIONS),
    "left": (SUBJECT_RIGHT_REGIONS, SUBJECT_LEFT_REGIONS),
}


@dataclass
class LightOptions:
    """Options of the light-response stage (defaults are overridden by the fusion config).

    Attributes
    ----------
    lag_search_ms:
        Range of display-to-camera lags searched.
    lag_window_ms:
        Lags a real camera and display can have (calibrated on genuine sessions).
    lag_step_ms:
        Step of the lag search.
    pre_ms, post_ms:
        Frames this long before the first colour and after the last one are used (baseline, lag).
    decoys:
        Number of decoy sequences forming the null distribution.
    min_frames, min_face_fraction:
        Below these the stage abstains.
    ratio_min_bg:
        Mean background level (0..255) from which face/background ratios are used.
    gain_fail_db, margin_fail, r2_fail:
        Hard failure when the face follows this sequence no better than decoys: the unexplained variance
        is not ``gain_fail_db`` below a typical decoy's, the R^2 does not beat the best decoy by
        ``margin_fail``, or the R^2 is below ``r2_fail``.
    late_margin:
        Hard failure on timing when the best fit lies after the window and beats the in-window fit by this much R^2.
    late_share_fail:
        Hard failure on timing when at least this share of the explained response belongs to the sequence
        100 ms after the in-window lag (:func:`late_share`): judged continuously, not at a window edge. A face
        within the window has a share near 0 whatever its lag; the share grows by roughly 0.1 per 10 ms that
        a response comes after the window, so 0.25 places the timing limit ~25 ms after the calibrated window
        (a face must be explained at least three quarters at the physical lag).
    foreign_fail:
        Hard failure when the face carries this much slow colour change that the sequence does not explain,
        relative to what it explains (:func:`foreign_structure`): a screen replaying another session's
        flashes whose glass also mirrors this session's colours. Set from genuine training sessions.
    step_fail:
        Hard failure when the face follows the sequence overall but not colour by colour
        (:func:`step_mismatch` at least this large). Set from genuine training sessions.
    step_settle:
        Share of each colour's wipe after which the face is taken to show that colour (step means).
    step_worst:
        :func:`step_mismatch` averages this many worst-matching colours.
    clip_abstain:
        The stage abstains when more than this share of the face is clipped white (median over the colours).
    channel_gain_fail_db:
        Hard failure when a camera channel that changes clearly follows this sequence worse than a typical
        never-shown sequence (gain over the decoys' median below this, dB): a reflection follows the screen in
        every channel; a replayed check whose colours match this one's in some channels by chance does not.
        A fixed physical limit (0 dB: no better than chance), not fitted.
    sweep_z:
        A colour step's sweep order (:func:`step_delays`) counts as agreeing with this session's wipe when the
        part of the face the wipe reaches first leads the part it reaches last by at least this many standard
        errors, and as disagreeing when it trails by as much; in between the step is undecided.
    sweep_se_max:
        A step is usable for the sweep order when the standard error of its lead is at most this share of its
        wipe's duration (a colour change too small for the face to show its order is not judged).
    sweep_min_usable:
        Fewer usable steps than this: the spatial evidence is too weak and the stage abstains
        (``light.sweep_weak``; an abstaining check never counts as a pass).
    sweep_min_agree, sweep_fail:
        Hard failure ``light.sweep_order`` when fewer than ``sweep_min_agree`` usable steps agree, or when the
        agreeing share of the usable steps is below ``sweep_fail`` (every disagreeing step counts against),
        unless no step disagrees and the steps pooled still lean this session's way (then the evidence is
        faint and the stage abstains, :meth:`LightStage.sweep_verdict`).
    faint_change:
        A hard failure is called only on a response strong enough to judge: when the face's slow colour change
        during the colours (``colour_change``, RMS over its level) stays below this, every rule above that
        fires makes the stage abstain instead (``light.too_faint``; never a pass). In a bright room the screen
        gives the face only 1-6 % of its light and its response is this faint, so late, colour-by-colour and
        sweep-order evidence is mostly noise there; a replay of another check's flashes changes the face's
        colour far more (docs/accuracy.md, "Too faint to call it forged").
    late_share_se_k:
        "Mostly late" is called only when the late share exceeds ``late_share_fail`` by this many of its
        standard errors (``late_share_se``, a block jackknife); a share above the limit but within that error
        makes the stage abstain (``light.late_unclear``; never a pass: passing still needs a share below the
        limit). A genuine face's own colour changes (sways into the key light, blinks) decide shares of
        0.2-0.3 with errors of 0.1-0.3 in dim rooms; a forger whose response comes clearly late reads near 1.
    coef, bias:
        Logistic score over the evidence features (fitted on training seeds).
    """

    lag_search_ms: tuple[float, float] = (-40.0, 600.0)
    lag_window_ms: tuple[float, float] = (-30.0, 130.0)
    lag_step_ms: float = 10.0
    pre_ms: float = 250.0
    post_ms: float = 400.0
    decoys: int = 24
    #: Remove the face's own brightness changes (head motion, auto-exposure steps) with the slow trends before
    #: fitting the colours (:func:`own_brightness_basis`); False: trends only (the behaviour before issue 16).
    own_brightness: bool = True
    min_frames: int = 20
    min_face_fraction: float = 0.7
    ratio_min_bg: float = 20.0
    gain_fail_db: float = 2.0
    margin_fail: float = 0.0
    r2_fail: float = 0.15
    late_margin: float = 0.03
    late_share_fail: float = 0.25
    foreign_fail: float = 0.35
    step_fail: float = 0.55
    step_settle: float = 0.6
    step_worst: int = 3
    clip_abstain: float = 0.25
    channel_gain_fail_db: float = 0.0
    sweep_z: float = 2.0
    sweep_se_max: float = 0.16
    sweep_min_usable: int = 4
    sweep_min_agree: int = 4
    sweep_fail: float = 0.6
    faint_change: float = 0.02
    late_share_se_k: float = 2.0
    coef: dict[str, float] = field(
        default_factory=lambda: {"shade": 8.0, "surround": -3.0, "response_spread": 0.8, "wipe_lead_ms": 0.03}
    )
    bias: float = -1.0


@dataclass
class LagFit:
    """Fit of one signal against one timeline over a set of lags."""

    lags_ms: np.ndarray
    r2: np.ndarray  # (L,)
    beta: np.ndarray  # (L, 3, 3): display channel -> camera channel
    sst: float
    r2_channel: np.ndarray  # (L, 3): share of each camera channel's detrended variance explained


def trend_basis(t_ns: np.ndarray) -> np.ndarray:
    """Orthonormal basis of constant, linear and quadratic trends over the frames' times."""
    t = t_ns.astype(np.float64)
    span = max(float(t.max() - t.min()), 1.0)
    tau = 2.0 * (t - t.min()) / span - 1.0
    basis = np.stack([np.ones_like(tau), tau, tau * tau], axis=1)
    q, _ = np.linalg.qr(basis)
    return q


#: The background's own fit to the shown sequence (partial R^2, best lag in the window) above which it is a
#: surface the screen lights (a print's sheet, a near wall) rather than a measure of the camera's exposure.
BG_FOLLOWS_R2 = 0.3


def _standardise(column: np.ndarray) -> np.ndarray | None:
    """Zero-mean, unit-norm copy of a regressor with gaps (NaN) filled by interpolation; None when unusable."""
    v = np.asarray(column, np.float64)
    ok = np.isfinite(v)
    if ok.sum() < max(8, 0.8 * len(v)):
        return None
    idx = np.arange(len(v))
    v = np.interp(idx, idx[ok], v[ok])
    v = v - v.mean()
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 1e-9 else None


def own_brightness_basis(
    t_ns: np.ndarray, d: SessionData, valid: np.ndarray, x_all: np.ndarray, in_window: np.ndarray
) -> np.ndarray:
    """The baseline the colour fit removes: slow trends plus the face's OWN brightness changes.

    A real face changes brightness without any help from the screen: head motion turns it in the room's light
    (on real footage 11-15 grey levels while "still"), and webcams' auto-exposure moves in steps. Both are
    modelled before asking whether the face followed the colours:

    - **motion**: per frame, the face's sideways position (eye midpoint x), size (log eye distance) and turn
      (nose tip relative to the eye midpoint, over the eye distance);
    - **exposure**: the log grey level of the room around the head, a global gain the camera applies to the
      whole picture, but only when that background does not itself follow the shown sequence (partial R^2 below
      :data:`BG_FOLLOWS_R2`): a surface the screen lights (a print's sheet) is not an exposure meter, and
      removing it would remove a response.

    The same basis is used for the shown sequence and for the decoys, so it can only remove variance that is
    not the sequence's; it never makes a sequence the face did not follow look followed.

    Parameters
    ----------
    t_ns:
        (n,) times of the frames used (``valid`` rows of ``d``).
    d:
        The session's per-frame data.
    valid:
        (N,) bool, the frames used.
    x_all:
        (L, n, 3) the shown sequence's design per lag.
    in_window:
        (L,) bool, the lags inside the display-to-camera window.

    Returns
    -------
    numpy.ndarray
        (n, k) orthonormal columns: constant, linear and quadratic trends first, then the regressors that are
        not (nearly) collinear with them.
    """
    from app.core.facemesh import NOSE_TIP, eye_centres

    base = trend_basis(t_ns)
    cols: list[np.ndarray] = []
    pts = d.points[valid].astype(np.float64)
    if pts.ndim == 3 and pts.shape[0] == len(t_ns) and np.isfinite(pts[:, 0, 0]).any():
        left, right = eye_centres(pts)
        mid = (left + right) / 2  # (n, 2)
        iod = np.linalg.norm(right - left, axis=-1)
        iod = np.where(iod > 1.0, iod, np.nan)
        tip = pts[:, NOSE_TIP]
        # Sideways position, distance and turn. Height and nod are left out: on hand-made replays they absorbed
        # much of the replayed flashes' own colour changes (the foreign-pattern evidence fell from 0.36 to 0.24).
        for column in (mid[:, 0], np.log(iod), (tip[:, 0] - mid[:, 0]) / iod):
            c = _standardise(column)
            if c is not None:
                cols.append(c)
    bg = group_signal(d.regions, AROUND_REGIONS)[valid].mean(axis=1)
    bg_col = _standardise(np.log(np.where(bg > 2.0, bg, np.nan)))
    if bg_col is not None:
        follows = fit_lags(bg_col[:, None], x_all[in_window], base, np.zeros(int(in_window.sum()))).r2
        if float(follows.max(initial=0.0)) < BG_FOLLOWS_R2:
            cols.append(bg_col)
    if not cols:
        return base
    extra = detrend(np.stack(cols, axis=1), base)
    q, r = np.linalg.qr(np.concatenate([base, extra], axis=1))
    keep = np.abs(np.diag(r)) > 1e-6
    keep[: base.shape[1]] = True
    return q[:, keep]


def detrend(values: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Remove the trend space spanned by ``q`` (n, k) from ``values`` (..., n, c)."""
    return values - np.matmul(q, np.matmul(q.T, values))


def design(sampled: SampledTimeline, t_ns: np.ndarray, lags_ms: np.ndarray) -> np.ndarray:
    """Displayed colour (0..1) seen by each frame for each lag: shape (L, n, 3)."""
    times = t_ns[None, :] - (lags_ms[:, None] * 1e6).astype(np.int64)
    return sampled.at(times) / 255.0


def fit_lags(y: np.ndarray, x_all: np.ndarray, q: np.ndarray, lags_ms: np.ndarray) -> LagFit:
    """Least-squares fit of ``y`` (n, 3) on each lag's design ``x_all`` (..., L, n, 3) plus trends.

    Returns the pooled partial R^2 (share of the detrended variance the
    displayed colour explains) per lag and the 3x3 mixing per lag; leading
    dimensions of ``x_all`` (several sequences at once) are kept.
    """
    yr = detrend(y, q)
    xr = detrend(x_all, q)
    xt = np.swapaxes(xr, -1, -2)
    gram = np.matmul(xt, xr)
    ridge = 1e-6 * np.trace(gram, axis1=-2, axis2=-1)[..., None, None] + 1e-12
    gram = gram + ridge * np.eye(3)
    cross = np.matmul(xt, yr)
    beta = np.linalg.solve(gram, cross)
    per_channel = (cross * beta).sum(axis=-2)
    explained = per_channel.sum(axis=-1)
    sst_c = (yr * yr).sum(axis=0)
    sst = float(sst_c.sum())
    r2 = explained / sst if sst > 0 else np.zeros(explained.shape)
    r2_c = per_channel / np.maximum(sst_c, 1e-12)
    return LagFit(lags_ms, np.clip(r2, 0.0, 1.0), beta, sst, np.clip(r2_c, 0.0, 1.0))


def region_gain(y: np.ndarray, pred: np.ndarray, t_ns: np.ndarray) -> float:
    """Gain ``k`` of a region's detrended colour against a predicted response (pooled over channels).

    Rows where the region is undefined are dropped; NaN when fewer than 80 % remain.
    """
    ok = np.isfinite(y).all(axis=1)
    if ok.sum() < max(8, 0.8 * len(y)):
        return math.nan
    q = trend_basis(t_ns[ok])
    yr = detrend(y[ok], q)
    pr = detrend(pred[ok], q)
    den = float((pr * pr).sum())
    return float((yr * pr).sum() / den) if den > 0 else math.nan


def null_zscore(r2: float, decoy_r2: np.ndarray) -> float:
    """How many decoy standard deviations the fit to the shown sequence lies above the decoys' mean.

    R^2 values are mapped to Fisher's z of their square root (near-normal for correlations), so a handful
    of decoys estimate the null well enough to ask for evidence far beyond what counting them could
    (with 24 decoys a replay of an unrelated sequence beats them all about 1 time in 25; a z of 4 is
    about 3 in 100 000 under a normal null).
    """
    def fz(v: np.ndarray | float) -> np.ndarray:
        r = np.sqrt(np.clip(np.asarray(v, np.float64), 0.0, 0.9999))
        return np.arctanh(r)

    zd = fz(decoy_r2)
    sd = max(float(np.std(zd, ddof=1)) if len(zd) > 1 else 0.0, 0.02)
    return float((fz(r2) - float(np.mean(zd))) / sd)


#: Foreign structure a face or a print leaves unexplained at most in the training suites (~0.1, see
#: :func:`foreign_structure`); only the excess over it is evidence of a replay.
FOREIGN_TYPICAL = 0.1


def structured_variance(values: np.ndarray) -> np.ndarray:
    """Per column, the variance that is not white frame-to-frame noise: ``var(e) - var(diff(e)) / 2``."""
    return np.var(values, axis=0) - 0.5 * np.var(np.diff(values, axis=0), axis=0)


def foreign_structure(residual: np.ndarray, explained: float) -> float:
    """Slow colour change the shown sequence does not explain, relative to what it does explain.

    The residual ``e`` of the fit holds sensor noise (white: its variance is half that of its frame-to-frame
    differences) and anything else that changed the face's colour. ``(var(e) - var(diff(e)) / 2) /
    explained`` keeps only the slow part: near 0.02-0.1 for a face or a print lit by the screen, large when
    the face carries colour changes of its own (a replayed video of another session's flashes, a switched
    light). NaN with fewer than 8 frames or no explained variance.
    """
    e = np.asarray(residual, np.float64)
    if e.ndim == 1:
        e = e[:, None]
    if len(e) < 8 or not explained > 0:
        return math.nan
    return max(float(structured_variance(e).sum()), 0.0) / explained


def step_mismatch(
    t_ms: np.ndarray, residual: np.ndarray, fitted: np.ndarray, starts_ms: np.ndarray, wipes_ms: np.ndarray,
    ends_ms: np.ndarray, lag_ms: float, *, settle: float = 0.6, worst: int = 3,
) -> tuple[float, list[float]]:
    """How badly the face follows the sequence colour by colour, for the worst-matching colours.

    A reflecting surface follows *every* colour in proportion; a recorded sequence that resembles this one
    by chance (a replay of another check) matches some colours and misses others, which an overall fit can
    average away. For each colour, the mean fit residual over the settled part of its display time (from
    ``settle`` of its wipe to its end, shifted by the lag) relative to the typical size of the fitted colour
    change (median over colours of the step's fitted deviation from the mean); the mean of the ``worst``
    largest. ~0.1-0.4 for faces and pictures, 0.5-3 for replays of another sequence. NaN with fewer than 5
    usable colours.

    Parameters
    ----------
    t_ms:
        (n,) frame times relative to the sequence start.
    residual, fitted:
        (n, 3) fit residual and fitted colour (same units).
    starts_ms, wipes_ms, ends_ms:
        Per colour: when it started to wipe in, how long the wipe took, when it ended (relative to the start).
    lag_ms:
        Display-to-camera lag of the fit.

    Returns
    -------
    tuple
        (mismatch, per-colour relative errors in display order, NaN where too few frames).
    """
    mean_fit = np.nanmean(fitted, axis=0)
    errs, sizes = [], []
    for a0, w, b0 in zip(starts_ms, wipes_ms, ends_ms):
        m = (t_ms >= a0 + settle * w + lag_ms) & (t_ms < b0 + lag_ms)
        if m.sum() < 2:
            errs.append(math.nan)
            sizes.append(math.nan)
            continue
        errs.append(float(np.linalg.norm(residual[m].mean(axis=0))))
        sizes.append(float(np.linalg.norm(fitted[m].mean(axis=0) - mean_fit)))
    e, z = np.asarray(errs), np.asarray(sizes)
    ok = np.isfinite(e) & np.isfinite(z)
    if ok.sum() < 5:
        return math.nan, [math.nan] * len(errs)
    scale = max(float(np.median(z[ok])), 1e-6)
    rel = e / scale
    return float(np.sort(rel[ok])[::-1][:worst].mean()), [float(v) for v in rel]


#: Response to a full-white screen, relative to the face's level, from which the screen is the main light on
#: the face (a dark room): ~0.5-1 in rooms of 8-35 lux, ~0.1-0.45 in lit rooms (simulated; needs real captures).
SCREEN_LIT_AMPLITUDE = 0.5

#: Share of a camera channel's change that is not frame-to-frame noise from which the channel "changes clearly"
#: (~0.8-1 for every channel of a face lit by the flashes; ~0 for a channel that only carries noise).
CHANNEL_STRUCTURED = 0.5

#: Half-step (ms) of the central difference that gives the displayed colour's change per ms of lag.
WIPE_STEP_MS = 6.0


def response_delay(y: np.ndarray, x_lag: np.ndarray, x_slope: np.ndarray, q: np.ndarray) -> float:
    """How many ms later than the fitted lag a region follows the displayed colour (negative: earlier).

    Near the lag, ``x(lag + d) ~ x(lag) + d * dx/dlag``; fitting the region's colour ``y`` (n, 3) on both
    ``x(lag)`` and ``dx/dlag`` (each (n, 3), plus the trends ``q``) gives mixings ``B`` and ``G`` with
    ``G ~ d * B``, so ``d = <G, B> / <B, B>``. One least-squares fit over every frame and channel: far less
    noisy than locating the peak of the fit over a grid of lags, and exact for shifts small against the
    colour changes (a wipe takes ~100-200 ms, the face spans a fraction of it). NaN without a response.
    """
    yr = detrend(y, q)
    design_ = np.concatenate([detrend(x_lag, q), detrend(x_slope, q)], axis=1)  # (n, 6)
    coef, *_ = np.linalg.lstsq(design_, yr, rcond=None)
    b, g = coef[:3], coef[3:]
    den = float((b * b).sum())
    return float((g * b).sum()) / den if den > 0 else math.nan


def group_signal(regions: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Mean over the named regions (ignoring NaN regions), shape (n, 3)."""
    stack = regions[:, [R[n] for n in names], :]
    with np.errstate(invalid="ignore"):
        count = np.isfinite(stack).sum(axis=1)
        total = np.nansum(stack, axis=1)
    out = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return out.astype(np.float64)


def _peak(lags: np.ndarray, r2: np.ndarray, mask: np.ndarray) -> tuple[int, float]:
    """Index of the best lag within ``mask`` and its parabola-refined lag (ms)."""
    idx = np.flatnonzero(mask)
    best = int(idx[np.argmax(r2[idx])])
    lag = float(lags[best])
    if 0 < best < len(lags) - 1 and mask[best - 1] and mask[best + 1]:
        a, b, c = r2[best - 1], r2[best], r2[best + 1]
        den = a - 2 * b + c
        if den < 0:
            lag += 0.5 * (a - c) / den * float(lags[1] - lags[0])
    return best, lag


#: The late component of :func:`late_share` is the displayed sequence this much later than the in-window lag.
LATE_SHIFT_MS = 100.0


def _pratt_split(yr: np.ndarray, x: np.ndarray) -> tuple[float, float, float]:
    """Explained variance of ``yr`` (n, 3) attributed to the first three and the last three columns of ``x``
    (n, 6) by Pratt's measure, and the total sum of squares."""
    gram = x.T @ x
    gram = gram + (1e-6 * float(np.trace(gram)) + 1e-12) * np.eye(6)
    cross = x.T @ yr  # (6, 3)
    beta = np.linalg.solve(gram, cross)
    contrib = (beta * cross).sum(axis=1)  # per regressor, pooled over camera channels
    return float(contrib[:3].sum()), float(contrib[3:].sum()), float((yr * yr).sum())


def late_share(y: np.ndarray, x_now: np.ndarray, x_late: np.ndarray, q: np.ndarray) -> tuple[float, float, float]:
    """How much of the face's colour response is explained by the sequence ``LATE_SHIFT_MS`` later than the
    in-window lag rather than at it: ``(share 0..1, joint R^2, standard error of the share)``.

    ``y`` (n, 3) is fitted jointly on the displayed colour at the in-window lag ``x_now`` and at the later lag
    ``x_late`` (both (n, 3), plus trends); the explained variance is split between the two by Pratt's measure
    (coefficient times covariance, which sums to the explained variance). A face lit by the screen is
    explained at its own lag (share ~0); a response ``d`` ms after the window's end shares roughly
    ``d / LATE_SHIFT_MS`` of its variance with the later sequence, growing continuously with the lag, so there
    is no gap between "on time" and "too late" for a forger to hide in.

    The error is a block jackknife over consecutive stretches of frames (:func:`block_jackknife_se`): a face's
    own colour changes (a sway into the key light, a blink, an exposure step) fall on a few colours, and a
    share decided by them moves when their stretch is left out. NaN when the share is, or with too few frames.
    """
    yr = detrend(y, q)
    x = np.concatenate([detrend(x_now, q), detrend(x_late, q)], axis=1)  # (n, 6)
    now, late, sst = _pratt_split(yr, x)
    total = now + late
    joint = total / sst if sst > 0 else 0.0
    if total <= 0:
        return math.nan, joint, math.nan
    share = float(np.clip(late / total, 0.0, 1.0))

    def share_without(keep: np.ndarray) -> float:
        a, b, _ = _pratt_split(yr[keep], x[keep])
        return float(np.clip(b / (a + b), 0.0, 1.0)) if a + b > 0 else 1.0

    se = block_jackknife_se(len(yr), share_without, min_per_block=4)
    return share, joint, se


#: The sweep rule's failure needs evidence against this session's wipes, not merely too little for them: the
#: usable colours pooled (inverse-variance weights) lean this session's way by less than this many standard
#: errors (painted all at once, or in guessed directions that cancel out), or at least
#: :data:`SWEEP_MIN_AGAINST` colours clearly crossed the face the other way and no fewer than agreed. A genuine
#: face whose sweep is merely faint (thin light, few frames) leans this session's way and abstains instead:
#: "try again", never "attack suspected" (simulated genuine sessions pool to 5 or more, forgers to 3.1 or less;
#: docs/accuracy.md, "Spatial challenge").
SWEEP_AGAINST_Z = 2.0
SWEEP_MIN_AGAINST = 2


@dataclass
class SweepStep:
    """The sweep order of one colour step: how much earlier the part of the face the wipe reaches first took
    the new colour than the part it reaches last."""

    index: int  # the step's index in the challenge
    direction: str
    lead_ms: float  # > 0: the part of the face the wipe reaches first responded first (NaN: not measured)
    se_ms: float  # its standard error
    usable: bool
    vote: int  # +1 agrees with this session's wipe, -1 disagrees, 0 undecided or unusable

    def summary(self) -> dict[str, Any]:
        return {"index": self.index, "direction": self.direction, "lead_ms": round(self.lead_ms, 1) if math.isfinite(self.lead_ms) else None,
                "se_ms": round(self.se_ms, 1) if math.isfinite(self.se_ms) else None, "usable": self.usable, "vote": self.vote}


def step_delays(y: np.ndarray, x_lag: np.ndarray, slopes: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per colour step, how many ms later than the fitted lag a region took the new colour, and its standard error.

    Two stages. The region's mixing ``B`` comes from its colour ``y`` (n, 3) fitted on the displayed colour at the
    lag ``x_lag`` (n, 3, plus the trends ``q``). Near the lag a response ``d`` ms later reads
    ``y ~ B x(lag) + d B dx/dlag``; the displayed colour changes only while a step wipes in, so the change per ms
    of lag splits into one column per step (``slopes``: (S, n, 3), step ``s``'s part of ``dx/dlag``, zero outside
    its transition) and one least-squares fit of the residual on ``slope_s @ B`` over every frame and channel gives
    every step's delay at once. The standard errors come from the fit's residual variance.

    Returns
    -------
    tuple
        (delays (S,), standard errors (S,)), NaN for a step without a response in this region.
    """
    n_steps = slopes.shape[0]
    nan = np.full(n_steps, np.nan)
    yr = detrend(y, q)
    xr = detrend(x_lag, q)
    beta, *_ = np.linalg.lstsq(xr, yr, rcond=None)  # (3 display, 3 camera)
    resid = (yr - xr @ beta).reshape(-1)
    z = np.stack([detrend(sl, q) @ beta for sl in slopes], axis=-1).reshape(-1, n_steps)  # (n * 3, S)
    norms = np.linalg.norm(z, axis=0)
    ok = norms > 1e-9 * max(float(norms.max(initial=0.0)), 1e-12)
    if not ok.any():
        return nan, nan
    zk = z[:, ok]
    gram = zk.T @ zk
    d_ok = np.linalg.solve(gram + 1e-12 * np.eye(len(gram)), zk.T @ resid)
    dof = max(len(resid) - int(ok.sum()) - 9, 1)  # the mixing's 9 numbers were fitted on the same frames
    sigma2 = float(((resid - zk @ d_ok) ** 2).sum()) / dof
    cov = sigma2 * np.linalg.inv(gram + 1e-12 * np.eye(len(gram)))
    delays, errors = nan.copy(), nan.copy()
    delays[ok] = d_ok
    errors[ok] = np.sqrt(np.maximum(np.diag(cov), 0.0))
    return delays, errors


def sweep_votes(steps: list[SweepStep], *, z: float, min_usable: int) -> tuple[int, int, int, float]:
    """(usable, agreeing, disagreeing, agreeing share of the usable) over the judged steps; the share is NaN
    with fewer than ``min_usable`` usable steps."""
    usable = sum(1 for st in steps if st.usable)
    agree = sum(1 for st in steps if st.vote > 0)
    disagree = sum(1 for st in steps if st.vote < 0)
    share = agree / usable if usable >= max(min_usable, 1) else math.nan
    return usable, agree, disagree, share


class LightReason(ReasonCode):
    NO_COLOURS = "light.no_colours", "This session had no colour challenge (movement only), so light was not checked."
    NO_TIMES = "light.no_times", "The times at which the colours appeared were not recorded, so light could not be checked."
    TOO_FEW_FRAMES = (
        "light.too_few_frames",
        "Too few frames with a face were captured while the colours were shown, so light could not be checked.",
    )
    OVER_EXPOSED = (
        "light.over_exposed",
        "The face was over-exposed while the colours were shown ({clipped:.0%} of it clipped white), so it "
        "could not show the colours: reduce the light falling on the face and try again.",
    )
    MOSTLY_LATE = (
        "light.mostly_late",
        "Most of the face's colour change ({share:.0%}) came later than a real camera can deliver it (after "
        "{edge:.0f} ms): the colour response looks forged.",
    )
    LATE = (
        "light.late",
        "The face changed colour {lag:.0f} ms after the screen did, later than a real camera can be: the colour "
        "response looks forged.",
    )
    LAG_EDGE = (
        "light.lag_edge",
        "The face's colour change fitted best {lag:.0f} ms after the screen's, beyond the {edge:.0f} ms a camera "
        "can take, though not clearly enough to call it forged: no decision. Try again; if this repeats on this "
        "kiosk, its camera may be slower than the lag window set for it.",
    )
    LATE_UNCLEAR = (
        "light.late_unclear",
        "Part of the face's colour change ({share:.0%}) fitted a later time than a camera delivers it, but the "
        "face's own changes during this session (+-{se:.0%}) are too large to call the response forged: no "
        "decision. Try again, holding still while the colours show.",
    )
    TOO_FAINT = (
        "light.too_faint",
        "The screen's light changed the face's colour very little against the room's light ({change:.1%} of its "
        "level), too little to tell a forged response from a faint real one: no decision. Try again facing the "
        "screen, in less bright light.",
    )
    OTHER_SEQUENCE = (
        "light.other_sequence",
        "The face did not change colour with this session's light sequence (a replayed or injected video shows "
        "another sequence or none).",
    )
    SEQUENCE_UNCLEAR = (
        "light.sequence_unclear",
        "The face's colour did not follow this session's colours clearly (as if another check's colours were shown), "
        "yet the light crossed the face in this session's order ({agree} of {usable} colours): the evidence "
        "disagrees, so no decision. Try again, holding still while the colours show.",
    )
    FOREIGN_PATTERN = (
        "light.foreign_pattern",
        "Besides this session's colours, the face changed colour in a pattern of its own (as a screen replaying "
        "another check does).",
    )
    STEP_MISMATCH = (
        "light.step_mismatch",
        "The face followed some of this session's colours but not the others (as a replayed video of another "
        "check whose colours partly resemble these does).",
    )
    CHANNEL_MISMATCH = (
        "light.channel_mismatch",
        "In one colour channel the face changed clearly but did not follow this session's colours (as a replayed "
        "video of another check whose colours match these in the other channels does).",
    )
    SWEEP_ORDER = (
        "light.sweep_order",
        "The light crossed the face in another order than this session's screen swept it ({agree} of {usable} "
        "colours in this session's order): the colour response looks painted onto the face.",
    )
    SWEEP_WEAK = (
        "light.sweep_weak",
        "The order in which the screen's light crossed the face was too faint to confirm (clearly seen in {agree} "
        "of {steps} colours, the colours together leaning the right way): try again facing the screen, in less "
        "bright light.",
    )
    FACE = (
        "light.face",
        "The face reflected this session's colours on time, in the order the screen swept across it, with the "
        "shading of a real face.",
    )
    FLAT_OR_GLOSSY = (
        "light.flat_or_glossy",
        "The face followed the colours, but the reflection looked like a flat or glossy surface rather than a face.",
    )


#: Hard-failure rules that say the face shows another check's colours (a replay), all or in part. This
#: session's wipe order across the face (the sweep rule passing) contradicts them: then the stage abstains
#: (``light.sequence_unclear``). "Its own pattern" is not among them: a replay's glass also mirrors this
#: session's colours, wipes included.
REPLAY_RULES = (LightReason.OTHER_SEQUENCE, LightReason.STEP_MISMATCH, LightReason.CHANNEL_MISMATCH)


@dataclass
class LightEvidence(Evidence):
    """What the light stage measured (fields in the result document's order)."""

    frames_in_sequence: int = UNSET
    frames_with_face: int = UNSET
    clipped_fraction: float = UNSET
    mode: str = UNSET
    brightens: bool = UNSET
    modes: dict[str, dict[str, Any]] = UNSET
    background_level: float = UNSET
    lag_ms: float = UNSET
    best_lag_ms: float = UNSET
    gain_best_lag_db: float = UNSET
    margin_best_lag: float = UNSET
    brightens_best_lag: bool = UNSET
    lag_window_ms: list[float] = UNSET
    r2: float = UNSET
    r2_best_lag: float = UNSET
    late_share: float = UNSET  # :func:`late_share`: share of the response explained LATE_SHIFT_MS after the in-window lag
    late_share_se: float = UNSET  # its block-jackknife standard error
    r2_two_lags: float = UNSET
    r2_in_window_same_mode: float = UNSET
    r2_raw: float = UNSET
    decoy_r2_median: float = UNSET
    decoy_r2_max: float = UNSET
    gain_db: float = UNSET
    margin: float = UNSET
    p_value: float = UNSET
    null_z: float = UNSET
    snr_db: float = UNSET
    colour_change: float = UNSET  # RMS slow colour change of the face during the colours, over its level
    faint_rule: str = UNSET  # the hard-failure rule that fired on a response too faint to judge (light.too_faint)
    mixing: Any = UNSET  # (3 camera, 3 displayed) rows: camera channel, columns: displayed channel
    white_gain: Any = UNSET  # (3,) response to full white relative to the level
    rel_amplitude: float = UNSET
    screen_lit: bool = UNSET
    channel_gain_db: list[float] = UNSET
    weakest_channel_gain_db: float = UNSET
    side_centre: float = UNSET
    around_face: float = UNSET
    ring_face: float = UNSET
    response_spread: float = UNSET
    cells_responding: float = UNSET
    wipe_lead_ms: float = UNSET
    sweep_applied: bool = UNSET  # the sweep rule applies: some colour wiped in a random direction or level
    sweep_steps: list[dict[str, Any]] = UNSET  # per colour step: :class:`SweepStep`
    sweep_usable: int = UNSET
    sweep_agree: int = UNSET
    sweep_disagree: int = UNSET
    sweep_agreement: float = UNSET  # agreeing share of the usable steps (NaN: too few usable)
    sweep_pooled_z: float = UNSET  # the usable steps' leads pooled (inverse-variance weights), in standard errors
    foreign_structure: float = UNSET
    step_mismatch: float = UNSET
    step_errors: list[float] = UNSET
    features: dict[str, float] = UNSET

    def dark_room(self) -> bool:
        return self.screen_lit is True


@dataclass
class ModeFit:
    """The fit of one measurement (raw face colour, or face / background ratio) against the shown sequence."""

    best_w: int  # index of the best lag inside the window
    lag_w: float
    best_all: int  # index of the best lag overall
    lag_all: float
    r2_w: float
    r2_all: float
    gain_w: float
    gain_all: float
    margin_w: float
    margin_all: float
    brightens: bool  # a reflecting face brightens in every camera channel when the screen turns white
    brightens_all: bool

    def summary(self) -> dict[str, Any]:
        """The evidence's ``modes`` entry (lag indices left out)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if not k.startswith("best")}


@dataclass
class ColourWindow:
    """The frames of the colour sequence that show a face: step 1 of the analysis."""

    timeline: DisplayTimeline
    valid: np.ndarray  # (n,) frames used, of all the session's frames
    t: np.ndarray  # (m,) their times
    y_face: np.ndarray  # (m, 3) face colour


@dataclass
class SequenceFit:
    """Steps 2-3: every measurement fitted against the shown sequence and the decoys, and the one chosen."""

    lags: np.ndarray
    in_window: np.ndarray
    sampled: SampledTimeline
    q: np.ndarray  # trend basis
    x_all: np.ndarray  # (L, m, 3) displayed colour per lag
    signals: dict[str, np.ndarray]
    fits: dict[str, LagFit]
    per_mode: dict[str, ModeFit]
    decoy_in_window: dict[str, np.ndarray]  # per mode, each decoy's best in-window R^2
    decoy_channel: dict[str, np.ndarray]  # per mode, the decoys' median in-window R^2 per camera channel
    background_level: float
    mode: str  # the measurement that decides
    late_mode: str  # the measurement whose best lag over all lags is examined for a late response

    @property
    def chosen(self) -> ModeFit:
        return self.per_mode[self.mode]

    @property
    def fit(self) -> LagFit:
        return self.fits[self.mode]


@dataclass
class LightAnalysis:
    """The measurements of one session: evidence, plot series, and why the stage abstains (None: it judges)."""

    evidence: LightEvidence
    plots: dict[str, Any] = field(default_factory=dict)
    abstain: LightReason | None = None
    params: dict[str, Any] = field(default_factory=dict)  # numbers the abstention's sentence quotes

    @property
    def ok(self) -> bool:
        return self.abstain is None


def gain_db(value: float, null: np.ndarray) -> float:
    """How much less unexplained variance this sequence leaves than a typical decoy (dB)."""
    return 10.0 * math.log10(max(1.0 - float(np.median(null)), 1e-6) / max(1.0 - value, 1e-6))


class LightStage:
    """Session stage: ``evaluate(session) -> CheckResult`` named ``light``."""

    name = "light"

    def __init__(self, options: LightOptions) -> None:
        self.options = options

    @classmethod
    def create(cls, options: LightOptions | None = None) -> "LightStage":
        return cls(options or LightOptions())

    def close(self) -> None:
        """Nothing to release."""

    # -- analysis -----------------------------------------------------------------------

    def analyse(self, session: SessionInput) -> LightAnalysis:
        """Run the measurements, step by step; the result says why the stage abstains, if it does."""
        ev = LightEvidence()
        window = self._colour_window(session, ev)
        if isinstance(window, LightAnalysis):
            return window
        d = session.data
        sf = self._fit_sequence(session, window, ev)
        pm = sf.chosen
        ev.mode = sf.mode
        ev.brightens = pm.brightens
        ev.modes = {m: f.summary() for m, f in sf.per_mode.items()}
        ev.background_level = sf.background_level
        self._sequence_evidence(sf, ev)
        self._lateness(window, sf, ev)
        y_detrended = self._channel_evidence(sf, ev)
        pred, fitted = self._spatial_evidence(d, window, sf, ev)
        self._sweep_order(session, window, sf, ev)
        self._residual_evidence(window, sf, y_detrended, fitted, ev)
        t, timeline = window.t, window.timeline
        plots = {
            "t_ms": ((t - timeline.start_ns) / 1e6).round(1).tolist(),
            "displayed_rgb": np.round(sf.x_all[pm.best_w] * 255.0, 1).tolist(),
            "face_rgb": np.round(window.y_face, 2).tolist(),
            "fitted_rgb": np.round(fitted, 2).tolist(),
            "lag_ms": round(pm.lag_w, 1),
            "lags_ms": sf.lags.tolist(),
            "r2_by_lag": np.round(sf.fit.r2, 4).tolist(),
        }
        return LightAnalysis(ev, plots)

    def _colour_window(self, session: SessionInput, ev: LightEvidence) -> ColourWindow | LightAnalysis:
        """Step 1: the frames around the colour sequence; an abstention when they cannot show the colours."""
        o = self.options
        ch = session.challenge
        if ch.type == MOVEMENT_ONLY or not ch.colours:
            return LightAnalysis(ev, abstain=LightReason.NO_COLOURS)
        timeline = DisplayTimeline.from_challenge(ch)
        if timeline is None:
            return LightAnalysis(ev, abstain=LightReason.NO_TIMES)
        d: SessionData = session.data
        t0 = timeline.start_ns - int(o.pre_ms * 1e6)
        t1 = timeline.end_ns + int(o.post_ms * 1e6)
        window = (d.t_ns >= t0) & (d.t_ns <= t1)
        face = group_signal(d.regions, CENTRE_REGIONS)
        valid = window & (d.n_faces > 0) & np.isfinite(face).all(axis=1)
        n_win, n_valid = int(window.sum()), int(valid.sum())
        span_s = (t1 - t0) / 1e9
        expected = max(1, int(span_s * 8))  # at least 8 fps over the sequence
        ev.frames_in_sequence, ev.frames_with_face = n_win, n_valid
        if n_win < max(o.min_frames, expected) or n_valid < o.min_face_fraction * n_win:
            return LightAnalysis(ev, abstain=LightReason.TOO_FEW_FRAMES)
        # Median over the colours: a face that clips only under the brightest flashes still shows the others.
        clipped = nanmedian(d.clip_hi[valid]) if n_valid else math.nan
        ev.clipped_fraction = clipped
        if math.isfinite(clipped) and clipped > o.clip_abstain:
            return LightAnalysis(ev, abstain=LightReason.OVER_EXPOSED, params={"clipped": clipped})
        return ColourWindow(timeline, valid, d.t_ns[valid], face[valid])

    def _fit_sequence(self, session: SessionInput, w: ColourWindow, ev: LightEvidence) -> SequenceFit:
        """Steps 2-3: fit the face colour (raw, and relative to the background when that compensates
        auto-exposure) on the shown sequence and on decoys at every lag; choose the measurement that decides."""
        o = self.options
        d = session.data
        t, y_face, valid = w.t, w.y_face, w.valid
        intervals = np.diff(t)
        exposure = int(np.median(intervals)) if len(intervals) else 33_000_000
        lag_lo, lag_hi = o.lag_search_ms
        lags = np.arange(lag_lo, lag_hi + 1e-9, o.lag_step_ms)
        sampled = w.timeline.sampled(int(t.min() - lag_hi * 1e6) - 10_000_000, int(t.max() - lag_lo * 1e6) + 10_000_000, exposure)
        x_all = design(sampled, t, lags)
        in_window = (lags >= o.lag_window_ms[0]) & (lags <= o.lag_window_ms[1])
        q = own_brightness_basis(t, d, valid, x_all, in_window) if o.own_brightness else trend_basis(t)

        # Background for exposure / white-balance compensation.
        bg = group_signal(d.regions, AROUND_REGIONS)[valid]
        ring = group_signal(d.regions, RING_REGIONS)[valid]
        bg = np.where(np.isfinite(bg), bg, ring)
        bg_ok = np.isfinite(bg).all(axis=1)
        bg_level = float(np.nanmean(bg)) if bg_ok.any() else math.nan
        use_ratio = bool(bg_ok.mean() >= 0.95 and bg_level >= o.ratio_min_bg and float(np.nanmin(bg)) > 2.0)
        signals = {"raw": y_face}
        if use_ratio:
            bgf = np.where(bg_ok[:, None], bg, np.nanmean(bg, axis=0)[None, :])
            signals["ratio"] = y_face / np.maximum(bgf, 1.0) * np.maximum(np.nanmean(bgf, axis=0), 1.0)[None, :]
        fits = {m: fit_lags(sig, x_all, q, lags) for m, sig in signals.items()}

        # Null distribution: the same fits against sequences that were never shown.
        decoys = decoy_sequences(session.challenge, o.decoys, session.seed)
        t_lo, t_hi = int(t.min() - lag_hi * 1e6) - 10_000_000, int(t.max() - lag_lo * 1e6) + 10_000_000
        xd = np.stack([design(dt.sampled(t_lo, t_hi, exposure), t, lags) for dt in decoys])  # (K, L, n, 3)
        dec_w: dict[str, np.ndarray] = {}
        dec_all: dict[str, np.ndarray] = {}
        dec_channel: dict[str, np.ndarray] = {}
        for m, sig in signals.items():
            dfit = fit_lags(sig, xd, q, lags)
            r2d = dfit.r2  # (K, L)
            dec_w[m] = r2d[:, in_window].max(axis=1)
            dec_all[m] = r2d.max(axis=1)
            dec_channel[m] = np.median(dfit.r2_channel[:, in_window].max(axis=1), axis=0)  # (3,)

        per_mode: dict[str, ModeFit] = {}
        for m, f in fits.items():
            bw, lw = _peak(lags, f.r2, in_window)
            ba, la = _peak(lags, f.r2, np.ones_like(in_window))
            per_mode[m] = ModeFit(
                best_w=bw, lag_w=lw, best_all=ba, lag_all=la,
                r2_w=float(f.r2[bw]), r2_all=float(f.r2[ba]),
                gain_w=gain_db(float(f.r2[bw]), dec_w[m]), gain_all=gain_db(float(f.r2[ba]), dec_all[m]),
                margin_w=float(f.r2[bw]) - float(dec_w[m].max()), margin_all=float(f.r2[ba]) - float(dec_all[m].max()),
                brightens=bool((f.beta[bw].sum(axis=0) > 0).all()),
                brightens_all=bool((f.beta[ba].sum(axis=0) > 0).all()),
            )
        # The measurement that best shows this session's sequence decides (auto-exposure compensated or not),
        # among those in which the face brightens with the screen: a face that darkens as the screen lights
        # up is not reflecting it (e.g. the room around a replaying tablet brightens instead).
        candidates = [m for m in per_mode if per_mode[m].brightens] or list(per_mode)
        mode = max(candidates, key=lambda m: per_mode[m].gain_w)
        # Late response: the best fit over all lags may come after the window (a forged tint).
        late_candidates = [m for m in per_mode if per_mode[m].brightens_all] or list(per_mode)
        late_mode = max(late_candidates, key=lambda m: per_mode[m].gain_all)
        return SequenceFit(lags, in_window, sampled, q, x_all, signals, fits, per_mode, dec_w, dec_channel, bg_level, mode, late_mode)

    def _sequence_evidence(self, sf: SequenceFit, ev: LightEvidence) -> None:
        """Step 4: how well, and when, the face follows this sequence compared with the decoys."""
        pm = sf.chosen
        lm = sf.per_mode[sf.late_mode]
        dec = sf.decoy_in_window[sf.mode]
        r2_w = pm.r2_w
        ev.lag_ms = pm.lag_w
        ev.best_lag_ms = lm.lag_all
        ev.gain_best_lag_db = lm.gain_all
        ev.margin_best_lag = lm.margin_all
        ev.brightens_best_lag = lm.brightens_all
        ev.lag_window_ms = list(self.options.lag_window_ms)
        ev.r2 = r2_w
        ev.r2_best_lag = lm.r2_all
        ev.r2_in_window_same_mode = lm.r2_w
        ev.r2_raw = float(sf.fits["raw"].r2[pm.best_w])
        ev.decoy_r2_median = float(np.median(dec))
        ev.decoy_r2_max = float(dec.max())
        ev.gain_db = pm.gain_w
        ev.margin = pm.margin_w
        ev.p_value = (1 + int((dec >= r2_w).sum())) / (len(dec) + 1)
        ev.null_z = null_zscore(r2_w, dec)

    def _lateness(self, w: ColourWindow, sf: SequenceFit, ev: LightEvidence) -> None:
        """Step 4b: the share of the response that the sequence explains only later than the in-window lag."""
        lag_w = sf.chosen.lag_w
        x = design(sf.sampled, w.t, np.array([lag_w, lag_w + LATE_SHIFT_MS]))
        ev.late_share, ev.r2_two_lags, ev.late_share_se = late_share(sf.signals[sf.mode], x[0], x[1], sf.q)

    def _channel_evidence(self, sf: SequenceFit, ev: LightEvidence) -> np.ndarray:
        """Step 5: the response's size and mixing, and whether every camera channel that changes clearly
        follows this sequence better than chance. Returns the detrended signal of the chosen measurement."""
        pm, fit = sf.chosen, sf.fit
        y_sig = sf.signals[sf.mode]
        r2_c = fit.r2_channel[pm.best_w]
        channel_gain = [gain_db(float(r), np.array([float(n)])) for r, n in zip(r2_c, sf.decoy_channel[sf.mode])]
        y_detrended = detrend(y_sig, sf.q)
        slow_var = structured_variance(y_detrended)
        structured = slow_var / np.maximum(np.var(y_detrended, axis=0), 1e-12)
        changing = [g for g, st in zip(channel_gain, structured) if st >= CHANNEL_STRUCTURED]
        beta = fit.beta[pm.best_w]  # (3 display, 3 camera)
        explained = pm.r2_w * fit.sst
        snr = explained / max(fit.sst - explained, 1e-9)
        level = np.nanmean(y_sig, axis=0)
        white_gain = beta.sum(axis=0) / np.maximum(level, 1.0)  # response to full white relative to level
        ev.snr_db = 10 * math.log10(max(snr, 1e-6))
        # How much the face's colour changed at all (explained or not, white noise excluded): a face the screen's
        # light hardly reaches against a bright room changes little; a replay of another check's flashes a lot.
        # Always on the raw face colour (the ratio mode's signal has no grey-level scale); in raw mode it is the
        # signal detrended above.
        raw = sf.signals["raw"]
        raw_slow = slow_var if sf.mode == "raw" else structured_variance(detrend(raw, sf.q))
        ev.colour_change = math.sqrt(max(float(raw_slow.sum()), 0.0) / raw.shape[1]) / max(float(np.nanmean(raw)), 1.0)
        ev.mixing = beta.T  # rows: camera channel, columns: displayed channel
        ev.white_gain = white_gain
        ev.rel_amplitude = float(np.mean(white_gain))
        ev.screen_lit = bool(float(np.mean(white_gain)) >= SCREEN_LIT_AMPLITUDE)
        ev.channel_gain_db = channel_gain
        ev.weakest_channel_gain_db = min(changing) if changing else math.nan
        return y_detrended

    def _spatial_evidence(self, d: SessionData, w: ColourWindow, sf: SequenceFit, ev: LightEvidence) -> tuple[np.ndarray, np.ndarray]:
        """Step 6: the spatial pattern at the in-window lag, in raw units: sides against centre (3D shading),
        the area around the head against the face, and the spread of the response over the face area.
        Returns the detrended predicted face response and the fitted face colour."""
        t, valid, y_face, q = w.t, w.valid, w.y_face, sf.q
        best_w = sf.chosen.best_w
        x_w = detrend(sf.x_all[best_w], q)
        beta_raw = sf.fits["raw"].beta[best_w]
        pred = x_w @ beta_raw  # detrended predicted face response (n, 3)
        face_level = float(np.nanmean(y_face))
        regions = d.regions[valid]

        def frac_mod(names: tuple[str, ...]) -> float:
            gains = []
            for n in names:
                yr = regions[:, R[n], :].astype(np.float64)
                k = region_gain(yr, pred, t)
                lv = float(np.nanmean(yr)) if np.isfinite(yr).any() else math.nan
                if math.isfinite(k) and math.isfinite(lv) and lv > 3:
                    gains.append(k * face_level / lv)
            return float(np.mean(gains)) if gains else math.nan

        def abs_gain(names: tuple[str, ...]) -> float:
            ks = [region_gain(regions[:, R[n], :].astype(np.float64), pred, t) for n in names]
            ks = [k for k in ks if math.isfinite(k)]
            return float(np.mean(ks)) if ks else math.nan

        m_centre = frac_mod(CENTRE_REGIONS)
        m_side = frac_mod(SIDE_REGIONS)
        ev.side_centre = m_side / m_centre if math.isfinite(m_side) and m_centre > 1e-6 else math.nan
        ev.around_face = abs_gain(AROUND_REGIONS)
        ev.ring_face = abs_gain(RING_REGIONS)

        # Spread of the response over the face area: a head in front of a distant room responds strongly in
        # some cells (facing the screen) and barely in others (sides, background); a flat sheet evenly.
        n_valid = int(valid.sum())
        grid = d.grid[valid].reshape(n_valid, -1, 3).astype(np.float64)
        full = np.isfinite(grid).all(axis=(0, 2))
        cell_k = np.full(grid.shape[1], np.nan)
        if full.any():
            # Cells seen in every frame: one batched projection.
            cells = detrend(np.moveaxis(grid[:, full, :], 1, 0), q)  # (C, n, 3)
            den = float((x_w @ beta_raw * (x_w @ beta_raw)).sum())
            cell_k[full] = (cells * pred[None]).sum(axis=(1, 2)) / den if den > 0 else np.nan
        for c in np.flatnonzero(~full):
            cell_k[c] = region_gain(grid[:, c, :], pred, t)
        finite_k = cell_k[np.isfinite(cell_k)]
        if finite_k.size >= 8 and float(np.median(np.abs(finite_k))) > 1e-6:
            med = float(np.median(finite_k))
            ev.response_spread = float((np.max(finite_k) - med) / max(abs(med), 0.05))
            ev.cells_responding = float(np.mean(finite_k > 0.25))
        else:
            ev.response_spread, ev.cells_responding = math.nan, math.nan
        fitted = (x_w @ beta_raw) + (y_face - detrend(y_face, q))
        return pred, fitted

    def _sweep_order(self, session: SessionInput, w: ColourWindow, sf: SequenceFit, ev: LightEvidence) -> None:
        """Step 7b: region by region, did each colour cross the face in the direction this session's screen
        wiped it? For each step the part of the face the wipe reaches first must take the new colour before the
        part it reaches last (:data:`SWEEP_REGIONS`); :func:`step_delays` measures each part's delay per step."""
        o = self.options
        steps = session.challenge.colours
        timeline = w.timeline
        h = WIPE_STEP_MS
        lag_w = sf.chosen.lag_w
        x_near = design(sf.sampled, w.t, np.array([lag_w - h, lag_w, lag_w + h]))
        x_slope = (x_near[2] - x_near[0]) / (2.0 * h)
        # Step s's part of the slope: frames whose lag-shifted time lies in its transition (wipe plus a frame).
        t_ms = (w.t - timeline.start_ns) / 1e6 - lag_w
        starts = (timeline.starts_ns - timeline.start_ns) / 1e6
        wipes = timeline.wipes_ns / 1e6
        frame_ms = float(np.median(np.diff(w.t))) / 1e6 if len(w.t) > 1 else 33.0
        judged = [i for i in range(len(steps)) if wipes[i] > 0]
        slopes = np.zeros((len(judged), *x_slope.shape))
        for j, i in enumerate(judged):
            m = (t_ms >= starts[i] - frame_ms) & (t_ms < starts[i] + wipes[i] + 2 * frame_ms)
            slopes[j, m] = x_slope[m]
        regions = session.data.regions[w.valid]
        delays: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = {}
        for first, last in SWEEP_REGIONS.values():
            for names in (first, last):
                if names not in delays:
                    yg = group_signal(regions, names)
                    ok = bool(np.isfinite(yg).all()) and len(judged) > 0
                    delays[names] = step_delays(yg, x_near[1], slopes, sf.q) if ok else (np.full(len(judged), np.nan),) * 2
        out: list[SweepStep] = []
        for j, i in enumerate(judged):
            direction = steps[i].direction
            first, last = SWEEP_REGIONS.get(direction, SWEEP_REGIONS["down"])
            lead = float(delays[last][0][j] - delays[first][0][j])
            se = float(math.hypot(delays[last][1][j], delays[first][1][j]))
            usable = math.isfinite(lead) and math.isfinite(se) and se <= o.sweep_se_max * wipes[i]
            vote = 0
            if usable and lead >= o.sweep_z * se:
                vote = 1
            elif usable and lead <= -o.sweep_z * se:
                vote = -1
            out.append(SweepStep(i, direction, lead, se, usable, vote))
        ev.sweep_steps = [st.summary() for st in out]
        # Recordings of format version 1 hold only down wipes at full brightness, known to every forger: their
        # sweep order is measured and reported but is no rule (it would only cost genuine faces).
        ev.sweep_applied = any(st.patterned for st in steps)
        # The score's wipe-order feature: the typical lead along each step's own direction (the usable steps').
        leads = [st.lead_ms for st in out if st.usable]
        ev.wipe_lead_ms = float(np.median(leads)) if leads else math.nan
        ev.sweep_usable, ev.sweep_agree, ev.sweep_disagree, ev.sweep_agreement = sweep_votes(
            out, z=o.sweep_z, min_usable=o.sweep_min_usable)
        w = [1.0 / st.se_ms**2 for st in out if st.usable and st.se_ms > 0]
        ev.sweep_pooled_z = (float(sum(st.lead_ms / st.se_ms**2 for st in out if st.usable and st.se_ms > 0) / math.sqrt(sum(w)))
                             if w else math.nan)

    def _residual_evidence(
        self, w: ColourWindow, sf: SequenceFit, y_detrended: np.ndarray, fitted: np.ndarray, ev: LightEvidence
    ) -> None:
        """Step 8: what the sequence leaves unexplained: colour changes of the face's own, and colours it
        did not follow one by one."""
        o = self.options
        pm = sf.chosen
        x_w = detrend(sf.x_all[pm.best_w], sf.q)
        pred_sig = x_w @ sf.fit.beta[pm.best_w]  # the fitted response in the decision's mode
        ev.foreign_structure = foreign_structure(y_detrended - pred_sig, float(np.var(pred_sig, axis=0).sum()))
        timeline, t = w.timeline, w.t
        t_ms = (t - timeline.start_ns) / 1e6
        starts = (timeline.starts_ns - timeline.start_ns) / 1e6
        wipes = timeline.wipes_ns / 1e6
        ends = np.r_[starts[1:], starts[-1] + (timeline.wipes_ns[-1] + timeline.holds_ns[-1]) / 1e6]
        ev.step_mismatch, ev.step_errors = step_mismatch(
            t_ms, w.y_face - fitted, fitted, starts, wipes, ends, pm.lag_w, settle=o.step_settle, worst=o.step_worst
        )

    def features(self, evidence: LightEvidence) -> dict[str, float]:
        """The numbers the score uses, clipped to robust ranges (NaN where missing)."""
        surround = number(evidence.around_face)
        if not math.isfinite(surround):
            surround = number(evidence.ring_face)  # the area around the head left the frame (a near object): use the ring
        raw = {
            "gain_db": number(evidence.gain_db),
            "snr_db": number(evidence.snr_db),
            "r2": number(evidence.r2),
            "side_centre": number(evidence.side_centre),
            "surround": surround,
            "response_spread": number(evidence.response_spread),
            "wipe_lead_ms": number(evidence.wipe_lead_ms),
            "rel_amplitude": number(evidence.rel_amplitude),
        }
        foreign = number(evidence.foreign_structure)
        # Only what exceeds the level a face's own shading and motion leave unexplained counts (decades).
        raw["foreign_excess"] = max(0.0, math.log10(max(foreign, 1e-3) / FOREIGN_TYPICAL)) if math.isfinite(foreign) else math.nan
        out = {k: float(np.clip(v, *FEATURE_RANGES[k])) if math.isfinite(v) else v for k, v in raw.items()}
        # Shading contrast weighted by how much the room light still matters: with the screen as the only
        # light (dark room) every skin patch brightens by the same fraction and the contrast says nothing.
        out["shade"] = (1.0 - out["side_centre"]) / (1.0 + out["rel_amplitude"]) if math.isfinite(out["side_centre"]) and math.isfinite(out["rel_amplitude"]) else math.nan
        return out

    def evaluate(self, session: SessionInput) -> CheckResult:
        """Judge the light response of one session."""
        res, _ = self.evaluate_with_plots(session)
        return res

    def hard_failure(self, ev: LightEvidence) -> tuple[LightReason, dict[str, Any]] | None:
        """The first hard-failure rule the evidence breaks (None when none): late, another sequence, colour
        changes of its own, colour-by-colour mismatch, a channel that does not follow; "mostly late" is judged
        after "another sequence" (it measures when a response to this sequence came, given there is one)."""
        o = self.options
        late = (
            ev.best_lag_ms > o.lag_window_ms[1]
            and ev.r2_best_lag - ev.r2_in_window_same_mode > o.late_margin
            and ev.r2_best_lag >= o.r2_fail
            and ev.gain_best_lag_db >= o.gain_fail_db
            and ev.margin_best_lag > 0
            and ev.brightens_best_lag
        )
        if late:
            return LightReason.LATE, {"lag": ev.best_lag_ms}
        if ev.gain_db < o.gain_fail_db or ev.margin <= o.margin_fail or ev.r2 < o.r2_fail or not ev.brightens:
            return LightReason.OTHER_SEQUENCE, {}
        # Judged once the face is known to follow this sequence (a replay of another one fits no lag).
        if number(ev.late_share) >= o.late_share_fail:
            return LightReason.MOSTLY_LATE, {"share": ev.late_share, "edge": ev.lag_ms}

        if number(ev.foreign_structure) >= o.foreign_fail:
            return LightReason.FOREIGN_PATTERN, {}
        if number(ev.step_mismatch) >= o.step_fail:
            return LightReason.STEP_MISMATCH, {}
        if number(ev.weakest_channel_gain_db) < o.channel_gain_fail_db:
            return LightReason.CHANNEL_MISMATCH, {}
        if self.sweep_verdict(ev) == "fail":
            return LightReason.SWEEP_ORDER, {"agree": ev.sweep_agree, "usable": ev.sweep_usable}
        return None

    def clearly_late(self, ev: LightEvidence) -> bool:
        """The late share lies ``late_share_se_k`` standard errors beyond ``late_share_fail`` (an unknown error
        counts as none, so a session without one is judged on the share alone)."""
        o = self.options
        return moved_by_errors(ev.late_share, ev.late_share_se, -o.late_share_se_k) >= o.late_share_fail

    def sweep_verdict(self, ev: LightEvidence) -> str:
        """``"pass"``: enough usable colours crossed the face in this session's order; ``"fail"``: the colours
        contradict this session's order (pooled lead below :data:`SWEEP_AGAINST_Z` standard errors: all at once
        or in other directions; or at least :data:`SWEEP_MIN_AGAINST` colours clearly the other way and no fewer
        than agreed); ``"weak"``: neither (too few usable colours, or too few agreeing clearly while the colours
        together lean this session's way): no decision, which never counts as a pass."""
        o = self.options
        if ev.sweep_applied is False:
            return "pass"  # a version 1 challenge: every colour wiped down, which no forger had to guess
        if ev.sweep_usable is UNSET or int(ev.sweep_usable) < o.sweep_min_usable:
            return "weak"
        if ev.sweep_agree >= o.sweep_min_agree and number(ev.sweep_agreement) >= o.sweep_fail:
            return "pass"
        pooled = number(ev.sweep_pooled_z)
        against = int(ev.sweep_disagree)
        if not pooled >= SWEEP_AGAINST_Z or (against >= SWEEP_MIN_AGAINST and against >= int(ev.sweep_agree)):
            return "fail"
        return "weak"

    def evaluate_with_plots(self, session: SessionInput) -> tuple[CheckResult, dict[str, Any]]:
        """Like :meth:`evaluate`, also returning the plot series for the operator view."""
        o = self.options
        a = self.analyse(session)
        ev = a.evidence
        if a.abstain is not None:
            return result(self.name, Verdict.ABSTAIN, None, a.abstain, ev, **a.params), a.plots
        feats = self.features(ev)
        score = logistic_score(feats, o.coef, o.bias)
        ev.features = feats
        hard = self.hard_failure(ev)
        if hard is not None:
            code, params = hard
            if number(ev.colour_change) < o.faint_change:
                # A rule fired on a response too faint to judge (a bright room): no decision, never a pass.
                ev.faint_rule = code.value
                return result(self.name, Verdict.ABSTAIN, None, LightReason.TOO_FAINT, ev, change=float(ev.colour_change)), a.plots
            if code in REPLAY_RULES and ev.sweep_applied is not False and self.sweep_verdict(ev) == "pass":
                # The fit says "another check's colours" while the light crossed the face region by region in
                # this session's random order: the evidence disagrees (a face's own changes let a decoy fit as
                # well, or hid one channel's response). No decision, never a pass.
                return result(self.name, Verdict.ABSTAIN, None, LightReason.SEQUENCE_UNCLEAR, ev,
                              agree=int(ev.sweep_agree), usable=int(ev.sweep_usable)), a.plots
            if code is LightReason.MOSTLY_LATE and not self.clearly_late(ev):
                # Over the limit, but within what the face's own changes move the share: no decision, never a pass.
                return result(self.name, Verdict.ABSTAIN, None, LightReason.LATE_UNCLEAR, ev, share=float(ev.late_share),
                              se=number(ev.late_share_se)), a.plots
            return result(self.name, Verdict.FAIL, min(score, 0.05), code, ev, hard_fail=True, **params), a.plots
        if self.sweep_verdict(ev) == "weak":
            # Too weak to tell which way the light crossed the face: no decision, which never counts as a pass.
            steps = len(ev.sweep_steps) if isinstance(ev.sweep_steps, list) else 0
            agree = int(ev.sweep_agree) if ev.sweep_agree is not UNSET else 0
            return result(self.name, Verdict.ABSTAIN, None, LightReason.SWEEP_WEAK, ev, agree=agree, steps=steps), a.plots
        if score >= 0.5 and number(ev.best_lag_ms) > o.lag_window_ms[1]:
            # The response fits best later than any camera can deliver it, by too little R^2 for the "late" rule
            # to call it forged. On time it is not: a forger that reads the screen sits exactly here (the red
            # team's accepted mirror forgers, docs/accuracy.md), and no simulated genuine session does (fitted
            # lags of 113 ms at most in 293). No decision, never a pass.
            return result(self.name, Verdict.ABSTAIN, None, LightReason.LAG_EDGE, ev, lag=ev.best_lag_ms,
                          edge=o.lag_window_ms[1]), a.plots
        if score >= 0.5:
            return result(self.name, Verdict.PASS, score, LightReason.FACE, ev), a.plots
        return result(self.name, Verdict.FAIL, score, LightReason.FLAT_OR_GLOSSY, ev), a.plots


STAGE = STAGES.register(
    StageSpec("light", LightStage, LightOptions, LightEvidence, order=20, plots=True, needs_colours=True, capture_sensitive=True,
              feature_ranges=FEATURE_RANGES)
)
