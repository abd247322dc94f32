"""Per-frame guidance: what the user should do next, from landmarks and simple image statistics.

Core only (no Qt). The GUI translates :class:`Hint` values into words; this
module decides *which* hint applies, in a fixed priority order:

1. no face, more than one face (the landmark stage searches for three faces);
2. lighting: too dark, too bright, backlit (bright background behind a darker face);
3. distance and position: too close -> "move back" (a face that is too close is
   never told "move closer"), the start-far gate -> "move back", off-centre ->
   "centre your face", too small -> "move closer";
4. once the face fits: blurred, else "hold still".

A :class:`GuidanceTracker` keeps the little state this needs (the start-far gate,
the previous face for motion, hint smoothing against flicker).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from app.core.challenge import Box, FitState, Oval, fit_state
from app.core.landmarks import FaceLandmarks, LandmarkResult


class Hint(str, enum.Enum):
    """What the user is asked to do. The GUI owns the (translated) wording."""

    NO_FACE = "no_face"
    MULTIPLE_FACES = "multiple_faces"
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"
    BACKLIT = "backlit"
    MOVE_BACK = "move_back"
    MOVE_CLOSER = "move_closer"
    CENTRE = "centre"
    BLURRED = "blurred"
    HOLD_STILL = "hold_still"

    @property
    def is_quality(self) -> bool:
        """True for lighting and sharpness hints (the user must change the scene, not move)."""
        return self in (Hint.TOO_DARK, Hint.TOO_BRIGHT, Hint.BACKLIT, Hint.BLURRED)


@dataclass(frozen=True)
class ImageStats:
    """Cheap statistics of one frame, measured on a downscaled copy.

    Attributes
    ----------
    frame_luma:
        Mean luma (0-255) of the whole frame.
    face_luma:
        Mean luma of the face box, or ``nan`` without a face.
    background_luma:
        Mean luma outside the (enlarged) face box, or ``frame_luma`` without a face.
    face_clipped:
        Fraction of face pixels at or above 250 (blown highlights).
    sharpness:
        Variance of the Laplacian of the face crop, resampled to a fixed width,
        so the value does not depend on the face size (``nan`` without a face).
    face_bgr:
        Mean B, G, R of the central face region (for the operator's light plot).
    """

    frame_luma: float
    face_luma: float = math.nan
    background_luma: float = math.nan
    face_clipped: float = 0.0
    sharpness: float = math.nan
    face_bgr: tuple[float, float, float] = (math.nan, math.nan, math.nan)


#: Width the face crop is resampled to before the sharpness measure.
SHARPNESS_WIDTH = 96


def measure_image(image: np.ndarray, face: Box | None) -> ImageStats:
    """Measure brightness, clipping, background and sharpness of a BGR frame.

    Parameters
    ----------
    image:
        BGR ``uint8`` frame (H, W, 3).
    face:
        The face box in frame pixels (the tight landmark box), or ``None``.

    Returns
    -------
    ImageStats
        Statistics; face fields are ``nan`` when ``face`` is ``None`` or off the frame.
    """
    h, w = image.shape[:2]
    scale = 160.0 / max(w, 1)
    small = cv2.resize(image, (160, max(1, int(round(h * scale)))), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    frame_luma = float(grey.mean())
    if face is None:
        return ImageStats(frame_luma, background_luma=frame_luma)
    sh, sw = grey.shape
    x0, y0 = int(max(0, face.x * scale)), int(max(0, face.y * scale))
    x1, y1 = int(min(sw, (face.x + face.w) * scale)), int(min(sh, (face.y + face.h) * scale))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return ImageStats(frame_luma, background_luma=frame_luma)
    face_grey = grey[y0:y1, x0:x1]
    face_luma = float(face_grey.mean())
    clipped = float((face_grey >= 250).mean())
    # Background: everything outside the face box grown by half its size (hair, neck excluded).
    gx, gy = (x1 - x0) // 2, (y1 - y0) // 2
    mask = np.ones_like(grey, dtype=bool)
    mask[max(0, y0 - gy) : min(sh, y1 + gy), max(0, x0 - gx) : min(sw, x1 + gx)] = False
    background = float(grey[mask].mean()) if mask.any() else frame_luma
    # Sharpness on the full-resolution face crop (downscaling would hide blur).
    fx0, fy0 = int(max(0, face.x)), int(max(0, face.y))
    fx1, fy1 = int(min(w, face.x + face.w)), int(min(h, face.y + face.h))
    crop = image[fy0:fy1, fx0:fx1]
    sharpness = math.nan
    centre_bgr = (math.nan, math.nan, math.nan)
    if crop.shape[0] >= 8 and crop.shape[1] >= 8:
        crop_grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
        target_h = max(8, int(round(crop_grey.shape[0] * SHARPNESS_WIDTH / crop_grey.shape[1])))
        norm = cv2.resize(crop_grey, (SHARPNESS_WIDTH, target_h), interpolation=cv2.INTER_AREA)
        sharpness = float(cv2.Laplacian(norm, cv2.CV_32F).var())
        ch, cw = crop.shape[:2]
        centre = crop[ch // 4 : ch - ch // 4, cw // 4 : cw - cw // 4]
        b, g, r = (float(v) for v in centre.reshape(-1, 3).mean(axis=0))
        centre_bgr = (b, g, r)
    return ImageStats(frame_luma, face_luma, background, clipped, sharpness, centre_bgr)


@dataclass(frozen=True)
class GuidanceThresholds:
    """Limits behind the hints. Defaults suit a 640x480 webcam at arm's length."""

    #: Face luma below this is "too dark".
    dark_luma: float = 50.0
    #: Face luma above this, or more than ``clipped_fraction`` blown pixels, is "too bright".
    bright_luma: float = 215.0
    clipped_fraction: float = 0.2
    #: Backlit: background this much brighter than the face, and itself bright.
    backlit_margin: float = 70.0
    backlit_background: float = 165.0
    #: Laplacian variance (face resampled to 96 px) below this is "blurred".
    blur_sharpness: float = 12.0
    #: Face-centre offset (in oval widths) beyond which the hint is "centre your face".
    centre_offset: float = 0.18
    #: Below this size ratio (face width / oval width) a non-fitting face is told "move closer".
    closer_ratio: float = 0.9
    #: Face speed (inter-ocular distances per second) above which the face is "moving".
    moving_iod_per_s: float = 1.5
    #: Consecutive frames a new hint must persist before it replaces the shown one.
    smoothing_frames: int = 3


@dataclass(frozen=True)
class Guidance:
    """The verdict on one analysed frame.

    Attributes
    ----------
    hint:
        What the user should do now (already smoothed).
    raw_hint:
        This frame's hint before smoothing.
    face_count:
        Faces found in the frame.
    fit:
        The face/oval comparison, or ``None`` without exactly one face.
    progress:
        0..1 "face fit" indicator (0 until the start-far gate is passed).
    far_gate_passed:
        The face has been far enough at least once this attempt.
    ready:
        The face fits, the picture is usable and the face is still: the hold phase may run.
    moving:
        The face moved faster than the hold-still limit since the previous frame.
    """

    hint: Hint
    raw_hint: Hint
    face_count: int
    fit: FitState | None
    progress: float
    far_gate_passed: bool
    ready: bool
    moving: bool = False


def quality_hint(stats: ImageStats, thresholds: GuidanceThresholds) -> Hint | None:
    """The lighting hint for a frame with a face, or ``None`` when lighting is fine."""
    if math.isnan(stats.face_luma):
        return None
    if stats.face_luma < thresholds.dark_luma:
        return Hint.TOO_DARK
    if stats.face_luma > thresholds.bright_luma or stats.face_clipped > thresholds.clipped_fraction:
        return Hint.TOO_BRIGHT
    if (
        stats.background_luma - stats.face_luma > thresholds.backlit_margin
        and stats.background_luma > thresholds.backlit_background
    ):
        return Hint.BACKLIT
    return None


def position_hint(fit: FitState, *, far_gate_passed: bool, thresholds: GuidanceThresholds) -> Hint | None:
    """The distance/position hint, or ``None`` when the face fits the oval.

    A face that is too close is always told to move back, whatever else is wrong.
    """
    if fit.too_close:
        return Hint.MOVE_BACK
    if not far_gate_passed:
        return Hint.MOVE_BACK
    if fit.fits:
        return None
    if fit.offset > thresholds.centre_offset:
        return Hint.CENTRE
    if fit.size_ratio < thresholds.closer_ratio:
        return Hint.MOVE_CLOSER
    if fit.size_ratio > 1.0:
        return Hint.MOVE_BACK
    return Hint.CENTRE


def assess_frame(
    landmarks: LandmarkResult,
    stats: ImageStats,
    oval: Oval,
    *,
    far_gate_passed: bool,
    moving: bool = False,
    thresholds: GuidanceThresholds | None = None,
) -> tuple[Hint, FitState | None, bool]:
    """Stateless hint for one frame.

    Returns
    -------
    tuple
        ``(hint, fit, far_gate_passed)`` where the gate flag is updated with this frame.
    """
    t = thresholds or GuidanceThresholds()
    if landmarks.face_count == 0 or landmarks.face is None:
        return Hint.NO_FACE, None, far_gate_passed
    if landmarks.face_count > 1:
        return Hint.MULTIPLE_FACES, None, far_gate_passed
    face: FaceLandmarks = landmarks.face
    fit = fit_state(face.fit_box, oval)
    # The gate opens on a far, roughly centred face (the perspective check needs the far frames).
    gate = far_gate_passed or (fit.far_enough and not fit.too_close)
    quality = quality_hint(stats, t)
    if quality is not None:
        return quality, fit, gate
    position = position_hint(fit, far_gate_passed=gate, thresholds=t)
    if position is not None:
        return position, fit, gate
    if not math.isnan(stats.sharpness) and stats.sharpness < t.blur_sharpness and not moving:
        return Hint.BLURRED, fit, gate
    return Hint.HOLD_STILL, fit, gate


@dataclass
class GuidanceTracker:
    """Stateful guidance for one capture attempt: start-far gate, motion, smoothing.

    Create a new tracker for every attempt (the gate must be passed again).
    """

    oval: Oval
    thresholds: GuidanceThresholds = field(default_factory=GuidanceThresholds)
    far_gate_passed: bool = False
    _shown: Hint | None = None
    _candidate: Hint | None = None
    _candidate_count: int = 0
    _previous: tuple[int, float, float, float] | None = None  # t_ns, cx, cy, iod

    def update(self, landmarks: LandmarkResult, stats: ImageStats) -> Guidance:
        """Assess one analysed frame (frames must come in time order)."""
        moving = self._motion(landmarks)
        raw, fit, gate = assess_frame(
            landmarks, stats, self.oval, far_gate_passed=self.far_gate_passed, moving=moving, thresholds=self.thresholds
        )
        self.far_gate_passed = gate
        hint = self._smooth(raw)
        if not gate or fit is None:
            progress = 0.0
        else:
            progress = fit.progress
        ready = raw is Hint.HOLD_STILL and fit is not None and fit.fits and not moving
        return Guidance(hint, raw, landmarks.face_count, fit, progress, gate, ready, moving)

    def _motion(self, landmarks: LandmarkResult) -> bool:
        face = landmarks.face if landmarks.face_count == 1 else None
        if face is None:
            self._previous = None
            return False
        box = face.fit_box
        current = (landmarks.t_ns, box.cx, box.cy, max(face.inter_ocular_px, 1.0))
        previous, self._previous = self._previous, current
        if previous is None or current[0] <= previous[0]:
            return False
        dt = (current[0] - previous[0]) / 1e9
        shift = math.hypot(current[1] - previous[1], current[2] - previous[2]) / current[3]
        return shift / dt > self.thresholds.moving_iod_per_s

    def _smooth(self, raw: Hint) -> Hint:
        """Show a new hint only after it persisted a few frames (the first hint shows at once)."""
        if self._shown is None or raw == self._shown:
            self._shown = raw
            self._candidate, self._candidate_count = None, 0
            return raw
        if raw == self._candidate:
            self._candidate_count += 1
        else:
            self._candidate, self._candidate_count = raw, 1
        if self._candidate_count >= self.thresholds.smoothing_frames:
            self._shown = raw
            self._candidate, self._candidate_count = None, 0
        return self._shown
