"""The simulated person's face: a portrait photo turned into a textured 3D height field.

The 478 landmarks found on the photo (image mode) give the *layout* of the face
(where the eyes, nose, mouth and contour are). The *depth* is a generic face
shape defined here in metres (a flattened ellipsoid plus nose ridge, eye
sockets, brows, lips, chin), scaled to the photo by an assumed inter-pupillary
distance. The landmark model's own z values are never used: they are learned
priors, and the scoring code is forbidden to treat them as depth, so the
simulator does not bake them in either.

Everything here is computed once per photo and cached in memory; renderers
then only sample the maps (albedo, alpha, height, normals) per frame.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from app.core.errors import ConfigError

log = logging.getLogger(__name__)

#: Mean adult inter-pupillary distance (metres); the photo is scaled to it.
IPD_M = 0.063
#: Texture resolution goal: eye-centre distance in texels after upscaling.
TARGET_IOD_TEXELS = 110.0

# MediaPipe face-mesh indices (topology of the 478-point mesh).
RIGHT_EYE_UPPER = (33, 246, 161, 160, 159, 158, 157, 173, 133)
RIGHT_EYE_LOWER = (33, 7, 163, 144, 145, 153, 154, 155, 133)
LEFT_EYE_UPPER = (263, 466, 388, 387, 386, 385, 384, 398, 362)
LEFT_EYE_LOWER = (263, 249, 390, 373, 374, 380, 381, 382, 362)
NASION, NOSE_TIP, SUBNASALE = 168, 1, 2
ALAE = (98, 327)
BROWS = (105, 334)
LIPS = (13, 14)
CHIN = 152
FOREHEAD = 10
CHEEKS = (234, 454)
EYE_CORNERS = ((33, 133), (362, 263))


@dataclass
class EyeRegion:
    """Where one eye opening lies in the texture, for rendering blinks."""

    x0: int
    y0: int
    x1: int
    y1: int
    #: Per column of the box (x0..x1): upper and lower lid rows (texels, float).
    upper: np.ndarray
    lower: np.ndarray
    #: Top row of the eye opening (texels) and the opening's height: skin up to some openings' heights above it
    #: follows a blink (``HeadSubject``'s ``blink_reach``; the box above reaches 1.5).
    lid_top: int = 0
    open_h: int = 0


@dataclass
class FaceModel:
    """A textured height-field face built from one photo.

    Attributes
    ----------
    albedo:
        Linear RGB reflectance, float32 (H, W, 3), in [0, 1].
    alpha:
        Coverage of the person (head, hair, neck, shoulders), float32 (H, W).
    height:
        Protrusion toward the camera in metres, float32 (H, W); 0 on the
        plane of the face contour (ears), about 0.1 at the nose tip.
    normals:
        Outward unit normals in head coordinates (x right, y down, z away from
        the camera), float32 (H, W, 3).
    scale:
        Metres per texel.
    centre:
        Texel (x, y) of the head-coordinate origin.
    landmarks:
        The 478 photo landmarks in texels, (478, 2).
    landmarks3d:
        The same points on the generic surface, head coordinates in metres, (478, 3).
    eyes:
        The two eye openings (image-left first), for blinks.
    photo:
        The aligned, upscaled full photo (sRGB uint8 RGB) for print-type attacks,
        and ``photo_offset`` the texel offset of ``albedo`` inside it.
    """

    albedo: np.ndarray
    alpha: np.ndarray
    height: np.ndarray
    normals: np.ndarray
    scale: float
    centre: tuple[float, float]
    landmarks: np.ndarray
    landmarks3d: np.ndarray
    eyes: list[EyeRegion]
    photo: np.ndarray
    photo_offset: tuple[int, int]
    photo_landmarks: np.ndarray
    source: str = ""
    face_mask: np.ndarray = field(default_factory=lambda: np.zeros((1, 1), np.float32))

    @property
    def height_max(self) -> float:
        return float(self.height.max())


def srgb_to_linear(rgb_u8: np.ndarray) -> np.ndarray:
    """sRGB uint8 -> linear float32 in [0, 1] (plain 2.2 power; precise enough here)."""
    return np.power(rgb_u8.astype(np.float32) / 255.0, 2.2, dtype=np.float32)


def _astronaut_file() -> Path | None:
    """scikit-image's public-domain astronaut portrait, found without importing scikit-image (which pulls SciPy)."""
    bundled = Path(__file__).with_name("astronaut.png")  # the desktop build ships it here
    if bundled.is_file():
        return bundled
    spec = importlib.util.find_spec("skimage")
    if spec is not None and spec.origin:
        installed = Path(spec.origin).parent / "data" / "astronaut.png"
        if installed.is_file():
            return installed
    return None


