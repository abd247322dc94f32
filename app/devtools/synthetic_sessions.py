"""Hand-made sessions with a known right answer, for the scoring unit tests and the benchmark.

This is not the simulator (``app.core.simulate``): it draws a crude face
(an ellipse with a landmark set projected from a small hand-made 3D template)
so that each stage can be checked on inputs whose answer follows from the
physics: a 3D point set under perspective versus a flat or bent sheet, a face
that reflects this session's colours with a known lag versus a replay that
carries another sequence, a camera with sensor noise versus a stream with
duplicated, noiseless frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from app.core.capture.frame import Frame, SourceInfo
from app.core.challenge import Challenge, wipe_reach
from app.core.landmarks import FaceLandmarks, LandmarkResult
from app.core.scoring.display import DisplayTimeline
from app.core.scoring.features import GRID, REGIONS, FrameFeatures, R, SessionData
from app.core.scoring.stages.base import SessionInput

#: Hand-made 3D positions (cm; x right, y down, z towards the camera) of the landmarks the stages use.
TEMPLATE_3D: dict[int, tuple[float, float, float]] = {
    # eye corners, brows, mouth corners (the "plane" set)
    33: (-4.5, 0.0, -1.0), 133: (-1.5, 0.0, -0.3), 362: (1.5, 0.0, -0.3), 263: (4.5, 0.0, -1.0),
    70: (-5.0, -1.8, -1.2), 63: (-4.0, -2.2, -0.6), 105: (-3.0, -2.4, -0.3), 66: (-2.0, -2.3, 0.0), 107: (-1.0, -2.1, 0.2),
    336: (1.0, -2.1, 0.2), 296: (2.0, -2.3, 0.0), 334: (3.0, -2.4, -0.3), 293: (4.0, -2.2, -0.6), 300: (5.0, -1.8, -1.2),
    61: (-2.5, 6.0, -0.8), 291: (2.5, 6.0, -0.8), 13: (0.0, 5.6, 0.3), 14: (0.0, 6.0, 0.3),
    # nose
    1: (0.0, 3.8, 2.5), 4: (0.0, 3.5, 2.3), 5: (0.0, 2.8, 1.9), 195: (0.0, 2.0, 1.4), 197: (0.0, 1.3, 1.0),
    6: (0.0, 0.5, 0.6), 168: (0.0, -0.5, 0.3), 2: (0.0, 4.6, 1.0), 98: (-1.6, 4.2, 0.6), 327: (1.6, 4.2, 0.6),
    # midline
    10: (0.0, -7.0, -1.5), 151: (0.0, -5.0, -0.5), 9: (0.0, -3.0, 0.0), 0: (0.0, 5.3, 0.6), 17: (0.0, 7.2, 0.0),
    200: (0.0, 8.2, -0.3), 152: (0.0, 9.8, -0.8), 164: (0.0, 5.0, 0.8),
    # cheeks and contour
    205: (-3.5, 3.5, -0.8), 425: (3.5, 3.5, -0.8),
    234: (-7.0, 1.0, -6.0), 454: (7.0, 1.0, -6.0), 93: (-6.8, 3.0, -5.5), 323: (6.8, 3.0, -5.5),
    132: (-6.3, 5.0, -5.0), 361: (6.3, 5.0, -5.0), 58: (-5.5, 6.5, -4.5), 288: (5.5, 6.5, -4.5),
    172: (-5.0, 7.5, -4.0), 397: (5.0, 7.5, -4.0), 136: (-4.2, 8.3, -3.3), 365: (4.2, 8.3, -3.3),
}
#: Albedo of the hair around a hand-made face (dark brown).
HAIR_ALBEDO = np.array([0.2, 0.15, 0.12])
#: Unlisted landmarks sit at the face centre (inside every box, so they change nothing).
FILLER = (0.0, 1.5, 0.0)


def template_points(shape: str = "face") -> np.ndarray:
    """(478, 3) template: ``face`` (3D), ``flat`` (z = 0), ``cylinder`` (a print bent round a vertical axis) or
    ``hollow`` (depths reversed: geometry no human face can have)."""
    pts = np.tile(np.array(FILLER, np.float64), (478, 1))
    for i, p in TEMPLATE_3D.items():
        pts[i] = p
    if shape == "flat":
        pts[:, 2] = 0.0
    elif shape == "cylinder":
        pts[:, 2] = -(pts[:, 0] ** 2) / 12.0
    elif shape == "hollow":
        pts[:, 2] = -pts[:, 2]  # a face turned inside out: nose behind, outline in front (no human face)
    elif shape != "face":
        raise ValueError(f"unknown template shape {shape!r}")
    return pts


def rotation(yaw_deg: float, pitch_deg: float = 0.0, roll_deg: float = 0.0) -> np.ndarray:
    """Rotation matrix (yaw about y, pitch about x, roll about z)."""
    y, p, r = np.radians([yaw_deg, pitch_deg, roll_deg])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ rx @ ry


def project(points3d: np.ndarray, distance_cm: float, *, f_px: float = 520.0, centre: tuple[float, float] = (320.0, 240.0),
            rot: np.ndarray | None = None, offset_cm: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Pinhole projection of template points placed ``distance_cm`` in front of the camera."""
    p = points3d @ (rot if rot is not None else np.eye(3)).T
    x = p[:, 0] + offset_cm[0]
    y = p[:, 1] - 1.5 + offset_cm[1]  # put the face centre on the optical axis
    z = distance_cm - p[:, 2]
    return np.stack([centre[0] + f_px * x / z, centre[1] + f_px * y / z], axis=1).astype(np.float32)


