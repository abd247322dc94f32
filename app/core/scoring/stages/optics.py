"""Optics: do real eyes mirror the screen? And how does the face answer its light? (issue 16, masks)

A 3D mask has a face's shape, so perspective passes it, and it reflects the screen's colours on time, so the
light stage passes it too. What it lacks is optical. The eyes are judged, each way with its own reason; the
skin's response is measured and reported but judges nothing yet (see below and docs/accuracy.md):

* **Catchlights.** The cornea is a convex mirror: each open eye shows a small image of the screen, in the
  screen's colour, changing with every flash exactly when the skin does. A diffuse surface (skin, a painted
  eye, a print's pupil) facing the screen like the face's centre brightens by the same *fraction* of its own
  level, whatever its colour; the glint of a pupil with a cornea in front brightens by about twice that
  fraction or more (a mirror returns ~2.5 % of the screen's own luminance, many times what a dark iris
  diffuses). Measured per eye as the pupil glint's response relative to the face's own response (one regression
  on the face's colour, so the camera's lag and auto-exposure cancel; a static painted highlight does not
  follow it at all), over the same measure on the white of the same eye beside the iris (diffuse, and facing
  the screen as the pupil does, so the eye socket's orientation cancels). Where the screen is nearly the only
  light (a dark room) every surface brightens by the same fraction and the mirror's excess shrinks: this cue is
  weakest there.
* **Skin's subsurface blur** is measured and reported, not judged. Light entering skin leaves it up to a few
  millimetres away, further for red than for blue: the face's fine detail should lose contrast as the red
  light on it grows, not as the blue does. Read as the slope of each channel's detail contrast against that
  channel's level during the colours, red minus blue (paper and resin reflect where the light falls;
  translucent silicone blurs every channel alike). As a rule fitted on 12 genuine and 12 mask sessions it
  rejected 9 of 40 fresh genuine sessions and missed most masks with eye holes (docs/accuracy.md), so it
  decides nothing.
* **Skin's colour response** is measured and reported, not judged: skin's reflectance rises steeply past
  ~600 nm and dips in the green where haemoglobin absorbs, so under the screen's narrow-band red primary it
  returns relatively more than under room light. Read as the face's relative response to red over blue,
  normalised by what the screen emitted in red and blue as the catchlights show it (the cornea reflects every
  colour alike). On simulated sessions its scatter (about +-0.6) is several times the difference between skin
  and mask materials (0.05-0.2), so it decides nothing yet (docs/accuracy.md).
* **Blinks** during the check are counted (a mask without eye holes never blinks). A person may not blink in
  seven seconds, so a missing blink never fails anyone; but in a dark room, where the catchlight cannot be
  read, a blink is what shows the eyes are real (otherwise the stage abstains there).

The stage needs the colours (``needs_colours``), so it must pass on its own, like the light stage: no
catchlight (in a room with light of its own) fails the session; eyes never seen open while the colours were
shown, or a dark room without a blink, make the stage abstain, and an abstention never passes. A mask with eye
holes shows its wearer's real eyes and passes this stage: nothing here stops it yet. Which of these rest on
the simulator only is written in docs/accuracy.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.core.enums import Verdict
from app.core.scoring.contract import CheckResult
from app.core.scoring.display import DisplayTimeline
from app.core.scoring.evidence import UNSET, Evidence
from app.core.scoring.features import CENTRE_REGIONS, EYE_PATCHES, REGIONS, SessionData
from app.core.scoring.reasons import ReasonCode
from app.core.scoring.registry import STAGES, StageSpec
from app.core.scoring.stages.base import SessionInput, result

#: Assumed camera transfer for linearising 8-bit values (webcams encode with gamma ~2.0-2.4).
GAMMA = 2.2


@dataclass
class OpticsOptions:
    """Limits of the optical cues (section ``stages.optics`` of ``fusion_config.json``)."""

    #: Frames before the first colour and after the last one that still count (ms).
    pre_ms: float = 200.0
    post_ms: float = 600.0
    #: A frame counts for the eyes when its eye-closure score is below this.
    open_max: float = 0.2
    #: Frames with open eyes needed during the colours to judge the eyes at all.
    min_frames: int = 20
    #: Smallest catchlight response of real eyes: the larger over both eyes of log(the pupil glint's response
    #: over the white of the eye's, each relative to the face's), ~0 for painted or printed eyes.
    catch_min: float = 0.55
    #: Share of the face's light the screen gave at its brightest colours (``screen_share``) from which the room
    #: counts as screen-lit (dark): there the eyes' mirror cannot be told from a diffuse eye.
    screen_lit_share: float = 0.75
    #: Blink: an eye-closure score above ``blink_closed`` after one below ``open_max``.
    blink_closed: float = 0.3


class OpticsReason(ReasonCode):
    EYES_NOT_SEEN = (
        "optics.eyes_not_seen",
        "The eyes were not seen open long enough while the colours were shown, so the eyes' reflection could not "
        "be checked.",
    )
    DARK_ROOM = (
        "optics.dark_room",
        "The screen was nearly the only light on the face, so the eyes' mirror image of it could not be told from "
        "the light their surface scatters: turn on a room light in front of the person and try again.",
    )
    NO_CATCHLIGHT = (
        "optics.no_catchlight",
        "The eyes did not mirror the screen: no catchlight in them changed with the colours (painted eyes of a "
        "mask, a print or a screen).",
    )
    BLINKED = (
        "optics.blinked",
        "The room was too dark to read the eyes' mirror image of the screen, but the eyes blinked ({blinks} "
        "blink(s) seen): real eyes, not painted ones.",
    )
    EYES_MIRROR = (
        "optics.eyes_mirror",
        "The eyes mirrored the screen's colours with each flash, as real eyes do ({blinks} blink(s) seen).",
    )


@dataclass
class OpticsEvidence(Evidence):
    """What the optics stage measured (fields in the result document's order)."""

    frames: int = UNSET
    frames_eyes_open: int = UNSET
    screen_share: float = UNSET  # share of the face's light that came from the screen at its brightest colours
    screen_lit: bool = UNSET  # screen_share >= screen_lit_share: a dark room
    blinks: int = UNSET
    catch_response: list[float] = UNSET  # pupil glint's response relative to the face's, per eye (right, left)
    sclera_response: list[float] = UNSET  # the same on the white of each eye (the diffuse control)
    catch_per_eye: list[float] = UNSET  # log(pupil / sclera response) per eye: ~0 diffuse, > 0 a mirror
    catch_log: float = UNSET  # the larger of the two
    catch_rgb: list[float] = UNSET  # the catchlights' response per channel relative to the face's (R, G, B)
    colour_index: float = UNSET  # log((red / blue relative response of the face) / (red / blue of the catchlights))
    detail_slopes: list[float] = UNSET  # d log(detail contrast) / d log(level), per channel (R, G, B)
    detail_index: float = UNSET  # red minus blue
    features: dict[str, float] = UNSET

    def dark_room(self) -> bool:
        return self.screen_lit is True


def _lin(values: np.ndarray) -> np.ndarray:
    return np.power(np.clip(np.asarray(values, np.float64), 0.0, 255.0) / 255.0, GAMMA)


def _finite_mean(values: np.ndarray, axis: int) -> np.ndarray:
    """Mean over ``axis`` of the finite values; NaN where there are none (no warning)."""
    ok = np.isfinite(values)
    count = ok.sum(axis=axis)
    total = np.where(ok, values, 0.0).sum(axis=axis)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _basis(t_ns: np.ndarray) -> np.ndarray:
    """Constant, linear and quadratic trend over the window (slow exposure and position drift)."""
    t = (t_ns - t_ns.min()).astype(np.float64)
    t = t / max(float(t.max()), 1.0) * 2.0 - 1.0
    return np.stack([np.ones_like(t), t, t * t], axis=1)


def response_ratio(patch: np.ndarray, skin: np.ndarray, q: np.ndarray) -> float:
    """How strongly ``patch`` follows the skin's own changes, as a fraction of its level relative to the skin's:
    ``beta * mean(skin) / mean(patch)`` from ``patch = trend + beta * skin`` (1 for any diffuse surface lit like
    the skin, far above 1 for a mirror's glint on a dark pupil, ~0 for something static)."""
    if len(patch) < 5 or not np.isfinite(patch).all() or not np.isfinite(skin).all():
        return math.nan
    x = np.column_stack([q, skin])
    coef, *_ = np.linalg.lstsq(x, patch, rcond=None)
    level = float(patch.mean())
    return float(coef[-1] * skin.mean() / level) if level > 1e-6 else math.nan


def count_blinks(closure: np.ndarray, open_max: float, closed: float) -> int:
    """Closures above ``closed`` each preceded by open eyes (below ``open_max``)."""
    count, was_open = 0, False
    for v in closure:
        if not math.isfinite(v):
            continue
        if v < open_max:
            was_open = True
        elif v > closed and was_open:
            count += 1
            was_open = False
    return count


def detail_slope(detail: np.ndarray, level: np.ndarray, q: np.ndarray) -> float:
    """d log(detail contrast) / d log(level) with the trend removed (0: contrast unchanged as the light grows)."""
    ok = np.isfinite(detail) & np.isfinite(level) & (detail > 0) & (level > 0)
    if ok.sum() < 8:
        return math.nan
    y, x = np.log(detail[ok]), np.log(level[ok])
    coef, *_ = np.linalg.lstsq(np.column_stack([q[ok], x]), y, rcond=None)
    return float(coef[-1])


class OpticsStage:
    """Catchlights, blinks and skin's own response to the screen's light (see the module's docstring)."""

    name = "optics"

    def __init__(self, options: OpticsOptions) -> None:
        self.options = options

    def close(self) -> None:
        pass

    def measure(self, session: SessionInput) -> tuple[OpticsEvidence, bool]:
        """The evidence, and whether the eyes were seen open long enough to judge."""
        o = self.options
        ev = OpticsEvidence()
        d: SessionData = session.data
        eyes = getattr(d, "eyes", None)
        timeline = DisplayTimeline.from_challenge(session.challenge)
        if timeline is None or eyes is None or len(eyes) != d.n or d.n == 0:
            return ev, False
        ev.blinks = count_blinks(d.blink, o.open_max, o.blink_closed)
        window = (d.t_ns >= timeline.start_ns - int(o.pre_ms * 1e6)) & (d.t_ns <= timeline.end_ns + int(o.post_ms * 1e6))
        centre = [REGIONS.index(r) for r in CENTRE_REGIONS]
        skin = _lin(_finite_mean(d.regions[:, centre, :], axis=1))  # (N, 3) linear
        face = window & (d.n_faces > 0) & np.isfinite(skin).all(axis=1)
        ev.frames = int(face.sum())
        if ev.frames >= 5:
            lum = skin[face] @ np.array([0.2126, 0.7152, 0.0722])
            lo, hi = np.percentile(lum, [5, 95])
            ev.screen_share = float((hi - lo) / hi) if hi > 0 else math.nan
            ev.screen_lit = bool(ev.screen_share >= o.screen_lit_share)
        open_eyes = face & np.isfinite(eyes).all(axis=(1, 2)) & np.isfinite(d.blink) & (d.blink < o.open_max)
        ev.frames_eyes_open = int(open_eyes.sum())
        # Subsurface blur: over every frame of the colours with a face (the eyes do not matter).
        detail = getattr(d, "detail", None)
        if detail is not None and len(detail) == d.n and face.sum() >= 8:
            q = _basis(d.t_ns[face])
            slopes = [detail_slope(detail[face, c], skin[face, c], q) for c in range(3)]
            ev.detail_slopes = slopes
            ev.detail_index = slopes[0] - slopes[2] if all(math.isfinite(s) for s in slopes) else math.nan
        if ev.frames_eyes_open < o.min_frames:
            return ev, False
        sel = open_eyes
        q = _basis(d.t_ns[sel])
        s = skin[sel]
        lin_eyes = _lin(eyes[sel])  # (M, 4, 3)
        # Weight the channels by how much the face's colour moved in each (a channel the colours hardly
        # reached says little).
        resid = s - q @ np.linalg.lstsq(q, s, rcond=None)[0]
        wts = resid.var(axis=0)
        wts = wts / wts.sum() if wts.sum() > 0 else np.full(3, 1 / 3)
        ratios = np.array([[response_ratio(lin_eyes[:, k, c], s[:, c], q) for c in range(3)] for k in range(len(EYE_PATCHES))])
        per_patch = [float(np.nansum(ratios[k] * wts)) for k in range(len(EYE_PATCHES))]
        pupils, sclerae = per_patch[:2], per_patch[2:]
        ev.catch_response, ev.sclera_response = pupils, sclerae
        per_eye = [math.log(max(p, 1e-3)) - math.log(max(s, 1e-3)) for p, s in zip(pupils, sclerae)]
        ev.catch_per_eye = per_eye
        # The clearer eye: a glasses rim, a strand of hair or a landmark slip can spoil one eye's patch; a mask's
        # painted eyes show no mirror in either.
        ev.catch_log = float(max(per_eye))
        # The catchlights' own response per channel (the pupils' response less what a diffuse patch of their
        # level would give, as the whites of the eyes show it), in units of the face's response.
        level_p = lin_eyes[:, :2, :].mean(axis=(0, 1))
        level_s = s.mean(axis=0)
        rp = _finite_mean(ratios[:2], axis=0)
        rb = _finite_mean(ratios[2:], axis=0)
        gamma_c = (rp - rb) * level_p / np.maximum(level_s, 1e-6)
        ev.catch_rgb = [float(v) for v in gamma_c]
        if gamma_c[0] > 0 and gamma_c[2] > 0:
            ev.colour_index = float(math.log(gamma_c[2] * level_s[2]) - math.log(gamma_c[0] * level_s[0]))
        return ev, True

    def features(self, ev: OpticsEvidence) -> dict[str, float]:
        def num(v: object) -> float:
            return float(v) if isinstance(v, (int, float)) and math.isfinite(float(v)) else math.nan

        return {"catch_log": num(ev.catch_log), "colour_index": num(ev.colour_index),
                "detail_index": num(ev.detail_index), "blinks": num(ev.blinks)}

    def evaluate(self, session: SessionInput) -> CheckResult:
        """Judge the eyes' mirror and the face's material."""
        o = self.options
        ev, judged = self.measure(session)
        ev.features = self.features(ev)
        if not judged:
            return result(self.name, Verdict.ABSTAIN, None, OpticsReason.EYES_NOT_SEEN, ev)
        catch = ev.features["catch_log"]
        blinked = isinstance(ev.blinks, int) and ev.blinks > 0
        by_blink = False
        if not catch >= o.catch_min:
            if ev.screen_lit is not True:
                return result(self.name, Verdict.FAIL, 0.05, OpticsReason.NO_CATCHLIGHT, ev)
            # Lit by the screen alone, a mirror and a diffuse eye brighten by the same fraction: the catchlight is
            # not judged (it never counts as a pass); only moving lids show real eyes here.
            if not blinked:
                return result(self.name, Verdict.ABSTAIN, None, OpticsReason.DARK_ROOM, ev)
            by_blink = True
        code = OpticsReason.BLINKED if by_blink else OpticsReason.EYES_MIRROR
        return result(self.name, Verdict.PASS, 0.9 if by_blink else 0.95, code, ev, blinks=int(ev.blinks or 0))


STAGE = STAGES.register(StageSpec("optics", OpticsStage, OpticsOptions, OpticsEvidence, order=22, needs_colours=True))
