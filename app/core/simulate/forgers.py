"""Forgers that know how Livegate works: injected footage whose light is forged inside the timing window.

Every forger here runs as virtual-camera software on the kiosk's machine: it plays footage of the victim's
real head (a genuine session rendered without flashes, see :class:`~app.core.simulate.species.GenuineRecording`),
reads what the app's screen shows, and tints the face accordingly before the frame reaches the app.

- :class:`InWindowTint` (``injection-forged-inwindow``, and the light of ``injection-zoom``): the colour
  the screen shows on average, late by ``forge_delay_ms`` (0-400 ms, so also inside the window a real
  camera shows), rising over ``forge_rise_ms`` (first order, 10-90 %), applied only to the face (the hull of
  the landmarks the forger finds), stronger at the centre than at the edge (``forge_falloff``).
- :class:`ShadedTint` (``injection-forged-shaded`` / ``injection-forged-blind``): the forger fits a 3D face
  model to the footage (here: the footage's own exact head shape and pose, an upper bound of what a fitted
  model achieves) and relights it: each face point gets the irradiance of every screen patch (area x cos x
  cos / r^2, 6 x 6 patches of the kiosk screen) in the colour that patch shows. ``forge_wipe=follow`` reads
  each patch's colour from the screen (it follows every step's wipe direction and level as displayed); the
  blind forger knows each colour, its level and when it starts, but not the spatial pattern: ``down``/``up``/
  ``left``/``right`` assumes every wipe runs that way, ``guess`` guesses each step's direction anew (right
  one time in four), ``uniform`` paints each colour over the whole face at once with the wipe's timing.
- :class:`MirrorPainter` (``injection-forged-mirror``): the shaded forger following the wipe that also paints
  the corneas' catchlights: in each open eye, the screen's mirror image as the 3D model's cornea (a sphere of
  the real radius in front of the iris) would show it, in the colours the screen shows at the forger's lag and
  rise, ``forge_catch_gain`` times as bright relative to the face's forged response as a real cornea's is
  (about 0.5: a cornea returns ~2.5 % of the screen's radiance, a face diffuses about 5 % of it).

All add camera-like noise (``forge_noise`` grey levels, spatially correlated like demosaicing). What they
do not reproduce: the camera's rolling shutter and the glossy reflection of the screen; only the mirror
forger paints the catchlights in the eyes.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import cv2
import numpy as np

from app.core.challenge import WIPES
from app.core.screen import ScreenEvent
from app.core.simulate.eyes import splat
from app.core.simulate.render import GRID, ScreenLight, displayed

#: Display transfer the forger assumes when it turns code values into light.
FORGER_GAMMA = 2.2
#: Screen patches of the shaded forger's own light model (rows x columns).
PATCH_ROWS = PATCH_COLS = 6
#: Samples of the rise (first-order response) per output frame.
RISE_SAMPLES = 8


def rise_kernel(rise_ms: float, samples: int = RISE_SAMPLES) -> tuple[np.ndarray, np.ndarray]:
    """Delays (ns) and weights of a first-order response whose 10-90 % rise is ``rise_ms``.

    The exponential is cut at three time constants (95 % of its weight) and sampled at the midpoints of
    ``samples`` equal-weight slices, so the tint approaches the new colour like a lamp, not in one step.
    """
    tau = max(rise_ms, 1e-3) / math.log(9.0)
    # Equal-weight slices of the truncated exponential: quantiles q -> -tau ln(1 - q x (1 - e^-3)).
    q = (np.arange(samples) + 0.5) / samples
    delays = -tau * np.log(1.0 - q * (1.0 - math.exp(-3.0)))
    return (delays * 1e6).astype(np.int64), np.full(samples, 1.0 / samples)


def linear(rgb: tuple[int, int, int], gain: float) -> np.ndarray:
    """Linear light (0..1 per channel, RGB) of a displayed code value, as the forger converts it."""
    return float(gain) * np.power(np.asarray(rgb, float) / 255.0, FORGER_GAMMA)


def screen_mean(events: list[ScreenEvent], times: list[int], t_ns: int, rows: int = 8) -> np.ndarray:
    """The screen's mean linear colour (RGB) at ``t_ns``: what a capture of the app's window averages to
    (``rows`` x ``rows`` points, so wipes in every direction average alike)."""
    acc = np.zeros(3)
    for r in range(rows):
        for c in range(rows):
            acc += linear(*displayed(events, times, t_ns, (r + 0.5) / rows, (c + 0.5) / rows))
    return acc / rows**2


Crop = tuple[int, int, int, int]


def face_crop(points: np.ndarray, shape: tuple[int, int], margin: float = 0.1) -> Crop:
    """The face's box (x0, y0, x1, y1) with a margin, clipped to the frame: everything a tint touches."""
    h, w = shape
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    m = margin * max(x1 - x0, y1 - y0)
    return (max(0, int(x0 - m)), max(0, int(y0 - m)), min(w, int(x1 + m) + 1), min(h, int(y1 + m) + 1))


