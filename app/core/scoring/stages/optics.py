"""Optics: do real eyes mirror the screen? And how does the face answer its light? (issue 16, masks)

A 3D mask has a face's shape, so perspective passes it, and it reflects the screen's colours on time, so the
light stage passes it too. What it lacks is optical. The eyes are judged, each way with its own reason;
whether the face is one material is measured and judges only where configured (``material_judged``), and
the skin's absolute response is measured and reported but judges nothing (see below and docs/accuracy.md):

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
* **One material** (a mask with eye holes). Through the holes the wearer's own skin shows (the lids and the
  skin under the eyes); the cheeks are the mask's resin or silicone. Each answers the screen's narrow-band
  primaries with its own gain: skin returns relatively more of a red primary (its reflectance rises past
  ~600 nm) and less of a green one (haemoglobin's dip), pigmented resin and silicone neither. Compared within
  the face and the session, as the red-over-green ratio of the two patches' relative responses to the
  screen (:func:`material_index`), the camera, the screen, the room light's colour, the skin tone and how
  each patch faces the screen cancel; what is left is ~0 for one material (the periocular skin's own few
  percent) and the difference of two materials' red/green gains for a mask. Absolute limits on skin's colour
  or blur, which vary with skin tone and camera, rejected genuine users (below); this one compares the face
  with itself. A very bright room (the screen's light drowned) or a dark one, and a face moving a lot, leave
  the comparison unclear: the stage then abstains, never passes. On unseen simulated seeds the rule rejected
  4 of the 30 genuine users it let reach a decision, left 30 of 60 without one and still passed half the
  masks with eye holes, so the comparison is measured and reported, and judges only where
  ``material_judged`` is set.
* **The rigid rim** (a mask with eye holes). A mask is a rigid shell: when its wearer blinks, the lids and
  the skin inside each hole move, the mask's surface and its cut edge around the hole do not. On a face the
  lid's fold and the thin skin above it up to the brow are pulled down with the lid. Read from a strip above
  each eye (:func:`app.core.scoring.features.brow_profiles`): at each blink's deepest frame, how far a band
  0.24-0.34 eye distances above the eye's centre moved down against the open frames around it, less how
  far the brow moved (:func:`rim_shifts`). A face whose skin moves only close above the lid and a mask whose
  holes reach as far look alike in that band; where the holes end inside the moving skin, the motion stops
  from one band to the next at the rim (``rim_step``), while skin's falls off gradually. Glasses are a rigid
  rim around the eyes too: on simulated glasses wearers the cue often reads "rigid", and letting glasses
  excuse it would let a mask pass under a pair of glasses. A frame stands 10-15 mm in front of the eyes, so
  it should slide against the brow as the head nods while a contour on the face keeps its place; that
  parallax is measured over the open frames (:func:`rim_parallax`, on :func:`nod_proxy`) and reported, but
  the small nods of the light check do not separate the two on simulated sessions. So, where ``rim_judged``
  is set, a rigid surround is no decision (``optics.rigid_surround``: take off glasses and try again), never a
  pass and never a rejection (``rim_rigid_fails`` would fail it instead). It is off in the shipped
  configuration: whether skin above real eyes follows a blink as far as the simulator draws it is not known,
  and with a shorter reach most simulated genuine faces read rigid (docs/accuracy.md, "the rigid rim",
  "glasses standing off the face", "a rigid surround is no decision").
* **Blinks** during the check are counted (a mask without eye holes never blinks). A person may not blink in
  seven seconds, so a missing blink never fails anyone; but in a dark room, where the catchlight cannot be
  read, a blink is what shows the eyes are real (otherwise the stage abstains there), and where the rim
  judges with ``rim_needs_blink``, no blink near the oval leaves the rim unread: no decision.

The stage needs the colours (``needs_colours``), so it must pass on its own, like the light stage: where
the one-material comparison judges (``material_judged``; off by default, reported only, see docs/accuracy.md)
two materials (clearly, beyond a face's own spread by more than the measurement's error) fail the session
whatever the eyes show; no catchlight (in a room with light of its own) fails it; eyes never seen open while
the colours were shown, a dark room without a blink, a rigid surround or no blink to read it by (where the rim
judges), or real eyes in a face whose material could not be compared make the stage abstain, and an abstention
never passes. Which of these rest on the simulator only is
written in docs/accuracy.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from app.core import facemesh
from app.core.enums import Verdict
from app.core.scoring.contract import CheckResult
from app.core.scoring.display import DisplayTimeline
from app.core.scoring.evidence import UNSET, Evidence
from app.core.scoring.features import BROW_STEP, CENTRE_REGIONS, EYE_PATCHES, REGIONS, SessionData
from app.core.scoring.reasons import ReasonCode
from app.core.scoring.registry import STAGES, StageSpec
from app.core.scoring.stages.base import SessionInput, block_jackknife_se, moved_by_errors, result

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
    #: An eye's catchlight is read only where the white of that eye answered the colours at least this much
    #: (relative to the face's own response; a diffuse white facing the screen as the face does answers ~0.7-1).
    sclera_min: float = 0.3
    #: Below ``screen_lit_share`` but from this share on, the screen gave so much of the face's light that a
    #: mirror's excess over a diffuse eye shrinks towards what a painted eye shows: a catchlight below
    #: ``catch_min`` there is no decision (``optics.catch_unclear``), not a failure.
    catch_unclear_share: float = 0.5
    #: ... unless the eyes answered like paint: a catchlight below this (a pupil brightening within ~16 % of the
    #: white beside it) still fails there.
    catch_floor: float = 0.15
    #: "No catchlight" is called only when every readable eye lies this many of its block errors
    #: (``catch_se_per_eye``, a jackknife over stretches of the colours) below ``catch_min``; an eye within them
    #: makes the stage abstain (``optics.catch_unsteady``; never a pass: passing still needs ``catch_min``). In a
    #: bright room a genuine eye's glint is a few grey levels that a sway or a landmark slip can decide.
    catch_se_k: float = 2.0
    #: Share of the face's light the screen gave at its brightest colours (``screen_share``) from which the room
    #: counts as screen-lit (dark): there the eyes' mirror cannot be told from a diffuse eye.
    screen_lit_share: float = 0.75
    #: Blink: an eye-closure score above ``blink_closed`` after one below ``open_max``.
    blink_closed: float = 0.3
    #: One material: display-to-camera lags searched for the face's response (ms) and their step.
    material_lag_ms: tuple[float, float] = (-30.0, 130.0)
    material_lag_step_ms: float = 10.0
    #: Frames (eyes open, skin under the eyes and the cheeks seen) needed to compare the two skins.
    material_min_frames: int = 40
    #: Smallest relative response of the cheeks to the screen's red and green (a very bright room drowns it).
    material_min_response: float = 0.05
    #: Largest standard error (block jackknife) of ``material_index`` for a conclusive comparison.
    material_se_max: float = 0.12
    #: A face's own spread of ``material_index`` (lid skin answers a few percent differently from the cheeks):
    #: beyond it by more than one standard error the face is two materials.
    material_natural: float = 0.06
    #: One material: ``|material_index|`` plus one standard error at most this.
    material_pass_max: float = 0.15
    #: Contiguous blocks of the jackknife.
    material_blocks: int = 6
    #: Whether the one-material comparison judges (fails two materials, abstains when unclear). Off: measured
    #: and reported only, the eyes decide as before (docs/accuracy.md, "one material around the eyes", says
    #: why it is off: on unseen seeds it rejected or left undecided more than half of the genuine users).
    material_judged: bool = False
    #: The rigid rim (a mask with eye holes): the strip above each eye (``FrameFeatures.brows``) at a blink's
    #: deepest frame against the open eyes within ``rim_ref_s`` before and after it. Bands in eye distances
    #: above the eye's centre: ``rim_band``, where a blink pulls a face's skin down and most masks' eye holes
    #: have ended (their rigid surface and cut edge); ``rim_brow``, the brow, which stays in both (the
    #: reference that cancels the strip's own slip with the landmarks).
    rim_band: tuple[float, float] = (0.24, 0.34)
    rim_brow: tuple[float, float] = (0.40, 0.55)
    rim_ref_s: float = 0.4
    rim_min_refs: int = 3
    #: A blink for the rim: a peak of the eye-closure score at least ``rim_min_closure`` and ``rim_min_rise``
    #: above its median within ``rim_ref_s`` (MediaPipe scores a blink behind a mask's rigid surround lower,
    #: 0.1-0.45 on simulated masks against 0.3-0.5 on faces, so the blink counter's 0.3 would miss most).
    rim_min_closure: float = 0.15
    rim_min_rise: float = 0.1
    #: Frames whose eye distance is at least this fraction of the session's (90th percentile): near the oval,
    #: not while the face still approaches (its strip changes with the approach, not with the lids).
    rim_min_size: float = 0.9
    #: The band's downward shift (eye distances; median over blinks and eyes) below which the surround counts
    #: as rigid: with a blink seen, the skin above the eyes did not follow the lids. Fitted on seeds
    #: 63000-63009 (`live`, `live-hard`: 0.008 to 0.049; masks with eye holes 0.000 to 0.015), set below every
    #: genuine face there (docs/accuracy.md, "the rigid rim").
    rim_min_shift: float = 0.006
    #: The displacement field above the eyes, band by band (centres in eye distances above the eye's centre,
    #: each +- ``rim_step_half``): skin is one continuous sheet, so at a blink its displacement falls off
    #: smoothly with height; at a rigid rim it falls from the lids' motion to nothing from one band to the
    #: next. ``rim_max_step``: the largest fall between neighbouring bands (eye distances) that is still
    #: skin's (fitted on seeds 63000-63009: faces 0.014-0.026, masks with eye holes 0.022-0.108).
    rim_step_centres: tuple[float, ...] = (0.18, 0.22, 0.26, 0.30, 0.34)
    rim_step_half: float = 0.025
    rim_max_step: float = 0.035
    #: Whether the rigid-rim cue judges or is measured and reported only (docs/accuracy.md, "the rigid rim").
    rim_judged: bool = False
    #: Where the rim judges, what a rigid surround means. A genuine user's glasses frame is a rigid contour
    #: around the eyes too, and the two cannot be told apart on today's evidence (docs/accuracy.md, "glasses
    #: standing off the face"), so a rigid reading is no decision (``optics.rigid_surround``: take off glasses
    #: and try again), never a pass and never a rejection; set, it fails as a mask's rim (``optics.rigid_rim``).
    rim_rigid_fails: bool = False
    #: Where the rim judges: real eyes without a blink measured near the oval abstain (the rim could not be
    #: checked) instead of passing on the eyes alone.
    rim_needs_blink: bool = False
    #: Parallax of the rim (measured and reported, judges nothing): between the open frames of the whole session
    #: (none within ``rim_parallax_skip_s`` of a blink), how the band's position against the brow follows the
    #: head's nod as the camera sees it (:func:`nod_proxy`). A contour on the face (a mask's rim, the skin) lies
    #: at about the brow's depth and keeps its place; a glasses frame stands 10-15 mm in front of the eyes and
    #: slides against the face by that depth times the nod's sine. On simulated light checks (nods of 1-5
    #: degrees) the slope of faces, glasses wearers and masks overlap (docs/accuracy.md, "glasses standing off
    #: the face"), so it judges nothing. ``rim_parallax_min_frames``: fewer open frames give no reading.
    rim_parallax_skip_s: float = 0.3
    rim_parallax_min_frames: int = 30


class OpticsReason(ReasonCode):
    EYES_NOT_SEEN = (
        "optics.eyes_not_seen",
        "The eyes were not seen open long enough while the colours were shown, so the eyes' reflection could not "
        "be checked.",
    )
    CATCH_UNREAD = (
        "optics.catch_unread",
        "The whites of the eyes did not answer the screen's colours clearly (a very bright room, or the eyes partly "
        "covered), so the eyes' mirror image of the screen could not be measured: no decision. Try again facing the "
        "screen, in less bright light.",
    )
    CATCH_UNSTEADY = (
        "optics.catch_unsteady",
        "The eyes' mirror image of the screen looked weak ({catch:.2f}), but it was measured too unsteadily "
        "(+-{se:.2f}) to say the eyes have none: no decision. Try again facing the screen and holding still, "
        "in softer light.",
    )
    CATCH_UNCLEAR = (
        "optics.catch_unclear",
        "The screen gave most of the face's light ({share:.0%} at its brightest colours), where the eyes' mirror "
        "image of it is hard to tell from the light their surface scatters, and it stayed unclear: no decision. "
        "Turn on a room light in front of the person and try again.",
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
    BLINKED_ONE_MATERIAL = (
        "optics.blinked_one_material",
        "The room was too dark to read the eyes' mirror image of the screen, but the eyes blinked ({blinks} "
        "blink(s) seen): real eyes, not painted ones; and the skin under the eyes answered the colours like the "
        "cheeks: one material.",
    )
    ONE_MATERIAL = (
        "optics.one_material",
        "The eyes mirrored the screen's colours with each flash, as real eyes do ({blinks} blink(s) seen), and the "
        "skin under the eyes answered the colours like the cheeks: one material.",
    )
    TWO_MATERIALS = (
        "optics.two_materials",
        "The skin under the eyes answered the screen's red and green differently from the cheeks (material index "
        "{index:+.2f}): two materials, as a mask with eye holes around real eyes shows.",
    )
    RIGID_RIM = (
        "optics.rigid_rim",
        "When the eyes blinked, the skin above them did not move with the lids as skin does: it stayed still, or "
        "its motion stopped short at an edge around the eyes ({events} blink(s) measured): a rigid surface around "
        "real eyes, as a mask with eye holes shows.",
    )
    RIGID_SURROUND = (
        "optics.rigid_surround",
        "When the eyes blinked, the skin above them did not move with the lids ({events} blink(s) measured): "
        "something rigid is around the eyes, a glasses frame or a mask with eye holes, and the two cannot be told "
        "apart: take off glasses and try again.",
    )
    EYES_MIRROR_SKIN_MOVED = (
        "optics.eyes_mirror_skin_moved",
        "The eyes mirrored the screen's colours with each flash, as real eyes do, and when they blinked the skin "
        "above them moved with the lids ({events} blink(s) measured): a face, not a rigid surface around the eyes.",
    )
    BLINKED_SKIN_MOVED = (
        "optics.blinked_skin_moved",
        "The room was too dark to read the eyes' mirror image of the screen, but the eyes blinked and the skin "
        "above them moved with the lids ({events} blink(s) measured): real eyes in a face, not painted ones.",
    )
    NO_BLINK_MEASURED = (
        "optics.no_blink_measured",
        "The eyes did not blink clearly while the face was close to the screen, so whether the skin around them "
        "moves like a face's could not be checked: blink normally and try again.",
    )
    MATERIAL_UNCLEAR = (
        "optics.material_unclear",
        "Whether the skin under the eyes and the cheeks are one material could not be measured clearly (the "
        "room's light was far brighter or far dimmer than the screen's, or the face moved too much): try again "
        "facing the screen in ordinary room light.",
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
    catch_se_per_eye: list[float] = UNSET  # block-jackknife standard error of ``catch_per_eye``
    catch_rgb: list[float] = UNSET  # the catchlights' response per channel relative to the face's (R, G, B)
    colour_index: float = UNSET  # log((red / blue relative response of the face) / (red / blue of the catchlights))
    detail_slopes: list[float] = UNSET  # d log(detail contrast) / d log(level), per channel (R, G, B)
    detail_index: float = UNSET  # red minus blue
    material_frames: int = UNSET  # frames in the lids-against-cheeks comparison
    material_lag_ms: float = UNSET  # the display-to-camera lag the cheeks' response fitted best
    material_response: list[float] = UNSET  # relative response to the screen: lids red, green; cheeks red, green
    material_index: float = UNSET  # log(lids / cheeks response, red) - the same in green: ~0 for one material
    material_se: float = UNSET  # its block-jackknife standard error
    rim_events: int = UNSET  # blink-and-eye pairs in the rigid-rim comparison
    rim_shifts: list[float] = UNSET  # per pair: the band's downward shift at the blink less the brow's (eye distances)
    rim_noise: list[float] = UNSET  # per pair: the same between open frames (its spread)
    rim_shift: float = UNSET  # median of ``rim_shifts``: ~0 for a rigid surround, > 0 where skin followed the lids
    rim_profile: list[float] = UNSET  # the same median per band of ``rim_step_centres`` (eye distances)
    rim_step: float = UNSET  # the largest fall of ``rim_profile`` from one band to the next above it
    rim_parallax: float = UNSET  # d(band's shift against the brow) / d(nod proxy), open frames: ~0 on the face
    rim_parallax_se: float = UNSET  # its standard error
    rim_parallax_frames: int = UNSET  # open frames in the fit
    rim_nod_spread: float = UNSET  # standard deviation of the nod proxy over those frames (how much the head nodded)
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


def mirror_excess(pupil: float, sclera: float) -> float:
    """An eye's catchlight: log(the pupil glint's response / the white of the eye's), ~0 for a diffuse eye, > 0
    for a mirror (a pupil answering less than 0.001 of the face's response counts as 0.001)."""
    return math.log(max(pupil, 1e-3)) - math.log(sclera)


def catch_block_se(pupil: np.ndarray, sclera: np.ndarray, skin: np.ndarray, q: np.ndarray, wts: np.ndarray) -> float:
    """Block error of one eye's ``log(pupil / sclera response)`` (each (M, 3) linear, with the skin's (M, 3),
    the trend basis and the channel weights, :func:`block_jackknife_se`): a glint that a few colours, a sway
    or one landmark slip decide moves when their stretch is left out. NaN with too few frames or a stretch
    whose white did not answer."""

    def catch_without(keep: np.ndarray) -> float:
        qk = q[keep]
        p = float(np.nansum([response_ratio(pupil[keep, c], skin[keep, c], qk) * wts[c] for c in range(3)]))
        w = float(np.nansum([response_ratio(sclera[keep, c], skin[keep, c], qk) * wts[c] for c in range(3)]))
        return mirror_excess(p, w) if w > 0 else math.nan

    return block_jackknife_se(len(skin), catch_without, min_per_block=4)


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


def relative_response(y: np.ndarray, x: np.ndarray, q: np.ndarray) -> tuple[float, float]:
    """How strongly a patch's red and green answer the screen's red and green, each relative to its own level.

    Read from the patch's chromaticity ``log(red) - log(green)`` per frame, fitted on the screen's colour ``x``
    (N, 3, 0..1) and the trend ``q``: a change common to every channel (auto-exposure, the head's shading as it
    sways, a landmark slip mixing the patch with the dark lashes) cancels in it. Returns (red, green) relative
    responses (d log red / d screen red, d log green / d screen green), NaN when the fit is singular."""
    ok = (y[:, 0] > 0) & (y[:, 1] > 0)
    if ok.sum() < q.shape[1] + 8:
        return math.nan, math.nan
    chroma = np.log(y[ok, 0]) - np.log(y[ok, 1])
    design = np.column_stack([q[ok], x[ok]])
    coef, _, rank, _ = np.linalg.lstsq(design, chroma, rcond=None)
    if rank < design.shape[1]:
        return math.nan, math.nan
    n = q.shape[1]
    return float(coef[n]), float(-coef[n + 1])


def material_index(lids: np.ndarray, cheeks: np.ndarray, x: np.ndarray, q: np.ndarray) -> tuple[float, list[float]]:
    """log(lids' red relative response / cheeks') minus the same in green; and the four responses (lids red,
    green, cheeks red, green).

    A patch of albedo ``a`` under room light ``A`` and the screen ``S`` (reaching it by geometry ``g``) answers
    ``a_c (A_c + k_c g S_c)``; its relative response in channel c is ``k_c g S_c / A_c``. The ratio between two
    patches of one face cancels the screen's and the room's colour and the camera, red over green cancels how
    each patch faces the screen (``g``), and the albedo cancels in a relative response: what is left is the two
    materials' narrow-band red/green gain ``k``, 0 for one material (up to the periocular skin's own few
    percent). NaN when a response is not positive."""
    p_r, p_g = relative_response(lids, x, q)
    k_r, k_g = relative_response(cheeks, x, q)
    resp = [p_r, p_g, k_r, k_g]
    if not all(math.isfinite(v) and v > 0 for v in resp):
        return math.nan, resp
    return math.log(p_r / k_r) - math.log(p_g / k_g), resp


def band_shift(profile: np.ndarray, ref: np.ndarray, band: np.ndarray, brow: np.ndarray) -> float:
    """How far (rows, positive towards the eye) the strip's content in ``band`` moved from ``ref`` to ``profile``,
    less how far the brow's moved (a slip of the whole strip with the landmarks cancels).

    A shift ``s`` of a profile ``p`` changes it by about ``s * dp/drow``; fitted by least squares on both bands
    with a level and a gain common to them (the screen's flashes brighten the strip as a whole). NaN when the
    profile has no structure to follow."""
    rows = band | brow
    ok = rows & np.isfinite(profile) & np.isfinite(ref)
    if ok.sum() < 8 or not np.isfinite(ref).all():
        return math.nan
    idx = np.arange(len(ref), dtype=np.float64)
    shift = np.zeros(2)
    # A few Gauss-Newton steps (a shift of a row or more is past the linear range of fine skin detail).
    for _ in range(6):
        at = idx + shift[0] * band + shift[1] * brow
        moved = np.interp(at, idx, ref)
        g = np.gradient(moved)
        design = np.column_stack([np.ones(int(ok.sum())), moved[ok], (g * band)[ok], (g * brow)[ok]])
        coef, _, rank, _ = np.linalg.lstsq(design, (profile - moved)[ok], rcond=None)
        if rank < design.shape[1]:
            return math.nan
        step = np.clip(coef[2:] / (1.0 + coef[1]), -2.0, 2.0)
        shift = np.clip(shift + step, -8.0, 8.0)
        if np.abs(step).max() < 0.01:
            break
    return float(shift[0] - shift[1])


def blink_peaks(t_ns: np.ndarray, closure: np.ndarray, o: "OpticsOptions") -> list[int]:
    """Frames where the eye-closure score peaks at least ``rim_min_closure`` and ``rim_min_rise`` above its
    median within ``rim_ref_s`` (one frame per blink: the highest of a run above that median)."""
    c = np.where(np.isfinite(closure), closure, -1.0)
    win = int(o.rim_ref_s * 1e9)
    peaks: list[int] = []
    for i in range(1, len(c) - 1):
        if c[i] < o.rim_min_closure or c[i] < c[i - 1] or c[i] < c[i + 1] or (c[i] == c[i - 1] and peaks and peaks[-1] == i - 1):
            continue
        near = (t_ns >= t_ns[i] - win) & (t_ns <= t_ns[i] + win) & np.isfinite(closure)
        if c[i] - float(np.median(closure[near])) < o.rim_min_rise:
            continue
        if peaks and t_ns[i] - t_ns[peaks[-1]] < win // 2:
            if c[i] > c[peaks[-1]]:
                peaks[-1] = i
            continue
        peaks.append(i)
    return peaks


def rim_shifts(t_ns: np.ndarray, closure: np.ndarray, brows: np.ndarray, o: "OpticsOptions",
               step: float) -> tuple[list[float], list[float]]:
    """Per blink (:func:`blink_peaks`) and eye: the band's shift at the blink's deepest frame against the median
    of the open frames within ``o.rim_ref_s`` around it, in eye distances; and the spread (RMS) of the same
    measure between those open frames and their median (what the comparison reads with no blink). Frames whose
    strip is NaN (no face, or left out by the caller) take no part."""
    n_rows = brows.shape[-1]
    h = np.arange(n_rows) * step
    band = (h >= o.rim_band[0]) & (h <= o.rim_band[1])
    brow = (h >= o.rim_brow[0]) & (h <= o.rim_brow[1])
    shifts: list[float] = []
    noise: list[float] = []
    win = int(o.rim_ref_s * 1e9)
    for peak in blink_peaks(t_ns, closure, o):
        near = (t_ns >= t_ns[peak] - win) & (t_ns <= t_ns[peak] + win) & np.isfinite(closure)
        # Open: within a quarter of the blink's rise above the local median, and not the blink's own frames.
        base = float(np.median(closure[near]))
        opened = near & (closure < base + 0.25 * (closure[peak] - base)) & (np.abs(t_ns - t_ns[peak]) > int(0.1e9))
        for eye in range(brows.shape[1]):
            refs = brows[opened, eye]
            refs = refs[np.isfinite(refs).all(axis=1)]
            if len(refs) < o.rim_min_refs or not np.isfinite(brows[peak, eye]).all():
                continue
            ref = np.median(refs, axis=0)
            s = band_shift(brows[peak, eye], ref, band, brow)
            ctrl = [band_shift(r, ref, band, brow) for r in refs]
            ctrl = [c for c in ctrl if math.isfinite(c)]
            if not math.isfinite(s) or len(ctrl) < o.rim_min_refs:
                continue
            shifts.append(s * step)
            noise.append(float(np.sqrt(np.mean(np.square(ctrl)))) * step)
    return shifts, noise


def nod_proxy(points: np.ndarray) -> np.ndarray:
    """(N,) how far the nose tip lies below the eyes' line, in eye distances, along the face's up axis (NaN
    without landmarks). The tip stands ~2-3 cm in front of the eyes, so this changes by ~0.35 per radian of
    nod relative to the camera's line of sight: what a point standing off the face slides with."""
    pts = np.asarray(points, np.float64)
    out = np.full(len(pts), np.nan)
    if pts.ndim != 3 or pts.shape[1] <= max(facemesh.NOSE_TIP, *facemesh.EYE_CORNERS):
        return out
    right, left = facemesh.eye_centres(pts)
    axis = left - right
    d = np.hypot(axis[:, 0], axis[:, 1])
    ok = np.isfinite(d) & (d > 1e-6)
    u = axis / np.where(ok, d, 1.0)[:, None]
    up = np.column_stack([u[:, 1], -u[:, 0]])  # towards the brow (image y grows down)
    rel = pts[:, facemesh.NOSE_TIP] - 0.5 * (right + left)
    out[ok] = -(rel[ok] * up[ok]).sum(axis=1) / d[ok]
    return out


def rim_parallax(t_ns: np.ndarray, closure: np.ndarray, brows: np.ndarray, nod: np.ndarray, iod: np.ndarray,
                 o: "OpticsOptions", step: float) -> tuple[float, float, int, float]:
    """Slope of the band's shift against the brow (eye distances, :func:`band_shift` of each open frame's strip
    against the median strip of the frames near the oval) on the nod proxy, with the level and the reciprocal
    eye distance (the approach's perspective) as nuisance terms; its standard error, the frames used and the
    nod proxy's spread. NaN slope with fewer than ``o.rim_parallax_min_frames`` frames."""
    n_rows = brows.shape[-1]
    h = np.arange(n_rows) * step
    band = (h >= o.rim_band[0]) & (h <= o.rim_band[1])
    brow = (h >= o.rim_brow[0]) & (h <= o.rim_brow[1])
    skip = np.zeros(len(t_ns), bool)
    for peak in blink_peaks(t_ns, closure, o):
        skip |= np.abs(t_ns - t_ns[peak]) < int(o.rim_parallax_skip_s * 1e9)
    ok = ~skip & np.isfinite(nod) & np.isfinite(iod) & (iod > 0)
    if ok.sum() < o.rim_parallax_min_frames:
        return math.nan, math.nan, int(ok.sum()), math.nan
    near = ok & (iod >= o.rim_min_size * np.nanpercentile(iod[ok], 90))
    shifts = np.full((len(t_ns), brows.shape[1]), np.nan)
    for eye in range(brows.shape[1]):
        strips = brows[:, eye]
        good = ok & np.isfinite(strips).all(axis=1)
        refs = strips[good & near]
        if len(refs) < o.rim_min_refs:
            continue
        ref = np.median(refs, axis=0)
        for i in np.nonzero(good)[0]:
            shifts[i, eye] = band_shift(strips[i], ref, band, brow) * step
    have = np.isfinite(shifts).any(axis=1)
    y = np.array([np.nanmean(r) if np.isfinite(r).any() else math.nan for r in shifts])
    use = ok & have & np.isfinite(y)
    m = int(use.sum())
    if m < o.rim_parallax_min_frames:
        return math.nan, math.nan, m, math.nan
    x = nod[use]
    inv = 1.0 / iod[use]
    cols = [np.ones(m), x]
    if np.std(inv) > 0.01 * np.mean(inv):
        cols.append(inv)  # the approach: the perspective of anything off the face changes with the distance
    design = np.column_stack(cols)
    k = design.shape[1]
    coef, _, rank, _ = np.linalg.lstsq(design, y[use], rcond=None)
    if rank < k:
        return math.nan, math.nan, m, float(np.std(x))
    resid = y[use] - design @ coef
    cov = np.linalg.pinv(design.T @ design) * float(resid @ resid) / max(m - k, 1)
    return float(coef[1]), float(math.sqrt(max(cov[1, 1], 0.0))), m, float(np.std(x))


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
        self._measure_material(ev, d, timeline, open_eyes)
        self._measure_rim(ev, d)
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
        # An eye can be read only where the white beside the iris, diffuse and facing the screen as the face does,
        # answered the colours clearly and the pupil did not darken as the screen brightened (no surface does:
        # in a bright room, where the screen gives a few percent of the light, both are often noise).
        readable = [p >= 0.0 and s >= o.sclera_min for p, s in zip(pupils, sclerae)]
        per_eye = [mirror_excess(p, s) if ok else math.nan for p, s, ok in zip(pupils, sclerae, readable)]
        ev.catch_per_eye = per_eye
        ev.catch_se_per_eye = [
            catch_block_se(lin_eyes[:, k, :], lin_eyes[:, k + 2, :], s, q, wts) if math.isfinite(v) else math.nan
            for k, v in enumerate(per_eye)
        ]
        # The clearer eye: a glasses rim, a strand of hair or a landmark slip can spoil one eye's patch; a mask's
        # painted eyes show no mirror in either. Neither eye readable: NaN (the stage abstains, never fails).
        ev.catch_log = max((v for v in per_eye if math.isfinite(v)), default=math.nan)
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

    def _measure_material(self, ev: OpticsEvidence, d: SessionData, timeline: DisplayTimeline, open_eyes: np.ndarray) -> None:
        """The skin under the eyes against the cheeks (one material?), into ``ev.material_*``."""
        o = self.options
        lids = getattr(d, "lids", None)
        if lids is None or len(lids) != d.n:
            return
        cheeks_idx = [REGIONS.index("cheek_r"), REGIONS.index("cheek_l")]
        y_p = _lin(_finite_mean(lids, axis=1))
        y_k = _lin(_finite_mean(d.regions[:, cheeks_idx, :], axis=1))
        sel = open_eyes & np.isfinite(y_p).all(axis=1) & np.isfinite(y_k).all(axis=1) & (y_p > 0).all(axis=1) & (y_k > 0).all(axis=1)
        ev.material_frames = int(sel.sum())
        if ev.material_frames < o.material_min_frames:
            return
        t = d.t_ns[sel]
        y_p, y_k = y_p[sel], y_k[sel]
        q = _basis(t)
        dt = float(np.median(np.diff(t)))
        sampled = timeline.sampled(int(t.min()) - int(0.5e9), int(t.max()), int(max(dt, 1e6)))
        # The display-to-camera lag: where the cheeks' colour follows the screen's best.
        best, best_sse = math.nan, math.inf
        for lag in np.arange(o.material_lag_ms[0], o.material_lag_ms[1] + 1e-9, o.material_lag_step_ms):
            design = np.column_stack([q, sampled.at(t - int(lag * 1e6)) / 255.0])
            coef, *_ = np.linalg.lstsq(design, y_k, rcond=None)
            sse = float(((y_k - design @ coef) ** 2).sum())
            if sse < best_sse:
                best, best_sse = float(lag), sse
        if not math.isfinite(best):
            return
        ev.material_lag_ms = best
        x = sampled.at(t - int(best * 1e6)) / 255.0
        index, resp = material_index(y_p, y_k, x, q)
        ev.material_response = [float(v) for v in resp]
        ev.material_index = index
        if not math.isfinite(index):
            return
        # Neighbouring frames are not independent: the error comes from stretches of the session.
        se = block_jackknife_se(len(t), lambda keep: material_index(y_p[keep], y_k[keep], x[keep], q[keep])[0],
                                blocks=max(3, int(o.material_blocks)), min_per_block=1)
        if math.isfinite(se):
            ev.material_se = se

    def _measure_rim(self, ev: OpticsEvidence, d: SessionData) -> None:
        """Did the skin above the eyes follow the blinks? Into ``ev.rim_*`` (every frame with a face counts)."""
        brows = getattr(d, "brows", None)
        if brows is None or len(brows) != d.n or d.n == 0:
            return
        iod = np.asarray(d.iod, np.float64)
        if not np.isfinite(iod).any():
            return
        near_oval = np.isfinite(iod) & (iod >= self.options.rim_min_size * np.nanpercentile(iod, 90))
        brows = np.where(near_oval[:, None, None], brows, np.nan)
        shifts, noise = rim_shifts(d.t_ns, d.blink, brows, self.options, BROW_STEP)
        ev.rim_events = len(shifts)
        ev.rim_shifts = [round(v, 4) for v in shifts]
        ev.rim_noise = [round(v, 4) for v in noise]
        if not shifts:
            return
        ev.rim_shift = float(np.median(shifts))
        o = self.options
        profile = []
        for c in o.rim_step_centres:
            band = replace(o, rim_band=(c - o.rim_step_half, c + o.rim_step_half))
            sh, _ = rim_shifts(d.t_ns, d.blink, brows, band, BROW_STEP)
            profile.append(float(np.median(sh)) if sh else math.nan)
        ev.rim_profile = [round(v, 4) for v in profile]
        slope, se, frames, spread = rim_parallax(d.t_ns, d.blink, np.asarray(getattr(d, "brows")), nod_proxy(d.points),
                                                 iod, o, BROW_STEP)
        ev.rim_parallax_frames = frames
        if math.isfinite(slope):
            ev.rim_parallax, ev.rim_parallax_se, ev.rim_nod_spread = slope, se, spread
        falls = [a - b for a, b in zip(profile[:-1], profile[1:]) if math.isfinite(a) and math.isfinite(b)]
        if falls:
            ev.rim_step = float(max(falls))

    def rim_verdict(self, ev: OpticsEvidence) -> str:
        """``rigid`` (blinks seen, the skin above the eyes did not follow), ``moved`` or ``none`` (no blink)."""
        shift, step = ev.rim_shift, ev.rim_step
        if not isinstance(shift, float) or not math.isfinite(shift):
            return "none"
        if shift < self.options.rim_min_shift:
            return "rigid"
        if isinstance(step, float) and math.isfinite(step) and step > self.options.rim_max_step:
            return "rigid"
        return "moved"

    def material_verdict(self, ev: OpticsEvidence) -> str:
        """``one`` (one material), ``two`` (a clear contradiction) or ``unclear`` (never a pass)."""
        o = self.options
        index, se, resp = ev.material_index, ev.material_se, ev.material_response

        def ok(v: object) -> bool:
            return isinstance(v, (int, float)) and math.isfinite(float(v))

        if not (ok(index) and ok(se) and isinstance(resp, list) and all(ok(v) for v in resp)):
            return "unclear"
        if min(resp[2:]) < o.material_min_response or se > o.material_se_max:
            return "unclear"
        if abs(index) - se > o.material_natural:
            return "two"
        return "one" if abs(index) + se <= o.material_pass_max else "unclear"

    def features(self, ev: OpticsEvidence) -> dict[str, float]:
        def num(v: object) -> float:
            return float(v) if isinstance(v, (int, float)) and math.isfinite(float(v)) else math.nan

        return {"catch_log": num(ev.catch_log), "colour_index": num(ev.colour_index),
                "detail_index": num(ev.detail_index), "blinks": num(ev.blinks),
                "material_index": num(ev.material_index), "material_se": num(ev.material_se),
                "rim_shift": num(ev.rim_shift), "rim_step": num(ev.rim_step), "rim_parallax": num(ev.rim_parallax)}

    def unsteady_eye(self, ev: OpticsEvidence) -> tuple[float, float] | None:
        """A readable eye whose catchlight lies within ``catch_se_k`` block errors of ``catch_min`` (its value
        and error; the first such eye), or None when every readable eye is clearly below it. An unknown error
        counts as none, so an eye without one is judged on its value alone."""
        o = self.options
        values = ev.catch_per_eye if isinstance(ev.catch_per_eye, list) else []
        errors = ev.catch_se_per_eye if isinstance(ev.catch_se_per_eye, list) else [math.nan] * len(values)
        for v, e in zip(values, errors):
            if math.isfinite(v) and moved_by_errors(v, e, o.catch_se_k) >= o.catch_min:
                return float(v), float(e)
        return None

    def evaluate(self, session: SessionInput) -> CheckResult:
        """Judge the eyes' mirror and the face's material."""
        o = self.options
        ev, judged = self.measure(session)
        ev.features = self.features(ev)
        material = self.material_verdict(ev) if o.material_judged else "not judged"
        if material == "two":
            # Real eyes (or none) in a face of two materials: a mask with eye holes. Decided whatever the eyes show.
            return result(self.name, Verdict.FAIL, 0.05, OpticsReason.TWO_MATERIALS, ev, index=float(ev.material_index))
        rim = self.rim_verdict(ev) if o.rim_judged else "not judged"
        if rim == "rigid" and o.rim_rigid_fails:
            # Real lids blinked, but the skin around them did not follow: a rigid shell with eye holes.
            return result(self.name, Verdict.FAIL, 0.05, OpticsReason.RIGID_RIM, ev, events=int(ev.rim_events))
        if not judged:
            return result(self.name, Verdict.ABSTAIN, None, OpticsReason.EYES_NOT_SEEN, ev)
        catch = ev.features["catch_log"]
        blinked = isinstance(ev.blinks, int) and ev.blinks > 0
        by_blink = False
        if not math.isfinite(catch):
            # Neither eye could be read (their whites did not answer the colours clearly): no decision.
            return result(self.name, Verdict.ABSTAIN, None, OpticsReason.CATCH_UNREAD, ev)
        if not catch >= o.catch_min:
            if ev.screen_lit is not True:
                share = ev.screen_share
                if isinstance(share, float) and share >= o.catch_unclear_share and catch >= o.catch_floor:
                    # Mostly screen-lit: a real eye's mirror excess is compressed here; not evidence of a painted eye.
                    return result(self.name, Verdict.ABSTAIN, None, OpticsReason.CATCH_UNCLEAR, ev, share=share)
                unsteady = self.unsteady_eye(ev)
                if unsteady is not None:
                    # Weak, but not clearly weaker than a real eye's glint: no decision, never a pass.
                    return result(self.name, Verdict.ABSTAIN, None, OpticsReason.CATCH_UNSTEADY, ev,
                                  catch=unsteady[0], se=unsteady[1])
                return result(self.name, Verdict.FAIL, 0.05, OpticsReason.NO_CATCHLIGHT, ev)
            # Lit by the screen alone, a mirror and a diffuse eye brighten by the same fraction: the catchlight is
            # not judged (it never counts as a pass); only moving lids show real eyes here.
            if not blinked:
                return result(self.name, Verdict.ABSTAIN, None, OpticsReason.DARK_ROOM, ev)
            by_blink = True
        if rim == "rigid":
            # Real lids behind something rigid that did not follow them: a mask's rim or a glasses frame. Which
            # one is not known, so no decision (a mask never passes this way, a glasses wearer is not rejected).
            return result(self.name, Verdict.ABSTAIN, None, OpticsReason.RIGID_SURROUND, ev, events=int(ev.rim_events))
        if rim == "none" and o.rim_needs_blink:
            # Real eyes alone do not show a face (they may look out of a mask): without a blink, no decision.
            return result(self.name, Verdict.ABSTAIN, None, OpticsReason.NO_BLINK_MEASURED, ev)
        if material == "unclear":
            # Real eyes alone do not show a face: they may look out of a mask. An unclear comparison never passes.
            return result(self.name, Verdict.ABSTAIN, None, OpticsReason.MATERIAL_UNCLEAR, ev)
        if material == "one":
            code = OpticsReason.BLINKED_ONE_MATERIAL if by_blink else OpticsReason.ONE_MATERIAL
        elif rim == "moved":
            code = OpticsReason.BLINKED_SKIN_MOVED if by_blink else OpticsReason.EYES_MIRROR_SKIN_MOVED
        else:
            code = OpticsReason.BLINKED if by_blink else OpticsReason.EYES_MIRROR
        score = 0.9 if by_blink else 0.95
        if code in (OpticsReason.EYES_MIRROR_SKIN_MOVED, OpticsReason.BLINKED_SKIN_MOVED):
            return result(self.name, Verdict.PASS, score, code, ev, events=int(ev.rim_events))
        return result(self.name, Verdict.PASS, score, code, ev, blinks=int(ev.blinks or 0))


STAGE = STAGES.register(StageSpec("optics", OpticsStage, OpticsOptions, OpticsEvidence, order=22, needs_colours=True))
