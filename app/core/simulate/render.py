"""Scene rendering: pinhole camera, screen as an area light, textured height-field surfaces.

Coordinates (metres): camera at the origin, x right, y down, z forward (into
the room). The kiosk screen lies in the plane z = 0 just below the camera and
faces +z. Every visible object is a :class:`SurfaceLayer`: a texture over a
height field (a face, a flat or bent sheet, a tablet), placed by a
:class:`Pose`. Rendering inverts the projection per pixel (ray / height-field
intersection by fixed-point iteration) on a coarse grid, shades there, and
upsamples the smooth maps before sampling the texture at full resolution, so
per-frame cost is a handful of vectorised OpenCV/numpy passes and never a loop
over triangles.

Shading is physically based in photometric units: irradiance in lux from the
ambient room light and from the screen's emitting patches (luminance x area x
cos x cos / r^2), reflected radiance = albedo x E / pi for diffuse surfaces,
plus an optional glossy reflection of the screen (skin oil, resin, glass).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from app.core.screen import ScreenEvent, ScreenState

#: Coarse-grid factor: geometry and shading are computed on a grid this many render pixels apart.
GRID = 2
#: A layer with relief turned further than this from the camera (cosine of the angle between its normal and
#: the view axis; 15 degrees) is drawn by marching each ray to its first hit instead of the fixed-point steps.
MARCH_BELOW_COS = math.cos(math.radians(15.0))
#: Levels of that march, from the layer's highest point down to 0 (about 1.5 mm apart for a head).
MARCH_STEPS = 64


@dataclass(frozen=True)
class PinholeCamera:
    """Intrinsics of the simulated camera."""

    width: int = 640
    height: int = 480
    hfov_deg: float = 62.0

    @property
    def f(self) -> float:
        return (self.width / 2) / math.tan(math.radians(self.hfov_deg) / 2)

    @property
    def cx(self) -> float:
        return (self.width - 1) / 2

    @property
    def cy(self) -> float:
        return (self.height - 1) / 2

    def project(self, points: np.ndarray) -> np.ndarray:
        """Camera-frame points (N, 3) -> pixels (N, 2)."""
        z = np.maximum(points[:, 2], 1e-6)
        return np.c_[self.f * points[:, 0] / z + self.cx, self.f * points[:, 1] / z + self.cy]


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Rotation (radians) about y (yaw), x (pitch) and z (roll), applied roll-pitch-yaw."""
    cy, sy = math.cos(yaw), math.sin(yaw)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cr, sr = math.cos(roll), math.sin(roll)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return ry @ rx @ rz


@dataclass(frozen=True)
class Pose:
    """Rigid placement: camera point = R @ local point + T."""

    R: np.ndarray
    T: np.ndarray

    @classmethod
    def make(cls, x: float, y: float, z: float, yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0) -> "Pose":
        return cls(rotation(yaw, pitch, roll), np.array([x, y, z], float))


