"""What stands in front of the simulated camera: the room, the person or the attack prop.

A :class:`Scene` owns the camera intrinsics, the screen light, the ambient
light, the room behind and a list of subjects (a head, a print, a tablet, a
second person). ``draw`` composites them into linear radiance for one frame
and returns the frame's ground truth (projected landmarks of every face).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import cv2
import numpy as np

from app.core.challenge import Box, Oval, face_box
from app.core.simulate.eyes import IRIS_CENTRES, draw_catchlights
from app.core.simulate.face import FaceModel, IPD_M
from app.core.simulate.motion import Motion, MotionParams
from app.core.simulate.render import (
    Ambient,
    LayerRenderer,
    LightFrame,
    Material,
    PinholeCamera,
    Pose,
    RenderContext,
    ScreenLight,
    SurfaceLayer,
)


@dataclass
class FaceTruth:
    """Ground truth of one face in one frame (labels only; never in the manifest)."""

    points: np.ndarray  # (478, 2) pixels
    box: Box  # reference-product face box
    distance_m: float
    blink: float = 0.0
    kind: str = "face"  # "face", "print", "mask", "screen"

    def to_dict(self) -> dict[str, Any]:
        b = self.box
        return {
            "kind": self.kind,
            "box": [round(b.x, 1), round(b.y, 1), round(b.w, 1), round(b.h, 1)],
            "distance_m": round(self.distance_m, 4),
            "blink": round(self.blink, 3),
        }


class Subject(Protocol):
    """Something in front of the camera."""

    def set_oval(self, oval: Oval, now: float) -> None: ...

    def depth(self, t: float) -> float: ...

    def draw(self, t: float, renderer: LayerRenderer, ctx: RenderContext, out: np.ndarray) -> list[FaceTruth]: ...


def cct_to_rgb(kelvin: float) -> np.ndarray:
    """Linear RGB of a light source of colour temperature ``kelvin``, unit luminance."""
    table_k = [2700, 3200, 4000, 5000, 5600, 6500]
    table = np.array(
        [[1.0, 0.40, 0.10], [1.0, 0.49, 0.19], [1.0, 0.63, 0.37], [1.0, 0.78, 0.62], [1.0, 0.86, 0.76], [1.0, 0.95, 0.99]]
    )
    rgb = np.array([np.interp(kelvin, table_k, table[:, c]) for c in range(3)])
    return rgb / float(rgb @ np.array([0.2126, 0.7152, 0.0722]))


def hue_rotate(rgb: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate colours about the grey axis (keeps luminance roughly)."""
    if abs(degrees) < 1e-6:
        return rgb
    a = math.radians(degrees)
    k = np.ones(3) / math.sqrt(3)
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    R = np.eye(3) + math.sin(a) * K + (1 - math.cos(a)) * (K @ K)
    return np.clip(rgb @ R.T.astype(np.float32), 0.0, 1.0).astype(np.float32)


