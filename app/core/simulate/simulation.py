"""One simulated participant: scene + camera pipeline, rendered frame by frame.

:class:`Simulation` is the clock-free core: ``render(index, t_ns)`` returns the
camera frame stamped ``t_ns`` and its ground truth, reading the displayed
colour from a :class:`~app.core.screen.ScreenState`. The live frame source
(``source.py``) paces it in real time; the generator (``session.py``) drives it
on a virtual clock while playing the app's challenge.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from app.core.capture.devices import virtual_verdict
from app.core.challenge import Oval, face_box, make_oval
from app.core.facemesh import eye_centres
from app.core.screen import ScreenState
from app.core.simulate.eyes import IRIS_CENTRES
from app.core.simulate.face import IPD_M, FaceModel, get_face
from app.core.simulate.frame_format import FPS, FRAME_NS, HEIGHT, WIDTH  # noqa: F401 - re-exported
from app.core.simulate.motion import CueFollower, MotionParams
from app.core.simulate.params import FORGER_SPECIES, INJECTION_SPECIES
from app.core.simulate.render import Ambient, Material, PinholeCamera, ScreenLight, SurfaceLayer, displayed, sample_light
from app.core.simulate.scene import FaceTruth, HeadSubject, Scene, cct_to_rgb, hue_rotate, make_room
from app.core.simulate.sensor import Sensor, SensorParams
from app.core.simulate.species import (
    GenuineRecording,
    TabletSubject,
    eye_hole_map,
    mask_overlay,
    make_print_subject,
    mask_albedo,
    periocular_map,
)


@dataclass
class FrameTruth:
    """Ground truth of one rendered frame (labels only)."""

    index: int
    t_ns: int
    faces: list[FaceTruth] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"i": self.index, "faces": [f.to_dict() for f in self.faces]}


def default_oval(params: dict[str, Any], width: int = WIDTH, height: int = HEIGHT) -> Oval:
    """The oval from ``params['oval']`` or the app's own oval rule for this seed."""
    if params.get("oval"):
        cx, cy, w, h = (float(v) for v in params["oval"])
        return Oval(cx, cy, w, h)
    return make_oval(width, height, random.Random(int(params["seed"]) * 7919 + 17))


def motion_params(p: dict[str, Any], *, blinks: bool = True, phase_offset: int = 0) -> MotionParams:
    return MotionParams(
        behaviour=p["behaviour"],
        wait_s=p["wait_s"],
        approach_s=p["approach_s"],
        start_ratio=p["start_ratio"],
        fit_ratio=p["fit_ratio"],
        aim_error=p["aim_error"],
        too_close_ratio=p["too_close_ratio"],
        start_offset_x=p["start_offset_x"],
        start_offset_y=p["start_offset_y"],
        sway_deg=p["sway_deg"],
        sway_mm=p["sway_mm"],
        hold_drift_deg=p.get("hold_drift_deg", 0.0),
        hold_drift_mm=p.get("hold_drift_mm", 0.0),
        yaw0_deg=p["yaw0_deg"],
        pitch0_deg=p["pitch0_deg"],
        roll0_deg=p["roll0_deg"],
        leave_after_s=p["leave_after_s"],
        blink_interval_s=p["blink_interval_s"],
        blink_ms=p["blink_ms"],
        blinks=blinks,
        phase_seed=int(p["seed"]) * 31 + phase_offset,
    )


def screen_light(p: dict[str, Any]) -> ScreenLight:
    c = p["screen_crosstalk"]
    mixing = np.array([[1.0, c, c / 2], [c, 1.0, c], [c / 2, c, 1.0]])
    mixing /= mixing.sum(axis=1).mean()
    w = p["screen_w_m"]
    return ScreenLight(width_m=w, height_m=w / p["screen_aspect"], top_m=p["screen_top_m"], luminance=p["screen_nits"], mixing=mixing)


def ambient_light(p: dict[str, Any]) -> Ambient:
    az, el = math.radians(p["key_azimuth_deg"]), math.radians(p["key_elevation_deg"])
    # Direction *toward* the key light, camera frame (y down): above (-y), in front of the face (-z).
    key = np.array([math.sin(az) * math.cos(el), -math.sin(el), -math.cos(az) * math.cos(el)])
    return Ambient(lux=p["ambient_lux"], rgb=cct_to_rgb(p["ambient_cct"]), key_dir=key, base=p["ambient_base"])


def sensor_params(p: dict[str, Any]) -> SensorParams:
    e = p["wb_error"]
    return SensorParams(
        ae_tau=p["ae_tau"],
        ae_step=p.get("ae_step", 0.0),
        ae_step_period_s=p.get("ae_step_period_s", 0.3),
        awb_tau=p["awb_tau"],
        read_noise=p["read_noise"],
        shot_noise=p["shot_noise"],
        gamma=p["gamma"],
        wb_error=(e, 0.0, -e),
        jpeg_quality=int(p["jpeg_quality"]),
        blur=p["blur"],
    )