def load_photo(face: str | Path | None) -> tuple[np.ndarray, str]:
    """Load a portrait as RGB uint8; ``None`` means scikit-image's astronaut.

    Raises
    ------
    ConfigError
        When the file is missing or unreadable, or scikit-image is not installed
        for the default face.
    """
    if face is None or str(face) in ("", "astronaut"):
        default = _astronaut_file()
        portrait = cv2.imread(str(default), cv2.IMREAD_COLOR) if default is not None else None
        if portrait is None:
            raise ConfigError(
                "the default simulator face needs scikit-image's astronaut.png (pip install scikit-image); "
                "or pass a portrait photo with face=<path> / --face"
            )
        return np.ascontiguousarray(portrait[:, :, ::-1]), "skimage:astronaut"
    path = Path(face).expanduser()
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ConfigError(f"face photo {path} does not exist or is not an image OpenCV can read")
    return np.ascontiguousarray(image[:, :, ::-1]), str(path.resolve())


def _detect(rgb: np.ndarray, stage: object) -> np.ndarray | None:
    from app.core.capture.frame import Frame

    result = stage.process(Frame(np.ascontiguousarray(rgb[:, :, ::-1]), 0, 0))  # type: ignore[attr-defined]
    face = result.face
    return None if face is None else np.asarray(face.points, np.float64)


def _eye_centres(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    right = pts[list(EYE_CORNERS[0])].mean(axis=0)
    left = pts[list(EYE_CORNERS[1])].mean(axis=0)
    return right, left


def _warp(rgb: np.ndarray, mat: np.ndarray | None, size: tuple[int, int]) -> np.ndarray:
    if mat is None:
        return rgb
    return cv2.warpAffine(rgb, mat, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def _align_photo(rgb: np.ndarray, stage: object) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[int, int]]:
    """Rotate and scale the photo so the eyes are level and about TARGET_IOD_TEXELS apart.

    Returns the aligned photo, its landmarks, the affine matrix (None if the
    photo was used as is) and the aligned size.
    """
    pts = _detect(rgb, stage)
    if pts is None:
        raise ConfigError("no face was found in the simulator's face photo; use a frontal portrait")
    right, left = _eye_centres(pts)
    angle = float(np.degrees(np.arctan2(left[1] - right[1], left[0] - right[0])))
    iod = float(np.hypot(*(left - right)))
    zoom = max(1.0, TARGET_IOD_TEXELS / max(iod, 1.0))
    h, w = rgb.shape[:2]
    mat = None
    size = (w, h)
    if abs(angle) > 1.0 or zoom > 1.01:
        centre = ((right + left) / 2).astype(float)
        mat = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, zoom)
        corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], float) @ mat.T
        x0, y0 = corners.min(axis=0)
        x1, y1 = corners.max(axis=0)
        mat[:, 2] -= (x0, y0)
        size = (int(np.ceil(x1 - x0)), int(np.ceil(y1 - y0)))
        rgb = _warp(rgb, mat, size)
        pts2 = _detect(rgb, stage)
        if pts2 is None:
            # Fall back to the transformed points of the first detection.
            pts2 = np.c_[pts, np.ones(len(pts))] @ mat.T
        pts = pts2
    return rgb, pts, mat, size