MIXING = np.array([[0.9, 0.1, 0.0], [0.1, 0.85, 0.1], [0.0, 0.1, 0.9]])


@dataclass
class SynthSpec:
    """A hand-made session.

    Attributes
    ----------
    kind:
        ``live`` (3D face reflecting this session's colours), ``print`` (flat sheet reflecting them,
        sheet filling the area around the face), ``replay`` (emissive screen showing another sequence),
        ``injection`` (noiseless, duplicated frames, another sequence); ``shifted`` (feature level only:
        this session's colours in a shifted order); ``partial`` (feature level only: a replay whose recorded
        colours equal this session's for the first ``extra["shared"]`` steps, then differ); ``channel`` (feature
        level only: a replay whose recorded colours equal this session's in two channels, not in the third).
    shape:
        Landmark template: face, flat, cylinder or hollow.
    lag_ms:
        Display-to-camera lag of the reflected light.
    extra:
        Kind-specific numbers; for a feature-level ``live`` face also ``sweep_spread`` (how far over each wipe
        the face spreads its response, default :data:`SWEEP_SPREAD`; 0: a tint painted on the whole face at
        once) and ``sweep_opposite`` (1: the face is lit as if every wipe ran the other way); for every kind
        ``lid_red_gain`` (the skin under the eyes answers the screen's red this many times as the cheeks do: a
        second material; default 1) and ``lid_noise`` (its per-frame noise in grey levels).
    """

    kind: str = "live"
    shape: str = "face"
    seed: int = 1
    lag_ms: float = 66.0
    fps: float = 30.0
    approach_s: float = 2.0
    far_cm: float = 60.0
    near_cm: float = 28.0
    noise: float = 2.0
    duplicate_every: int = 0
    virtual_device: bool = False
    extra: dict[str, float] = field(default_factory=dict)


@dataclass
class SynthSession:
    """Frames, landmarks and facts of a hand-made session."""

    challenge: Challenge
    frames: list[Frame]
    landmarks: list[LandmarkResult]
    source: SourceInfo


#: How far across a wipe's duration a hand-made 3D face spreads its response: a point at screen position (x, y)
#: (the part of the screen it faces most) takes the new colour ``SWEEP_SPREAD x wipe x (reach - 0.5)`` after the
#: face's mean lag, so forehead and chin (or the two cheeks) differ by about a fifth of the wipe, as the
#: simulator's rendered faces do (docs/simulator.md, "Screen geometry").
SWEEP_SPREAD = 0.5
#: Where on the screen (customer's frame: x from their left, y from the top) each face region mostly looks.
#: The subject's left cheek and side (image right) face the customer's left half of the screen.
REGION_SCREEN_POS: dict[str, tuple[float, float]] = {
    "forehead": (0.5, 0.35), "upper": (0.5, 0.3), "nose_bridge": (0.5, 0.45), "nose_tip": (0.5, 0.55),
    "cheek_l": (0.4, 0.55), "side_l": (0.2, 0.55), "cheek_r": (0.6, 0.55), "side_r": (0.8, 0.55),
    "under_nose": (0.5, 0.6), "chin": (0.5, 0.7), "lower": (0.5, 0.7), "centre": (0.5, 0.5),
}


#: The opposite of each wipe direction (a hand-made forger that paints every wipe the wrong way).
OPPOSITE = {"down": "up", "up": "down", "left": "right", "right": "left"}