def face_mask(points: np.ndarray, crop: Crop, falloff: float = 0.0) -> np.ndarray:
    """Soft mask of the face (hull of the landmarks) over ``crop``, 1 at the centre down to ``1 - falloff``
    at the edge of the face's ellipse."""
    x0, y0, x1, y1 = crop
    local = points.astype(np.float32) - np.float32([x0, y0])
    hull = cv2.convexHull(local).astype(np.int32)
    mask = np.zeros((y1 - y0, x1 - x0), np.float32)
    cv2.fillConvexPoly(mask, hull, 1.0)
    lo, hi = local.min(axis=0), local.max(axis=0)
    cx, cy = (lo + hi) / 2
    ax, ay = max((hi[0] - lo[0]) / 2, 1.0), max((hi[1] - lo[1]) / 2, 1.0)
    mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, 0.05 * ax))
    if falloff > 0:
        xs = ((np.arange(x1 - x0, dtype=np.float32) - cx) / ax) ** 2
        ys = ((np.arange(y1 - y0, dtype=np.float32) - cy) / ay) ** 2
        mask *= 1.0 - np.float32(falloff) * np.minimum(xs[None, :] + ys[:, None], 1.0)
    return mask


def apply_gain(image: np.ndarray, gain_rgb: np.ndarray, crop: Crop) -> np.ndarray:
    """Multiply the linear light of a BGR uint8 image inside ``crop`` by a per-pixel RGB gain."""
    x0, y0, x1, y1 = crop
    g = np.power(np.maximum(gain_rgb[..., ::-1], 0.0), np.float32(1.0 / FORGER_GAMMA))  # gamma space, BGR
    out = image.copy()
    out[y0:y1, x0:x1] = np.clip(image[y0:y1, x0:x1].astype(np.float32) * g, 0, 255).astype(np.uint8)
    return out