def skin_texture(face: FaceModel, p: dict[str, Any], *, living_eyes: bool = False, glasses: bool = True) -> np.ndarray:
    """Albedo (linear RGB) with this person's skin tone (global gain and hue shift) and optional glasses.

    ``living_eyes``: the photo's own catchlights (its studio lamp mirrored in the corneas) are taken out of the
    irises, since a living eye's mirror images are drawn from this scene's light (:mod:`app.core.simulate.eyes`);
    a print or a mask copies the photo and keeps them painted.
    """
    base = remove_photo_catchlights(face) if living_eyes else face.albedo
    albedo = np.clip(base * np.float32(p["skin_gain"]), 0.0, 0.95)
    albedo = hue_rotate(albedo, p["skin_hue_deg"])
    if p.get("glasses") and glasses:
        albedo = albedo.copy()
        draw_glasses(albedo, face)
    return np.ascontiguousarray(albedo, dtype=np.float32)


def remove_photo_catchlights(face: FaceModel) -> np.ndarray:
    """The face's albedo with the bright specks inside each iris (the photo's mirrored lamp) filled in from the
    iris around them."""
    albedo = face.albedo.copy()
    lm = face.landmarks
    if len(lm) <= max(IRIS_CENTRES):
        return albedo
    right, left = eye_centres(lm)
    iod = float(np.hypot(*(left - right)))
    radius = max(2, int(round(0.09 * iod)))  # the iris is ~0.19 eye distances across
    h, w = albedo.shape[:2]
    for idx in IRIS_CENTRES:
        cx, cy = (int(round(v)) for v in lm[idx])
        x0, y0, x1, y1 = max(0, cx - radius), max(0, cy - radius), min(w, cx + radius + 1), min(h, cy + radius + 1)
        if x1 - x0 < 3 or y1 - y0 < 3:
            continue
        patch = albedo[y0:y1, x0:x1]
        yy, xx = np.mgrid[y0:y1, x0:x1]
        disc = (xx - cx) ** 2 + (yy - cy) ** 2 <= radius * radius
        lum = patch @ np.array([0.2126, 0.7152, 0.0722], np.float32)
        iris = float(np.median(lum[disc]))
        speck = disc & (lum > 2.0 * iris + 0.02)
        if not speck.any():
            continue
        speck = cv2.dilate(speck.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        fill = np.median(patch[disc & ~speck], axis=0) if (disc & ~speck).any() else np.full(3, iris, np.float32)
        patch[speck] = fill
    return albedo


def draw_glasses(albedo: np.ndarray, face: FaceModel) -> None:
    """Dark rims around the eyes, a bridge and temples; slightly tinted lenses."""
    weight, rigid = glasses_overlay(albedo.shape[:2], face)
    albedo *= weight[..., None]
    albedo += rigid


#: Albedo of the glasses' rims, bridge and temples (dark plastic or metal), and the share of light the lenses let
#: through (a slight tint). Where the front stands (``glasses_standoff_mm``, in front of the corneas' apex) is
#: drawn per person (``GLASSES_STANDOFF_MM`` in params.py; docs/simulator.md, "Glasses").
GLASSES_FRAME_ALBEDO = 0.03
GLASSES_LENS_TINT = 0.9


def glasses_parts(shape: tuple[int, ...], face: FaceModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(H, W) uint8 masks in the face's texture space: the lenses, the front of the frame (the rims around the
    lenses and the bridge) and the temples (from the rims' outer ends back towards the ears)."""
    lm = face.landmarks
    right, left = eye_centres(lm)
    # np.hypot, not facemesh.inter_ocular's norm: they differ in the last bit, and rendered suites must stay
    # bit-identical.
    iod = float(np.hypot(*(left - right)))
    centres = [right, left]
    axes = (int(0.42 * iod), int(0.3 * iod))
    lens = np.zeros(shape[:2], np.uint8)
    front = np.zeros(shape[:2], np.uint8)
    temples = np.zeros(shape[:2], np.uint8)
    thick = max(2, int(0.05 * iod))
    for c in centres:
        cc = (int(c[0]), int(c[1] + 0.04 * iod))
        cv2.ellipse(lens, cc, axes, 0, 0, 360, 255, -1)
        cv2.ellipse(front, cc, axes, 0, 0, 360, 255, thick)
    l, r = centres
    cv2.line(front, (int(l[0] + axes[0]), int(l[1])), (int(r[0] - axes[0]), int(r[1])), 255, thick)
    cv2.line(temples, (int(l[0] - axes[0]), int(l[1])), (int(l[0] - 1.25 * iod), int(l[1] + 0.05 * iod)), 255, thick)
    cv2.line(temples, (int(r[0] + axes[0]), int(r[1])), (int(r[0] + 1.25 * iod), int(r[1] + 0.05 * iod)), 255, thick)
    return lens, front, temples


def glasses_overlay(shape: tuple[int, ...], face: FaceModel) -> tuple[np.ndarray, np.ndarray]:
    """Glasses painted as a rigid layer on the face's surface (``HeadSubject``'s ``overlay``; used when
    ``glasses_standoff_mm`` is 0 and for renders without optics): (H, W) the weight of the skin behind (0.9
    through the tinted lenses, 0 under the rims) and (H, W, 3) the rims' own albedo. A blink moves the lids
    behind the lenses, never the rims."""
    albedo = np.ones((*shape[:2], 3), np.float32)
    rigid = np.zeros((*shape[:2], 3), np.float32)
    lens, front, temples = glasses_parts(shape, face)
    rims = np.maximum(front, temples)
    albedo[lens > 0] *= np.float32(GLASSES_LENS_TINT)
    albedo[rims > 0] = np.float32(0.0)
    rigid[rims > 0] = np.float32(GLASSES_FRAME_ALBEDO)
    return albedo[..., 0].copy(), rigid


def temples_overlay(shape: tuple[int, ...], face: FaceModel) -> tuple[np.ndarray, np.ndarray]:
    """The glasses' temples alone as a rigid layer on the skin (they run along the side of the head a few
    millimetres off it, to the ears): (H, W) the weight of what is behind, (H, W, 3) their albedo."""
    _, _, temples = glasses_parts(shape, face)
    weight = np.where(temples > 0, np.float32(0.0), np.float32(1.0)).astype(np.float32)
    rigid = np.zeros((*shape[:2], 3), np.float32)
    rigid[temples > 0] = np.float32(GLASSES_FRAME_ALBEDO)
    return weight, rigid


def glasses_frame(face: FaceModel, ipd_scale: float, standoff_m: float) -> SurfaceLayer:
    """The glasses' front as a 3D object of its own: a flat layer in the face's texture grid (same texels, so
    it lines up with the eyes when the head faces the camera), standing ``standoff_m`` in front of the
    corneas' apex, on the head's pose. The rims and bridge are opaque and dark; the lenses cover 10 % (a
    slight tint over whatever is behind them: the eyes and the skin around them, seen through the lens
    from the camera's point of view). Being off the face, its image scales and slides against the skin
    behind it as the head approaches, turns or nods (parallax), and a blink never moves it."""
    shape = face.albedo.shape[:2]
    lens, front, _ = glasses_parts(shape, face)
    alpha = np.where(lens > 0, np.float32(1.0 - GLASSES_LENS_TINT), np.float32(0.0)).astype(np.float32)
    alpha[front > 0] = 1.0
    albedo = np.zeros((*shape, 3), np.float32)
    albedo[front > 0] = np.float32(GLASSES_FRAME_ALBEDO)
    iris = face.landmarks3d[list(IRIS_CENTRES), 2] if len(face.landmarks3d) > max(IRIS_CENTRES) else face.landmarks3d[:, 2]
    # Head coordinates: z away from the camera, the surface at -height; the corneas' apex is the eyes' nearest point.
    plane = float(-np.min(iris)) * ipd_scale + float(standoff_m)
    height = np.full(shape, np.float32(plane), np.float32)
    normals = np.zeros((*shape, 3), np.float32)
    normals[..., 2] = -1.0
    return SurfaceLayer(albedo=albedo, alpha=alpha, height=height, normals=normals, scale=face.scale * ipd_scale,
                        centre=face.centre, material=Material(roughness=0.2), iterations=1, name="glasses")


def material_optics(p: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A material's response to the screen's light (``Material.screen_gain`` and ``scatter_m``) from the
    ``<prefix>_k_*`` and ``<prefix>_scatter_*_mm`` parameters (docs/simulator.md)."""
    return {
        "screen_gain": tuple(float(p[f"{prefix}_k_{c}"]) for c in "rgb"),
        "scatter_m": tuple(float(p[f"{prefix}_scatter_{c}_mm"]) / 1000.0 for c in "rgb"),
    }


def periocular_material(p: dict[str, Any]) -> Material | None:
    """The skin of the lids and around the eyes: the person's skin optics scaled by the ``peri_*`` factors
    (docs/simulator.md, "Periocular skin"); ``None`` without them (renders from before they existed)."""
    if "peri_k_r_rel" not in p:
        return None
    skin = material_optics(p, "skin")
    gain = tuple(g * float(p[f"peri_k_{c}_rel"]) for g, c in zip(skin["screen_gain"], "rgb"))
    scatter = tuple(v * float(p["peri_scatter_rel"]) for v in skin["scatter_m"])
    return Material(specular=p["skin_specular"], roughness=0.18, screen_gain=gain, scatter_m=scatter)


def replay_overrides(p: dict[str, Any]) -> dict[str, str]:
    """What a replayed genuine session inherits from the attack's parameters: the renderer's optics switch."""
    return {"optics": str(int(p["optics"]))} if "optics" in p else {}


class Simulation:
    """A simulated participant rendered on demand.

    Parameters
    ----------
    species:
        One of :data:`app.core.simulate.params.SPECIES`.
    params:
        Resolved parameters (:func:`app.core.simulate.params.resolve_params`).
    screen:
        Where the displayed colour is read; a private one when ``None``.
    t0_ns:
        Clock value at which the scene's time starts (the source's open time).
    """

    def __init__(self, species: str, params: dict[str, Any], *, screen: ScreenState | None = None, t0_ns: int = 0) -> None:
        self.species = species
        self.params = params
        self.screen = screen if screen is not None else ScreenState()
        self.t0_ns = int(t0_ns)
        self.camera = PinholeCamera(WIDTH, HEIGHT, params["hfov_deg"])
        self.oval = default_oval(params, WIDTH, HEIGHT)
        self.face = get_face(params.get("face") or None)
        self.recording: Any = None
        self.scene = self._build_scene()
        self.sensor = Sensor(sensor_params(params), WIDTH, HEIGHT, seed=int(params["seed"]) * 101 + 5)
        self._last_t: float | None = None
        self._metered = False
        self.latency_ns = int(params["latency_ms"] * 1e6)

    # -- construction (species hook) -------------------------------------------------

    def _build_scene(self) -> Scene:
        p = self.params
        room = make_room(WIDTH // 2, HEIGHT // 2, p["bg_style"], p["bg_albedo"])
        scene = Scene(self.camera, screen_light(p), ambient_light(p), room, p["bg_distance_m"])
        autostart = bool(p.get("autostart", 1))
        species = self.species
        ipd = p["ipd_mm"] / 1000.0
        if species in ("live", "live-hard", "mask"):
            optics = bool(int(p.get("optics", 0)))
            # With optics, glasses are a rigid layer (their rims do not follow a blink); without, painted as before.
            rigid_glasses = optics and bool(p.get("glasses")) and species != "mask"
            skin = skin_texture(self.face, p, living_eyes=optics, glasses=not rigid_glasses)
            # Glasses standing off the face (``glasses_standoff_mm`` > 0): their front is a 3D layer of its own in
            # front of the eyes, the temples stay on the skin. 0 (or a render from before the key): painted on it.
            standoff_mm = float(p.get("glasses_standoff_mm", 0.0))
            frame = None
            if species == "mask":
                # A mask with eye holes shows the wearer's own eyes: they blink and mirror the screen.
                holes = optics and bool(int(p.get("mask_eye_holes", 0)))
                # Through the holes the wearer's own periocular skin answers the screen, not the mask.
                inner = periocular_material(p) if holes else None
                painted = mask_albedo(self.face, skin_texture(self.face, p), p)
                hole_scale = float(p.get("mask_hole_scale", 1.0))
                overlay = mask_overlay(self.face, painted, hole_scale) if holes else None
                if holes and int(p.get("mask_glasses", 0)):
                    # An attacker who knows glasses excuse a rigid rim wears a pair over the mask: the front off
                    # the face (or painted on the mask at standoff 0), the temples on the mask's surface.
                    g_weight, g_rigid = (temples_overlay if standoff_mm > 0 else glasses_overlay)(skin.shape, self.face)
                    assert overlay is not None
                    overlay = ((overlay[0] * g_weight).astype(np.float32),
                               (overlay[1] * g_weight[..., None] + g_rigid).astype(np.float32))
                    if standoff_mm > 0:
                        frame = glasses_frame(self.face, ipd / IPD_M, standoff_mm / 1000.0)
                # The mask is rigid: a blink moves the wearer's lids inside the holes, never the mask's surface
                # or its cut edge around them.
                head = HeadSubject(
                    self.face, self.camera, motion_params(p, blinks=holes), self.oval, ipd_m=ipd,
                    material=Material(specular=p["mask_specular"], roughness=p["mask_roughness"],
                                      **material_optics(p, "mask") if optics else {}),
                    texture=skin if holes else painted,
                    overlay=overlay, frame=frame,
                    blink_reach=float(p.get("blink_skin_reach", 1.5)),
                    blinks=holes, autostart=autostart,
                    kind="mask", cornea=float(p["cornea_reflectance"]) if holes else 0.0,
                    inner_material=inner, inner_map=eye_hole_map(self.face, hole_scale) if inner is not None else None,
                )
            else:
                inner = periocular_material(p) if optics else None
                overlay = None
                if rigid_glasses:
                    overlay = (temples_overlay if standoff_mm > 0 else glasses_overlay)(skin.shape, self.face)
                    if standoff_mm > 0:
                        frame = glasses_frame(self.face, ipd / IPD_M, standoff_mm / 1000.0)
                head = HeadSubject(
                    self.face, self.camera, motion_params(p), self.oval, ipd_m=ipd,
                    material=Material(specular=p["skin_specular"], roughness=0.18,
                                      **material_optics(p, "skin") if optics else {}),
                    texture=skin, autostart=autostart, cornea=float(p["cornea_reflectance"]) if optics else 0.0,
                    overlay=overlay, frame=frame,
                    blink_reach=float(p.get("blink_skin_reach", 1.5)) if optics else 1.5,
                    inner_material=inner, inner_map=periocular_map(self.face) if inner is not None else None,
                )
            scene.subjects.append(head)
            if p["behaviour"] == "second-face":
                self._second = (head, self._second_person(head))
                scene.subjects.append(self._second[1])
        elif species in ("print", "curved-print"):
            if species == "curved-print" and p.get("challenge", "light") == "movement":
                # Against the movement check (turns and nods) the forger bends the print around either axis.
                p = {**p, "bend_axis": p.get("cue_bend_axis", "v")}

            prop = make_print_subject(self.face, self.camera, motion_params(p, blinks=False), self.oval, p, autostart=autostart)
            scene.subjects.append(prop)
        elif species == "screen-replay":

            self.recording = GenuineRecording(int(p["replay_seed"]), p.get("face"), self.t0_ns,
                                              light_challenge=p.get("challenge", "light") != "movement", simulation=Simulation,
                                              overrides=replay_overrides(p))
            scene.subjects.append(TabletSubject(self.recording, self.camera, p, self.oval, int(p["seed"]) * 31))
        else:
            raise ValueError(f"species {species!r} has no camera scene")
        if int(p.get("cue_follow", 0)):
            # Whoever stands in front of the camera sees the kiosk screen and follows its head-turn cues:
            # a person (or mask wearer) turns the head, an attacker turns the print or tablet as a whole.
            follower = self.cue_follower()
            for subject in scene.subjects[:1]:
                target = getattr(subject, "motion", subject)
                target.follow = follower
        return scene

    def cue_follower(self) -> "CueFollower":
        """The participant's way of following head-turn cues shown on this simulation's screen."""
        p = self.params
        return CueFollower(
            self.screen.cues, self.t0_ns, amplitude_deg=float(p["cue_yaw_deg"]), reaction_ms=float(p["cue_reaction_ms"]),
            reaction_jitter_ms=float(p["cue_reaction_jitter_ms"]), turn_s=float(p["cue_turn_s"]), seed=int(p["seed"]) * 37 + 3,
            pitch_amplitude_deg=float(p.get("cue_pitch_deg", 15.0)),
        )

    def _second_person(self, first: HeadSubject) -> HeadSubject:
        """Another person leaning in beside the user: the photo mirrored, different tone and size."""
        p = self.params
        face = self.face
        mirrored = FaceModel(
            albedo=np.ascontiguousarray(hue_rotate(face.albedo[:, ::-1] * np.float32(0.85), -8.0)),
            alpha=np.ascontiguousarray(face.alpha[:, ::-1]),
            height=np.ascontiguousarray(face.height[:, ::-1]),
            normals=np.ascontiguousarray(face.normals[:, ::-1] * np.array([-1, 1, 1], np.float32)),
            scale=face.scale,
            centre=(face.albedo.shape[1] - 1 - face.centre[0], face.centre[1]),
            landmarks=face.landmarks,
            landmarks3d=face.landmarks3d * np.array([-1.0, 1.0, 1.0]),
            eyes=[],
            photo=face.photo,
            photo_offset=face.photo_offset,
            photo_landmarks=face.photo_landmarks,
            source=face.source + " (mirrored)",
        )
        mp = motion_params(p, phase_offset=977)
        mp.behaviour = "never-approach"
        second = HeadSubject(mirrored, self.camera, mp, self.oval, ipd_m=p["ipd_mm"] / 1000.0 * 1.04,
                             material=Material(specular=p["skin_specular"], roughness=0.18), autostart=False)
        self._place_second(first, second)
        return second

    def _place_second(self, first: HeadSubject, second: HeadSubject) -> None:
        """Plan the second person's entry for the oval the user is aiming at now.

        Beside the user, further back (standing behind), on the side with more room, its face
        fully inside the frame and large enough for a face detector (~55% of the oval width);
        entering a moment after the user has reached the oval.
        """
        p = self.params
        side = -1.0 if self.oval.cx >= WIDTH / 2 else 1.0
        width = 0.55 * self.oval.w
        margin = 6.0
        cx = margin + width / 2 if side < 0 else WIDTH - margin - width / 2
        target = Oval(cx, self.oval.cy - 0.12 * self.oval.h, width, 1.618 * width)
        if not hasattr(second, "base_rot0"):
            second.base_rot0 = second.motion.base_rot  # type: ignore[attr-defined]
        second.motion.base_rot = second.base_rot0  # type: ignore[attr-defined]
        end = second.motion._solve(target, 1.0)
        # They look at the kiosk screen, i.e. turn toward the camera.
        second.motion.base_rot = (math.atan2(float(end[0]), float(end[2])), second.motion.base_rot[1], 0.0)
        end = second.motion._solve(target, 1.0)
        start = end + np.array([side * 0.5, 0.0, 0.0])
        enter_at = (first.motion.approach_end or p["wait_s"] + p["approach_s"]) + p["second_after_s"]
        from app.core.simulate.motion import entry_motion

        second.entry = entry_motion(start, end, enter_at)
        self._second_enter_at = enter_at

    # -- API -------------------------------------------------------------------------

    def set_oval(self, oval: Oval, t_ns: int) -> None:
        """The app now shows ``oval``: the participant aims at it."""
        self.oval = oval
        now = (t_ns - self.t0_ns) / 1e9
        self.scene.set_oval(oval, now)
        second = getattr(self, "_second", None)
        if second is not None and now < self._second_enter_at:
            # Not in view yet: re-plan beside the new oval, so the user's head cannot hide them.
            self._place_second(*second)

    def device_info(self) -> dict[str, Any]:
        """What the (simulated) camera device reports to the app."""
        p = self.params
        virtual_source = self.species in INJECTION_SPECIES
        if virtual_source and not int(p.get("hide_virtual", 0)):
            name, driver, bus = p["virtual_name"], "v4l2 loopback", "platform:v4l2loopback-000"
        else:
            name, driver, bus = p["camera_name"], "uvcvideo", "usb-0000:00:14.0-2"
        virtual, reason = virtual_verdict(name, driver, bus, linux_bus_known=True)
        return {"index": 0, "name": name, "path": "/dev/video0", "driver": driver, "bus_info": bus,
                "virtual": virtual, "virtual_reason": reason}

    def controls(self) -> dict[str, Any]:
        """Exposure / white-balance locks as a camera driver would report them."""
        ae_locked = self.params["ae_tau"] == 0 and not self.params.get("ae_step")
        wb_locked = self.params["awb_tau"] == 0
        return {
            "auto_exposure_manual": {"requested": 1.0, "accepted": ae_locked, "readback": 1.0 if ae_locked else 3.0},
            "auto_white_balance_off": {"requested": 0.0, "accepted": wb_locked, "readback": 0.0 if wb_locked else 1.0},
            "locked": ae_locked and wb_locked,
        }

    def scene_time(self, t_ns: int) -> float:
        return (t_ns - self.t0_ns) / 1e9

    def radiance(self, t_ns: int) -> tuple[np.ndarray, list[FaceTruth]]:
        """Linear scene radiance and face truth for the frame stamped ``t_ns``."""
        p = self.params
        light = sample_light(
            self.screen, self.scene.light, t_ns,
            latency_ns=self.latency_ns, exposure_ns=int(p["exposure_ms"] * 1e6), readout_ns=int(p["readout_ms"] * 1e6),
        )
        half, faces = self.scene.draw(self.scene_time(t_ns), light)
        return cv2.resize(half, (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR), faces

    @property
    def jitter_ms(self) -> float:
        """Frame-time jitter of this device (steady for virtual devices)."""
        return float(self.params.get("jitter_ms", 0.0))

    def render(self, index: int, t_ns: int) -> tuple[np.ndarray, FrameTruth]:
        """The BGR camera frame stamped ``t_ns`` (index ``index``) and its ground truth."""
        for subject in self.scene.subjects:
            prepare = getattr(subject, "prepare", None)
            if prepare is not None:
                prepare(index, t_ns)
        rad, faces = self.radiance(t_ns)
        t = self.scene_time(t_ns)
        if not self._metered:
            self.sensor.meter(rad, self.params["ambient_lux"], self.scene.ambient.rgb)
            self._metered = True
        elif self._last_t is not None:
            self.sensor.adapt(rad, max(0.0, t - self._last_t))
        self._last_t = t
        image = self.sensor.develop(rad, index)
        return image, FrameTruth(index, t_ns, faces)


class InjectionSimulation(Simulation):
    """Frames fed straight into the app through a virtual camera: no scene, no sensor.

    The attacker plays a genuine session recorded earlier (its own colour
    sequence; or, for ``injection-forged-light``, a recording without flashes)
    from a video file: frames carry the recording's camera noise plus the
    file's compression, arrive at the player's steady pace, and are duplicated
    when the file's frame rate is below 30 fps. The attacker shifts the video
    (position and zoom) so the recorded face sits in this session's oval. ``injection-forged-light``
    then tints the face region with the colour the app currently shows, late
    (``forge_delay_ms``) and uniformly (no shading, no wipe direction).
    """

    def _build_scene(self) -> Scene:

        p = self.params
        if self.species in FORGER_SPECIES:
            return self._build_forger()
        forged = self.species == "injection-forged-light"
        movement = p.get("challenge", "light") == "movement"
        self.recording = GenuineRecording(int(p["replay_seed"]), p.get("face"), self.t0_ns,
                                          light_challenge=not (forged or movement), simulation=Simulation,
                                          overrides=replay_overrides(p))
        self._last_k = -1
        self._last_image: np.ndarray | None = None
        self._last_truth: list[FaceTruth] = []
        room = np.zeros((2, 2, 3), np.float32)
        return Scene(self.camera, screen_light(p), ambient_light(p), room, p["bg_distance_m"])

    @property
    def jitter_ms(self) -> float:
        return float(self.params.get("stream_jitter_ms", 0.0))

    def _transform(self) -> np.ndarray | None:
        """The attacker's video transform: move the recorded oval onto this session's oval.

        Like a virtual-camera app's position/scale controls: the picture is
        enlarged just enough that the shift exposes no border.
        """
        io, oo = self.recording.oval, self.oval
        dx, dy = oo.cx - io.cx, oo.cy - io.cy
        if abs(dx) < 0.5 and abs(dy) < 0.5:
            return None
        # Each frame edge must map inside the recorded frame: z >= (distance of our oval centre to the
        # edge) / (distance of the recorded oval centre to the same edge).
        zoom = max(1.0, oo.cx / io.cx, (WIDTH - oo.cx) / (WIDTH - io.cx), oo.cy / io.cy, (HEIGHT - oo.cy) / (HEIGHT - io.cy))
        # Scale about the recorded oval's centre, then put that centre on ours.
        return np.float32([[zoom, 0, oo.cx - zoom * io.cx], [0, zoom, oo.cy - zoom * io.cy]])

    def render(self, index: int, t_ns: int) -> tuple[np.ndarray, FrameTruth]:
        p = self.params
        if self.species in FORGER_SPECIES:
            return self._render_forged(index, t_ns)
        fps = float(p["source_fps"])
        k = max(0, int((t_ns - self.t0_ns) * fps // 1_000_000_000))
        if k != self._last_k or self._last_image is None:
            t_k = self.t0_ns + int(round(k * 1e9 / fps))
            image, truth = self.recording.frame(k, t_k)
            mat = self._transform()
            if mat is not None:
                image = cv2.warpAffine(image, mat, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            faces = []
            for f in truth.faces:
                pts = f.points if mat is None else f.points @ mat[:, :2].T + mat[:, 2]
                faces.append(FaceTruth(pts, face_box(pts), f.distance_m, f.blink, "injected"))
            self._last_k, self._last_image, self._last_truth = k, image, faces
        image = self._last_image
        faces = self._last_truth
        if self.species == "injection-forged-light":
            image = self._forge(image, faces, t_ns)
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(p["stream_jpeg"])])
        out = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else image.copy()
        return out, FrameTruth(index, t_ns, list(faces))

    def _forge(self, image: np.ndarray, faces: list[FaceTruth], t_ns: int) -> np.ndarray:
        """Tint the face with the displayed colour, ``forge_delay_ms`` late, uniformly."""
        if not faces:
            return image
        p = self.params
        events = self.screen.events()
        rgb, gain = displayed(events, [e.t_ns for e in events], t_ns - int(p["forge_delay_ms"] * 1e6), 1.0)
        lin = gain * np.power(np.asarray(rgb, float) / 255.0, 2.2)
        if lin.max() < 1e-3:
            return image
        b = max(faces, key=lambda f: f.box.w).box
        mask = np.zeros((HEIGHT, WIDTH), np.float32)
        cv2.ellipse(mask, (int(b.cx), int(b.cy)), (int(b.w * 0.55), int(b.h * 0.5)), 0, 0, 360, 1.0, -1)
        mask = cv2.GaussianBlur(mask, (0, 0), 0.06 * b.w)
        gain_rgb = 1.0 + float(p["forge_strength"]) * lin
        gain = (1.0 + mask[..., None] * (np.array(gain_rgb[::-1], np.float32) - 1.0)) ** (1 / 2.2)  # applied in gamma space
        return np.clip(image.astype(np.float32) * gain, 0, 255).astype(np.uint8)


    # -- the forgers that know Livegate (issue 15; app/core/simulate/forgers.py) -----------------------

    def _build_forger(self) -> Scene:
        """Footage of the victim without flashes (``injection-zoom``: a head that never approaches)."""
        from app.core.simulate.forgers import InWindowTint, MirrorPainter, ShadedTint
        from app.core.simulate.species import GenuineRecording

        p = self.params
        footage: dict[str, str] | None = None
        if self.species == "injection-zoom":
            from app.core.simulate.params import sample_params

            natural = sample_params("live", int(p["replay_seed"]))
            sway = float(p["footage_sway"])
            footage = {"behaviour": "never-approach", "start_ratio": str(p["zoom_source_ratio"]),
                       "start_offset_x": "0", "start_offset_y": "0",
                       "sway_deg": str(natural["sway_deg"] * sway), "sway_mm": str(natural["sway_mm"] * sway)}
        self.recording = GenuineRecording(int(p["replay_seed"]), p.get("face"), self.t0_ns, light_challenge=False,
                                          overrides={**(footage or {}), **replay_overrides(p)}, simulation=Simulation)
        shaded = self.species in ("injection-forged-shaded", "injection-forged-blind", "injection-forged-mirror")
        self._tint: Any = ShadedTint(p) if shaded else InWindowTint(p)
        self._mirror: MirrorPainter | None = None
        if self.species == "injection-forged-mirror":
            self._mirror = MirrorPainter(p, self._tint, self.recording.sim.camera)
        self._last_k = -1
        self._footage: tuple[np.ndarray, list[FaceTruth], Any] | None = None
        self._anchor: tuple[float, float, float] | None = None
        room = np.zeros((2, 2, 3), np.float32)
        return Scene(self.camera, screen_light(p), ambient_light(p), room, p["bg_distance_m"])

    def _zoom(self, t_ns: int, truth: list[FaceTruth]) -> np.ndarray:
        """``injection-zoom``: the approach faked by scaling the whole picture about the face.

        The footage's face box is ``zoom_source_ratio`` of its oval; the zoom grows on the user's minimum-jerk
        profile so the face goes from ``start_ratio`` to ``fit_ratio`` of this session's oval, centred on it.
        One scale factor for everything: no perspective change.
        """
        from app.core.simulate.motion import min_jerk

        p = self.params
        if self._anchor is None:
            main = max(truth, key=lambda f: f.box.w, default=None)
            if main is None:
                b = self.recording.oval
                self._anchor = (b.cx, b.cy, float(p["zoom_source_ratio"]) * b.w)
            else:
                self._anchor = (main.box.cx, main.box.cy, main.box.w)
        cx, cy, src_w = self._anchor
        t = self.scene_time(t_ns)
        tau = min(1.0, max(0.0, (t - p["wait_s"]) / max(p["approach_s"], 1e-3)))
        ratio = p["start_ratio"] + (p["fit_ratio"] - p["start_ratio"]) * min_jerk(tau)
        z = ratio * self.oval.w / max(src_w, 1.0)
        oo = self.oval
        return np.float32([[z, 0, oo.cx - z * cx], [0, z, oo.cy - z * cy]])

    def _render_forged(self, index: int, t_ns: int) -> tuple[np.ndarray, FrameTruth]:
        from app.core.simulate import forgers
        from app.core.simulate.forgers import HeadGeometry, ShadedTint, add_noise, apply_gain, face_crop

        p = self.params
        fps = float(p["source_fps"])
        k = max(0, int((t_ns - self.t0_ns) * fps // 1_000_000_000))
        if k != self._last_k or self._footage is None:
            t_k = self.t0_ns + int(round(k * 1e9 / fps))
            image, truth = self.recording.frame(k, t_k)
            main = max(truth.faces, key=lambda f: f.box.w, default=None)
            geometry = None
            if isinstance(self._tint, ShadedTint):
                geometry = HeadGeometry(self.recording, self._tint, t_k, main.points if main is not None else None)
            self._last_k, self._footage = k, (image, list(truth.faces), geometry)
        image, faces, geometry = self._footage
        main = max(faces, key=lambda f: f.box.w, default=None)
        if main is not None:
            events = self.screen.events()
            shape = (image.shape[0], image.shape[1])
            crop = face_crop(main.points, shape)
            colours = self._tint.patch_colours(events, t_ns) if self._mirror is not None else None
            if geometry is not None:
                gain = self._tint.gain(events, t_ns, geometry, main.points, crop, shape, colours)
            else:
                gain = self._tint.gain(events, t_ns, main.points, crop)
            if self._mirror is not None:
                level = forgers.face_level(image, main.points, crop)
            if gain is not None:
                image = apply_gain(image, gain, crop)
            if self._mirror is not None:
                image = self._mirror.paint(image, colours, main.points, main.distance_m, main.blink, level)
        mat = self._zoom(t_ns, faces) if self.species == "injection-zoom" else self._transform()
        if mat is not None:
            image = cv2.warpAffine(image, mat, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        out_faces = []
        for f in faces:
            pts = f.points if mat is None else f.points @ mat[:, :2].T + mat[:, 2]
            out_faces.append(FaceTruth(pts, face_box(pts), f.distance_m, f.blink, "injected"))
        image = add_noise(image, float(p["forge_noise"]), [int(p["seed"]), int(index), 77])
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(p["stream_jpeg"])])
        out = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else image
        return out, FrameTruth(index, t_ns, out_faces)


def make_simulation(species: str, params: dict[str, Any], *, screen: ScreenState | None = None, t0_ns: int = 0) -> Simulation:
    """The simulation for a species (injection species bypass the camera)."""
    cls = InjectionSimulation if species in INJECTION_SPECIES else Simulation
    return cls(species, params, screen=screen, t0_ns=t0_ns)