def sweep_delays_ns(challenge: Challenge, timeline: DisplayTimeline, t_ns: int, x: np.ndarray, y: np.ndarray,
                    *, spread: float = SWEEP_SPREAD, opposite: bool = False) -> np.ndarray:
    """Per point of a hand-made 3D face, how much later than the face's lag it shows the step in force at
    ``t_ns``: the wipe reaches the screen part the point faces at ``reach x wipe`` (see :data:`SWEEP_SPREAD`;
    ``spread`` 0: every point at once, ``opposite``: as if every wipe ran the other way)."""
    k = int(np.searchsorted(timeline.starts_ns, t_ns, side="right")) - 1
    if k < 0 or k >= len(challenge.colours) or timeline.wipes_ns[k] <= 0:
        return np.zeros(np.shape(x))
    direction = challenge.colours[k].direction
    reach = wipe_reach(OPPOSITE[direction] if opposite else direction, np.asarray(x, float), np.asarray(y, float))
    return (spread * float(timeline.wipes_ns[k]) * (reach - 0.5)).astype(np.int64)


def make_session(spec: SynthSpec, width: int = 640, height: int = 480) -> SynthSession:
    """Render a hand-made session: approach, hold, colour sequence, hold.

    The face is an ellipse whose brightness follows ambient + screen light
    times a geometry term (1 at the centre, falling off to the sides for a
    face; 1 everywhere for a flat sheet), through a fixed 3x3 mixing.
    """
    rng = np.random.default_rng(spec.seed)
    challenge = Challenge.new(width, height, seed=spec.seed)
    dt_ns = int(1e9 / spec.fps)
    t0 = 1_000_000_000_000
    seq_start = t0 + int((spec.approach_s + 0.8) * 1e9)
    shown, t = [], seq_start
    for step in challenge.colours:
        shown.append(t)
        t += step.duration_ms * 1_000_000
    challenge.shown_ns = shown
    end = t + 600_000_000
    timeline = DisplayTimeline.from_challenge(challenge)
    other = Challenge.new(width, height, seed=spec.seed + 7919)
    other.shown_ns = [s + 137_000_000 for s in shown]
    other_tl = DisplayTimeline.from_challenge(other)
    assert timeline is not None and other_tl is not None
    pts3d = template_points(spec.shape)
    frames: list[Frame] = []
    lms: list[LandmarkResult] = []
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    albedo = np.array([0.85, 0.62, 0.52])
    room = np.array([70.0, 80.0, 90.0])
    index = 0
    t = t0
    last_image: np.ndarray | None = None
    while t < end:
        s = (t - t0) / 1e9
        frac = min(1.0, s / spec.approach_s)
        dist = spec.far_cm + (spec.near_cm - spec.far_cm) * (0.5 - 0.5 * np.cos(np.pi * frac))
        yaw = 4.0 * np.sin(2.0 * s + spec.seed)
        pitch = 2.0 * np.sin(1.3 * s)
        pts = project(pts3d, dist, rot=rotation(yaw, pitch), f_px=520.0 * width / 640, centre=(width / 2, height / 2))
        pts += rng.normal(0, 0.4, pts.shape).astype(np.float32)
        if spec.kind in ("live", "print"):
            e = timeline.colour_at(np.array([t - int(spec.lag_ms * 1e6)]))[0] / 255.0
        else:
            e = other_tl.colour_at(np.array([t]))[0] / 255.0
        screen = MIXING @ e  # RGB response to the screen at unit geometry
        near_gain = (spec.near_cm / dist) ** 2
        face = FaceLandmarks.from_points(pts)
        b = face.box
        rx, ry = 0.55 * b.w, 0.6 * b.h
        nx = (xx - b.cx) / rx
        ny = (yy - b.cy) / ry
        inside = nx * nx + ny * ny <= 1.0
        if spec.kind == "live":
            geom = np.sqrt(np.clip(1.0 - 0.85 * nx * nx, 0.0, 1.0))
            img_rgb = np.broadcast_to(room, (height, width, 3)).astype(np.float32).copy()
            # A 3D face takes each colour in the order the wipe sweeps across it: nine delay levels over the face
            # (image right = the subject's left = the customer's left of the screen).
            t_lag = t - int(spec.lag_ms * 1e6)
            levels = np.linspace(-1.0, 1.0, 9)
            dx = sweep_delays_ns(challenge, timeline, t_lag, 0.5 - 0.5 * levels, np.full(9, 0.5))
            dy = sweep_delays_ns(challenge, timeline, t_lag, np.full(9, 0.5), 0.5 + 0.5 * levels)
            ix = np.clip(np.rint((np.clip(nx, -1, 1) + 1) * 4).astype(int), 0, 8)
            iy = np.clip(np.rint((np.clip(ny, -1, 1) + 1) * 4).astype(int), 0, 8)
            shifted = MIXING @ (timeline.colour_at(t_lag - (dx[:, None] + dy[None, :]).reshape(-1)) / 255.0).T  # (3, 81)
            screen_px = shifted.T.reshape(9, 9, 3)[ix, iy]  # (H, W, 3)
            light = 0.55 + 0.45 * near_gain * geom[..., None] * screen_px
            face_rgb = 255.0 * albedo[None, None, :] * light
            img_rgb[inside] = face_rgb[inside]
        elif spec.kind == "print":
            light = 0.55 + 0.45 * near_gain * screen
            img_rgb = np.broadcast_to(room, (height, width, 3)).astype(np.float32).copy()
            sheet = (np.abs(xx - b.cx) < 1.4 * b.w) & (np.abs(yy - b.cy) < 1.3 * b.h)
            img_rgb[sheet] = 255.0 * 0.8 * light
            img_rgb[inside] = 255.0 * albedo * light
        else:  # emissive screen or injected file: the light of *another* session, no reflection of ours
            light = 0.55 + 0.45 * screen
            img_rgb = np.broadcast_to(room, (height, width, 3)).astype(np.float32).copy()
            img_rgb[inside] = 255.0 * albedo * light
        # a little texture so that blur and noise measures see something
        img_rgb += 6.0 * np.sin(xx / 3.0)[..., None] * inside[..., None]
        if spec.noise > 0:
            img_rgb += rng.normal(0, spec.noise, img_rgb.shape)
        image = np.clip(img_rgb[:, :, ::-1], 0, 255).astype(np.uint8)
        if spec.duplicate_every and last_image is not None and index % spec.duplicate_every == 0:
            image = last_image
        last_image = image
        frames.append(Frame(np.ascontiguousarray(image), t, index))
        lms.append(LandmarkResult(index, t, (face,), 0.0))
        index += 1
        t += dt_ns
    device = {"name": "Synthetic Cam", "virtual": spec.virtual_device, "virtual_reason": "synthetic virtual device" if spec.virtual_device else ""}
    source = SourceInfo("sim", f"synthetic:{spec.kind}", width, height, spec.fps, device=device)
    return SynthSession(challenge, frames, lms, source)