@dataclass
class ScreenLight:
    """The kiosk screen as an area light, split into rows and columns of patches (for wipes in any direction).

    Attributes
    ----------
    width_m, height_m:
        Emitting area; the top edge is ``top_m`` below the camera.
    luminance:
        Full-white luminance in cd/m^2.
    mixing:
        3x3 display-primary -> camera-RGB matrix (rows: camera channels).
    gamma:
        Display transfer (code value -> linear emission).
    """

    width_m: float = 0.31
    height_m: float = 0.19
    top_m: float = 0.012
    luminance: float = 300.0
    mixing: np.ndarray = field(default_factory=lambda: np.eye(3))
    gamma: float = 2.2
    rows: int = 6
    cols: int = 6

    def patches(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Patch centres (K, 3), areas (K,), row-band index (K,)."""
        centres, areas, band = [], [], []
        dw, dh = self.width_m / self.cols, self.height_m / self.rows
        for r in range(self.rows):
            for c in range(self.cols):
                centres.append((-self.width_m / 2 + (c + 0.5) * dw, self.top_m + (r + 0.5) * dh, 0.0))
                areas.append(dw * dh)
                band.append(r)
        return np.array(centres), np.array(areas), np.array(band)

    def patch_fractions(self) -> tuple[np.ndarray, np.ndarray]:
        """Each patch's centre in the screen's own coordinates (K,), (K,): ``x`` from the customer's left edge (0)
        to their right (1), ``y`` from the top (0). See :func:`screen_point`."""
        centres, _, _ = self.patches()
        return screen_point(self, centres[:, 0], centres[:, 1])

    def emitted(self, rgb: tuple[int, int, int], gain: float = 1.0) -> np.ndarray:
        """Luminance-scaled camera-RGB emission for a displayed code value (0..255) at ``gain`` of full brightness."""
        lin = np.power(np.clip(np.asarray(rgb, float) / 255.0, 0, 1), self.gamma)
        return self.luminance * gain * (self.mixing @ lin)


def screen_point(light: ScreenLight, x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Camera-frame screen coordinates (metres; the screen lies in z = 0) -> the screen's own coordinates.

    The screen faces the customer, who faces the camera: camera +x (the right of the unmirrored image) is the
    customer's LEFT. So the screen's ``x`` (0 at the customer's left edge, 1 at their right, as a widget's x)
    runs against camera x, and ``y`` (0 at the top) with camera y.
    """
    x = 0.5 - np.asarray(x_m, float) / light.width_m
    y = (np.asarray(y_m, float) - light.top_m) / light.height_m
    return x, y


def displayed(events: list[ScreenEvent], times: list[int], t_ns: int, row_fraction: float,
              x_fraction: float = 0.5) -> tuple[tuple[int, int, int], float]:
    """Code value and brightness gain shown at screen point (``x_fraction``, ``row_fraction``) at ``t_ns``.

    Same rule as :meth:`ScreenState.colour_at` (a wiping colour reaches the point at ``t + reach * wipe``, its
    direction deciding the reach), but keeps the gain apart from the code value so the display gamma applies
    to the code value only.
    """
    idx = bisect.bisect_right(times, t_ns) - 1
    while idx >= 0:
        ev = events[idx]
        if ev.reached(t_ns, x_fraction, row_fraction):
            return ev.rgb, ev.gain
        idx -= 1
    return ScreenState.NEUTRAL, 1.0


@dataclass
class LightFrame:
    """The screen's emission for one camera frame.

    ``bands[s, k]`` is the camera-RGB luminance of screen patch ``k`` (row-major, as
    :meth:`ScreenLight.patches`) as seen by the image rows of rolling-shutter slab
    ``s`` (averaged over the exposure).
    """

    bands: np.ndarray  # (slabs, patches, 3)

    def slab_of_rows(self, y: np.ndarray, height: int) -> np.ndarray:
        slabs = self.bands.shape[0]
        return np.clip((y * slabs / height).astype(int), 0, slabs - 1)


def sample_light(
    screen: ScreenState,
    light: ScreenLight,
    t_ns: int,
    *,
    latency_ns: int,
    exposure_ns: int,
    readout_ns: int,
    slabs: int = 6,
    samples: int = 3,
) -> LightFrame:
    """Screen emission per (slab, patch) for the frame stamped ``t_ns``.

    The middle image row's exposure centre sees the screen as it was at
    ``t_ns - latency_ns``; rows above were exposed earlier (rolling shutter),
    and each row integrates over ``exposure_ns``. A wiping colour reaches a
    patch at ``t + reach * wipe``, the reach of the patch's centre along the
    wipe's direction (:func:`displayed`).
    """
    xs, ys = light.patch_fractions()
    out = np.zeros((slabs, len(xs), 3))
    cache: dict[tuple[tuple[int, int, int], float], np.ndarray] = {}
    events = screen.events()
    times = [e.t_ns for e in events]
    for s in range(slabs):
        row_frac = (s + 0.5) / slabs
        t_row = t_ns - latency_ns + (row_frac - 0.5) * readout_ns
        for k in range(len(xs)):
            acc = np.zeros(3)
            for j in range(samples):
                tq = int(t_row + ((j + 0.5) / samples - 0.5) * exposure_ns)
                key = displayed(events, times, tq, float(ys[k]), float(xs[k]))
                em = cache.get(key)
                if em is None:
                    em = cache[key] = light.emitted(*key)
                acc += em
            out[s, k] = acc / samples
    return LightFrame(out)


@dataclass
class Ambient:
    """Room light: a hemispherical part plus a broad key direction (ceiling lamp or window).

    ``lux`` is the illuminance on a surface facing the key light.
    """

    lux: float = 200.0
    rgb: np.ndarray = field(default_factory=lambda: np.ones(3))
    key_dir: np.ndarray = field(default_factory=lambda: np.array([0.3, -0.8, -0.5]))
    base: float = 0.55

    def irradiance(self, normals: np.ndarray) -> np.ndarray:
        """Irradiance RGB (..., 3) for camera-frame normals (..., 3)."""
        d = self.key_dir / np.linalg.norm(self.key_dir)
        cosk = np.clip(normals @ d.astype(np.float32), 0.0, None)
        scalar = self.lux * (self.base + (1.0 - self.base) * cosk)
        return scalar[..., None] * self.rgb.astype(np.float32)


@dataclass
class Material:
    """Reflectance properties of a surface beyond its albedo texture.

    ``specular`` is the fraction of the screen's luminance mirrored toward the
    camera at the lobe's centre; ``roughness`` widens the lobe (in units of the
    reflected ray's length). ``albedo_gain`` scales the texture.
    """

    specular: float = 0.0
    roughness: float = 0.15
    albedo_gain: float = 1.0
    emissive: bool = False
    #: Reflectance under the screen's narrow-band primaries relative to the broadband albedo, per camera channel
    #: (R, G, B); applied to the screen's light only (:func:`screen_light_response`).
    screen_gain: tuple[float, float, float] = (1.0, 1.0, 1.0)
    #: Subsurface spread of the screen's light per channel (Gaussian sigma, metres; 0: surface reflection only).
    scatter_m: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def responds(self) -> bool:
        """Whether the material's response to the screen differs from its broadband albedo (needs the split)."""
        return any(abs(g - 1.0) > 1e-9 for g in self.screen_gain) or any(s > 0 for s in self.scatter_m)


@dataclass
class SurfaceLayer:
    """A textured height field.

    Attributes
    ----------
    albedo:
        float32 (H, W, 3): linear reflectance (camera RGB).
    alpha:
        float32 (H, W): coverage (0 outside the object).
    height:
        float32 (H, W): protrusion toward the camera (metres) at each texel.
    normals:
        float32 (H, W, 3): outward normals in local coordinates.
    scale:
        Metres per texel.
    centre:
        Texel of the local origin.
    emission:
        Optional float32 (H, W, 3): emitted luminance (cd/m^2, camera RGB) for screens.
    landmarks3d:
        Optional (N, 3) local points whose projection is the frame's ground truth.
    iterations:
        Fixed-point steps of the ray / height-field intersection (0 for flat).
    pixel_grid:
        For displays: the grid of dark gaps between pixels is evaluated at each
        camera sample, so it aliases into moire exactly as a sampling camera does.
    """

    albedo: np.ndarray
    alpha: np.ndarray
    height: np.ndarray
    normals: np.ndarray
    scale: float
    centre: tuple[float, float]
    material: Material = field(default_factory=Material)
    emission: np.ndarray | None = None
    landmarks3d: np.ndarray | None = None
    iterations: int = 3
    name: str = ""
    #: Emissive displays: contrast of the pixel grid (dark gaps between pixels), 0 = none.
    pixel_grid: float = 0.0
    #: Texel of the first display pixel's centre (for the grid phase).
    grid_origin: tuple[float, float] = (0.0, 0.0)
    #: A second material and its weight per texel (H, W, 0..1): a face's periocular skin, or the wearer's own
    #: skin seen through a mask's eye holes. ``None``: the whole layer is ``material``.
    inner_material: Material | None = None
    inner_map: np.ndarray | None = None

    def __post_init__(self) -> None:
        h, w = self.albedo.shape[:2]
        if self.alpha.shape != (h, w) or self.height.shape != (h, w) or self.normals.shape != (h, w, 3):
            raise ValueError(f"layer maps disagree: albedo {self.albedo.shape}, alpha {self.alpha.shape}, "
                             f"height {self.height.shape}, normals {self.normals.shape}")
        if (self.inner_map is None) != (self.inner_material is None) or (
                self.inner_map is not None and self.inner_map.shape != (h, w)):
            raise ValueError("a layer's inner material needs its map of the layer's size")
        self.update_extent()

    def update_extent(self) -> None:
        """Recompute the texel box that holds all coverage (for tight screen boxes)."""
        ys, xs = np.nonzero(self.alpha > 1e-3)
        if len(xs) == 0:
            self._extent = (0, 0, 1, 1)
        else:
            self._extent = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        self._hmax = float(self.height.max()) if self.height.size else 0.0

    @property
    def height_max(self) -> float:
        return self._hmax

    def corners_local(self) -> np.ndarray:
        x0, y0, x1, y1 = self._extent
        xs = (np.array([x0, x1, x0, x1]) - self.centre[0]) * self.scale
        ys = (np.array([y0, y0, y1, y1]) - self.centre[1]) * self.scale
        pts = []
        for z in (0.0, -self.height_max):
            pts.extend((x, y, z) for x, y in zip(xs, ys))
        return np.array(pts)


@dataclass
class RenderContext:
    """What every layer needs for one frame."""

    camera: PinholeCamera
    light: ScreenLight
    frame_light: LightFrame
    ambient: Ambient


class LayerRenderer:
    """Renders :class:`SurfaceLayer` objects into a linear radiance image."""

    def __init__(self, camera: PinholeCamera, light: ScreenLight, *, truth_camera: PinholeCamera | None = None) -> None:
        self.camera = camera
        self.truth_camera = truth_camera or camera
        self.light = light
        self.centres, self.areas, self.band = light.patches()
        self._cx = self.centres[:, 0].astype(np.float32)
        self._cy = self.centres[:, 1].astype(np.float32)
        self._area = self.areas.astype(np.float32)
        gh, gw = camera.height // GRID, camera.width // GRID
        self.grid_h, self.grid_w = gh, gw
        gx = (np.arange(gw) * GRID + (GRID - 1) / 2).astype(np.float32)
        gy = (np.arange(gh) * GRID + (GRID - 1) / 2).astype(np.float32)
        self.ray_x = np.broadcast_to(((gx - camera.cx) / camera.f)[None, :], (gh, gw)).astype(np.float32)
        self.ray_y = np.broadcast_to(((gy - camera.cy) / camera.f)[:, None], (gh, gw)).astype(np.float32)
        self.grid_rows = gy

    # -- geometry --------------------------------------------------------------------

    def bbox(self, layer: SurfaceLayer, pose: Pose, margin: int = 2) -> tuple[int, int, int, int] | None:
        """Coarse-grid box (gx0, gy0, gx1, gy1) covering the layer, or None when not visible."""
        pts = layer.corners_local() @ pose.R.T + pose.T
        near = pts[:, 2] <= 0.02
        if near.all():
            return None
        if near.any():
            # A wide layer turned far (a head with its shoulders at 35 degrees, close up) has a corner beside or
            # behind the camera: its projection reaches past the frame on that side, so the whole frame is its box.
            # (Culling it made the person vanish from the frame for as long as the turn lasted.)
            return 0, 0, self.grid_w, self.grid_h
        uv = self.camera.project(pts)
        gx0 = int(math.floor(uv[:, 0].min() / GRID)) - margin
        gy0 = int(math.floor(uv[:, 1].min() / GRID)) - margin
        gx1 = int(math.ceil(uv[:, 0].max() / GRID)) + margin
        gy1 = int(math.ceil(uv[:, 1].max() / GRID)) + margin
        gx0, gy0 = max(gx0, 0), max(gy0, 0)
        gx1, gy1 = min(gx1, self.grid_w), min(gy1, self.grid_h)
        if gx1 - gx0 < 2 or gy1 - gy0 < 2:
            return None
        return gx0, gy0, gx1, gy1

    def project_landmarks(self, layer: SurfaceLayer, pose: Pose) -> np.ndarray | None:
        """Ground-truth pixel positions (full camera resolution) of the layer's landmark points."""
        if layer.landmarks3d is None:
            return None
        return self.truth_camera.project(layer.landmarks3d @ pose.R.T + pose.T)

    def _intersect(self, layer: SurfaceLayer, pose: Pose, box: tuple[int, int, int, int]) -> tuple[np.ndarray, ...]:
        gx0, gy0, gx1, gy1 = box
        dx = self.ray_x[gy0:gy1, gx0:gx1]
        dy = self.ray_y[gy0:gy1, gx0:gx1]
        Rt = pose.R.T
        ax = Rt[0, 0] * dx + Rt[0, 1] * dy + Rt[0, 2]
        ay = Rt[1, 0] * dx + Rt[1, 1] * dy + Rt[1, 2]
        az = Rt[2, 0] * dx + Rt[2, 1] * dy + Rt[2, 2]
        b = Rt @ pose.T
        az = np.where(np.abs(az) < 1e-6, 1e-6, az)
        inv_s = 1.0 / layer.scale

        def texels(h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            """Where each ray is at height ``h`` (local metres): its ray length and texel coordinates."""
            lam = (b[2] - h) / az
            tx = ((lam * ax - b[0]) * inv_s + layer.centre[0]).astype(np.float32)
            ty = ((lam * ay - b[1]) * inv_s + layer.centre[1]).astype(np.float32)
            return lam, tx, ty

        if layer.iterations > 0 and float(pose.R[2, 2]) < MARCH_BELOW_COS:
            # The fixed-point steps below settle on a surface seen from the front; on a head turned further they
            # swing across the steep side of the face and the nose, and the face came out torn (a turn of 30
            # degrees or more read as no turn at all). Turned that far, every ray marches from in front of the
            # surface to its first hit, which also hides what the nose or a cheek occludes. Frames of a face
            # turned less are drawn exactly as before.
            lam, tx, ty = texels(self._first_hit(layer, texels, ax.shape))
        else:
            h = np.zeros_like(dx)
            for it in range(layer.iterations + 1):
                lam, tx, ty = texels(h)
                if it < layer.iterations:
                    h = cv2.remap(layer.height, tx, ty, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        lam = lam.astype(np.float32)
        return tx, ty, lam, dx, dy

    @staticmethod
    def _first_hit(layer: SurfaceLayer, texels: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]],
                   shape: tuple[int, ...]) -> np.ndarray:
        """Height (local metres) at which each ray first meets the height field (``texels(h)``: where the rays are
        at height ``h``): down from the field's highest point in ``MARCH_STEPS`` levels, the crossing refined
        linearly. A ray that meets nothing ends at height 0 (outside the layer)."""
        top = float(layer.height_max)
        out = np.zeros(shape, np.float32)
        if top <= 0 or out.size == 0:
            return out
        levels = np.linspace(top, 0.0, MARCH_STEPS + 1)
        prev_gap = np.full(shape, -np.inf, np.float32)
        done = np.zeros(shape, bool)
        for k, level in enumerate(levels):
            _, tx, ty = texels(level)
            surf = cv2.remap(layer.height, tx, ty, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
            gap = surf - np.float32(level)  # >= 0 once the ray is at or below the surface
            crossed = ~done & (gap >= 0)
            if crossed.any():
                if k == 0:
                    out[crossed] = level
                else:
                    g0, g1 = prev_gap[crossed], gap[crossed]
                    frac = -g0 / np.maximum(g1 - g0, np.float32(1e-9))
                    out[crossed] = levels[k - 1] + frac * (level - levels[k - 1])
                done |= crossed
                if done.all():
                    break
            prev_gap = gap
        return out

    # -- shading ---------------------------------------------------------------------

    def render(self, layer: SurfaceLayer, pose: Pose, ctx: RenderContext, out: np.ndarray) -> bool:
        """Composite ``layer`` into ``out`` (float32 linear radiance, H x W x 3). Returns False if not visible."""
        box = self.bbox(layer, pose)
        if box is None:
            return False
        gx0, gy0, gx1, gy1 = box
        tx, ty, lam, dx, dy = self._intersect(layer, pose, box)
        px, py, pz = lam * dx, lam * dy, lam  # camera-frame surface points
        n_local = cv2.remap(layer.normals, tx, ty, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        R = pose.R.astype(np.float32)
        nl = [n_local[..., i] for i in range(3)]
        nx = R[0, 0] * nl[0] + R[0, 1] * nl[1] + R[0, 2] * nl[2]
        ny = R[1, 0] * nl[0] + R[1, 1] * nl[1] + R[1, 2] * nl[2]
        nz = R[2, 0] * nl[0] + R[2, 1] * nl[1] + R[2, 2] * nl[2]
        inv = 1.0 / np.maximum(np.sqrt(nx * nx + ny * ny + nz * nz), 1e-6)
        nx, ny, nz = nx * inv, ny * inv, nz * inv
        mat = layer.material
        inner = layer.inner_material
        inner_w = (cv2.remap(layer.inner_map, tx, ty, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
                   if inner is not None and layer.inner_map is not None else None)
        rows = self.grid_rows[gy0:gy1]
        slab = ctx.frame_light.slab_of_rows(rows, self.camera.height)
        band_rgb = ctx.frame_light.bands[slab].astype(np.float32)  # (gh, bands, 3)
        # Diffuse irradiance from the screen patches (luminance x area x cos x cos / r^2).
        sx = self._cx[:, None, None] - px[None]
        sy = self._cy[:, None, None] - py[None]
        r2 = sx * sx + sy * sy + (pz * pz)[None]
        inv_r = 1.0 / np.sqrt(r2)
        cos_r = np.maximum(sx * nx[None] + sy * ny[None] - (pz * nz)[None], 0.0) * inv_r
        ff = cos_r * (pz[None] * inv_r) * (self._area[:, None, None] / r2)  # (K, gh, gw)
        e_total = _band_irradiance(ff, slab, ctx.frame_light.bands.astype(np.float32))
        two = inner is not None and inner_w is not None
        e_screen = e_total.copy() if mat.responds or (two and inner.responds) else None
        e_total += ctx.ambient.irradiance(np.dstack([nx, ny, nz]))
        mult = (e_total * np.float32(mat.albedo_gain / math.pi)).astype(np.float32)
        add = self._specular(px, py, pz, nx, ny, nz, mat, band_rgb) if mat.specular > 0 else None
        if two and inner.specular != mat.specular:
            # The inner material's own gloss where it shows (skin in a resin mask's eye holes).
            add_in = self._specular(px, py, pz, nx, ny, nz, inner, band_rgb) if inner.specular > 0 else np.zeros(px.shape + (3,), np.float32)
            base = add if add is not None else np.zeros_like(add_in)
            add = (base + inner_w[..., None] * (add_in - base)).astype(np.float32)
        # Upsample the smooth maps to the full-resolution crop.
        x0, y0 = gx0 * GRID, gy0 * GRID
        x1 = min(gx1 * GRID, self.camera.width)
        y1 = min(gy1 * GRID, self.camera.height)
        size = ((gx1 - gx0) * GRID, (gy1 - gy0) * GRID)
        cw, ch = x1 - x0, y1 - y0
        maps = cv2.resize(np.dstack([tx, ty]), size, interpolation=cv2.INTER_LINEAR)
        mx = np.ascontiguousarray(maps[:ch, :cw, 0])
        my = np.ascontiguousarray(maps[:ch, :cw, 1])
        mult_f = np.ascontiguousarray(cv2.resize(mult, size, interpolation=cv2.INTER_LINEAR)[:ch, :cw])
        albedo = cv2.remap(layer.albedo, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        alpha = cv2.remap(layer.alpha, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        colour = cv2.multiply(albedo, mult_f)
        if e_screen is not None:
            # The screen's share of the diffuse light, replaced by the material's own response to it.
            scr = (e_screen * np.float32(mat.albedo_gain / math.pi)).astype(np.float32)
            scr_f = np.ascontiguousarray(cv2.resize(scr, size, interpolation=cv2.INTER_LINEAR)[:ch, :cw])
            direct = cv2.multiply(albedo, scr_f)
            alpha_c = cv2.remap(layer.alpha, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
            px_per_m = self.camera.f / max(float(np.median(pz)), 1e-3)
            response = screen_light_response(direct, alpha_c, mat, px_per_m)
            if two:
                # Each material answers the screen with its own gain and spread; the map says where which shows.
                w_in = cv2.resize(inner_w, size, interpolation=cv2.INTER_LINEAR)[:ch, :cw]
                w_in = cv2.merge([w_in, w_in, w_in])
                response_in = screen_light_response(direct, alpha_c, inner, px_per_m)
                response = cv2.add(response, cv2.multiply(w_in, cv2.subtract(response_in, response)))
            colour = cv2.add(cv2.subtract(colour, direct), response)
        if add is not None:
            colour = cv2.add(colour, np.ascontiguousarray(cv2.resize(add, size, interpolation=cv2.INTER_LINEAR)[:ch, :cw]))
        if layer.emission is not None:
            emitted = cv2.remap(layer.emission, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
            if layer.pixel_grid > 0:
                # The display's pixel grid (period 1 texel) sampled at the camera's sample points:
                # the beat between the two grids is moire. ``pixel_grid`` is the contrast left after
                # the camera pixel's area integration (a few percent).
                a = np.float32(layer.pixel_grid)
                two_pi = np.float32(2 * math.pi)
                gx = np.cos(two_pi * (mx - np.float32(layer.grid_origin[0])))
                gy = np.cos(two_pi * (my - np.float32(layer.grid_origin[1])))
                emitted *= ((1 + a * gx) * (1 + a * gy))[..., None]
            colour = cv2.add(colour, emitted)
        region = out[y0:y1, x0:x1]
        a3 = cv2.merge([alpha, alpha, alpha])
        region += cv2.multiply(a3, cv2.subtract(colour, region))
        return True

    def _specular(self, px: np.ndarray, py: np.ndarray, pz: np.ndarray, nx: np.ndarray, ny: np.ndarray, nz: np.ndarray,
                  mat: Material, band_rgb: np.ndarray) -> np.ndarray:
        """Glossy reflection of the screen: mirror the view ray, find where it meets the screen plane."""
        inv = 1.0 / np.sqrt(px * px + py * py + pz * pz)
        vx, vy, vz = px * inv, py * inv, pz * inv
        dn = vx * nx + vy * ny + vz * nz
        rx, ry, rz = vx - 2 * dn * nx, vy - 2 * dn * ny, vz - 2 * dn * nz
        ok = rz < -1e-3
        t = np.where(ok, -pz / np.where(ok, rz, -1.0), 0.0)
        hx = px + t * rx
        hy = py + t * ry
        soft = np.maximum(mat.roughness * t, 1e-3)
        L = self.light
        weight = (_window(hx, -L.width_m / 2, L.width_m / 2, soft) * _window(hy, L.top_m, L.top_m + L.height_m, soft) * ok)
        gh = band_rgb.shape[0]
        colour = band_rgb[np.arange(gh)[:, None], _patch_index(L, hx, hy)]  # (gh, gw, 3)
        return (np.float32(mat.specular) * weight[..., None] * colour).astype(np.float32)


def _patch_index(light: ScreenLight, hx: np.ndarray, hy: np.ndarray) -> np.ndarray:
    """Index (row-major, as :meth:`ScreenLight.patches`) of the screen patch holding camera-frame point (hx, hy)."""
    row = np.clip(((hy - light.top_m) / light.height_m * light.rows).astype(int), 0, light.rows - 1)
    col = np.clip(((hx + light.width_m / 2) / light.width_m * light.cols).astype(int), 0, light.cols - 1)
    return row * light.cols + col


def screen_light_response(direct: np.ndarray, alpha: np.ndarray, material: Material, px_per_m: float) -> np.ndarray:
    """The light a surface sends back of what the screen shone on it, from its surface-only reflection.

    ``direct`` (H, W, 3, linear radiance) is albedo x the screen's irradiance / pi, as a surface that reflects
    at the point of entry would return it. A translucent material (skin) returns light some way from where
    it entered, further for red than for blue: each channel is spread by a Gaussian of the material's
    ``scatter_m`` (converted to pixels with ``px_per_m`` at the surface's distance), normalised by the spread
    coverage so nothing leaks past the object's edge (``alpha``); then scaled by the material's narrow-band
    ``screen_gain`` per channel. The ambient light is not touched: the texture already is how the surface
    looks under broadband light (a photo of real skin carries its scattering in room light).
    """
    out = np.empty_like(direct)
    cover = np.ascontiguousarray(alpha, dtype=np.float32)
    for c in range(3):
        chan = np.ascontiguousarray(direct[..., c])
        sigma = float(material.scatter_m[c]) * px_per_m
        if sigma >= 0.3:
            num = cv2.GaussianBlur(chan * cover, (0, 0), sigma)
            den = cv2.GaussianBlur(cover, (0, 0), sigma)
            chan = np.where(den > 1e-3, num / np.maximum(den, 1e-3), chan).astype(np.float32)
        out[..., c] = chan * np.float32(material.screen_gain[c])
    return out


def _band_irradiance(ff_band: np.ndarray, slab: np.ndarray, bands: np.ndarray) -> np.ndarray:
    """Sum over screen patches of form factor x patch luminance; rows of one shutter slab share one matrix."""
    nb, gh, gw = ff_band.shape
    flat = ff_band.reshape(nb, gh * gw)
    out = np.empty((gh, gw, 3), np.float32)
    for s in np.unique(slab):
        rows = np.nonzero(slab == s)[0]
        r0, r1 = int(rows[0]), int(rows[-1]) + 1  # slabs are contiguous row ranges
        out[r0:r1] = (flat[:, r0 * gw : r1 * gw].T @ bands[s]).reshape(r1 - r0, gw, 3)
    return out


def _window(x: np.ndarray, lo: float, hi: float, soft: np.ndarray) -> np.ndarray:
    """Smooth indicator of lo <= x <= hi with edge width ``soft``."""
    a = np.clip((x - lo) / soft + 0.5, 0.0, 1.0)
    b = np.clip((hi - x) / soft + 0.5, 0.0, 1.0)
    return a * b


def flat_layer(albedo: np.ndarray, alpha: np.ndarray, scale: float, *, emission: np.ndarray | None = None,
               material: Material | None = None, landmarks3d: np.ndarray | None = None, name: str = "") -> SurfaceLayer:
    """A flat sheet (print, tablet) facing the camera, origin at its centre."""
    h, w = albedo.shape[:2]
    height = np.zeros((h, w), np.float32)
    normals = np.zeros((h, w, 3), np.float32)
    normals[..., 2] = -1.0
    return SurfaceLayer(albedo, alpha, height, normals, scale, (w / 2, h / 2), material or Material(), emission, landmarks3d, 0, name)
