"""Attack props and the replayed genuine session.

Each attack differs from a live user only through a physical mechanism:

- ``print`` / ``curved-print``: the photo on paper (flat, or bent around a
  vertical axis): paper reflectance and ink gamut, no depth relief of a face,
  the sheet's own border and the printed background respond to the screen
  light like the face does.
- ``mask``: the same 3D shape as the person but a different material (flatter,
  more uniform albedo, glossier resin), rigid, no blinks.
- ``screen-replay``: a tablet showing a previously rendered genuine session
  (its own colour sequence): emissive, plus a mirror reflection of the kiosk
  screen on its glass, a bezel, and pixel-grid aliasing (moire).
- ``injection`` / ``injection-forged-light``: see :mod:`app.core.simulate.simulation`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from app.core.challenge import MOVEMENT_AND_LIGHT, MOVEMENT_ONLY, Challenge, Oval
from app.core.screen import ScreenState
from app.core.simulate.face import IPD_M, FaceModel, srgb_to_linear
from app.core.simulate.frame_format import HEIGHT, WIDTH
from app.core.simulate.motion import Motion, MotionParams
from app.core.simulate.params import resolve_params
from app.core.simulate.player import ChallengePlayer
from app.core.simulate.render import (
    LayerRenderer,
    Material,
    PinholeCamera,
    Pose,
    RenderContext,
    SurfaceLayer,
    flat_layer,
    rotation,
)
from app.core.simulate.scene import FaceTruth, _on_frame
from app.core.challenge import face_box
from app.core.facemesh import eye_centres


class PropSubject:
    """A rigid object carrying a face picture (print, curved print), moved like a user would move.

    Parameters
    ----------
    layer:
        The prop's surface, with ``landmarks3d`` of the printed face.
    motion:
        The holder's movement (aimed at the oval like a person).
    kind:
        Label of the truth entries (``print``).
    """

    def __init__(self, layer: SurfaceLayer, motion: Motion, kind: str) -> None:
        self.layer = layer
        self.motion = motion
        self.kind = kind

    def set_oval(self, oval: Oval, now: float) -> None:
        self.motion.set_oval(oval, now)

    def depth(self, t: float) -> float:
        return float(self.motion.pose(t).T[2])

    def draw(self, t: float, renderer: LayerRenderer, ctx: RenderContext, out: np.ndarray) -> list[FaceTruth]:
        pose = self.motion.pose(t)
        if not renderer.render(self.layer, pose, ctx, out):
            return []
        pts = renderer.project_landmarks(self.layer, pose)
        assert pts is not None
        if not _on_frame(pts, renderer.truth_camera):
            return []
        return [FaceTruth(pts, face_box(pts), float(pose.T[2]), 0.0, self.kind)]


# -- print ----------------------------------------------------------------------------


def print_albedo(face: FaceModel, p: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, float]:
    """The printed sheet: photo reproduced with ink on paper, face life-size, centred.

    Returns the sheet's linear albedo, the printed landmarks (texels) and metres per texel.
    """
    photo = face.photo
    pts = face.photo_landmarks
    right, left = eye_centres(pts)
    iod = float(np.hypot(*(left - right)))  # np.hypot as always (rendered suites stay bit-identical)
    scale = IPD_M * p["print_scale"] / iod  # metres per photo pixel: face printed life-size
    sw, sh = int(round(p["sheet_w_m"] / scale)), int(round(p["sheet_h_m"] / scale))
    # Put the eyes at 42% of the sheet height, centred horizontally.
    eyes = (right + left) / 2
    ox = int(round(eyes[0] - sw / 2))
    oy = int(round(eyes[1] - 0.42 * sh))
    lin = srgb_to_linear(photo)
    lum = lin @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    sat = np.float32(p["print_saturation"])
    lin = lum[..., None] + sat * (lin - lum[..., None])
    ink = np.float32(p["ink_black"]) + (np.float32(p["paper_white"]) - np.float32(p["ink_black"])) * np.clip(lin, 0, 1)
    sheet = np.empty((sh, sw, 3), np.float32)
    sheet[:] = np.float32(p["paper_white"])
    # Paste the overlap of the photo and the sheet.
    x0, y0 = max(0, ox), max(0, oy)
    x1, y1 = min(photo.shape[1], ox + sw), min(photo.shape[0], oy + sh)
    if x1 > x0 and y1 > y0:
        sheet[y0 - oy : y1 - oy, x0 - ox : x1 - ox] = ink[y0:y1, x0:x1]
    return sheet, pts - (ox, oy), scale


def make_print_subject(face: FaceModel, camera: PinholeCamera, mp: MotionParams, oval: Oval, p: dict[str, Any], *,
                       autostart: bool = True) -> PropSubject:
    """A flat or bent sheet with the photo (``bend_radius_m`` present: curved around a vertical axis, or around a
    horizontal one with ``bend_axis`` "h")."""
    albedo, lm, scale = print_albedo(face, p)
    h, w = albedo.shape[:2]
    alpha = np.ones((h, w), np.float32)
    alpha[:, [0, -1]] = 0.5
    alpha[[0, -1], :] = 0.5
    material = Material(specular=p.get("paper_specular", 0.0), roughness=0.12)
    radius = p.get("bend_radius_m")
    if not radius:
        lm3d = np.c_[(lm - (w / 2, h / 2)) * scale, np.zeros(len(lm))]
        layer = flat_layer(albedo, alpha, scale, material=material, landmarks3d=lm3d, name="print")
    else:
        if p.get("bend_axis", "v") == "h":
            layer, lm3d = _bent_sheet_horizontal(albedo, alpha, lm, scale, float(radius), material)
        else:
            layer, lm3d = _bent_sheet(albedo, alpha, lm, scale, float(radius), material)
    motion = Motion(mp, camera, layer.landmarks3d, oval, autostart=autostart)  # type: ignore[arg-type]
    return PropSubject(layer, motion, "print")


def _bent_sheet(albedo: np.ndarray, alpha: np.ndarray, lm: np.ndarray, scale: float, radius: float,
                material: Material) -> tuple[SurfaceLayer, np.ndarray]:
    """A sheet wrapped on a vertical cylinder, convex toward the camera.

    The height field is over the *projected* x (x = R sin(a/R) for arc length a),
    so the texture is resampled from arc length to x; the edges bend away by
    R (1 - cos(a/R)).
    """
    h, w = albedo.shape[:2]
    half_arc = w / 2 * scale
    radius = max(radius, half_arc / 1.35)  # keep the bend under ~77 degrees at the edges
    half_x = radius * math.sin(half_arc / radius)
    wx = int(round(2 * half_x / scale))
    xs = (np.arange(wx, dtype=np.float64) - wx / 2 + 0.5) * scale  # projected x (m)
    arc = radius * np.arcsin(np.clip(xs / radius, -1, 1))
    src_x = (arc / scale + w / 2 - 0.5).astype(np.float32)
    map_x = np.broadcast_to(src_x[None, :], (h, wx)).copy()
    map_y = np.broadcast_to(np.arange(h, dtype=np.float32)[:, None], (h, wx)).copy()
    alb = cv2.remap(albedo, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alp = cv2.remap(alpha, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    depth = radius * np.cos(arc / radius) - radius * math.cos(half_arc / radius)  # >= 0, max at the centre
    height = np.broadcast_to(depth.astype(np.float32)[None, :], (h, wx)).copy()
    # Outward normal of the cylinder: (sin, 0, -cos) of the angle a/R.
    ang = arc / radius
    normals = np.zeros((h, wx, 3), np.float32)
    normals[..., 0] = np.sin(ang)[None, :]
    normals[..., 2] = -np.cos(ang)[None, :]
    a_lm = (lm[:, 0] - w / 2) * scale
    lm3d = np.c_[radius * np.sin(a_lm / radius), (lm[:, 1] - h / 2) * scale,
                 -(radius * np.cos(a_lm / radius) - radius * math.cos(half_arc / radius))]
    layer = SurfaceLayer(alb, alp, height, normals, scale, (wx / 2, h / 2), material, None, lm3d, 3, "curved-print")
    return layer, lm3d


def _bent_sheet_horizontal(albedo: np.ndarray, alpha: np.ndarray, lm: np.ndarray, scale: float, radius: float,
                           material: Material) -> tuple[SurfaceLayer, np.ndarray]:
    """A sheet wrapped on a horizontal cylinder, convex toward the camera: :func:`_bent_sheet` with the sheet's
    rows and columns exchanged (the forehead and chin bend away, each row stays straight)."""
    swapped, lm3d = _bent_sheet(np.ascontiguousarray(albedo.transpose(1, 0, 2)), np.ascontiguousarray(alpha.T),
                                lm[:, ::-1], scale, radius, material)
    normals = np.ascontiguousarray(swapped.normals.transpose(1, 0, 2)[..., [1, 0, 2]])
    lm3d = lm3d[:, [1, 0, 2]]
    layer = SurfaceLayer(np.ascontiguousarray(swapped.albedo.transpose(1, 0, 2)), np.ascontiguousarray(swapped.alpha.T),
                         np.ascontiguousarray(swapped.height.T), normals, scale, (swapped.centre[1], swapped.centre[0]),
                         material, None, lm3d, 3, "curved-print")
    return layer, lm3d


# -- mask -----------------------------------------------------------------------------


def mask_albedo(face: FaceModel, skin: np.ndarray, p: dict[str, Any], *, eye_holes: bool = False,
                wearer: np.ndarray | None = None) -> np.ndarray:
    """A resin/silicone mask: colours pulled toward one uniform tint, contrast compressed, pores lost.

    Features stay (eyes, brows, lips are painted), but their contrast is
    compressed in the log domain by ``mask_flatness`` and fine texture is
    smoothed. Outside the face contour (hair, neck) the wearer's own
    appearance remains; a thin darker seam marks the mask's edge. With
    ``eye_holes`` the wearer's own eyes and lids show through an almond-shaped
    hole per eye, ringed by the hole's shadowed cut edge (``wearer``: the wearer's own albedo, default
    ``skin``).
    """
    m = face.face_mask
    tone = np.array([(skin[..., c][m > 0.5]).mean() for c in range(3)], np.float32)
    right, left = eye_centres(face.landmarks)
    iod = float(np.hypot(*(left - right)))
    smooth = cv2.GaussianBlur(skin, (0, 0), max(0.8, 0.012 * iod))
    lum = smooth @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    tone_lum = float(tone @ np.array([0.2126, 0.7152, 0.0722], np.float32))
    flat = np.float32(p["mask_flatness"])
    ratio = np.power(np.clip(lum / max(tone_lum, 1e-4), 0.02, 5.0), 1.0 - flat)
    tint = tone * np.array([p["mask_tint_r"], 1.0, p["mask_tint_b"]], np.float32)
    painted = ratio[..., None] * (flat * tint + (1 - flat) * smooth * (tone_lum / np.maximum(lum, 1e-4))[..., None])
    edge = cv2.GaussianBlur(m, (0, 0), max(1.0, 0.03 * iod))
    seam = np.clip(1.0 - 4.0 * np.abs(edge - 0.5), 0, 1) * 0.45
    inside = np.clip(edge * 1.5, 0, 1)[..., None]
    out = inside * np.clip(painted, 0, 0.95) + (1 - inside) * skin
    out = out * (1 - seam)[..., None]
    if eye_holes:
        own = skin if wearer is None else wearer
        weight, rigid = mask_overlay(face, out, float(p.get("mask_hole_scale", 1.0)))
        out = weight[..., None] * own + rigid
    return out.astype(np.float32)


def mask_overlay(face: FaceModel, mask: np.ndarray, hole_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """A mask with eye holes as a rigid layer over its wearer: (H, W) the weight of the wearer's own albedo
    (inside the holes, darkened by the cut edge's shadow) and (H, W, 3) the mask's own part (outside them, the
    cut edge in shadow too). ``weight * wearer + rigid`` is the albedo; a blink moves only the wearer's part."""
    holes = eye_hole_map(face, hole_scale)
    rim = np.clip(1.0 - 3.0 * np.abs(holes - 0.5), 0, 1) * 0.55  # the cut edge, in the mask's shadow
    weight = (holes * (1 - rim)).astype(np.float32)
    rigid = (mask * ((1 - holes) * (1 - rim))[..., None]).astype(np.float32)
    return weight, rigid


def eye_hole_map(face: FaceModel, scale: float = 1.0) -> np.ndarray:
    """(H, W) 0..1: a mask's almond-shaped hole per eye (0.72 x 0.4 eye distances times ``scale``), its cut
    edge softened by a fraction of a millimetre. The wearer's own eyes, lids and the skin around them show
    through it."""
    return _eye_almonds(face, blur=0.01, min_blur_px=0.7, scale=scale)


def periocular_map(face: FaceModel) -> np.ndarray:
    """(H, W) 0..1: the thin skin of the lids and under the eyes (the same almond around each eye as a mask's
    hole), fading into the cheek's and brow's skin over a few millimetres: no edge on a living face."""
    return _eye_almonds(face, blur=0.06, min_blur_px=1.0)


def _eye_almonds(face: FaceModel, *, blur: float, min_blur_px: float, scale: float = 1.0) -> np.ndarray:
    """(H, W) 0..1: an almond of 0.72 x 0.4 eye distances around each eye, its edge blurred by ``blur`` eye
    distances (at least ``min_blur_px``): a mask's cut edge is sharp, a face's thin skin fades out."""
    right, left = eye_centres(face.landmarks)
    iod = float(np.hypot(*(left - right)))
    out = np.zeros(face.face_mask.shape, np.float32)
    for eye in (right, left):
        axes = (int(0.36 * scale * iod), int(0.2 * scale * iod))
        cv2.ellipse(out, (int(round(eye[0])), int(round(eye[1]))), axes, 0, 0, 360, 1.0, -1)
    return cv2.GaussianBlur(out, (0, 0), max(min_blur_px, blur * iod))


# -- the replayed genuine session ------------------------------------------------------


class GenuineRecording:
    """A genuine ``live`` session rendered on the fly, as the attacker's video of an earlier check.

    It has its own participant, its own app challenge (oval and a colour
    sequence that is *not* this session's) and its own screen, and it plays
    that challenge itself. Frames are produced in time order.

    Parameters
    ----------
    seed:
        Seed of the recorded session (participant, camera, challenge).
    overrides:
        Parameters of the recorded participant (default: as sampled for ``seed``).
    face:
        The victim's photo (same person as the attack targets).
    t0_ns:
        Clock value at which the recording starts playing.
    light_challenge:
        False: the recording holds no flashes (a plain video of the victim).
    simulation:
        Builds the recorded session's simulation (``Simulation``; passed in by the simulation that holds
        this prop, so that this module does not import it back).
    """

    def __init__(
        self,
        seed: int,
        face: str | None,
        t0_ns: int,
        *,
        light_challenge: bool = True,
        simulation: Callable[..., Any],
        overrides: dict[str, str] | None = None,
    ) -> None:
        kind = MOVEMENT_AND_LIGHT if light_challenge else MOVEMENT_ONLY
        self.challenge = Challenge.new(WIDTH, HEIGHT, challenge_type=kind, seed=seed)
        o = self.challenge.oval
        # ``overrides``: how the victim behaved in the footage (e.g. a head that never approaches).
        overrides = {**(overrides or {}), "seed": str(seed), "oval": f"{o.cx},{o.cy},{o.w},{o.h}"}
        params = resolve_params("live", overrides)
        if face:
            params["face"] = face
        self.params = params
        self.screen = ScreenState()
        self.sim = simulation("live", params, screen=self.screen, t0_ns=t0_ns)
        self.player = ChallengePlayer(self.challenge, self.screen, t0_ns, seed=seed)
        self._cache: tuple[int, np.ndarray, Any] | None = None

    @property
    def oval(self) -> Oval:
        return self.challenge.oval

    def frame(self, index: int, t_ns: int) -> tuple[np.ndarray, Any]:
        """Frame ``index`` (stamped ``t_ns`` on the recording's clock); repeated calls return the cached one."""
        if self._cache is not None and self._cache[0] == index:
            return self._cache[1], self._cache[2]
        image, truth = self.sim.render(index, t_ns)
        main = max(truth.faces, key=lambda f: f.box.w, default=None)
        self.player.step(t_ns, main.box if main is not None else None)
        self._cache = (index, image, truth)
        return image, truth

    def labels(self) -> dict[str, Any]:
        return {"seed": int(self.params["seed"]), "challenge": self.challenge.to_dict(), "params": _jsonable(self.params)}


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, np.generic):
            v = v.item()
        out[k] = v
    return out