def _recorded_sequence(spec: SynthSpec, challenge: Challenge, other: Challenge, shown: list[int]) -> Challenge:
    """The sequence a feature-level replay carries: ``other``, or one built from this session's colours."""
    colours = challenge.colours
    if spec.kind == "shifted":
        # This session's own colours, but each shown one step late (the order is shifted).
        colours = [colours[0]] + colours[2:] + [colours[1]]
    elif spec.kind == "partial":
        # A recording whose own colours happen to equal this session's for the first ``extra["shared"]`` steps.
        k = int(spec.extra.get("shared", 5))
        colours = colours[:k] + other.colours[k:]
    elif spec.kind == "channel":
        # A recording whose own colours equal this session's in two channels; the third (``extra["channel"]``,
        # default blue) is another sequence's.
        c_ = int(spec.extra.get("channel", 2))
        colours = [replace(c, rgb=tuple(o.rgb[i] if i == c_ else c.rgb[i] for i in range(3))) for c, o in zip(colours, other.colours)]
    else:
        return other
    return Challenge(challenge.type, challenge.oval, colours, list(shown))


#: Eye patches of a hand-made face: a dark iris and the white of the eye (both diffuse); a living eye adds the cornea's mirror image
#: of the screen (2.5 % of the screen's own luminance, here relative to a full-white screen's diffuse light).
IRIS_ALBEDO, SCLERA_ALBEDO, CORNEA_GLINT = 0.15, 0.6, 0.12
#: Share of the screen's light that skin spreads past fine detail, per channel (red most): a living face's
#: detail contrast drops as a channel's screen light grows.
SKIN_SPREAD = np.array([0.7, 0.35, 0.1])


