"""Per-species parameters: sampled from documented ranges for a seed, overridable by name.

Every value that shapes a simulated session is drawn here, in a fixed order,
from ``numpy.random.default_rng([seed, species])`` so a seed always gives the
same participant. The ranges and their physical reasons are documented in
``docs/simulator.md``; keep the two in step.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.core.errors import ConfigError
from app.core.simulate.motion import BEHAVIOURS

#: The attackers that know how Livegate works (issue 15): injected footage of a real head with forged light
#: inside the camera's timing window, shaded by the face's 3D shape, or the approach faked by digital zoom.
FORGER_SPECIES = ("injection-forged-inwindow", "injection-forged-shaded", "injection-forged-blind", "injection-zoom",
                  "injection-forged-mirror")
SPECIES = ("live", "live-hard", "print", "curved-print", "screen-replay", "injection", "injection-forged-light", "mask",
           *FORGER_SPECIES)
#: Species whose frames contain a face-like object in front of the camera.
FACE_SPECIES = SPECIES
#: Species that replay a previously rendered genuine session.
REPLAY_SPECIES = ("screen-replay", "injection", "injection-forged-light", *FORGER_SPECIES)
INJECTION_SPECIES = ("injection", "injection-forged-light", *FORGER_SPECIES)

#: Directions a forger may assume the colour wipes in (``forge_wipe``); ``follow`` reads the real screen instead.
WIPE_DIRECTIONS = ("down", "up", "left", "right")
#: What the blind forger paints: one assumed direction for every step, a fresh guess per step, or no wipe at all.
BLIND_WIPES = (*WIPE_DIRECTIONS, "guess", "uniform")


@dataclass(frozen=True)
class Range:
    """A documented parameter range: uniform in ``[lo, hi]`` rounded to ``nd`` decimals, or one of ``choices``."""

    lo: float = 0.0
    hi: float = 0.0
    nd: int = 3
    choices: tuple[Any, ...] = ()

    def sample(self, rng: np.random.Generator) -> Any:
        if self.choices:
            return self.choices[int(rng.integers(0, len(self.choices)))]
        value = _u(rng, self.lo, self.hi, self.nd)
        return int(value) if self.nd == 0 else value

    def contains(self, value: Any) -> bool:
        if self.choices:
            return value in self.choices
        return self.lo - 1e-9 <= float(value) <= self.hi + 1e-9


_STREAM = {
    "stream_jpeg": Range(60, 95, 0),
    "source_fps": Range(choices=(30.0, 25.0, 24.0)),
    "stream_jitter_ms": Range(0.3, 2.0, 2),  # the forger mimics a camera's frame-time jitter
}
_TINT = {
    "forge_delay_ms": Range(0, 400, 0),
    "forge_strength": Range(0.1, 1.0, 3),
    "forge_rise_ms": Range(60, 140, 0),
    "forge_noise": Range(0.5, 3.0, 2),
}
#: The parameters an attacker controls, per attack species, with their documented ranges (docs/simulator.md).
#: The red team (``livegate redteam``) searches these; ``sample_params`` draws the forger species' values from
#: here. ``injection-forged-light`` is listed for the search only (its sampling code predates this table).
ATTACK_RANGES: dict[str, dict[str, Range]] = {
    "injection-forged-light": {"forge_delay_ms": Range(150, 400, 0), "forge_strength": Range(0.3, 0.8, 3)},
    "injection-forged-inwindow": {**_TINT, "forge_falloff": Range(0.2, 0.7, 3), **_STREAM},
    "injection-forged-shaded": {**_TINT, "forge_wipe": Range(choices=("follow",)), **_STREAM},
    "injection-forged-blind": {**_TINT, "forge_wipe": Range(choices=BLIND_WIPES), **_STREAM},
    # The shaded forger that also paints the corneas' catchlights (x the physical brightness; ~1 is a real eye's).
    # It knows the timing rules too: its tint may rise as fast as a camera's frame (a step), not only like a lamp.
    "injection-forged-mirror": {**_TINT, "forge_rise_ms": Range(0, 140, 0), "forge_wipe": Range(choices=("follow",)),
                                **_STREAM, "forge_catch_gain": Range(0.3, 3.0, 2)},
    "injection-zoom": {
        "zoom_source_ratio": Range(0.5, 1.0, 3),
        "footage_sway": Range(0.0, 1.0, 2),  # how much the filmed head moves (x its natural sway; 0: still)
        **_TINT,
        "forge_strength": Range(0.0, 1.0, 3),  # 0: a plain zoomed replay without forged light
        "forge_falloff": Range(0.2, 0.7, 3),
        **_STREAM,
    },
}

#: Camera names a physical webcam might report (chosen per seed).
PHYSICAL_NAMES = ("Integrated Camera", "HD Pro Webcam C920", "USB2.0 HD UVC WebCam", "Logitech BRIO", "HP HD Camera")
#: Names virtual-camera products give their devices.
VIRTUAL_NAMES = ("OBS Virtual Camera", "ManyCam Virtual Webcam", "Dummy video device (0x0000)", "XSplit VCam", "SplitCam Video Driver")

#: Keys accepted in a spec or on the command line besides the sampled ones.
CONTROL_KEYS = {
    "seed": "integer seed of all random choices",
    "behaviour": "cooperative | never-approach | too-close | leaves | second-face | stall",
    "stall_after": "seconds after which a stall-behaviour source stops delivering frames",
    "face": "portrait photo used as the face (default: scikit-image astronaut)",
    "oval": "cx,cy,w,h of the oval the user aims at (default: the app's oval rule for this seed)",
    "autostart": "1: approach on its own after wait_s; 0: wait far until set_oval() is called",
    "hide_virtual": "1: an injection attack reports a physical camera name (forged device)",
    "t0": "virtual-clock start in ns (non-realtime sources)",
    "realtime_skip": "1: a realtime source skips frames it could not render in time (like a camera)",
    "real_variation": "1: a genuine user on a real camera: draw stepwise auto-exposure and head drift while "
                      "holding still (ae_step, ae_step_period_s, hold_drift_deg, hold_drift_mm) from their "
                      "documented ranges, from a random stream of their own (other parameters unchanged)",
    "challenge": "light | movement: the check a replayed genuine session was recorded in (default light)",
    "optics": "1 (default): skin's and masks' own colour response and subsurface blur under the screen's light, and "
              "the corneas' mirror images of the screen (catchlights); 0: the renderer before them (older suites)",
}

#: Ranges of the real-camera variation drawn when ``real_variation=1`` (docs/simulator.md).
REAL_VARIATION_RANGES = {
    "ae_step": (0.06, 0.14),  # exposure ratio of one auto-exposure step (6-14 %: 8-18 grey levels on a face)
    "ae_step_period_s": (0.2, 0.5),  # how often the camera's auto-exposure may take a step
    "hold_drift_deg": (1.5, 4.0),  # slow head turn/nod amplitude while holding still
    "hold_drift_mm": (4.0, 10.0),  # slow lean toward/away from the camera and sideways while holding still
}
REAL_VARIATION_STREAM = 0x5641524E  # "VARN": the random stream of the real-camera variation
MATERIAL_STREAM = 0x4D41544C  # "MATL": the optics of skin, masks and eyes (a stream of its own: older draws unchanged)

#: Mask conditions: what the mask is made of, and whether the wearer's own eyes show through holes.
MASK_MATERIALS = ("matte-resin", "glossy-resin", "silicone")
#: Share of masks with eye holes (rigid resin masks sold for the purpose and latex/silicone masks usually have
#: them; a mask without them leaves the wearer blind, yet is easy to make for a 7-second check).
MASK_EYE_HOLE_SHARE = 0.5

#: Optics of each material under the screen's light (docs/simulator.md, "Materials under the screen's light").
#: ``k_*``: reflectance under the screen's narrow-band primary relative to the broadband reflectance the colour
#: of the texture stands for, per camera channel. Skin's reflectance rises steeply from ~590 nm (haemoglobin's
#: absorption ends) and dips in the green at 540-580 nm (haemoglobin's Q bands): a red primary at ~610-630 nm
#: sits on the high side of the camera's red band (k_r > 1), a green primary at ~530-550 nm in the dip
#: (k_g < 1). Pigments of paper, resin and silicone have broad, smooth bands (k near 1). ``scatter_*_mm``: how
#: far light travels under the surface before it leaves (Gaussian sigma, mm): in skin ~1-2 mm for red, well
#: under 1 mm for blue (blood and melanin absorb blue); resin and paper scatter at the surface only; pigmented
#: silicone is translucent but alike in every channel.
MATERIAL_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "skin": {"k_r": (1.06, 1.18), "k_g": (0.90, 0.98), "k_b": (0.94, 1.02),
             "scatter_r_mm": (1.0, 2.0), "scatter_g_mm": (0.4, 0.8), "scatter_b_mm": (0.15, 0.4)},
    "matte-resin": {"k_r": (0.97, 1.04), "k_g": (0.97, 1.03), "k_b": (0.97, 1.03),
                    "scatter_r_mm": (0.0, 0.1), "scatter_g_mm": (0.0, 0.1), "scatter_b_mm": (0.0, 0.1),
                    "specular": (0.005, 0.015), "roughness": (0.2, 0.3)},
    "glossy-resin": {"k_r": (0.97, 1.04), "k_g": (0.97, 1.03), "k_b": (0.97, 1.03),
                     "scatter_r_mm": (0.0, 0.1), "scatter_g_mm": (0.0, 0.1), "scatter_b_mm": (0.0, 0.1),
                     "specular": (0.04, 0.08), "roughness": (0.05, 0.1)},
    "silicone": {"k_r": (0.98, 1.06), "k_g": (0.96, 1.02), "k_b": (0.96, 1.02),
                 "scatter_r_mm": (0.5, 1.2), "scatter_g_mm": (0.5, 1.2), "scatter_b_mm": (0.5, 1.2),
                 "specular": (0.02, 0.04), "roughness": (0.12, 0.2)},
}
#: The skin of the lids and around the eyes relative to the same person's cheeks (docs/simulator.md,
#: "Periocular skin"): its narrow-band gain per channel (``peri_k_*_rel``, a factor on ``skin_k_*``) and its
#: subsurface reach (``peri_scatter_rel``, a factor on every ``skin_scatter_*``). Lid skin is ~0.5 mm thick
#: over muscle (cheek skin 1.5-2 mm) and darker from pigment and the venous blood seen through it, so it
#: answers the primaries a few percent differently and spreads light less far.
PERIOCULAR_RANGES: dict[str, tuple[float, float]] = {
    "peri_k_r_rel": (0.96, 1.03), "peri_k_g_rel": (0.97, 1.03), "peri_k_b_rel": (0.97, 1.04),
    "peri_scatter_rel": (0.5, 0.9),
}
#: How far above the upper lid's margin the skin follows a blink, in eye-opening heights (``blink_skin_reach``):
#: the lid's fold and the thin preseptal skin up to the brow are pulled down as the lid closes, less the further
#: up (docs/simulator.md, "Blinks"); the brow itself stays. Drawn for people and a mask's wearer.
BLINK_SKIN_REACH = (1.2, 2.0)
#: A mask's eye hole relative to the 0.72 x 0.4 eye-distance almond (``mask_hole_scale``): cut close around the
#: eye opening to a large cut-out.
MASK_HOLE_SCALE = (0.85, 1.25)
#: How far the front of a pair of glasses (rims, bridge) stands in front of the corneas' apex, in mm
#: (``glasses_standoff_mm``): spectacle lenses sit ~12 mm in front of the cornea (the vertex distance, 10-15 mm
#: in practice, set by the nose pads), the rims around them about as far. Drawn for every person and mask from
#: a stream of its own; it shapes a render only where glasses are worn.
GLASSES_STANDOFF_MM = (10.0, 15.0)
#: Share of masks with eye holes worn under a pair of glasses (``mask_glasses``): the attacker who knows that a
#: genuine user's glasses frame is a rigid contour around the eyes too, and hopes it excuses the mask's rim.
MASK_GLASSES_SHARE = 0.5
#: A mask's wearer who has read Livegate (searched by the red team only; ``sample_params`` keeps the simulator's own
#: draws for the suites): any material, eye holes or none, holes from close around the eye to a cut-out up to the
#: brows and across the nose's bridge (``mask_hole_scale`` 2: the rigid rim then lies where skin hardly moves at a
#: blink), glasses worn over them or not.
ATTACK_RANGES["mask"] = {
    "mask_material": Range(choices=MASK_MATERIALS), "mask_eye_holes": Range(choices=(0, 1)),
    "mask_hole_scale": Range(MASK_HOLE_SCALE[0], 2.0, 2), "mask_glasses": Range(choices=(0, 1)),
}
#: Attack species whose searched parameters the red team draws from :data:`ATTACK_RANGES` itself (their simulated
#: draws are narrower than what an attacker may choose).
SEARCH_DRAWN = ("mask",)
GLASSES_STREAM = 0x474C4153  # "GLAS": the glasses' placement and the mask wearer's glasses (a stream of its own)
#: The cornea's reflectance at normal incidence (Fresnel, n ~1.376: 2.5 %; tear film and angle vary it).
CORNEA_REFLECTANCE = (0.02, 0.03)



#: Room light (lux) of the hard light regimes.
ROOM_LUX = {"dim": (8.0, 35.0), "bright": (700.0, 2200.0), "normal": (80.0, 300.0)}
#: Share of attack sessions rendered in a dim, a very bright and a normal room.
ATTACK_ROOM_SHARES = (0.25, 0.15, 0.60)
ATTACK_ROOM_STREAM = 0x524F4F4D  # "ROOM": the random stream that picks an attack's room
CUE_STREAM = 0x43554553  # "CUES": how a participant follows head-turn cues (a stream of its own)
#: Species that hold something in front of the camera that can be turned on cue (a person, a mask, a prop).
CUE_FOLLOWERS = ("live", "live-hard", "mask", "print", "curved-print", "screen-replay")


def cue_params(species: str, seed: int) -> dict[str, Any]:
    """How the participant follows head-turn cues (movement-only checks); drawn from their own stream.

    A person reacts in 200-600 ms (mean per person, +-100 ms per cue) and turns 18-35 degrees in 0.35-0.6 s
    (nods 8-20 degrees); ``live-hard`` people react later, turn and nod less and slower. An attacker turns or
    tilts the print or the tablet as a whole (a rigid turn of 15-40 degrees, a tilt of 10-30) after 250-700 ms.
    Injected video cannot follow a cue.
    """
    rng = np.random.default_rng([*species_seed(species, seed), CUE_STREAM])
    if species == "live-hard":
        out = {"cue_yaw_deg": _u(rng, 12, 28, 1), "cue_reaction_ms": _u(rng, 300, 600, 0),
               "cue_reaction_jitter_ms": 100.0, "cue_turn_s": _u(rng, 0.45, 0.8, 2), "cue_follow": 1}
    elif species in ("live", "mask"):
        out = {"cue_yaw_deg": _u(rng, 18, 35, 1), "cue_reaction_ms": _u(rng, 200, 500, 0),
               "cue_reaction_jitter_ms": 100.0, "cue_turn_s": _u(rng, 0.35, 0.6, 2), "cue_follow": 1}
    else:
        out = {"cue_yaw_deg": _u(rng, 15, 40, 1), "cue_reaction_ms": _u(rng, 250, 700, 0),
               "cue_reaction_jitter_ms": 120.0, "cue_turn_s": _u(rng, 0.4, 0.8, 2),
               "cue_follow": int(species in CUE_FOLLOWERS)}
    # Drawn after the turn's numbers, so a seed keeps them. People nod less far than they turn (a comfortable
    # nod of the head on the neck: about 8-20 degrees; live-hard: 6-14); a forger tilts the prop as a whole.
    low, high = {"live-hard": (6, 14), "live": (8, 20), "mask": (8, 20)}.get(species, (10, 30))
    out["cue_pitch_deg"] = _u(rng, low, high, 1)
    if species == "curved-print":
        # A forger who knows the movement check asks for depth along both axes bends the print around one of
        # them, horizontal or vertical at random (paper cannot be bent around both without creasing). The light
        # check's curved prints stay bent around the vertical axis (``Simulation`` reads this in movement only).
        out["cue_bend_axis"] = "h" if rng.random() < 0.5 else "v"
    return out


def species_seed(species: str, seed: int) -> list[int]:
    return [int(seed) & 0xFFFFFFFF, zlib.crc32(species.encode())]


def _u(rng: np.random.Generator, lo: float, hi: float, nd: int = 4) -> float:
    return round(float(rng.uniform(lo, hi)), nd)


def sample_params(species: str, seed: int) -> dict[str, Any]:
    """All parameters of one simulated participant (before overrides)."""
    if species not in SPECIES:
        raise ConfigError(f"unknown simulator species {species!r}; choose one of: {', '.join(SPECIES)}")
    rng = np.random.default_rng(species_seed(species, seed))
    hard = species == "live-hard"
    p: dict[str, Any] = {"species": species, "seed": int(seed), "behaviour": "cooperative", "stall_after": 3.0}
    # --- room light ---------------------------------------------------------------
    if hard:
        p["light_regime"] = str(rng.choice(["dim", "bright", "normal"], p=[0.4, 0.35, 0.25]))
        lux = ROOM_LUX[p["light_regime"]]
        p["ambient_lux"] = _u(rng, *lux, nd=1)
    else:
        p["light_regime"] = "normal"
        p["ambient_lux"] = _u(rng, 70.0, 350.0, nd=1)
        if species != "live":
            # An attacker chooses the room too: a share of attacks in dim and very bright rooms, drawn from a
            # stream of its own so the other parameters of a seed stay what they were.
            room = np.random.default_rng([*species_seed(species, seed), ATTACK_ROOM_STREAM])
            regime = str(room.choice(["dim", "bright", "normal"], p=list(ATTACK_ROOM_SHARES)))
            if regime != "normal":
                p["light_regime"] = regime
                p["ambient_lux"] = _u(room, *ROOM_LUX[regime], nd=1)
    p["ambient_cct"] = int(rng.uniform(2700, 6500))
    p["key_azimuth_deg"] = _u(rng, -60, 60, 1)
    p["key_elevation_deg"] = _u(rng, 20, 70, 1)
    p["ambient_base"] = _u(rng, 0.4, 0.75, 3)
    # --- kiosk screen -------------------------------------------------------------
    p["screen_w_m"] = _u(rng, 0.26, 0.36, 3)
    p["screen_aspect"] = float(rng.choice([1.6, 1.7778, 1.5]))
    p["screen_top_m"] = _u(rng, 0.005, 0.02, 3)
    p["screen_nits"] = _u(rng, 220, 450, 0)
    p["screen_crosstalk"] = _u(rng, 0.02, 0.12, 3)
    p["flash_gain"] = 0.86
    # --- camera ----------------------------------------------------------------------
    p["hfov_deg"] = _u(rng, 58, 72, 1)
    p["latency_ms"] = _u(rng, 45, 100, 1)
    p["exposure_ms"] = _u(rng, 8, 30, 1)
    p["readout_ms"] = _u(rng, 15, 28, 1)
    p["jitter_ms"] = _u(rng, 0.3, 2.0, 2)
    p["gamma"] = _u(rng, 2.0, 2.4, 2)
    p["read_noise"] = _u(rng, 0.0015, 0.003, 5)
    p["shot_noise"] = _u(rng, 0.0003, 0.0006, 5)
    p["ae_tau"] = 0.0 if rng.random() < 0.6 else _u(rng, 1.5, 4.0, 2)
    # Real-camera variation: off unless set or drawn with real_variation=1 (no draw here: seeds render as before).
    p["ae_step"] = 0.0
    p["ae_step_period_s"] = 0.3
    p["hold_drift_deg"] = 0.0
    p["hold_drift_mm"] = 0.0
    p["awb_tau"] = 0.0 if rng.random() < 0.7 else _u(rng, 3.0, 8.0, 2)
    p["wb_error"] = _u(rng, -0.04, 0.04, 3)
    p["jpeg_quality"] = 0 if rng.random() < 0.6 else int(rng.uniform(82, 95))
    p["blur"] = 0.0 if rng.random() < 0.7 else _u(rng, 0.4, 0.7, 2)
    p["camera_name"] = str(rng.choice(PHYSICAL_NAMES))
    if hard and rng.random() < 0.6:
        # Low-end camera: small pixels, more noise, stronger compression, softer optics.
        p["read_noise"] = _u(rng, 0.004, 0.008, 5)
        p["shot_noise"] = _u(rng, 0.0008, 0.0015, 5)
        p["jpeg_quality"] = int(rng.uniform(65, 82))
        p["blur"] = _u(rng, 0.8, 1.3, 2)
    # --- room behind ---------------------------------------------------------------
    p["bg_distance_m"] = _u(rng, 2.0, 4.5, 2)
    p["bg_albedo"] = _u(rng, 0.15, 0.55, 3)
    p["bg_style"] = int(rng.integers(0, 1_000_000))
    # --- person ----------------------------------------------------------------------
    p["ipd_mm"] = _u(rng, 58, 68, 1)
    p["skin_gain"] = _u(rng, 0.85, 1.1, 3)
    p["skin_hue_deg"] = 0.0
    p["skin_specular"] = _u(rng, 0.01, 0.03, 4)
    p["glasses"] = 0
    if hard:
        if rng.random() < 0.5:
            p["skin_gain"] = _u(rng, 0.3, 0.65, 3)  # darker skin tone
            p["skin_hue_deg"] = _u(rng, -8, 8, 1)
        p["glasses"] = int(rng.random() < 0.5)
    # --- movement --------------------------------------------------------------------
    p["wait_s"] = _u(rng, 0.3, 0.9, 2)
    p["approach_s"] = _u(rng, 0.5, 0.8, 2) if hard and rng.random() < 0.5 else _u(rng, 1.2, 2.4, 2)
    p["start_ratio"] = _u(rng, 0.5, 0.58, 3)
    p["fit_ratio"] = _u(rng, 0.93, 1.02, 3)
    p["aim_error"] = _u(rng, 0.0, 0.03, 3)
    p["too_close_ratio"] = _u(rng, 1.3, 1.45, 3)
    p["start_offset_x"] = _u(rng, -0.03, 0.03, 3)
    p["start_offset_y"] = _u(rng, -0.015, 0.015, 3)
    p["sway_deg"] = _u(rng, 0.8, 2.5, 2)
    p["sway_mm"] = _u(rng, 1.5, 4.0, 2)
    p["yaw0_deg"] = _u(rng, -6, 6, 1)
    p["pitch0_deg"] = _u(rng, -5, 5, 1)
    p["roll0_deg"] = _u(rng, -4, 4, 1)
    p["leave_after_s"] = _u(rng, 1.8, 3.0, 2)
    p["second_after_s"] = _u(rng, 0.8, 1.8, 2)
    p["blink_interval_s"] = _u(rng, 2.5, 5.0, 2)
    p["blink_ms"] = _u(rng, 130, 230, 0)
    # --- attack props ----------------------------------------------------------------
    if species in ("print", "curved-print"):
        p["paper_white"] = _u(rng, 0.72, 0.88, 3)
        p["ink_black"] = _u(rng, 0.02, 0.07, 3)
        p["print_saturation"] = _u(rng, 0.7, 0.95, 3)
        p["print_scale"] = _u(rng, 0.92, 1.08, 3)
        p["sheet_w_m"] = float(rng.choice([0.21, 0.15, 0.18]))
        p["sheet_h_m"] = round(p["sheet_w_m"] * float(rng.uniform(1.3, 1.45)), 3)
        p["sway_mm"] = _u(rng, 2.5, 6.0, 2)
        p["paper_specular"] = _u(rng, 0.0, 0.015, 4)
        if species == "curved-print":
            p["bend_radius_m"] = _u(rng, 0.08, 0.18, 3)
    if species == "mask":
        p["mask_flatness"] = _u(rng, 0.35, 0.65, 3)
        p["mask_specular"] = _u(rng, 0.04, 0.08, 4)
        p["mask_roughness"] = _u(rng, 0.05, 0.1, 3)
        p["mask_tint_r"] = _u(rng, 0.95, 1.12, 3)
        p["mask_tint_b"] = _u(rng, 0.85, 1.02, 3)
    if species in REPLAY_SPECIES:
        p["replay_seed"] = int(rng.integers(1, 2**31 - 1))
    if species == "screen-replay":
        p["tablet_w_m"] = _u(rng, 0.19, 0.25, 3)
        p["tablet_nits"] = _u(rng, 250, 500, 0)
        p["tablet_black"] = _u(rng, 0.002, 0.01, 4)
        p["bezel_mm"] = _u(rng, 6, 20, 1)
        p["glass_specular"] = _u(rng, 0.03, 0.05, 4)
        p["tablet_fill"] = _u(rng, 0.92, 1.05, 3)
        p["moire"] = 0.0 if rng.random() < 0.5 else _u(rng, 0.03, 0.08, 3)
        p["sway_mm"] = _u(rng, 1.0, 3.0, 2)
        p["sway_deg"] = _u(rng, 0.3, 1.2, 2)
    if species in INJECTION_SPECIES:
        p["stream_jpeg"] = int(rng.uniform(60, 88))
        p["source_fps"] = float(rng.choice([30.0, 25.0, 24.0]))
        p["virtual_name"] = str(rng.choice(VIRTUAL_NAMES))
        p["hide_virtual"] = 0
        p["stream_jitter_ms"] = _u(rng, 0.0, 0.2, 3)
    if species == "injection-forged-light":
        p["forge_delay_ms"] = _u(rng, 150, 400, 0)
        p["forge_strength"] = _u(rng, 0.3, 0.8, 3)
    if species in FORGER_SPECIES:
        # Drawn last, so every other species' seeds keep their values. The attacker knows Livegate reads the
        # device name, so the virtual camera reports a physical one.
        p["hide_virtual"] = 1
        for name, rng_range in ATTACK_RANGES[species].items():
            p[name] = rng_range.sample(rng)
    p.update(cue_params(species, seed))
    p.update(optics_params(species, seed))
    p.update(glasses_params(species, seed))
    return p


def glasses_params(species: str, seed: int) -> dict[str, Any]:
    """Where a pair of glasses stands (``glasses_standoff_mm``) and, for a mask, whether its wearer puts a pair
    on over it (``mask_glasses``, masks with eye holes only); drawn from their own stream so every other value of
    a seed stays what it was."""
    if species not in ("live", "live-hard", "mask"):
        return {}
    rng = np.random.default_rng([*species_seed(species, seed), GLASSES_STREAM])
    out: dict[str, Any] = {"glasses_standoff_mm": _u(rng, *GLASSES_STANDOFF_MM, nd=1)}
    if species == "mask":
        out["mask_glasses"] = int(rng.random() < MASK_GLASSES_SHARE)
    return out


def optics_params(species: str, seed: int, material: str | None = None) -> dict[str, Any]:
    """Skin's (and a mask's) response to the screen's light and the eyes' mirror (drawn from their own stream).

    People (and a mask's wearer) get skin optics and corneas; a mask gets a material (``mask_material``) and
    eye holes or none (``mask_eye_holes``); its surface's optics replace the skin's where it covers the face,
    and its specular gloss and lobe are the material's. Prints and replays have no such keys (their paper or
    glass is drawn elsewhere; a replayed genuine session carries its own person's optics).
    """
    if species not in ("live", "live-hard", "mask"):
        return {}
    rng = np.random.default_rng([*species_seed(species, seed), MATERIAL_STREAM])
    out: dict[str, Any] = {"optics": 1}
    for key, (lo, hi) in MATERIAL_RANGES["skin"].items():
        out[f"skin_{key}"] = _u(rng, lo, hi, 3)
    out["cornea_reflectance"] = _u(rng, *CORNEA_REFLECTANCE, nd=4)
    if species == "mask":
        drawn = MASK_MATERIALS[int(rng.integers(0, len(MASK_MATERIALS)))]
        material = material or drawn  # a material asked for keeps the seed's other draws
        if material not in MASK_MATERIALS:
            raise ConfigError(f"unknown mask material {material!r}; choose one of: {', '.join(MASK_MATERIALS)}")
        out["mask_material"] = material
        out["mask_eye_holes"] = int(rng.random() < MASK_EYE_HOLE_SHARE)
        for key, (lo, hi) in MATERIAL_RANGES[material].items():
            name = {"specular": "mask_specular", "roughness": "mask_roughness"}.get(key, f"mask_{key}")
            out[name] = _u(rng, lo, hi, 4 if key == "specular" else 3)
    # Drawn last, so every draw above keeps its value for the seed.
    for key, (lo, hi) in PERIOCULAR_RANGES.items():
        out[key] = _u(rng, lo, hi, 3)
    # Drawn after those for the same reason (issue 16, the rigid rim around a mask's eye holes).
    out["blink_skin_reach"] = _u(rng, *BLINK_SKIN_REACH, nd=2)
    if species == "mask":
        out["mask_hole_scale"] = _u(rng, *MASK_HOLE_SCALE, nd=2)
    return out


def apply_overrides(params: dict[str, Any], overrides: dict[str, str]) -> dict[str, Any]:
    """Apply ``key=value`` strings, typed like the sampled value; unknown keys raise ``ConfigError``."""
    out = dict(params)
    for key, raw in overrides.items():
        if key in ("species",):
            continue
        if key == "oval":
            try:
                vals = [float(v) for v in raw.split(",")]
                if len(vals) != 4:
                    raise ValueError
            except ValueError as exc:
                raise ConfigError(f"oval must be cx,cy,w,h in pixels; got {raw!r}") from exc
            out["oval"] = vals
            continue
        if key == "face":
            out["face"] = raw
            continue
        if key not in out and key not in CONTROL_KEYS:
            known = sorted(set(out) | set(CONTROL_KEYS))
            raise ConfigError(f"unknown simulator parameter {key!r} for sim:{params['species']}; known: {', '.join(known)}")
        current = out.get(key)
        try:
            if isinstance(current, bool):
                value: Any = raw.lower() in ("1", "true", "yes", "on")
            elif isinstance(current, int) or key in ("seed", "autostart", "hide_virtual", "t0", "realtime_skip"):
                value = int(float(raw))
            elif isinstance(current, float) or key in ("stall_after",):
                value = float(raw)
            else:
                value = raw
        except ValueError as exc:
            raise ConfigError(f"simulator parameter {key}={raw!r} is not a number") from exc
        out[key] = value
    if out.get("behaviour") not in BEHAVIOURS:
        raise ConfigError(f"unknown behaviour {out.get('behaviour')!r}; choose one of: {', '.join(BEHAVIOURS)}")
    return out


def resolve_params(species: str, overrides: dict[str, str] | None = None) -> dict[str, Any]:
    """Sample for the seed in ``overrides`` (default 0), then apply the overrides."""
    overrides = dict(overrides or {})
    try:
        seed = int(overrides.get("seed", "0"))
    except ValueError as exc:
        raise ConfigError(f"seed must be an integer; got {overrides.get('seed')!r}") from exc
    params = apply_overrides(sample_params(species, seed), overrides)
    if species == "mask" and "mask_material" in overrides:
        # Another material than the seed drew: its own optics, except what was set explicitly.
        optics = optics_params(species, seed, str(overrides["mask_material"]))
        params.update({k: v for k, v in optics.items() if k not in overrides})
    if str(overrides.get("real_variation", "0")) not in ("0", ""):
        params = draw_real_variation(params, {k for k in overrides if k in REAL_VARIATION_RANGES})
    return params


def draw_real_variation(params: dict[str, Any], keep: set[str] | None = None) -> dict[str, Any]:
    """Stepwise auto-exposure and head drift while holding still, drawn for the seed from a stream of their own
    (:data:`REAL_VARIATION_RANGES`); keys in ``keep`` (set explicitly) are left alone."""
    rng = np.random.default_rng([*species_seed(str(params["species"]), int(params["seed"])), REAL_VARIATION_STREAM])
    out = dict(params)
    out["real_variation"] = 1
    for key, (lo, hi) in REAL_VARIATION_RANGES.items():
        value = _u(rng, lo, hi, 3)
        if key not in (keep or set()):
            out[key] = value
    return out