class TabletSubject:
    """A tablet held in front of the camera, playing a :class:`GenuineRecording`.

    The display is emissive (its picture does not depend on the kiosk's
    colour); its glass mirrors the kiosk screen (a glare whose colour *does*
    follow the kiosk); the pixel grid of the display aliases with the camera's
    sampling (moire) when enabled; a dark bezel frames it.
    """

    def __init__(self, recording: GenuineRecording, camera: PinholeCamera, p: dict[str, Any], oval: Oval, phase_seed: int) -> None:
        self.rec = recording
        self.camera = camera
        self.p = p
        tw = p["tablet_w_m"]
        self.scale = tw / WIDTH
        bezel = max(1, int(round(p["bezel_mm"] / 1000.0 / self.scale)))
        self.bezel = bezel
        h, w = HEIGHT + 2 * bezel, WIDTH + 2 * bezel
        albedo = np.full((h, w, 3), 0.04, np.float32)  # black plastic bezel
        albedo[bezel:-bezel, bezel:-bezel] = np.float32(p["tablet_black"])  # display glass, dark when off
        alpha = np.ones((h, w), np.float32)
        self.emission = np.zeros((h, w, 3), np.float32)
        self.layer = flat_layer(albedo, alpha, self.scale, emission=self.emission,
                                material=Material(specular=p["glass_specular"], roughness=0.01), name="tablet")
        self.layer.pixel_grid = float(p.get("moire", 0.0))
        self.layer.grid_origin = (float(bezel), float(bezel))
        rng = np.random.default_rng([phase_seed, 41])
        self._freq = rng.uniform(0.15, 0.8, (6, 2))
        self._phase = rng.uniform(0, 2 * math.pi, (6, 2))
        self._tilt = (math.radians(p["yaw0_deg"]) * 0.5, math.radians(p["pitch0_deg"]) * 0.5, math.radians(p["roll0_deg"]) * 0.5)
        self._truth: list[FaceTruth] = []
        self._inner_truth: Any = None
        #: Turns the tablet as a whole on head-turn cues when set (movement-only checks).
        self.follow: Any = None
        self.set_oval(oval, 0.0)

    def set_oval(self, oval: Oval, now: float) -> None:
        """The attacker lines the recorded face up with the oval on screen."""
        cam = self.camera
        d = cam.f * self.p["tablet_w_m"] / (cam.width * self.p["tablet_fill"])
        io = self.rec.oval
        lx = (io.cx - (cam.width - 1) / 2) * self.scale
        ly = (io.cy - (cam.height - 1) / 2) * self.scale
        self.base = np.array([(oval.cx - cam.cx) / cam.f * d - lx, (oval.cy - cam.cy) / cam.f * d - ly, d])

    def prepare(self, index: int, t_ns: int) -> None:
        image, truth = self.rec.frame(index, t_ns)
        b = self.bezel
        lin = cv2.pow(cv2.cvtColor(image, cv2.COLOR_BGR2RGB).astype(np.float32) * np.float32(1 / 255.0), 2.2)
        self.emission[b:-b, b:-b] = lin * np.float32(self.p["tablet_nits"])
        self._inner_truth = truth

    def pose(self, t: float) -> Pose:
        s = np.sin(2 * math.pi * self._freq * t + self._phase).sum(axis=1) / 2
        rot = np.radians(self.p["sway_deg"]) * s[:3]
        trans = self.p["sway_mm"] * 1e-3 * s[3:]
        turn, nod = self.follow.turn(t) if self.follow is not None else (0.0, 0.0)
        R = rotation(self._tilt[0] + rot[0] + turn, self._tilt[1] + rot[1] + nod, self._tilt[2] + rot[2])
        return Pose(R, self.base + trans)

    def depth(self, t: float) -> float:
        return float(self.base[2])

    def draw(self, t: float, renderer: LayerRenderer, ctx: RenderContext, out: np.ndarray) -> list[FaceTruth]:
        pose = self.pose(t)
        if not renderer.render(self.layer, pose, ctx, out):
            return []
        faces: list[FaceTruth] = []
        h, w = self.layer.albedo.shape[:2]
        for f in (self._inner_truth.faces if self._inner_truth is not None else []):
            local = np.c_[(f.points[:, 0] + self.bezel + 0.5 - w / 2) * self.scale,
                          (f.points[:, 1] + self.bezel + 0.5 - h / 2) * self.scale, np.zeros(len(f.points))]
            pts = renderer.truth_camera.project(local @ pose.R.T + pose.T)
            if _on_frame(pts, renderer.truth_camera):
                faces.append(FaceTruth(pts, face_box(pts), float(pose.T[2]), f.blink, "screen"))
        return faces