def _eyes_and_detail(kind: str, screen: np.ndarray, gain: float, rng: np.random.Generator,
                     noise: float) -> tuple[np.ndarray, np.ndarray]:
    """(4, 3) eye patches (pupils, whites of the eyes) and (3,) detail contrast of one hand-made frame.

    A live face (and the recorded face a replay shows) has corneas that mirror the screen; a print's pupils are
    ink, lit like the rest of the sheet. Skin softens its detail under its own channel's screen light; paper
    does not.
    """
    mirror = kind in ("live", "replay")
    lit = 0.55 + 0.45 * gain * screen
    pupil = 255.0 * (IRIS_ALBEDO * lit + (CORNEA_GLINT * gain * screen if mirror else 0.0))
    sclera = 255.0 * SCLERA_ALBEDO * lit
    eyes = np.stack([pupil, pupil, sclera, sclera]) + rng.normal(0, noise * 0.2, (4, 3))
    share = 0.45 * gain * screen / lit
    spread = SKIN_SPREAD if kind == "live" else np.zeros(3)
    detail = 0.05 * (1.0 - spread * share) * (1.0 + rng.normal(0, 0.01, 3))
    return eyes.astype(np.float32), detail.astype(np.float32)


def make_session_input(spec: SynthSpec, width: int = 640, height: int = 480) -> SessionInput:
    """Hand-made session at the feature level (no pixels): fast input for the stage tests.

    Region colours follow ``albedo x (ambient + screen x geometry)`` with the
    geometry of the kind: a face is lit most at its centre and little at its
    sides and the room far behind barely responds; a flat sheet responds
    evenly and fills the area around the face; a replay or injection carries
    another session's sequence and does not reflect this one.
    """
    rng = np.random.default_rng(spec.seed)
    challenge = Challenge.new(width, height, seed=spec.seed)
    dt_ns = int(1e9 / spec.fps)
    t0 = 1_000_000_000_000
    shown, t = [], t0 + int((spec.approach_s + 0.8) * 1e9)
    for step in challenge.colours:
        shown.append(t)
        t += step.duration_ms * 1_000_000
    challenge.shown_ns = shown
    end = t + 600_000_000
    timeline = DisplayTimeline.from_challenge(challenge)
    other = Challenge.new(width, height, seed=spec.seed + 7919)
    # The other check's colours at full brightness (as every check recorded before brightness levels): its
    # replayed flashes keep their full strength.
    other.colours = [replace(c, level=1.0) for c in other.colours]
    other.shown_ns = [s_ + 137_000_000 for s_ in shown]
    other = _recorded_sequence(spec, challenge, other, shown)
    other_tl = DisplayTimeline.from_challenge(other)
    assert timeline is not None and other_tl is not None
    pts3d = template_points(spec.shape)
    albedo = np.array([0.85, 0.62, 0.52])
    room = np.array([70.0, 80.0, 90.0])
    reflects = spec.kind in ("live", "print")
    flat = spec.kind != "live"
    geom = {name: 1.0 for name in REGIONS}
    if not flat:
        geom.update({"side_r": 0.35, "side_l": 0.35, "cheek_r": 0.8, "cheek_l": 0.8, "under_nose": 0.7, "chin": 0.75})
    # The skin under the eyes: darker than the cheeks and lit less by the screen, but the same material (its
    # screen response per channel relative to the cheeks' is 1) unless ``extra["lid_red_gain"]`` makes its red
    # answer differ (the wearer's skin in a mask's eye holes). A stream of its own: other draws are unchanged.
    lid_rng = np.random.default_rng([spec.seed, 0x4C4944])
    lid_albedo = albedo * np.array([0.8, 0.78, 0.8])
    lid_gain = np.array([float(spec.extra.get("lid_red_gain", 1.0)), 1.0, 1.0])
    lid_noise = float(spec.extra.get("lid_noise", spec.noise * 0.3))
    frames: list[FrameFeatures] = []
    index = 0
    t = t0
    prev_hash = 0
    while t < end:
        s = (t - t0) / 1e9
        frac = min(1.0, s / spec.approach_s)
        dist = spec.far_cm + (spec.near_cm - spec.far_cm) * (0.5 - 0.5 * np.cos(np.pi * frac))
        pts = project(pts3d, dist, rot=rotation(4.0 * np.sin(2.0 * s + spec.seed), 2.0 * np.sin(1.3 * s)))
        pts += rng.normal(0, 0.4, pts.shape).astype(np.float32)
        face = FaceLandmarks.from_points(pts)
        if reflects:
            e = timeline.colour_at(np.array([t - int(spec.lag_ms * 1e6)]))[0] / 255.0
        else:
            e = other_tl.colour_at(np.array([t]))[0] / 255.0
        screen = MIXING @ e
        # A replaying screen's glass also mirrors this session's colours (``extra["glare"]``: its strength).
        glare = spec.extra.get("glare", 0.0) * 255.0 * (MIXING @ (timeline.colour_at(np.array([t - int(spec.lag_ms * 1e6)]))[0] / 255.0))
        near_gain = (spec.near_cm / dist) ** 2 if reflects else 1.0
        regions = np.zeros((len(REGIONS), 3), np.float32)
        for name, k in R.items():
            if name in ("ring_l", "ring_r", "ring_top") and spec.kind == "live":
                # The band just outside the face is the rest of the head (hair, ears), lit by the screen too.
                value = 255.0 * HAIR_ALBEDO * (0.55 + 0.45 * near_gain * 0.6 * screen)
            elif name in ("ring_l", "ring_r", "ring_top", "around_l", "around_r", "around_top", "frame"):
                if spec.kind == "print":
                    value = 255.0 * 0.8 * (0.55 + 0.45 * near_gain * screen)
                else:
                    value = room * (1.0 + (0.02 * screen if reflects else 0.0))
            else:
                lit = screen
                if spec.kind == "live" and name in REGION_SCREEN_POS:
                    # A 3D face: this region takes each colour when the wipe reaches the screen part it faces.
                    px, py = REGION_SCREEN_POS[name]
                    t_lag = t - int(spec.lag_ms * 1e6)
                    delay = sweep_delays_ns(challenge, timeline, t_lag, np.array([px]), np.array([py]),
                                            spread=float(spec.extra.get("sweep_spread", SWEEP_SPREAD)),
                                            opposite=bool(spec.extra.get("sweep_opposite", 0.0)))[0]
                    lit = MIXING @ (timeline.colour_at(np.array([t_lag - delay]))[0] / 255.0)
                value = 255.0 * albedo * (0.55 + 0.45 * near_gain * geom[name] * lit)
            regions[k] = value + glare + rng.normal(0, spec.noise * 0.2, 3)
        cell = np.linspace(-1, 1, GRID)
        gx = np.broadcast_to(cell[None, :], (GRID, GRID))
        cell_geom = np.ones((GRID, GRID)) if flat else np.sqrt(np.clip(1 - 0.85 * gx * gx, 0, 1))
        grid = 255.0 * albedo[None, None, :] * (0.55 + 0.45 * near_gain * cell_geom[..., None] * screen[None, None, :]) + glare
        eyes, detail = _eyes_and_detail(spec.kind, screen, near_gain, rng, spec.noise)
        lid = 255.0 * lid_albedo * (0.55 + 0.45 * near_gain * 0.6 * lid_gain * screen)
        lids = np.stack([lid, lid]) + lid_rng.normal(0, lid_noise, (2, 3))
        duplicate = bool(spec.duplicate_every and index and index % spec.duplicate_every == 0)
        noise_sigma = 0.0 if duplicate else spec.noise
        dh = prev_hash if duplicate else int(rng.integers(0, 2**62))
        prev_hash = dh
        noise = np.stack([np.full(12, 30.0), np.full(12, spec.noise)], axis=1).astype(np.float32)
        frames.append(
            FrameFeatures(
                index=index, t_ns=t, n_faces=int(spec.extra.get("faces", 1)), points=pts,
                box=(face.box.x, face.box.y, face.box.w, face.box.h),
                fit_box=(face.fit_box.x, face.fit_box.y, face.fit_box.w, face.fit_box.h),
                iod=face.inter_ocular_px, blink=0.0, regions=regions, grid=grid.astype(np.float32), noise=noise,
                tnoise=np.full(12, noise_sigma, np.float32), diff_prev=math.nan if index == 0 else (0.0 if duplicate else 1.0 + spec.noise),
                dhash=dh, blockiness=float(spec.extra.get("blockiness", 1.0)), sharpness=150.0, luma=120.0, clip_hi=0.0, clip_lo=0.0,
                eyes=eyes, detail=detail, lids=lids.astype(np.float32),
            )
        )
        index += 1
        t += dt_ns
    device = {"name": "Synthetic Cam", "virtual": spec.virtual_device, "virtual_reason": "synthetic virtual device" if spec.virtual_device else ""}
    source = SourceInfo("sim", f"synthetic:{spec.kind}", width, height, spec.fps, device=device)
    data = SessionData.from_frames(frames, (width, height))
    return SessionInput(data=data, challenge=challenge, source=source, seed=spec.seed)