def _gauss2(x: np.ndarray, y: np.ndarray, cx: float, cy: float, sx: float, sy: float) -> np.ndarray:
    return np.exp(-0.5 * (((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2))


def generic_height(xm: np.ndarray, ym: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """Generic face depth (metres toward the camera) on a metric grid.

    ``xm``, ``ym`` are texel positions in metres (head coordinates, origin at
    the face centre); ``lm`` the landmarks in the same metric frame (478, 2).
    Only the landmark *layout* is used, never any model depth.
    """
    cheek_r, cheek_l = lm[CHEEKS[0]], lm[CHEEKS[1]]
    half_w = 0.5 * abs(cheek_l[0] - cheek_r[0]) * 1.1
    top, chin = lm[FOREHEAD][1], lm[CHIN][1]
    cy = 0.5 * (top + chin)
    half_h = 0.5 * (chin - top) * 1.28
    # Flattened ellipsoid: flat-ish front, curving back toward the ears.
    rho = np.sqrt((xm / half_w) ** 2 + ((ym - cy) / half_h) ** 2)
    depth = 0.085
    h = depth * np.clip(1.0 - rho**2.4, 0.0, None)
    # Nose: a ridge from the nasion to the tip, widening toward the alae.
    nasion, tip = lm[NASION], lm[NOSE_TIP]
    axis = tip - nasion
    length = float(np.hypot(*axis)) or 1e-3
    ux, uy = axis / length
    t = ((xm - nasion[0]) * ux + (ym - nasion[1]) * uy) / length
    perp = (xm - nasion[0]) * -uy + (ym - nasion[1]) * ux
    tc = np.clip(t, 0.0, 1.0)
    ridge = 0.004 + 0.019 * tc**1.4
    width = 0.0045 + 0.007 * tc
    along = np.where(t < 0, np.exp(-0.5 * (t * length / 0.006) ** 2), np.where(t > 1, np.exp(-0.5 * ((t - 1) * length / 0.0075) ** 2), 1.0))
    h += ridge * np.exp(-0.5 * (perp / width) ** 2) * along
    for idx in ALAE:
        h += 0.006 * _gauss2(xm, ym, lm[idx][0], lm[idx][1], 0.006, 0.005)
    # Eye sockets (recess) with the eyeball bulging slightly inside them.
    for a, b in EYE_CORNERS:
        ex, ey = (lm[a] + lm[b]) / 2
        h -= 0.009 * _gauss2(xm, ym, ex, ey - 0.002, 0.017, 0.011)
        h += 0.004 * _gauss2(xm, ym, ex, ey, 0.009, 0.006)
    for idx in BROWS:
        h += 0.004 * _gauss2(xm, ym, lm[idx][0], lm[idx][1] - 0.002, 0.02, 0.006)
    mouth = (lm[LIPS[0]] + lm[LIPS[1]]) / 2
    h += 0.006 * _gauss2(xm, ym, mouth[0], mouth[1], 0.02, 0.008)
    h += 0.005 * _gauss2(xm, ym, lm[CHIN][0], lm[CHIN][1] - 0.012, 0.016, 0.012)
    return np.clip(h, 0.0, None).astype(np.float32)


def normals_from_height(height: np.ndarray, scale: float) -> np.ndarray:
    """Outward normals (-dh/dx, -dh/dy, -1) normalised; head coords (z away from camera)."""
    smooth = cv2.GaussianBlur(height, (0, 0), 1.2)
    gy, gx = np.gradient(smooth, scale)
    n = np.dstack([-gx, -gy, -np.ones_like(gx)]).astype(np.float32)
    n /= np.linalg.norm(n, axis=2, keepdims=True)
    return n


def _lid_curve(pts: np.ndarray, idx: tuple[int, ...], xs: np.ndarray) -> np.ndarray:
    p = pts[list(idx)]
    order = np.argsort(p[:, 0])
    return np.interp(xs, p[order, 0], p[order, 1])


def _person_mask(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    """Coverage of face, hair, neck and shoulders (the photo's own background excluded).

    The face is the landmark hull (slightly dilated), the hair a dome above the
    eyes, the neck a band under the chin and the shoulders a rounded slope.
    """
    h, w = shape
    x0, x1 = pts[CHEEKS[0]][0], pts[CHEEKS[1]][0]
    top, chin = pts[FOREHEAD][1], pts[CHIN][1]
    fw, fh = x1 - x0, chin - top
    cx = 0.5 * (x0 + x1)
    eye_y = float(pts[list(EYE_CORNERS[0]) + list(EYE_CORNERS[1])][:, 1].mean())
    mask = np.zeros((h, w), np.uint8)
    centre = pts.mean(axis=0)
    hull = cv2.convexHull(((pts - centre) * 1.03 + centre).astype(np.float32)).astype(np.int32)
    cv2.fillConvexPoly(mask, hull, 255)
    # Hair: the upper half of an ellipse reaching from ear to ear, above the eyes.
    dome = np.zeros((h, w), np.uint8)
    cv2.ellipse(dome, (int(cx), int(eye_y)), (int(0.56 * fw), int(eye_y - top + 0.3 * fh)), 0, 0, 360, 255, -1)
    dome[int(eye_y + 0.05 * fh):] = 0
    mask |= dome
    neck = np.array([[cx - 0.3 * fw, chin - 0.25 * fh], [cx + 0.3 * fw, chin - 0.25 * fh],
                     [cx + 0.33 * fw, chin + 0.45 * fh], [cx - 0.33 * fw, chin + 0.45 * fh]], np.int32)
    cv2.fillConvexPoly(mask, neck, 255)
    shoulders = np.zeros((h, w), np.uint8)
    cv2.ellipse(shoulders, (int(cx), int(chin + 1.25 * fh)), (int(1.7 * fw), int(0.9 * fh)), 0, 180, 360, 255, -1)
    shoulders[int(chin + 1.25 * fh):] = 255 * (np.abs(np.arange(w) - cx) < 1.7 * fw)[None, :]
    mask |= shoulders
    soft = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), max(1.0, 0.015 * fw))
    return soft


def _segment_person(rgb: np.ndarray, pts: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Refine the person's coverage with GrabCut (colour models of person vs the photo's background).

    Seeds: the face hull is certainly the person, the rough shape ``prior`` probably
    is, everything far from it certainly is not. Falls back to ``prior`` if the
    segmentation degenerates.
    """
    h, w = prior.shape
    k = min(1.0, 450.0 / max(h, w))
    small = cv2.resize(rgb, (max(8, int(w * k)), max(8, int(h * k))), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    pr = cv2.resize(prior, (sw, sh), interpolation=cv2.INTER_LINEAR)
    mask = np.full((sh, sw), cv2.GC_PR_BGD, np.uint8)
    mask[pr > 0.3] = cv2.GC_PR_FGD
    core = np.zeros((sh, sw), np.uint8)
    cv2.fillConvexPoly(core, cv2.convexHull((pts * k).astype(np.float32)).astype(np.int32), 1)
    core = cv2.erode(core, np.ones((5, 5), np.uint8))
    mask[core > 0] = cv2.GC_FGD
    reach = max(3, int(0.12 * sw))
    near = cv2.dilate((pr > 0.05).astype(np.uint8), np.ones((reach, reach), np.uint8))
    mask[near == 0] = cv2.GC_BGD
    try:
        bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
        cv2.grabCut(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), mask, None, bgd, fgd, 4, cv2.GC_INIT_WITH_MASK)
    except cv2.error as exc:
        log.info("person segmentation failed (%s); using the landmark-based outline", exc)
        return prior
    fg = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    # Keep the component holding the face; fill holes.
    count, labels = cv2.connectedComponents(fg)
    if count > 2:
        face_label = np.bincount(labels[core > 0].ravel(), minlength=count)[1:].argmax() + 1
        fg = (labels == face_label).astype(np.uint8)
    if fg.sum() < core.sum():
        return prior
    full = cv2.resize(fg.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    fw = float(np.ptp(pts[:, 0]))
    return cv2.GaussianBlur(np.clip(full, 0, 1), (0, 0), max(1.0, 0.012 * fw))


def build_face(rgb: np.ndarray, *, source: str = "", stage: object | None = None, cache: bool = True) -> FaceModel:
    """Build a :class:`FaceModel` from an RGB portrait (see module docstring).

    The slow steps (landmarks, person segmentation) are cached on disk under
    the user cache folder, keyed by the photo's content, unless ``cache`` is
    False or ``LIVEGATE_SIM_CACHE=0``.
    """
    key = _cache_key(rgb)
    cached = _load_cached(key) if cache else None
    if cached is not None:
        mat, size, pts, alpha_cached = cached
        photo = _warp(rgb, mat, size)
    else:
        from app.core.landmarks import LandmarkOptions, LandmarkStage

        own = stage is None
        stage = stage or LandmarkStage.create(LandmarkOptions(video_mode=False, num_faces=1))
        try:
            photo, pts, mat, size = _align_photo(rgb, stage)
        finally:
            if own:
                stage.close()  # type: ignore[attr-defined]
        alpha_cached = None
    right, left = _eye_centres(pts)
    iod = float(np.hypot(*(left - right)))
    scale = IPD_M / iod
    fw = pts[CHEEKS[1]][0] - pts[CHEEKS[0]][0]
    top, chin = pts[FOREHEAD][1], pts[CHIN][1]
    fh = chin - top
    cx = 0.5 * (pts[CHEEKS[0]][0] + pts[CHEEKS[1]][0])
    # Crop: head and hair above, shoulders below (as far as the photo goes).
    ph, pw = photo.shape[:2]
    x0 = int(max(0, cx - 1.9 * fw))
    x1 = int(min(pw, cx + 1.9 * fw))
    y0 = int(max(0, top - 0.85 * fh))
    y1 = int(min(ph, chin + 1.6 * fh))
    crop = photo[y0:y1, x0:x1]
    lm = pts - (x0, y0)
    ch, cw = crop.shape[:2]
    if alpha_cached is not None and alpha_cached.shape == (ch, cw):
        alpha = alpha_cached.astype(np.float32) / 255.0
    else:
        alpha = _segment_person(crop, lm, _person_mask((ch, cw), lm))
        if cache:
            _save_cached(key, mat, size, pts, np.round(alpha * 255).astype(np.uint8))
    # Head-coordinate origin: between the cheeks, at mid-face height.
    origin = (float(0.5 * (lm[CHEEKS[0]][0] + lm[CHEEKS[1]][0])), float(0.5 * (lm[FOREHEAD][1] + lm[CHIN][1])))
    ys, xs = np.mgrid[0:ch, 0:cw].astype(np.float32)
    xm = (xs - origin[0]) * scale
    ym = (ys - origin[1]) * scale
    lm_m = (lm - origin) * scale
    height = generic_height(xm, ym, lm_m)
    normals = normals_from_height(height, scale)
    hx = np.clip(np.round(lm[:, 0]).astype(int), 0, cw - 1)
    hy = np.clip(np.round(lm[:, 1]).astype(int), 0, ch - 1)
    lm3d = np.c_[lm_m, -height[hy, hx]].astype(np.float64)
    eyes = []
    for upper, lower in ((RIGHT_EYE_UPPER, RIGHT_EYE_LOWER), (LEFT_EYE_UPPER, LEFT_EYE_LOWER)):
        p = lm[list(upper) + list(lower)]
        ex0, ex1 = int(np.floor(p[:, 0].min())), int(np.ceil(p[:, 0].max()))
        ey0, ey1 = int(np.floor(p[:, 1].min())), int(np.ceil(p[:, 1].max()))
        eh = max(ey1 - ey0, 2)
        ey0 -= int(1.5 * eh)
        ey1 += 2
        cols = np.arange(ex0, ex1 + 1, dtype=np.float64)
        eyes.append(EyeRegion(ex0, ey0, ex1 + 1, ey1, _lid_curve(lm, upper, cols), _lid_curve(lm, lower, cols),
                              ey0 + int(1.5 * eh), eh))
    # Face-skin mask (inside the contour), used for skin-only effects.
    face_mask = np.zeros((ch, cw), np.uint8)
    hull = cv2.convexHull(lm.astype(np.float32)).astype(np.int32)
    cv2.fillConvexPoly(face_mask, hull, 255)
    return FaceModel(
        albedo=_albedo_from_photo(crop, lm),
        alpha=alpha.astype(np.float32),
        height=height,
        normals=normals,
        scale=scale,
        centre=origin,
        landmarks=lm.astype(np.float64),
        landmarks3d=lm3d,
        eyes=eyes,
        photo=photo,
        photo_offset=(x0, y0),
        photo_landmarks=pts.astype(np.float64),
        source=source,
        face_mask=face_mask.astype(np.float32) / 255.0,
    )


def _albedo_from_photo(crop: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """Linear reflectance: the photo linearised and normalised so facial skin is about 0.35."""
    lin = srgb_to_linear(crop)
    hull = cv2.convexHull(lm.astype(np.float32)).astype(np.int32)
    mask = np.zeros(crop.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, hull, 1)
    lum = lin @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    skin = float(np.median(lum[mask > 0])) if mask.any() else float(np.median(lum))
    gain = 0.30 / max(skin, 1e-3)
    return np.clip(lin * gain, 0.0, 0.95).astype(np.float32)


#: Bump when the cached steps change.
CACHE_VERSION = "face-v1"


def _cache_dir() -> Path | None:
    setting = os.environ.get("LIVEGATE_SIM_CACHE", "").strip()
    if setting == "0":
        return None
    if setting:
        return Path(setting).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("livegate")) / "sim-faces"


def _cache_key(rgb: np.ndarray) -> str:
    h = hashlib.sha1(rgb.tobytes())
    h.update(f"{rgb.shape}{CACHE_VERSION}".encode())
    return h.hexdigest()[:24]


def _load_cached(key: str) -> tuple[np.ndarray | None, tuple[int, int], np.ndarray, np.ndarray] | None:
    folder = _cache_dir()
    path = folder / f"{key}.npz" if folder else None
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path) as data:
            mat = data["mat"] if data["has_mat"] else None
            return mat, (int(data["size"][0]), int(data["size"][1])), data["pts"].astype(np.float64), data["alpha"]
    except (OSError, KeyError, ValueError) as exc:
        log.info("ignoring unreadable simulator face cache %s: %s", path, exc)
        return None


def _save_cached(key: str, mat: np.ndarray | None, size: tuple[int, int], pts: np.ndarray, alpha: np.ndarray) -> None:
    folder = _cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{key}.{os.getpid()}.npz"
        np.savez_compressed(tmp, has_mat=mat is not None, mat=mat if mat is not None else np.zeros((2, 3)),
                            size=np.array(size), pts=pts, alpha=alpha)
        os.replace(tmp, folder / f"{key}.npz")
    except OSError as exc:
        log.info("could not write the simulator face cache in %s: %s", folder, exc)


_CACHE: dict[str, FaceModel] = {}
_CACHE_LOCK = threading.Lock()


def get_face(face: str | Path | None = None) -> FaceModel:
    """The face model for a photo (``None``: astronaut), built once per process."""
    rgb, source = load_photo(face)
    key = hashlib.sha1(rgb.tobytes()).hexdigest()[:16] + f"-{rgb.shape}"
    with _CACHE_LOCK:
        model = _CACHE.get(key)
        if model is None:
            log.info("building simulator face from %s", source)
            model = build_face(rgb, source=source)
            _CACHE[key] = model
    return model
