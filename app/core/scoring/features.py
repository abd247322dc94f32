"""Per-frame features: the cheap part of scoring that runs in the analysis worker.

Each frame is reduced to a few hundred numbers (mean colours of face regions
and of the surroundings, the 2D landmarks, dark-area noise, a perceptual hash,
sharpness, exposure). Session-level stages work on these numbers only, so the
same stages run live and on recordings, and tests can feed them hand-made
series. Full frames are kept only by :class:`FrameKeeper`, a bounded store.

Region layout (all sizes in units of the inter-ocular distance *d*, so they
follow the face as it approaches): forehead, nose bridge, nose tip, both
cheeks, both sides near the contour, under the nose, chin, a large face-centre
patch, an upper and a lower band of the face, a ring just outside the face
(left, right, top), the area around the head (left, right, top, about one face
width out) and the whole frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from app.core import facemesh
from app.core.capture.frame import Frame
from app.core.landmarks import FaceLandmarks, LandmarkResult

#: Bumped whenever a per-frame feature changes meaning (cached evaluation inputs are then recomputed).
FEATURES_VERSION = 5

#: Region names, in the order of :attr:`FrameFeatures.regions`.
REGIONS: tuple[str, ...] = (
    "forehead",
    "nose_bridge",
    "nose_tip",
    "cheek_r",
    "cheek_l",
    "side_r",
    "side_l",
    "under_nose",
    "chin",
    "centre",
    "upper",
    "lower",
    "ring_l",
    "ring_r",
    "ring_top",
    "around_l",
    "around_r",
    "around_top",
    "frame",
)
R = {name: i for i, name in enumerate(REGIONS)}

#: Regions that face the screen (centre of the face) and those that face sideways.
CENTRE_REGIONS = ("forehead", "nose_bridge", "nose_tip", "cheek_r", "cheek_l", "centre")
SIDE_REGIONS = ("side_r", "side_l")
RING_REGIONS = ("ring_l", "ring_r", "ring_top")
AROUND_REGIONS = ("around_l", "around_r", "around_top")

# The landmarks the regions are placed on (the nose "tip" region sits on the ridge point).
_FOREHEAD = facemesh.FOREHEAD
_BRIDGE = facemesh.NOSE_BRIDGE
_TIP = facemesh.NOSE_RIDGE
_CHEEK_R, _CHEEK_L = facemesh.RIGHT_CHEEK, facemesh.LEFT_CHEEK
_EDGE_R, _EDGE_L = facemesh.RIGHT_FACE_EDGE, facemesh.LEFT_FACE_EDGE
_UNDER_NOSE = facemesh.UNDER_NOSE
_CHIN, _LIP_LOW = facemesh.CHIN, facemesh.LIP_BOTTOM
_BROWS = facemesh.BROWS
_EYE_CORNERS = facemesh.EYE_CORNERS
_MOUTH_CORNERS = facemesh.MOUTH_CORNERS

#: Side of the grey thumbnail used for duplicate detection and frame differences.
THUMB_W, THUMB_H = 160, 120
#: Grid over the face area used for spatial maps (glare blobs).
GRID = 8
#: Dark-noise probe patches: a 4 x 3 layout over the frame, each this many pixels square.
NOISE_PATCH = 24
NOISE_LAYOUT = (4, 3)
_NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


@dataclass
class FrameFeatures:
    """What the analyzer keeps of one frame.

    Attributes
    ----------
    index, t_ns:
        Frame index and monotonic capture time.
    n_faces:
        Faces the landmark stage found.
    points:
        (478, 2) float32 landmarks of the largest face in pixels, or ``None``.
    box, fit_box:
        Tight landmark box and the reference-product face box, ``(x, y, w, h)``; NaN without a face.
    iod:
        Inter-ocular distance in pixels (NaN without a face).
    blink:
        Eye-closure score 0..1 (NaN without a face).
    regions:
        (len(REGIONS), 3) mean **RGB** per region; NaN where a region is off the frame or there is no face.
    grid:
        (GRID, GRID, 3) mean RGB over the face box widened 1.2x, NaN without a face.
    noise:
        (P, 2) per probe patch: mean grey level and spatial noise sigma (Immerkaer's estimator).
    tnoise:
        (P,) temporal noise sigma per probe patch against the previous frame (NaN on the first frame).
    diff_prev:
        Mean absolute grey difference to the previous frame on a 160x120 thumbnail (NaN first frame).
    dhash:
        64-bit difference hash of the thumbnail.
    blockiness:
        Gradient energy at 8-pixel block borders relative to elsewhere, around the face (1.0 = none).
    sharpness:
        Variance of the Laplacian of the face centre resampled to 64x64 (NaN without a face).
    luma, clip_hi, clip_lo:
        Face mean grey level and the fractions of face pixels >= 250 and <= 10.
    eyes:
        (len(EYE_PATCHES), 3) RGB per eye patch (:func:`eye_patches`): each pupil's glint (the mean of its
        brightest pixels per channel, where the cornea mirrors the screen) and the same of the white of each
        eye beside the iris, a diffuse control on the same eyeball; NaN without a face.
    detail:
        (3,) fine-detail contrast per channel (R, G, B) of the face's centre (:func:`detail_contrast`), NaN
        without a face.
    lids:
        (2, 3) RGB of the skin under each eye (:func:`lid_patches`), NaN without a face.
    brows:
        (2, :data:`BROW_ROWS`) grey level along a strip from each eye's centre up past the brow
        (:func:`brow_profiles`), NaN without a face.
    """

    index: int
    t_ns: int
    n_faces: int
    points: np.ndarray | None
    box: tuple[float, float, float, float]
    fit_box: tuple[float, float, float, float]
    iod: float
    blink: float
    regions: np.ndarray
    grid: np.ndarray
    noise: np.ndarray
    tnoise: np.ndarray
    diff_prev: float
    dhash: int
    blockiness: float
    sharpness: float
    luma: float
    clip_hi: float
    clip_lo: float
    elapsed_ms: float = 0.0
    eyes: np.ndarray = field(default_factory=lambda: np.full((len(EYE_PATCHES), 3), np.nan, np.float32))
    detail: np.ndarray = field(default_factory=lambda: np.full(3, np.nan, np.float32))
    lids: np.ndarray = field(default_factory=lambda: np.full((2, 3), np.nan, np.float32))
    brows: np.ndarray = field(default_factory=lambda: np.full((2, BROW_ROWS), np.nan, np.float32))


_NAN4 = (math.nan, math.nan, math.nan, math.nan)


#: A frame's quality for reference and texture use saturates at this eye distance (px), this sharpness
#: (Laplacian variance) and peaks at this grey level of the face (:func:`frame_quality`).
QUALITY_FULL_IOD_PX = 120.0
QUALITY_FULL_SHARPNESS = 200.0
QUALITY_IDEAL_LUMA = 130.0


def frame_quality(n_faces: int, iod: float, sharpness: float, luma: float, blink: float) -> float:
    """Quality 0..1 of one frame for the reference image and the texture model (0 without exactly one face).

    Bigger (up to :data:`QUALITY_FULL_IOD_PX`), sharper, well exposed and with open eyes is better. The one
    formula used both while capturing (which frames to keep) and by the quality stage (the best frame).
    """
    if n_faces != 1 or not math.isfinite(iod):
        return 0.0
    sharp = sharpness if math.isfinite(sharpness) else 0.0
    level = luma if math.isfinite(luma) else 0.0
    closed = blink if math.isfinite(blink) else 1.0
    expo = 1.0 - min(1.0, abs(level - QUALITY_IDEAL_LUMA) / QUALITY_IDEAL_LUMA)
    return float(
        min(1.0, iod / QUALITY_FULL_IOD_PX) * (0.5 + 0.5 * min(1.0, sharp / QUALITY_FULL_SHARPNESS)) * expo * (1.0 - min(1.0, closed))
    )


def _rect_mean(image: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float]:
    """Mean RGB of a rectangle clipped to the image (NaN when less than 4x4 pixels remain)."""
    h, w = image.shape[:2]
    xa, ya = max(0, int(round(x0))), max(0, int(round(y0)))
    xb, yb = min(w, int(round(x1))), min(h, int(round(y1)))
    if xb - xa < 4 or yb - ya < 4:
        return (math.nan, math.nan, math.nan)
    b, g, r, _ = cv2.mean(image[ya:yb, xa:xb])
    return (r, g, b)


def _patch(image: np.ndarray, cx: float, cy: float, half_w: float, half_h: float) -> tuple[float, float, float]:
    return _rect_mean(image, cx - half_w, cy - half_h, cx + half_w, cy + half_h)


def region_colours(image: np.ndarray, face: FaceLandmarks | None, frame_mean_rgb: tuple[float, float, float]) -> np.ndarray:
    """Mean RGB of every region in :data:`REGIONS` for one frame.

    Parameters
    ----------
    image:
        BGR uint8 frame.
    face:
        The face's landmarks, or ``None`` (then only ``frame`` is filled).
    frame_mean_rgb:
        Mean colour of the whole frame (computed once on the thumbnail).

    Returns
    -------
    numpy.ndarray
        (len(REGIONS), 3) float32, NaN where undefined.
    """
    out = np.full((len(REGIONS), 3), np.nan, np.float32)
    out[R["frame"]] = frame_mean_rgb
    if face is None:
        return out
    p = face.points
    d = max(float(face.inter_ocular_px), 4.0)
    fh = p[_FOREHEAD]
    out[R["forehead"]] = _patch(image, fh[0], fh[1] - 0.05 * d, 0.28 * d, 0.14 * d)
    br = p[_BRIDGE]
    out[R["nose_bridge"]] = _patch(image, br[0], br[1], 0.09 * d, 0.12 * d)
    tip = p[_TIP]
    out[R["nose_tip"]] = _patch(image, tip[0], tip[1], 0.10 * d, 0.08 * d)
    for name, idx in (("cheek_r", _CHEEK_R), ("cheek_l", _CHEEK_L)):
        c = p[idx]
        out[R[name]] = _patch(image, c[0], c[1], 0.13 * d, 0.13 * d)
    centre = p[_TIP]
    for name, idx in (("side_r", _EDGE_R), ("side_l", _EDGE_L)):
        e = p[idx]
        # 18 % of the way from the contour towards the nose: on the face, turned away from the screen.
        sx, sy = e[0] + 0.18 * (centre[0] - e[0]), e[1] + 0.18 * (centre[1] - e[1]) + 0.15 * d
        out[R[name]] = _patch(image, sx, sy, 0.07 * d, 0.16 * d)
    un = p[_UNDER_NOSE]
    out[R["under_nose"]] = _patch(image, un[0], un[1], 0.12 * d, 0.05 * d)
    ch = 0.7 * p[_CHIN] + 0.3 * p[_LIP_LOW]
    out[R["chin"]] = _patch(image, ch[0], ch[1], 0.16 * d, 0.08 * d)
    out[R["centre"]] = _patch(image, tip[0], 0.5 * (tip[1] + br[1]), 0.45 * d, 0.35 * d)
    brow_y = float(p[list(_BROWS), 1].mean())
    eyes = p[list(_EYE_CORNERS)]
    ex0, ex1 = float(eyes[:, 0].min()), float(eyes[:, 0].max())
    out[R["upper"]] = _rect_mean(image, ex0, brow_y - 0.35 * d, ex1, brow_y)
    mouth = p[list(_MOUTH_CORNERS)]
    my = float(mouth[:, 1].mean())
    out[R["lower"]] = _rect_mean(image, float(mouth[:, 0].min()), my + 0.1 * d, float(mouth[:, 0].max()), float(p[_CHIN, 1]) - 0.05 * d)
    bx, by, bw, bh = face.box.x, face.box.y, face.box.w, face.box.h
    out[R["ring_l"]] = _rect_mean(image, bx - 0.35 * bw, by + 0.1 * bh, bx - 0.12 * bw, by + 0.6 * bh)
    out[R["ring_r"]] = _rect_mean(image, bx + 1.12 * bw, by + 0.1 * bh, bx + 1.35 * bw, by + 0.6 * bh)
    out[R["ring_top"]] = _rect_mean(image, bx + 0.2 * bw, by - 0.35 * bh, bx + 0.8 * bw, by - 0.12 * bh)
    out[R["around_l"]] = _rect_mean(image, bx - 1.1 * bw, by, bx - 0.6 * bw, by + 0.7 * bh)
    out[R["around_r"]] = _rect_mean(image, bx + 1.6 * bw, by, bx + 2.1 * bw, by + 0.7 * bh)
    out[R["around_top"]] = _rect_mean(image, bx, by - 0.9 * bh, bx + bw, by - 0.55 * bh)
    return out


#: Eye patches of :attr:`FrameFeatures.eyes`, in order.
EYE_PATCHES: tuple[str, ...] = ("pupil_r", "pupil_l", "sclera_r", "sclera_l")
#: MediaPipe's iris centres (subject's right eye first) and each eye's inner corner.
_IRIS = (468, 473)
_INNER_CORNER = (facemesh.RIGHT_EYE_INNER, facemesh.LEFT_EYE_INNER)
#: Where the white of the eye is read: this fraction of the way from the iris centre to the inner corner (the
#: iris reaches ~0.45 of the way).
SCLERA_AT = 0.65
#: Pupil patch in eye distances: the iris is ~0.19 d across; the cornea's image of a screen below the camera
#: (~3 mm, 0.05 d, wide) lies 0-2.5 mm below the iris centre, so the patch reaches further down than up.
PUPIL_HALF = 0.05
PUPIL_UP, PUPIL_DOWN = 0.03, 0.08
#: Share of a patch's pixels (the brightest per channel) whose mean is the glint.
GLINT_SHARE = 0.12


def _glint(image: np.ndarray, cx: float, cy: float, half: float, up: float, down: float) -> tuple[float, float, float]:
    """Mean RGB of the brightest ``GLINT_SHARE`` of a patch's pixels (``cx +- half``, ``cy - up`` to ``cy + down``),
    per channel (NaN when too small)."""
    h, w = image.shape[:2]
    xa, ya = max(0, int(round(cx - half))), max(0, int(round(cy - up)))
    xb, yb = min(w, int(round(cx + half)) + 1), min(h, int(round(cy + down)) + 1)
    if xb - xa < 3 or yb - ya < 3:
        return (math.nan, math.nan, math.nan)
    patch = image[ya:yb, xa:xb].reshape(-1, 3).astype(np.float32)
    k = max(2, int(round(GLINT_SHARE * len(patch))))
    top = np.partition(patch, len(patch) - k, axis=0)[-k:]
    b, g, r = top.mean(axis=0)
    return (float(r), float(g), float(b))


def eye_patches(image: np.ndarray, face: FaceLandmarks | None) -> np.ndarray:
    """(len(EYE_PATCHES), 3) RGB: the glint of each pupil (iris centre +- ``PUPIL_HALF`` eye distances across,
    ``PUPIL_UP`` above to ``PUPIL_DOWN`` below) and of the white of each eye (a square of the same width
    ``SCLERA_AT`` of the way to the inner corner), NaN without a face or iris landmarks.

    What a 640x480 webcam resolves: at 40 cm the eyes are ~150 px apart, a pupil patch is ~13 px wide and the
    screen's mirror image in the cornea ~5-8 px; at 60 cm about two thirds of that.
    """
    out = np.full((len(EYE_PATCHES), 3), np.nan, np.float32)
    if face is None or face.points.shape[0] <= max(_IRIS):
        return out
    p = face.points
    d = max(float(face.inter_ocular_px), 4.0)
    half, up, down = max(2.0, PUPIL_HALF * d), max(1.0, PUPIL_UP * d), max(2.0, PUPIL_DOWN * d)
    for i, idx in enumerate(_IRIS):
        out[i] = _glint(image, float(p[idx, 0]), float(p[idx, 1]), half, up, down)
    for i, (iris, corner) in enumerate(zip(_IRIS, _INNER_CORNER)):
        x, y = p[iris] + SCLERA_AT * (p[corner] - p[iris])
        out[len(_IRIS) + i] = _glint(image, float(x), float(y), half, half, half)
    return out


#: The skin under each eye (subject's right, then left), in eye distances from the eye's centre (the mean of its
#: corners): the lower lid and the top of the cheek's thin skin, below the lashes, inside any mask's eye hole.
LID_DOWN = (0.08, 0.14)
LID_HALF_W = 0.14


def lid_patches(image: np.ndarray, face: FaceLandmarks | None) -> np.ndarray:
    """(2, 3) mean RGB of the skin under each eye (subject's right, then left; :data:`LID_DOWN` below the eye's
    centre, +- :data:`LID_HALF_W` across, in eye distances), NaN without a face.

    A mask with eye holes shows its wearer's own skin here and its own material on the cheeks; a face is one
    material (the optics stage compares how each answers the screen's colours)."""
    out = np.full((2, 3), np.nan, np.float32)
    if face is None:
        return out
    d = max(float(face.inter_ocular_px), 4.0)
    for i, centre in enumerate(facemesh.eye_centres(face.points)):
        x, y = float(centre[0]), float(centre[1])
        out[i] = _rect_mean(image, x - LID_HALF_W * d, y + LID_DOWN[0] * d, x + LID_HALF_W * d, y + LID_DOWN[1] * d)
    return out


#: The strip above each eye (:func:`brow_profiles`): rows every ``BROW_STEP`` eye distances from the eye's centre
#: up, averaged over +- ``BROW_HALF_W`` eye distances across.
BROW_ROWS = 45
BROW_STEP = 0.0125
BROW_HALF_W = 0.12
_BROW_COLS = 9


def brow_profiles(grey: np.ndarray, face: FaceLandmarks | None) -> np.ndarray:
    """(2, :data:`BROW_ROWS`) grey level along a strip from each eye's centre (the mean of its corners; subject's
    right, then left) straight up past the brow (0 to 0.55 eye distances, across the eyes' line), averaged over
    +- :data:`BROW_HALF_W` eye distances across; NaN without a face.

    Row ``i`` lies ``i * BROW_STEP`` eye distances above the eye's centre. A blink pulls the lid's fold and the
    skin above it down on a face; on a mask with eye holes the mask's surface and its cut edge around the eye
    stay where they are (the optics stage compares the strip at a blink with the open eyes around it)."""
    out = np.full((2, BROW_ROWS), np.nan, np.float32)
    if face is None:
        return out
    right, left = facemesh.eye_centres(face.points)
    axis = np.asarray(left, np.float64) - np.asarray(right, np.float64)
    d = float(np.hypot(*axis))
    if d < 8.0:
        return out
    u = axis / d
    up = np.array([u[1], -u[0]])  # perpendicular to the eyes' line, towards the brow (image y grows down)
    h = np.arange(BROW_ROWS, dtype=np.float64) * BROW_STEP * d
    a = np.linspace(-BROW_HALF_W, BROW_HALF_W, _BROW_COLS) * d
    for i, c in enumerate((right, left)):
        xs = c[0] + h[:, None] * up[0] + a[None, :] * u[0]
        ys = c[1] + h[:, None] * up[1] + a[None, :] * u[1]
        hgt, wid = grey.shape[:2]
        if xs.min() < 0 or ys.min() < 0 or xs.max() > wid - 1 or ys.max() > hgt - 1:
            continue
        vals = cv2.remap(grey, xs.astype(np.float32), ys.astype(np.float32), cv2.INTER_LINEAR)
        out[i] = vals.astype(np.float32).mean(axis=1)
    return out


def detail_contrast(image: np.ndarray, face: FaceLandmarks | None) -> np.ndarray:
    """(3,) fine-detail contrast per channel (R, G, B) of the face's centre: the standard deviation of a
    band-pass (difference of Gaussians, sigma 0.8 and 2.0 px: details of ~1-3 mm at 40 cm) over the mean.

    Light the screen sends under skin comes out up to a few millimetres away, more for red than for blue, so
    the red response to a flash carries less fine detail than the blue one; a surface that reflects where the
    light falls (paper, resin) does not soften either.
    """
    out = np.full(3, np.nan, np.float32)
    if face is None:
        return out
    p = face.points
    d = max(float(face.inter_ocular_px), 4.0)
    tip, br = p[_TIP], p[_BRIDGE]
    cx, cy = float(tip[0]), float(0.5 * (tip[1] + br[1]))
    h, w = image.shape[:2]
    xa, ya = max(0, int(cx - 0.45 * d)), max(0, int(cy - 0.35 * d))
    xb, yb = min(w, int(cx + 0.45 * d)), min(h, int(cy + 0.35 * d))
    if xb - xa < 12 or yb - ya < 12:
        return out
    crop = image[ya:yb, xa:xb].astype(np.float32)
    band = cv2.GaussianBlur(crop, (0, 0), 0.8) - cv2.GaussianBlur(crop, (0, 0), 2.0)
    core = band[3:-3, 3:-3].reshape(-1, 3)
    mean = crop.reshape(-1, 3).mean(axis=0)
    sd = core.std(axis=0)
    for c, k in ((0, 2), (1, 1), (2, 0)):  # BGR -> RGB
        out[c] = sd[k] / mean[k] if mean[k] > 1.0 else math.nan
    return out


def head_grid(image: np.ndarray, face: FaceLandmarks | None) -> np.ndarray:
    """(GRID, GRID, 3) mean RGB over the face box widened 1.2x, clipped to the frame (NaN without a face)."""
    out = np.full((GRID, GRID, 3), np.nan, np.float32)
    if face is None:
        return out
    h, w = image.shape[:2]
    b = face.box
    half_w, half_h = 0.6 * b.w, 0.6 * b.h
    xa, ya = max(0, int(b.cx - half_w)), max(0, int(b.cy - half_h))
    xb, yb = min(w, int(b.cx + half_w)), min(h, int(b.cy + half_h))
    if xb - xa < GRID * 2 or yb - ya < GRID * 2:
        return out
    small = cv2.resize(image[ya:yb, xa:xb], (GRID, GRID), interpolation=cv2.INTER_AREA).astype(np.float32)
    out[:] = small[:, :, ::-1]
    return out


def dhash(thumb: np.ndarray) -> int:
    """64-bit difference hash of a grey image."""
    small = cv2.resize(thumb, (9, 8), interpolation=cv2.INTER_AREA)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return value


def noise_sigma(patch: np.ndarray) -> float:
    """Immerkaer's fast noise estimate (sigma in grey levels) of a float32 patch."""
    h, w = patch.shape
    if h < 3 or w < 3:
        return math.nan
    conv = cv2.filter2D(patch, cv2.CV_32F, _NOISE_KERNEL)[1:-1, 1:-1]
    return float(math.sqrt(math.pi / 2) * np.abs(conv).sum() / (6.0 * (w - 2) * (h - 2)))


def jpeg_roundtrip(grey: np.ndarray, quality: int = 95) -> np.ndarray:
    """Pass a block-aligned grey patch through JPEG at the recording's quality.

    Recordings store frames as JPEG (quality 95), which smooths sensor noise a
    little and adds faint block borders. Measuring noise and blocks after the
    same round trip makes the live analysis and a re-scored recording see the
    same numbers (a second pass at the same quality changes almost nothing).
    """
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(grey), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        return grey
    out = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return out if out is not None and out.shape == grey.shape else grey


def noise_patches(grey: np.ndarray) -> list[tuple[int, int]]:
    """Top-left corners (multiples of 8, on the JPEG block grid) of the dark-noise probe patches."""
    h, w = grey.shape
    nx, ny = NOISE_LAYOUT
    out = []
    for j in range(ny):
        for i in range(nx):
            x = int((i + 0.5) * w / nx - NOISE_PATCH / 2)
            y = int((j + 0.5) * h / ny - NOISE_PATCH / 2)
            if j == 0:
                y = 4
            elif j == ny - 1:
                y = h - NOISE_PATCH - 4
            if i == 0:
                x = 4
            elif i == nx - 1:
                x = w - NOISE_PATCH - 4
            out.append((max(0, x - x % 8), max(0, y - y % 8)))
    return out


def blockiness(grey: np.ndarray, cx: float, cy: float, size: int = 64) -> float:
    """Gradient at 8-pixel block borders relative to inside blocks, on a frame-aligned square.

    1.0 means no block structure; re-encoded video (JPEG/MPEG at modest
    quality) gives visibly more. The square is aligned to the frame's 8-pixel
    grid so that the borders of a codec working on the full frame line up.
    """
    h, w = grey.shape
    x0 = int(cx // 8) * 8 - size // 2
    y0 = int(cy // 8) * 8 - size // 2
    x0, y0 = max(0, min(w - size, x0)), max(0, min(h - size, y0))
    x0, y0 = x0 - x0 % 8, y0 - y0 % 8
    sq = jpeg_roundtrip(grey[y0 : y0 + size, x0 : x0 + size]).astype(np.float32)
    if sq.shape[0] < 16 or sq.shape[1] < 16:
        return math.nan
    gx = np.abs(np.diff(sq, axis=1))  # gx[:, k] is between columns k and k+1
    gy = np.abs(np.diff(sq, axis=0))
    border = (np.arange(gx.shape[1]) % 8) == 7
    inner_x = gx[:, ~border].mean()
    inner_y = gy[~border[: gy.shape[0]], :].mean()
    bx = gx[:, border].mean()
    by = gy[border[: gy.shape[0]], :].mean()
    inner = inner_x + inner_y
    return float((bx + by) / inner) if inner > 1e-6 else math.nan


@dataclass
class _Previous:
    thumb: np.ndarray | None = None
    patches: list[np.ndarray] = field(default_factory=list)


class FeatureExtractor:
    """Turns each frame into :class:`FrameFeatures` (keeps only the previous thumbnail)."""

    def __init__(self) -> None:
        self._prev = _Previous()

    def extract(self, frame: Frame, landmarks: LandmarkResult) -> FrameFeatures:
        """Features of one frame.

        Parameters
        ----------
        frame:
            The BGR frame.
        landmarks:
            The landmark stage's result for this frame.

        Returns
        -------
        FrameFeatures
        """
        import time

        start = time.perf_counter()
        image = frame.image
        face = landmarks.face
        # One grey conversion and one down-sampling of the whole frame; everything else reads patches.
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        thumb = cv2.resize(grey, (THUMB_W, THUMB_H), interpolation=cv2.INTER_AREA)
        b_, g_, r_, _ = cv2.mean(image)
        frame_rgb = (float(r_), float(g_), float(b_))
        regions = region_colours(image, face, frame_rgb)
        grid = head_grid(image, face)

        diff_prev = math.nan
        if self._prev.thumb is not None and self._prev.thumb.shape == thumb.shape:
            diff_prev = float(cv2.absdiff(thumb, self._prev.thumb).mean())
        corners = noise_patches(grey)
        noise = np.full((len(corners), 2), np.nan, np.float32)
        tnoise = np.full(len(corners), np.nan, np.float32)
        patches = []
        strip = jpeg_roundtrip(np.hstack([grey[y : y + NOISE_PATCH, x : x + NOISE_PATCH] for x, y in corners]))
        for k in range(len(corners)):
            p = strip[:, k * NOISE_PATCH : (k + 1) * NOISE_PATCH].astype(np.float32)
            patches.append(p)
            noise[k, 0] = float(p.mean())
            noise[k, 1] = noise_sigma(p)
            if len(self._prev.patches) == len(corners) and self._prev.patches[k].shape == p.shape:
                tnoise[k] = float(np.std(p - self._prev.patches[k]) / math.sqrt(2.0))
        self._prev = _Previous(thumb, patches)

        if face is not None:
            b, fb = face.box, face.fit_box
            box = (b.x, b.y, b.w, b.h)
            fit = (fb.x, fb.y, fb.w, fb.h)
            tip = face.points[_TIP]
            d = max(face.inter_ocular_px, 4.0)
            half = int(max(8, 0.5 * d))
            x0, y0 = int(tip[0]) - half, int(tip[1] - 0.3 * d) - half
            h, w = grey.shape
            xa, ya, xb, yb = max(0, x0), max(0, y0), min(w, x0 + 2 * half), min(h, y0 + 2 * half)
            if xb - xa >= 8 and yb - ya >= 8:
                crop = cv2.resize(grey[ya:yb, xa:xb], (64, 64), interpolation=cv2.INTER_AREA)
                sharp = float(cv2.Laplacian(crop, cv2.CV_32F).var())
                luma = float(crop.mean())
                clip_hi = float((crop >= 250).mean())
                clip_lo = float((crop <= 10).mean())
            else:
                sharp = luma = clip_hi = clip_lo = math.nan
            block = blockiness(grey, float(tip[0]), float(tip[1]))
            points = face.points.astype(np.float32, copy=True)
            iod, blink = float(face.inter_ocular_px), float(face.blink)
        else:
            box = fit = _NAN4
            sharp = luma = clip_hi = clip_lo = math.nan
            h, w = grey.shape
            block = blockiness(grey, w / 2, h / 2)
            points = None
            iod = blink = math.nan
        return FrameFeatures(
            index=frame.index,
            t_ns=int(frame.t_ns),
            n_faces=int(landmarks.face_count),
            points=points,
            box=box,
            fit_box=fit,
            iod=iod,
            blink=blink,
            regions=regions,
            grid=grid,
            noise=noise,
            tnoise=tnoise,
            diff_prev=diff_prev,
            dhash=dhash(thumb),
            blockiness=block,
            sharpness=sharp,
            luma=luma,
            clip_hi=clip_hi,
            clip_lo=clip_lo,
            elapsed_ms=(time.perf_counter() - start) * 1000,
            eyes=eye_patches(image, face),
            detail=detail_contrast(image, face),
            lids=lid_patches(image, face),
            brows=brow_profiles(grey, face),
        )


@dataclass
class SessionData:
    """All frames' features stacked into arrays (what the session stages read).

    Built by :meth:`from_frames`; plain numpy arrays so it pickles and caches.
    """

    index: np.ndarray  # (N,) int64
    t_ns: np.ndarray  # (N,) int64
    n_faces: np.ndarray  # (N,) int32
    points: np.ndarray  # (N, 478, 2) float32, NaN without a face
    box: np.ndarray  # (N, 4)
    fit_box: np.ndarray  # (N, 4)
    iod: np.ndarray  # (N,)
    blink: np.ndarray  # (N,)
    regions: np.ndarray  # (N, len(REGIONS), 3)
    grid: np.ndarray  # (N, GRID, GRID, 3)
    noise: np.ndarray  # (N, P, 2)
    tnoise: np.ndarray  # (N, P)
    diff_prev: np.ndarray  # (N,)
    dhash: np.ndarray  # (N,) uint64
    blockiness: np.ndarray
    sharpness: np.ndarray
    luma: np.ndarray
    clip_hi: np.ndarray
    clip_lo: np.ndarray
    frame_size: tuple[int, int] = (0, 0)
    meta: dict[str, Any] = field(default_factory=dict)
    eyes: np.ndarray = field(default_factory=lambda: np.zeros((0, len(EYE_PATCHES), 3), np.float32))  # (N, 4, 3)
    detail: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.float32))  # (N, 3)
    lids: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, 3), np.float32))  # (N, 2, 3)
    brows: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, BROW_ROWS), np.float32))  # (N, 2, BROW_ROWS)

    @property
    def n(self) -> int:
        return int(len(self.t_ns))

    @property
    def has_face(self) -> np.ndarray:
        return self.n_faces > 0

    def t_s(self) -> np.ndarray:
        """Frame times in seconds from the first frame."""
        return (self.t_ns - (self.t_ns[0] if self.n else 0)).astype(np.float64) / 1e9

    @classmethod
    def from_frames(cls, frames: list[FrameFeatures], frame_size: tuple[int, int]) -> "SessionData":
        """Stack per-frame features (an empty list gives empty arrays)."""
        n = len(frames)
        n_pts = 478
        for f in frames:
            if f.points is not None:
                n_pts = f.points.shape[0]
                break
        points = np.full((n, n_pts, 2), np.nan, np.float32)
        for i, f in enumerate(frames):
            if f.points is not None and f.points.shape[0] == n_pts:
                points[i] = f.points
        n_noise = NOISE_LAYOUT[0] * NOISE_LAYOUT[1]

        def stack(attr: str, shape: tuple[int, ...], dtype: Any = np.float32) -> np.ndarray:
            if not frames:
                return np.zeros((0, *shape), dtype)
            return np.stack([np.asarray(getattr(f, attr), dtype) for f in frames])

        return cls(
            index=np.array([f.index for f in frames], np.int64),
            t_ns=np.array([f.t_ns for f in frames], np.int64),
            n_faces=np.array([f.n_faces for f in frames], np.int32),
            points=points,
            box=stack("box", (4,), np.float64),
            fit_box=stack("fit_box", (4,), np.float64),
            iod=np.array([f.iod for f in frames], np.float64),
            blink=np.array([f.blink for f in frames], np.float64),
            regions=stack("regions", (len(REGIONS), 3)),
            grid=stack("grid", (GRID, GRID, 3)),
            noise=stack("noise", (n_noise, 2)),
            tnoise=stack("tnoise", (n_noise,)),
            diff_prev=np.array([f.diff_prev for f in frames], np.float64),
            dhash=np.array([f.dhash for f in frames], np.uint64),
            blockiness=np.array([f.blockiness for f in frames], np.float64),
            sharpness=np.array([f.sharpness for f in frames], np.float64),
            luma=np.array([f.luma for f in frames], np.float64),
            clip_hi=np.array([f.clip_hi for f in frames], np.float64),
            clip_lo=np.array([f.clip_lo for f in frames], np.float64),
            frame_size=frame_size,
            eyes=stack("eyes", (len(EYE_PATCHES), 3)),
            detail=stack("detail", (3,)),
            lids=stack("lids", (2, 3)),
            brows=stack("brows", (2, BROW_ROWS)),
        )