def add_noise(image: np.ndarray, sigma: float, seed: list[int]) -> np.ndarray:
    """Camera-like noise of ``sigma`` grey levels: Gaussian per channel, drawn at half resolution and
    upsampled, so it is correlated over ~2 px like a demosaiced, noise-reduced webcam picture."""
    if sigma <= 0:
        return image
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    n = rng.standard_normal((h // 2, w // 2, image.shape[2]), dtype=np.float32)
    # Linear upsampling keeps ~63 % of the standard deviation: compensate.
    n = cv2.resize(n, (w, h), interpolation=cv2.INTER_LINEAR) * np.float32(sigma / 0.626)
    return np.clip(image.astype(np.float32) + n, 0, 255).astype(np.uint8)


class InWindowTint:
    """The 2D forger: the screen's mean colour, late and rising, on a centre-weighted face mask."""

    def __init__(self, p: dict[str, Any]) -> None:
        self.p = p
        self.delays, self.weights = rise_kernel(float(p["forge_rise_ms"]))
        self.lag_ns = int(float(p["forge_delay_ms"]) * 1e6)

    def colour(self, events: list[ScreenEvent], t_ns: int) -> np.ndarray:
        """The forged light's linear RGB at output time ``t_ns``."""
        times = [e.t_ns for e in events]
        acc = np.zeros(3)
        for d, w in zip(self.delays, self.weights):
            acc += w * screen_mean(events, times, t_ns - self.lag_ns - int(d))
        return acc

    def gain(self, events: list[ScreenEvent], t_ns: int, points: np.ndarray, crop: Crop) -> np.ndarray | None:
        """Per-pixel linear RGB gain over ``crop`` for the frame shown at ``t_ns`` (None: nothing to add)."""
        c = self.colour(events, t_ns)
        strength = float(self.p["forge_strength"])
        if strength <= 0 or c.max() < 1e-4:
            return None
        mask = face_mask(points, crop, float(self.p["forge_falloff"]))
        return 1.0 + np.float32(strength) * mask[..., None] * c.astype(np.float32)[None, None, :]


class ShadedTint:
    """The 3D-aware forger: relights the footage's face with the screen as an area light.

    Parameters
    ----------
    p:
        The attack's parameters (``forge_*``, the kiosk screen's size: the app states it in its manifest).
    """

    def __init__(self, p: dict[str, Any]) -> None:
        self.p = p
        self.delays, self.weights = rise_kernel(float(p["forge_rise_ms"]))
        self.lag_ns = int(float(p["forge_delay_ms"]) * 1e6)
        w = float(p["screen_w_m"])
        light = ScreenLight(width_m=w, height_m=w / float(p["screen_aspect"]), top_m=float(p["screen_top_m"]),
                            rows=PATCH_ROWS, cols=PATCH_COLS)
        self.centres, self.areas, _ = light.patches()
        # Each patch's place on the screen as the customer sees it (x from their left, y from the top).
        self.x_frac, self.y_frac = light.patch_fractions()
        self.wipe = str(p["forge_wipe"])
        # ``guess``: one guessed direction per colour step, drawn from the forger's own seed (it cannot know the
        # session's); the session's direction is right by chance one time in four.
        self._guesses = np.random.default_rng([int(p.get("seed", 0)), 4242])
        self._guess_of: dict[tuple[int, tuple[int, int, int]], str] = {}

    def form_factors(self, pos: np.ndarray, normals: np.ndarray) -> np.ndarray:
        """Form factor (K, N) of every screen patch onto N surface points (camera frame, metres)."""
        s = self.centres[:, None, :] - pos[None, :, :]  # (K, N, 3)
        r2 = (s * s).sum(axis=2)
        inv_r = 1.0 / np.sqrt(r2)
        cos_surface = np.maximum((s * normals[None]).sum(axis=2), 0.0) * inv_r
        cos_screen = np.maximum(pos[None, :, 2], 0.0) * inv_r  # the screen faces +z
        return cos_surface * cos_screen * self.areas[:, None] / r2

    def patch_colours(self, events: list[ScreenEvent], t_ns: int) -> np.ndarray:
        """Linear RGB (K, 3) of every patch as the forger believes it is lit at output time ``t_ns``."""
        if self.wipe != "follow":
            events = [self._believed(e) for e in events]
        times = [e.t_ns for e in events]
        out = np.zeros((len(self.centres), 3))
        cache: dict[tuple[tuple[int, int, int], float], np.ndarray] = {}
        for d, w in zip(self.delays, self.weights):
            tq = t_ns - self.lag_ns - int(d)
            for k in range(len(self.centres)):
                key = displayed(events, times, tq, float(self.y_frac[k]), float(self.x_frac[k]))
                lin = cache.get(key)
                if lin is None:
                    lin = cache[key] = linear(*key)
                out[k] += w * lin
        return out

    def _believed(self, event: ScreenEvent) -> ScreenEvent:
        """The blind forger's idea of a colour step: its colour, level and timing, with the wipe it assumes."""
        if event.wipe_ns <= 0:
            return event
        if self.wipe == "uniform":
            # The whole face at once, halfway through the wipe (its mean arrival over the screen).
            return replace(event, t_ns=event.t_ns + event.wipe_ns // 2, wipe_ns=0)
        if self.wipe == "guess":
            key = (event.t_ns, event.rgb)
            if key not in self._guess_of:
                self._guess_of[key] = WIPES[int(self._guesses.integers(0, len(WIPES)))]
            return replace(event, direction=self._guess_of[key])
        return replace(event, direction=self.wipe)

    def gain(self, events: list[ScreenEvent], t_ns: int, geometry: "HeadGeometry", points: np.ndarray,
             crop: Crop, shape: tuple[int, int], colours: np.ndarray | None = None) -> np.ndarray | None:
        """Per-pixel linear RGB gain over ``crop`` for the output frame at ``t_ns`` (``colours``: this frame's
        :meth:`patch_colours`, when the caller already has them)."""
        strength = float(self.p["forge_strength"])
        if strength <= 0 or geometry.ff is None:
            return None
        colours = self.patch_colours(events, t_ns) if colours is None else colours
        if colours.max() < 1e-4:
            return None
        e = geometry.ff.T @ colours  # (N, 3)
        grid = np.zeros((geometry.grid_h, geometry.grid_w, 3), np.float32)
        grid[geometry.cells] = (e / geometry.norm).astype(np.float32)
        x0, y0, x1, y1 = crop
        full = cv2.resize(grid, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)[y0:y1, x0:x1]
        mask = face_mask(points, crop, 0.0)
        return 1.0 + np.float32(strength) * mask[..., None] * full


#: The cornea's outer radius the mirror forger models (metres; the same anatomy as the simulator's eyes).
FORGER_CORNEA_M = 0.0078
#: A real cornea's catchlight radiance over the face's diffuse response to the same screen, for the forger's
#: brightness scale: reflectance ~0.025 x pi / (skin albedo ~0.5 x the screen's cos-weighted solid angle ~0.3).
PHYSICAL_CATCH_RATIO = 0.52
#: Sub-samples per screen patch edge for the painted mirror image.
MIRROR_SUBSAMPLES = 3
#: MediaPipe's iris centres (the subject's right eye, then the left).
FORGER_IRIS = (468, 473)


class MirrorPainter:
    """The mirror forger's catchlights: the screen's image in each cornea of the footage's head, painted in the
    colours the screen shows (at the forger's lag and rise), on top of the shaded tint.

    An upper bound of what a forger reading the screen achieves: it knows each iris centre and the head's
    distance exactly (the footage's own), models the cornea as the real sphere and hides the catchlight while
    the footage blinks. The image is placed where the cornea's normal halves the angles to the camera and to
    each screen patch, shrunk by the mirror (``R / 2 / distance``), and splatted area-conserving.
    """

    def __init__(self, p: dict[str, Any], tint: ShadedTint, camera: Any) -> None:
        self.p = p
        self.camera = camera
        g = (np.arange(MIRROR_SUBSAMPLES) + 0.5) / MIRROR_SUBSAMPLES - 0.5
        w = float(p["screen_w_m"])
        dw, dh = w / PATCH_COLS, w / float(p["screen_aspect"]) / PATCH_ROWS
        ox, oy = np.meshgrid(g * dw, g * dh)
        offsets = np.stack([ox.ravel(), oy.ravel(), np.zeros(ox.size)], axis=1)
        self.sub = (tint.centres[:, None, :] + offsets[None]).reshape(-1, 3)
        self.sub_patch = np.repeat(np.arange(len(tint.centres)), ox.size)
        self.sub_area = np.repeat(tint.areas, ox.size) / ox.size

    def paint(self, image: np.ndarray, colours: np.ndarray, points: np.ndarray, distance_m: float, blink: float,
              face_level: float) -> np.ndarray:
        """``image`` (BGR uint8, the footage frame already tinted) with both corneas' painted catchlights, each
        screen patch in ``colours`` (its :meth:`ShadedTint.patch_colours` for this frame).

        ``face_level`` is the face's mean linear level in the footage (the forger measures it): the catchlight's
        brightness is ``forge_catch_gain`` x ``PHYSICAL_CATCH_RATIO`` x the face's forged response to the same
        light (``forge_strength`` x ``face_level`` under white).
        """
        gain_k = float(self.p["forge_catch_gain"])
        strength = float(self.p["forge_strength"])
        if gain_k <= 0 or strength <= 0 or blink > 0.5 or points.shape[0] <= max(FORGER_IRIS):
            return image
        if colours.max() < 1e-4:
            return image
        cam = self.camera
        h, w = image.shape[:2]
        acc = np.zeros((h, w, 3), np.float32)
        # Linear level a fully covered pixel gets under a white patch: the face's forged response times the ratio.
        level = gain_k * PHYSICAL_CATCH_RATIO * strength * face_level
        for idx in FORGER_IRIS:
            u, v = float(points[idx, 0]), float(points[idx, 1])
            apex = np.array([(u - cam.cx) * distance_m / cam.f, (v - cam.cy) * distance_m / cam.f, distance_m])
            centre = apex + FORGER_CORNEA_M * apex / np.linalg.norm(apex)  # the eye looks at the camera
            to_cam = -centre / np.linalg.norm(centre)
            to_scr = self.sub - centre
            dist = np.linalg.norm(to_scr, axis=1)
            normal = to_cam[None] + to_scr / dist[:, None]
            normal /= np.linalg.norm(normal, axis=1, keepdims=True)
            point = centre[None] + FORGER_CORNEA_M * normal
            uv = cam.project(point)
            # The mirror image's area in pixels, over the same patch's area seen straight on at the face's
            # distance: each sub-sample carries that much of its patch's colour.
            shrink = (FORGER_CORNEA_M / 2.0 / dist) ** 2
            px_area = self.sub_area * shrink * (cam.f / point[:, 2]) ** 2
            energy = (level * px_area)[:, None] * colours[self.sub_patch]
            splat(acc, uv - 0.5, energy.astype(np.float32))
        if not acc.any():
            return image
        lin = np.power(image[..., ::-1].astype(np.float32) / 255.0, np.float32(FORGER_GAMMA)) + acc
        out = np.power(np.clip(lin, 0.0, 1.0), np.float32(1.0 / FORGER_GAMMA)) * 255.0
        return np.clip(out[..., ::-1] + 0.5, 0, 255).astype(np.uint8)


def face_level(image: np.ndarray, points: np.ndarray, crop: Crop) -> float:
    """The face's mean linear level (0..1, over channels) inside the landmarks' hull: what the forger measures."""
    x0, y0, x1, y1 = crop
    mask = face_mask(points, crop, 0.0) > 0.5
    if not mask.any():
        return 0.0
    lin = np.power(image[y0:y1, x0:x1].astype(np.float32) / 255.0, np.float32(FORGER_GAMMA))
    return float(lin[mask].mean())


class HeadGeometry:
    """Camera-frame positions and normals of the footage's head on the renderer's coarse grid, and the
    screen's form factors on them (computed once per footage frame).

    ``norm`` is the mean form factor over the face for white: with it, ``forge_strength`` is the face's
    mean gain under a white flash.
    """

    def __init__(self, recording: Any, tint: ShadedTint, t_k_ns: int, face_points: np.ndarray | None) -> None:
        sim = recording.sim
        scene = sim.scene
        renderer = scene.renderer
        head = scene.subjects[0]
        self.grid_h, self.grid_w = renderer.grid_h, renderer.grid_w
        self.ff: np.ndarray | None = None
        self.cells: tuple[np.ndarray, np.ndarray] = (np.zeros(0, int), np.zeros(0, int))
        self.norm = 1.0
        pose = head.pose(sim.scene_time(t_k_ns))
        layer = head.layer
        box = renderer.bbox(layer, pose)
        if box is None or face_points is None:
            return
        gx0, gy0, gx1, gy1 = box
        tx, ty, lam, dx, dy = renderer._intersect(layer, pose, box)  # noqa: SLF001 - the simulator's own renderer
        alpha = cv2.remap(layer.alpha, tx, ty, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        n_local = cv2.remap(layer.normals, tx, ty, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        normals = n_local.reshape(-1, 3) @ pose.R.T.astype(np.float32)
        normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-6)
        pos = np.stack([lam * dx, lam * dy, lam], axis=-1).reshape(-1, 3)
        # Only the face is tinted: keep the cells inside the landmarks' hull (grown by one cell for the soft
        # edge). The coarse grid is GRID render pixels = 2 x GRID camera pixels.
        scale = 2 * GRID
        grid_mask = np.zeros((self.grid_h, self.grid_w), np.uint8)
        hull = cv2.convexHull((face_points / scale - 0.5).astype(np.float32)).astype(np.int32)
        cv2.fillConvexPoly(grid_mask, hull, 1)
        grid_mask = cv2.dilate(grid_mask, np.ones((3, 3), np.uint8))
        ys, xs = np.mgrid[gy0:gy1, gx0:gx1]
        keep = (alpha.reshape(-1) > 0.5) & (grid_mask[gy0:gy1, gx0:gx1].reshape(-1) > 0)
        if not keep.any():
            return
        self.cells = (ys.reshape(-1)[keep], xs.reshape(-1)[keep])
        self.ff = tint.form_factors(pos[keep].astype(np.float64), normals[keep].astype(np.float64))
        self.norm = float(max(self.ff.sum(axis=0).mean(), 1e-12))