def make_room(width: int, height: int, style: int, albedo: float) -> np.ndarray:
    """A plausible room wall at a few metres: wall, door, shelf, picture, shadows (linear albedo)."""
    rng = np.random.default_rng([style, 3])
    wall = np.array(rng.uniform(0.6, 1.0, 3)) * albedo
    img = np.empty((height, width, 3), np.float32)
    img[:] = wall
    # Soft vertical gradient (light falls off toward the floor).
    img *= np.linspace(1.08, 0.82, height, dtype=np.float32)[:, None, None]
    for _ in range(int(rng.integers(3, 7))):
        w = int(rng.uniform(0.08, 0.35) * width)
        h = int(rng.uniform(0.1, 0.6) * height)
        x = int(rng.uniform(-0.1, 1.0) * width)
        y = int(rng.uniform(-0.1, 0.9) * height)
        colour = np.clip(np.array(rng.uniform(0.2, 1.1, 3)) * albedo * rng.uniform(0.5, 1.5), 0.02, 0.85)
        cv2.rectangle(img, (x, y), (x + w, y + h), colour.tolist(), -1)
        if rng.random() < 0.5:
            cv2.rectangle(img, (x, y), (x + w, y + h), (colour * 0.5).tolist(), max(1, w // 40))
    # A ceiling line and a floor edge.
    yline = int(rng.uniform(0.02, 0.12) * height)
    img[:yline] *= 0.85
    noise = rng.normal(0, 0.02, (height // 8, width // 8, 1)).astype(np.float32)
    img *= 1.0 + cv2.resize(noise, (width, height))[..., None]
    return cv2.GaussianBlur(img, (0, 0), 0.7)


class HeadSubject:
    """A person (or a rigid mask worn by one): a textured face height field moving by :class:`Motion`.

    Parameters
    ----------
    face:
        The photo-based face model.
    motion:
        How the head moves.
    ipd_m:
        This person's inter-pupillary distance: the model is scaled to it.
    material:
        Skin (or mask) reflectance.
    texture:
        Optional replacement texture (linear RGBA) for skin tone, glasses or mask.
    blinks:
        Whether the eyelids close (not for a mask without eye holes).
    cornea:
        The corneas' reflectance when real eyes are in view (a person, a mask with eye holes), 0 for none:
        each cornea mirrors the screen (:func:`app.core.simulate.eyes.draw_catchlights`).
    inner_material, inner_map:
        The skin around the eyes, where it shows (a face's periocular skin, or the wearer's own skin in a
        mask's eye holes), and its weight per texel; ``None``: one material.
    overlay:
        A rigid layer over the face (a mask with eye holes): (H, W) the weight of ``texture`` (the wearer's own
        albedo, inside the holes) and (H, W, 3) the layer's own albedo, added; a blink moves ``texture`` only.
    blink_reach:
        How far above the upper lid's margin the skin follows a blink, in eye-opening heights.
    frame:
        A rigid 3D layer standing off the face on the head's pose (the front of a pair of glasses), drawn over
        the face, its catchlights included (the lens is in front of the cornea); ``None``: nothing.
    """

    def __init__(self, face: FaceModel, camera: PinholeCamera, motion_params: MotionParams, oval: Oval, *, ipd_m: float = IPD_M,
                 material: Material | None = None, texture: np.ndarray | None = None, blinks: bool = True,
                 autostart: bool = True, kind: str = "face", cornea: float = 0.0,
                 inner_material: Material | None = None, inner_map: np.ndarray | None = None,
                 overlay: tuple[np.ndarray, np.ndarray] | None = None, blink_reach: float = 1.5,
                 frame: SurfaceLayer | None = None) -> None:
        k = ipd_m / IPD_M
        self.face = face
        self.kind = kind
        self.cornea = float(cornea)
        self._scale = k
        self._base_albedo = texture if texture is not None else face.albedo
        self._overlay = overlay
        self.blink_reach = float(blink_reach)
        self.frame = frame
        self.layer = SurfaceLayer(
            albedo=self._compose(self._base_albedo, 0, self._base_albedo.shape[0], 0, self._base_albedo.shape[1]),
            alpha=face.alpha,
            height=face.height * np.float32(k),
            normals=face.normals,
            scale=face.scale * k,
            centre=face.centre,
            material=material or Material(),
            landmarks3d=face.landmarks3d * k,
            iterations=3,
            name=kind,
            inner_material=inner_material,
            inner_map=inner_map,
        )
        self.motion = Motion(motion_params, camera, self.layer.landmarks3d, oval, autostart=autostart)
        self.blinks = blinks
        self._blink_level = 0.0
        self.entry: Any = None  # optional position override (second face)

    def set_oval(self, oval: Oval, now: float) -> None:
        self.motion.set_oval(oval, now)

    def pose(self, t: float) -> Pose:
        pose = self.motion.pose(t)
        if self.entry is not None:
            pose = Pose(pose.R, self.entry(t))
        return pose

    def depth(self, t: float) -> float:
        return float(self.pose(t).T[2])

    def _compose(self, own: np.ndarray, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
        """The albedo of rows y0..y1, columns x0..x1 from the (possibly blinked) ``own`` part: with a rigid
        overlay, its weight times ``own`` plus its own albedo; without one, ``own`` (a copy)."""
        if self._overlay is None:
            return own.copy()
        weight, rigid = self._overlay
        return (weight[y0:y1, x0:x1, None] * own + rigid[y0:y1, x0:x1]).astype(np.float32)

    def _apply_blink(self, level: float) -> None:
        level = round(level * 20) / 20
        if level == self._blink_level:
            return
        self._blink_level = level
        tex = self.layer.albedo
        for eye in self.face.eyes:
            # The skin from ``blink_reach`` opening heights above the lid down follows the blink (1.5: the box).
            y0 = eye.y0 if not eye.open_h else max(0, eye.lid_top - int(self.blink_reach * eye.open_h))
            region = self._base_albedo[y0 : eye.y1, eye.x0 : eye.x1]
            if level <= 0:
                tex[y0 : eye.y1, eye.x0 : eye.x1] = self._compose(region, y0, eye.y1, eye.x0, eye.x1)
                continue
            bh, bw = region.shape[:2]
            ys = np.arange(y0, eye.y1, dtype=np.float32)[:, None]
            upper = eye.upper[:bw].astype(np.float32)[None, :]
            lower = eye.lower[:bw].astype(np.float32)[None, :]
            edge = upper + level * np.maximum(lower - upper, 0)
            top = np.float32(y0)
            # Skin above the lid slides down over the eye: rows [top, edge] sample [top, upper].
            src = np.where(ys <= edge, top + (ys - top) * (upper - top) / np.maximum(edge - top, 1e-3), ys)
            map_y = (src - top).astype(np.float32)
            map_x = np.broadcast_to(np.arange(bw, dtype=np.float32)[None, :], (bh, bw)).copy()
            lid = cv2.remap(region, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            # Lashes: a dark line along the moving lid edge.
            open_cols = (lower - upper) > 0.5
            lash = np.exp(-0.5 * ((ys - edge) / 1.3) ** 2) * open_cols * min(1.0, level * 1.5)
            lid *= (1.0 - 0.35 * lash)[..., None]
            tex[y0 : eye.y1, eye.x0 : eye.x1] = self._compose(lid, y0, eye.y1, eye.x0, eye.x1)

    def draw(self, t: float, renderer: LayerRenderer, ctx: RenderContext, out: np.ndarray) -> list[FaceTruth]:
        blink = self.motion.blink(t) if self.blinks else 0.0
        self._apply_blink(blink)
        pose = self.pose(t)
        visible = renderer.render(self.layer, pose, ctx, out)
        if not visible:
            return []
        if self.cornea > 0 and self.layer.landmarks3d is not None and len(self.layer.landmarks3d) > max(IRIS_CENTRES):
            draw_catchlights(out, renderer, ctx, pose, self.layer.landmarks3d[list(IRIS_CENTRES)], self.cornea,
                             1.0 - blink, self._scale)
        if self.frame is not None:
            renderer.render(self.frame, pose, ctx, out)
        pts = renderer.project_landmarks(self.layer, pose)
        assert pts is not None
        if not _on_frame(pts, renderer.truth_camera):
            return []
        return [FaceTruth(pts, face_box(pts), float(pose.T[2]), blink, self.kind)]


def _on_frame(pts: np.ndarray, camera: PinholeCamera, frac: float = 0.5) -> bool:
    """True when at least ``frac`` of the landmarks fall inside the frame."""
    inside = (pts[:, 0] >= 0) & (pts[:, 0] < camera.width) & (pts[:, 1] >= 0) & (pts[:, 1] < camera.height)
    return bool(inside.mean() >= frac)


@dataclass
class Scene:
    """Everything the camera sees, and the light on it.

    Layers are rendered at half the camera resolution (``render_camera``) and
    upsampled: the simulated lens is soft (a webcam's optics and demosaicing
    rarely resolve single pixels at 640x480), the face photo has no finer
    detail anyway, and it makes real-time rendering affordable. Every species
    goes through the same optics, so sharpness never tells species apart.
    """

    camera: PinholeCamera
    light: ScreenLight
    ambient: Ambient
    room: np.ndarray  # linear albedo at render resolution (H/2, W/2, 3)
    room_distance_m: float
    subjects: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.render_camera = PinholeCamera(self.camera.width // 2, self.camera.height // 2, self.camera.hfov_deg)
        self.renderer = LayerRenderer(self.render_camera, self.light, truth_camera=self.camera)
        _, areas, _ = self.light.patches()
        # Form factor of each screen patch onto the far wall (facing the screen, on axis).
        self._room_ff = (areas / self.room_distance_m**2).astype(np.float32)
        self._room_ambient = self.ambient.irradiance(np.array([0.0, 0.0, -1.0], np.float32))
        self._rows = np.arange(self.render_camera.height)

    def set_oval(self, oval: Oval, now: float) -> None:
        for s in self.subjects:
            s.set_oval(oval, now)

    def draw(self, t: float, frame_light: LightFrame) -> tuple[np.ndarray, list[FaceTruth]]:
        """Linear radiance (H/2, W/2, 3 float32) and the faces' ground truth at scene time ``t``."""
        slab = frame_light.slab_of_rows(self._rows, self.render_camera.height)
        e_room = (frame_light.bands[slab] * self._room_ff[None, :, None]).sum(axis=1) + self._room_ambient  # (H, 3)
        out = self.room * (e_room[:, None, :] / math.pi).astype(np.float32)
        ctx = RenderContext(self.render_camera, self.light, frame_light, self.ambient)
        truths: list[FaceTruth] = []
        for subject in sorted(self.subjects, key=lambda s: -s.depth(t)):
            truths.extend(subject.draw(t, self.renderer, ctx, out))
        return out, truths
