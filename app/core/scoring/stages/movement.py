"""Movement stage: did the head turn and nod on cue, at a human latency, the way a 3D head does?

A movement-only check (no colour flashes) shows a few cues at random times, each a
turn to the person's left or right or a nod up or down, drawn at random with at
least one turn and one nod (``Challenge.moves``, put up at ``Challenge.cue_ns``).
Why both: paper bends around one axis without creasing, never around two (it has
no Gaussian curvature), while a face is curved both ways. This stage measures,
from the 2D landmarks alone:

* **the nose parallax along each axis** (:func:`axis_parallax`): where the rest
  of the face (eyes, brows, mouth, outline, cheeks, forehead, chin) puts the
  nose tip along the cue's axis, from a fit that absorbs a picture's turn, tilt
  and perspective and a bend around the *other* axis; the nose of a head stands
  2-3 cm in front of the cheeks at its height and of the brow-chin line, so it
  moves further toward the cued side. A print bent around a vertical axis shows
  none when nodded, one bent around a horizontal axis none when turned.
  Recordings with turns only (made before nods) keep their earlier measure
  (:func:`nose_parallax`, a homography of the whole face) and rules.
* **the cheek signal** ``(dR - dL) / (dR + dL)`` (turns; evidence only).
* **the turn depth**: the turn's parallax over the sine of the turn, read from how
  much the eye span shortened (its ratio to the eyes-to-mouth height). A bent
  print turned on cue shows some parallax (the landmark model reads a turned
  face into it), but too little for how much its picture is foreshortened. A
  nod's angle cannot be read that way from a 3D face (a nod down may lengthen
  the eyes-to-mouth height), so a nod is judged by its parallax alone.
* **the foreshortening** of each cue (``sine``): whether the face visibly turned
  or tilted, whatever its nose did.
* for each cue: the parallax toward the cued side, ``peak``, and ``latency``, when
  the movement that reaches the peak last crossed half of it. A cue is followed
  when the peak exceeds ``min_turn`` (turns) or ``min_nod`` (nods) and the latency
  lies in ``latency_ms``. ``wrong`` (the largest excursion to the other side)
  is evidence, and tells a movement the wrong way from a flat one.

Verdict (turns and nods shown): pass when every cue was followed and the turn
depth (median over the turns) reaches ``min_depth``; a hard failure naming the
flat axis when the turns are too shallow, or a cue showed no parallax either way
while the face visibly moved (``min_sine``); abstain when a cue showed neither
parallax nor movement (too little to tell), when the cues were never shown or the
face was missing around them (never a pass); other cues not followed (the wrong
way, too early) are hard failures, while a cue answered the right way but late is
no decision (``movement.late``: a slow reaction is no evidence of an attack). Head
movements no cue asked for (:func:`unprompted_movements`: while waiting, before a
cue could have been seen, or along an axis no cue asked for) are the footprint of
a recording of another check moving on its own cues: two or more fail hard
(``movement.unprompted``), one is no decision. A head that turns further than the landmark
model follows loses its face part of the way: its cue still counts when the
movement was seen, in at least ``min_turn_frames`` frames, before the face was lost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from app.core.enums import Verdict
from app.core.scoring.contract import CheckResult
from app.core.scoring.evidence import UNSET, Evidence, clean
from app.core.scoring.reasons import ReasonCode
from app.core.scoring.registry import STAGES, StageSpec
from app.core.scoring.stages.base import SessionInput, logistic_score, result

NAME = "movement"

# MediaPipe face-mesh indices: nose tip, the outline at the person's right / left, eye corners.
_TIP = 4
_EDGE_R, _EDGE_L = 234, 454
_EYE_R, _EYE_L = (33, 133), (362, 263)
#: Points that carry the picture plane: eye corners, brows, mouth corners, outline, forehead, chin.
_FRAME_POINTS = (33, 133, 362, 263, 70, 300, 61, 291, 234, 454, 10, 152)
#: Sign of the turn signal for a turn to the person's own side (horizontal parallax: toward the person's left;
#: vertical parallax: toward the top of the face).
SIDE_SIGN = {"left": 1.0, "right": -1.0, "up": 1.0, "down": -1.0}
#: Points the per-axis parallax is measured against: eye corners, brows, mouth and lips, the outline from the
#: temples to the jaw, cheeks, forehead and chin (everything of the face but the nose), spread over both axes.
_AXIS_POINTS = (33, 133, 362, 263, 70, 300, 105, 334, 61, 291, 0, 17, 234, 454, 93, 323, 132, 361, 58, 288,
                50, 280, 10, 151, 152, 199)


#: The sides a cue can ask for, quoted by the reasons as words (translated phrase by phrase by the GUI).
DIRECTIONS = ("left", "right", "up", "down")
#: Cue axes: "h" turns (left/right), "v" nods (up/down).
AXIS_NAMES = {"h": "turning", "v": "nodding"}


def axis_of(direction: str) -> str:
    """"v" for a nod cue (up/down), "h" for a turn (left/right)."""
    return "v" if direction in ("up", "down") else "h"


class MovementReason(ReasonCode):
    """Why the movement stage judged or abstained as it did."""

    NO_CUES = "movement.no_cues", "No head-turn cues were part of this check."
    CUES_NOT_SHOWN = (
        "movement.cues_not_shown",
        "The head-turn cues were not all shown, so the movement could not be judged.",
    )
    FACE_NOT_IN_VIEW = (
        "movement.face_not_in_view",
        "The face was not in view around head-turn cue {cue}, so the movement could not be judged.",
    )
    TOO_SHALLOW = (
        "movement.too_shallow",
        "The face turned on each cue, but its nose moved too little for how far it turned (depth {depth:.2f}, "
        "a head shows at least {min_depth:.2f}): a bent photo turned as a whole rather than a head.",
    )
    FLAT_AXIS = (
        "movement.flat_axis",
        "The face was flat when {axis} (its nose stood out {depth:.2f} against the rest of the face, a head's at "
        "least {min_depth:.2f}): a photo bent around one axis, which paper can be, rather than a head, which is "
        "curved both ways.",
    )
    TOO_LITTLE = (
        "movement.too_little",
        "The face moved too little when {axis} to tell a head from a bent photo, so the movement could not be judged.",
    )
    FOLLOWED = (
        "movement.followed",
        "The head turned to each cued side a human reaction time after the cue, with the nose moving against "
        "the face outline as a real 3D head does.",
    )
    NOT_FOLLOWED = (
        "movement.not_followed",
        "The face did not move toward the cued side ({direction}) after cue {cue} with the parallax of a 3D head "
        "(a photo or screen turned as a whole, or a face that did not follow the cue).",
    )
    OUT_OF_TIME = (
        "movement.out_of_time",
        "The face turned {latency:.0f} ms after cue {cue}, outside a human reaction time ({low:.0f}-{high:.0f} ms).",
    )
    LATE = (
        "movement.late",
        "The face turned the cued way ({direction}) on cue {cue}, but {latency:.0f} ms after it, later than a check "
        "accepts ({high:.0f} ms), so the movement could not be judged. Please move as soon as the cue appears.",
    )
    UNPROMPTED = (
        "movement.unprompted",
        "The head moved {count} times while no cue asked for that movement (the first {movement} {when:.0f} ms after "
        "the first cue): a recording of another check moving on its own cues rather than answers to this one.",
    )
    UNPROMPTED_ONCE = (
        "movement.unprompted_once",
        "The head {movement} while no cue asked for it ({when:.0f} ms after the first cue), so its answers could not "
        "be told from a recording's. Please face the screen between the cues and move only when asked.",
    )


@dataclass
class MovementEvidence(Evidence):
    """What the movement stage measured (fields in the result document's order)."""

    cues: list[dict[str, Any]] = UNSET
    directions: list[str] = UNSET
    shown: int = UNSET
    followed: int = UNSET
    min_peak: float = UNSET
    median_latency_ms: float = UNSET
    min_cheek: float = UNSET
    depth: float = UNSET
    min_depth: float = UNSET
    depth_turn: float = UNSET
    min_nod: float = UNSET
    min_turn: float = UNSET
    latency_window_ms: list[float] = UNSET
    #: Head movements no cue asked for (``axis``, ``side``, ``onset_ms`` after the first cue, ``peak``,
    #: ``strength``: peak over the level), and the levels along the turn and nod axes (eye distances).
    unprompted: list[dict[str, Any]] = UNSET
    unprompted_levels: list[float] = UNSET
    features: dict[str, float] = UNSET


@dataclass
class MovementOptions:
    """Calibrated numbers of the movement stage (``movement_config.json``, section ``stage``)."""

    #: Smallest nose parallax toward the cued side (in eye distances) that counts as a turn of a 3D head.
    min_turn: float = 0.12
    #: Accepted delay from a cue to half the turn: a human reaction (200-600 ms, slower for some people) + half
    #: the turn + the camera's delay + the gap between analysed frames on a busy machine.
    latency_ms: tuple[float, float] = (150.0, 1500.0)
    #: Neutral window before the first cue (ms relative to it), where the face holds still facing the screen,
    #: and how long after each cue's end to look for its turn.
    neutral_ms: tuple[float, float] = (-900.0, 100.0)
    after_hold_ms: float = 300.0
    #: Share of frames with a face needed in each cue's window to judge it: a strongly turned head may lose the
    #: landmarks for a while (the turn itself was seen), so less than half suffices.
    min_face_fraction: float = 0.3
    #: A cue whose window has less face than that still counts as followed when the turn was seen before the
    #: landmarks were lost: followed (``min_turn`` at a human latency) in at least this many frames with a face.
    #: A head turned further than the landmark model follows is a strong answer, not a missing one.
    min_turn_frames: int = 3
    #: Frames with a face a turn needs before a shallow depth read from it counts against the face: a head turn
    #: takes 0.5-1 s (15-30 frames); a face lost a few frames into its turn leaves a depth read from its first
    #: degrees, which is no decision (``movement.face_not_in_view``), never "flat", and never a pass.
    min_depth_frames: int = 10
    #: Running median (frames) over the nose parallax before it is judged: one or two frames where the landmark
    #: model slips on a strongly turned face must not move a cue's latency or peak.
    smooth_frames: int = 5
    #: Smallest turn depth (nose parallax over the sine of the turn read from the eye span's foreshortening;
    #: median over the cues) of a head: a bent print turned on cue shows parallax, but too little for its turn.
    #: (Defaults near the fitted values of ``movement_config.json``, which the app uses.)
    min_depth: float = 0.35
    #: Turn depth is capped here (a turn with almost no foreshortening would divide by nearly zero).
    depth_cap: float = 3.0
    #: Nod cues (up/down): smallest vertical nose parallax against the brow-chin line (eye distances) of a
    #: followed nod. A nod is smaller than a turn, and its angle cannot be read reliably from a 3D face's
    #: foreshortening (a nod down can lengthen the eyes-to-mouth height), so the parallax itself is the rule.
    min_nod: float = 0.03
    #: Smallest foreshortening (sine of the turn or nod read from the eye span or the eyes-to-mouth height) that
    #: counts as a visible movement: a cue without parallax whose face moved that much is a surface flat along
    #: the cue's axis (a hard failure); with less movement it cannot be told (abstain, never a pass).
    min_sine: float = 0.15
    #: Unprompted movement (a recording of another check moves on *its* cues): the nose parallax along the turn
    #: axis (``unprompted_turn``) and the nod axis (``unprompted_nod``), in eye distances, beyond which a head
    #: movement counts when no cue asked for it: a movement that starts (crosses the level) while no cue is up,
    #: before a cue could have been seen (``latency_ms[0]``), after the cue's time is over (``after_hold_ms``)
    #: other than the return's overshoot, or a turn while a nod was asked. Set above the largest such movement
    #: of a genuine person waiting for a cue (sway, fidgets, settling), fitted on training seeds.
    unprompted_turn: float = 0.18
    unprompted_nod: float = 0.053
    #: How many such movements fail the check hard: a person may look away once (no decision: the answers cannot
    #: be told from a replay's, try again), footage moving on another check's cues makes one per cue it does not
    #: share with this one.
    unprompted_fail: int = 2
    #: A face found again after the landmarks were lost takes a few frames to settle (the running median and the
    #: landmark model's first fits read a turned face as partly turned): a movement crossing the level within
    #: this many ms of the face's return after a gap (``gap_ms``) began in the gap, and is judged as such.
    reacquire_ms: float = 150.0
    gap_ms: float = 100.0
    #: Logistic score of the evidence: log-odds = bias + sum(coef * feature).
    coef: dict[str, float] = field(default_factory=lambda: {"min_peak": 20.0, "min_cheek": 2.0})
    bias: float = -2.0


def nose_parallax(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Per-frame nose-tip offset from where a flat picture would put it, over the eye distance, signed toward the
    person's left (NaN without a face).

    A homography fitted from ``reference`` (the face holding still) to each frame on the outline, eyes, brows,
    mouth, forehead and chin predicts every point of a flat picture exactly, whatever its turn or perspective;
    the nose of a 3D head, standing 2-3 cm in front of them, moves further toward the side the head turns to.
    """
    out = np.full(len(points), np.nan)
    idx = list(_FRAME_POINTS)
    src = reference[idx].astype(np.float64)
    if not np.isfinite(src).all() or not np.isfinite(reference[_TIP]).all():
        return out
    for i, p in enumerate(points):
        dst = p[idx]
        if not np.isfinite(dst).all() or not np.isfinite(p[_TIP]).all():
            continue
        h, _ = cv2.findHomography(src, dst.astype(np.float64), 0)
        if h is None:
            continue
        q = h @ np.r_[reference[_TIP], 1.0]
        if abs(q[2]) < 1e-9:
            continue
        eye_r, eye_l = p[list(_EYE_R)].mean(axis=0), p[list(_EYE_L)].mean(axis=0)
        iod = float(np.linalg.norm(eye_l - eye_r))
        if iod <= 0:
            continue
        side = 1.0 if eye_l[0] >= eye_r[0] else -1.0
        out[i] = side * (p[_TIP, 0] - q[0] / q[2]) / iod
    return out


def axis_parallax(points: np.ndarray, reference: np.ndarray, axis: str) -> np.ndarray:
    """Per-frame nose-tip offset along one axis of the face from where the rest of the face puts it, over the eye
    distance (NaN without a face): ``axis`` "h" signed toward the person's left, "v" toward the top of the face.

    Coordinates are read along the eye line (``u``) and across it (``v``) of each frame. The along-axis
    coordinate ``s`` of every point but the nose is fitted from its reference position as
    ``s' = (a s + b + d c + e c^2) / (g s + 1)`` (``c`` the cross coordinate): a flat picture turned or tilted in
    perspective (the projective terms in ``s``), and a picture bent around the *other* axis (its depth varies
    with ``c`` alone, which the ``c`` terms absorb). So a print bent around a vertical axis shows no vertical
    parallax when nodded, and one bent around a horizontal axis none when turned; the nose of a head stands in
    front of the eyes and cheeks at its own height and of the brow-chin line alike, and shows both.
    """
    out = np.full(len(points), np.nan)
    idx = list(_AXIS_POINTS)
    ref = reference.astype(np.float64)
    if not np.isfinite(ref[idx]).all() or not np.isfinite(ref[_TIP]).all():
        return out

    def frame_axes(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        eye_r, eye_l = p[list(_EYE_R)].mean(axis=0), p[list(_EYE_L)].mean(axis=0)
        d = eye_l - eye_r
        iod = float(np.hypot(*d))
        ex = d / max(iod, 1e-9)  # toward the person's left
        ey = np.array([ex[1], -ex[0]])  # perpendicular: toward the top of the face when the image is upright
        if ey[1] > 0:
            ey = -ey
        origin = (eye_r + eye_l) / 2
        return origin, ex, ey, iod

    o0, ex0, ey0, iod0 = frame_axes(ref)
    if iod0 <= 0:
        return out
    rel0 = (ref - o0) / iod0
    u0, v0 = rel0 @ ex0, rel0 @ ey0
    s0, c0 = (u0, v0) if axis == "h" else (v0, u0)
    for i, p in enumerate(points):
        if not np.isfinite(p[idx]).all() or not np.isfinite(p[_TIP]).all():
            continue
        o, ex, ey, iod = frame_axes(p.astype(np.float64))
        if iod <= 0:
            continue
        rel = (p - o) / iod0  # in the reference's eye distances: a change of distance is a scale the fit absorbs
        s1 = rel @ ex if axis == "h" else rel @ ey
        s_ref, c_ref, s_now = s0[idx], c0[idx], s1[idx]
        design = np.c_[s_ref, np.ones(len(idx)), c_ref, c_ref**2, -s_ref * s_now]
        coef, *_ = np.linalg.lstsq(design, s_now, rcond=None)
        a, b, d, e, g = coef
        den = g * s0[_TIP] + 1.0
        if abs(den) < 1e-6:
            continue
        predicted = (a * s0[_TIP] + b + d * c0[_TIP] + e * c0[_TIP] ** 2) / den
        out[i] = (s1[_TIP] - predicted) * iod0 / iod
    return out


def eye_height(points: np.ndarray) -> np.ndarray:
    """Eyes-to-mouth height over the mean of the eye span and the mouth's width, per frame: a nod shortens it by
    about cos(pitch) for a head and a picture alike. Perspective makes the part of the face that tilts away
    smaller (the eyes when the chin goes up), so the eyes' span alone would grow the ratio back; the mean of a
    width above and one below the nose cancels that to first order (NaN without a face)."""
    eye_r = points[:, list(_EYE_R), :].mean(axis=1)
    eye_l = points[:, list(_EYE_L), :].mean(axis=1)
    mouth = points[:, [61, 291], :].mean(axis=1)
    width = (np.linalg.norm(eye_l - eye_r, axis=1) + np.linalg.norm(points[:, 291] - points[:, 61], axis=1)) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.linalg.norm(mouth - (eye_l + eye_r) / 2, axis=1) / width


def _median(values: list[float]) -> float:
    """Median of the finite values, NaN when there are none."""
    finite = [v for v in values if math.isfinite(v)]
    return float(np.median(finite)) if finite else math.nan


def running_median(x: np.ndarray, frames: int) -> np.ndarray:
    """NaN-aware running median over ``frames`` neighbouring frames (centred); frames that are NaN stay NaN."""
    if frames <= 1:
        return x.copy()
    half = frames // 2
    out = np.full(len(x), np.nan)
    for i in np.flatnonzero(np.isfinite(x)):
        out[i] = float(np.nanmedian(x[max(0, i - half): i + half + 1]))
    return out


def eye_span(points: np.ndarray) -> np.ndarray:
    """Horizontal eye span over the eyes-to-mouth height, per frame: a turn by yaw shortens it by cos(yaw) for a
    head and a picture alike, while a change of distance leaves it (NaN without a face)."""
    eye_r = points[:, list(_EYE_R), :].mean(axis=1)
    eye_l = points[:, list(_EYE_L), :].mean(axis=1)
    mouth = points[:, [61, 291], :].mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.abs(eye_l[:, 0] - eye_r[:, 0]) / np.linalg.norm(mouth - (eye_l + eye_r) / 2, axis=1)


def turn_signal(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame cheek signal ``(dR - dL) / (dR + dL)`` and nose-to-eyes offset from (N, 478, 2) landmarks
    (NaN without a face)."""
    tip = points[:, _TIP, 0]
    d_r = np.abs(tip - points[:, _EDGE_R, 0])
    d_l = np.abs(tip - points[:, _EDGE_L, 0])
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (d_r - d_l) / (d_r + d_l)
        eye_r = points[:, list(_EYE_R), :].mean(axis=1)
        eye_l = points[:, list(_EYE_L), :].mean(axis=1)
        iod = np.linalg.norm(eye_l - eye_r, axis=1)
        mid = (eye_r[:, 0] + eye_l[:, 0]) / 2
        # Toward the person's left is toward their left eye in the image: sign from the eye order.
        side = np.sign(eye_l[:, 0] - eye_r[:, 0])
        e = side * (tip - mid) / iod
    return s, e


@dataclass
class CueResponse:
    """How the face answered one cue."""

    direction: str
    #: Largest nose parallax toward the cued side (eye distances; 90th percentile over the cue's window).
    peak: float
    #: Largest nose parallax toward the other side.
    wrong: float
    latency_ms: float
    #: Nose parallax over sin(turn), the turn read from the eye span's foreshortening (capped): the nose's depth
    #: in front of the eyes, brows and mouth, in eye distances, as the landmarks show it.
    depth: float
    #: Change of the cheek-width signal toward the cued side (evidence: near/far cheek widths change oppositely).
    cheek_peak: float
    face_fraction: float
    followed: bool
    #: Frames with a face whose nose parallax toward the cued side reached ``min_turn``.
    turn_frames: int = 0
    #: "h" (a turn) or "v" (a nod).
    axis: str = "h"
    #: Largest foreshortening of the face in the cue's window (sine of the turn or nod angle, read from the eye
    #: span or the eyes-to-mouth height; 10th percentile of their ratio to the neutral face).
    sine: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        return dict(clean(self.__dict__))


@dataclass
class Unprompted:
    """A head movement no cue asked for: the nose parallax along ``axis`` crossed the level toward ``side``."""

    axis: str
    #: The side as a cue would name it ("left", "right", "up", "down").
    side: str
    #: When it crossed the level, ms after the first cue (negative: before it).
    onset_ms: float
    #: Its largest parallax (eye distances), and that over the axis's level.
    peak: float
    strength: float

    def to_dict(self) -> dict[str, Any]:
        return dict(clean(self.__dict__))


_SIDE_NAMES = {("h", 1.0): "left", ("h", -1.0): "right", ("v", 1.0): "up", ("v", -1.0): "down"}
#: How the reasons name an unprompted movement (translated phrase by phrase by the GUI, like the directions).
MOVEMENT_WORDS = {"left": "turned left", "right": "turned right", "up": "nodded up", "down": "nodded down"}


def unprompted_movements(t_ns: np.ndarray, noses: dict[str, np.ndarray], moves: list[Any], cue_ns: list[int],
                         options: MovementOptions) -> list[Unprompted]:
    """Head movements along either axis that no cue of this session asked for (see ``MovementOptions``).

    A movement is a run of frames whose nose parallax toward one side stays beyond half the axis's level after
    crossing the full level (the hysteresis keeps a held turn whose reading wavers from counting twice); frames
    without a face neither start nor end one. It is *asked for* when it starts (crosses the level):

    * toward either side of the cue's own axis while a cue is up, from a human reaction time after it appeared
      (``latency_ms[0]``) until ``after_hold_ms`` after it was taken down (a movement the wrong way is the cue
      rules' business); during a turn cue also along the nod axis, which a turning head drags with it;
    * toward the side opposite a cue, or along the nod axis after a turn cue, from a reaction time after the cue
      was taken down until ``latency_ms[1]`` after that: the way back to face the screen, and its overshoot.

    Anything else, from the start of the pause before the first cue (the face had settled in the oval) to the
    end of the recording, is a movement no cue asked for: a move while waiting, before a cue could have been
    seen, toward the cued side again after the cue's time, or a turn while a nod was asked.
    """
    o = options
    out: list[Unprompted] = []
    if not cue_ns or not moves:
        return out
    first = int(cue_ns[0])
    rel = (np.asarray(t_ns, np.int64) - first) / 1e6
    start = -float(moves[0].pause_ms)
    cues = [((int(c) - first) / 1e6, float(m.hold_ms), axis_of(m.direction), SIDE_SIGN.get(m.direction, 0.0))
            for m, c in zip(moves, cue_ns)]
    levels = {"h": o.unprompted_turn, "v": o.unprompted_nod}

    def asked(axis: str, sign: float, at: float, falling: bool) -> bool:
        for shown, hold, cue_axis, cue_sign in cues:
            if shown + o.latency_ms[0] <= at <= shown + hold + o.after_hold_ms and (axis == cue_axis or
                                                                                      (cue_axis == "h" and axis == "v")):
                return True
            # The way back: past the neutral (overshoot), dragging the nod axis after a turn, or the cued side
            # read again only on the way back (at its largest when it crosses the level: the landmark model had
            # lost the nose's offset on the strongly turned face, not a new movement).
            back = (axis == cue_axis and (sign == -cue_sign or falling)) or (cue_axis == "h" and axis == "v")
            if back and shown + hold + o.latency_ms[0] <= at <= shown + hold + o.latency_ms[1]:
                return True
        return False

    for axis, signal in noses.items():
        level = levels.get(axis, math.nan)
        if not (math.isfinite(level) and level > 0):
            continue
        idx = np.flatnonzero(np.isfinite(signal) & (rel >= start))
        for sign in (1.0, -1.0):
            x = sign * signal[idx]
            k = 0
            while k < len(idx):
                if x[k] < level:
                    k += 1
                    continue
                j = k
                while j + 1 < len(idx) and x[j + 1] >= 0.5 * level:
                    j += 1
                onset = float(rel[idx[k]])
                # Face missing just before: the movement began somewhere in the gap (a head turned beyond what
                # the landmark model follows comes back into view already turned); asked if asked at any time
                # in it. The frames of the face's return (``reacquire_ms``) belong to the gap: their first
                # readings are still settling, so they do not show where the movement began.
                b = k - 1
                while b > 0 and rel[idx[b]] >= onset - o.reacquire_ms and rel[idx[b]] - rel[idx[b - 1]] <= o.gap_ms:
                    b -= 1
                if b > 0 and rel[idx[b]] >= onset - o.reacquire_ms and rel[idx[b]] - rel[idx[b - 1]] > o.gap_ms:
                    since = float(rel[idx[b - 1]])  # the last frame before the gap
                else:
                    since = float(rel[idx[k - 1]]) if k > 0 else start
                if since < onset - o.gap_ms:
                    moments = [*np.arange(since, onset, 33.0), onset]
                else:
                    moments = [onset]
                peak = float(x[k:j + 1].max())
                falling = bool(x[k] >= 0.8 * peak)
                if not any(asked(axis, sign, at, falling) for at in moments):
                    out.append(Unprompted(axis, _SIDE_NAMES[(axis, sign)], onset, peak, peak / level))
                k = j + 1
    out.sort(key=lambda u: u.onset_ms)
    return out



def briefly_seen_turns(responses: list["CueResponse"], min_frames: int) -> list[int]:
    """Indices of the turn cues whose face was lost during the cue after its turn was seen in fewer than
    ``min_frames`` frames: too little of the turn to read a head's depth from. A face in view throughout is judged
    on what it showed, however brief its turn."""
    return [i for i, r in enumerate(responses) if r.axis == "h" and r.face_fraction < 1.0 and r.turn_frames < min_frames]

class MovementStage:
    """The movement-challenge stage (see the module docstring)."""

    name = NAME

    def __init__(self, options: MovementOptions | None = None) -> None:
        self.options = options or MovementOptions()

    @classmethod
    def create(cls, options: MovementOptions | None = None) -> "MovementStage":
        return cls(options)

    def responses(self, inp: SessionInput, noses_out: dict[str, np.ndarray] | None = None,
                  ) -> tuple[list[CueResponse], np.ndarray, np.ndarray]:
        """Each cue's response, and the per-frame signals (for plots: the horizontal nose parallax, the cheek
        signal). ``noses_out``, when given, receives the smoothed nose parallax per axis ("h", "v")."""
        o = self.options
        ch = inp.challenge
        data = inp.data
        pts = data.points.astype(np.float64)
        cheek, _ = turn_signal(pts)
        t_ns = np.asarray(data.t_ns, np.int64)
        out: list[CueResponse] = []
        first = (t_ns - int(ch.cue_ns[0])) / 1e6 if ch.cue_ns else np.zeros(0)
        neutral_mask = (first >= o.neutral_ms[0]) & (first <= o.neutral_ms[1])
        with_face = neutral_mask & np.isfinite(pts[:, _TIP, 0])
        # The decision rests on the nose parallax against the neutral face (zero for any flat picture);
        # the cheek-width signal is reported as evidence.
        spans = {"h": eye_span(pts), "v": eye_height(pts)}
        span0 = {k: float(np.nanmedian(v[with_face])) if with_face.any() else math.nan for k, v in spans.items()}
        axes = {axis_of(m.direction) for m in ch.moves}
        noses: dict[str, np.ndarray] = {}
        if with_face.any():
            reference = np.median(pts[with_face], axis=0)
            # Turns in a session of turns only (recordings before nods existed) are judged as they were: against
            # a homography of the whole face. With nods too, each axis against the rest of the face along it.
            noses["h"] = nose_parallax(pts, reference) if axes == {"h"} else axis_parallax(pts, reference, "h")
            if "v" in axes:
                noses["v"] = axis_parallax(pts, reference, "v")
            noses = {k: running_median(v, o.smooth_frames) for k, v in noses.items()}
            if noses_out is not None:
                noses_out.update(noses)
            cheek0 = float(np.nanmedian(cheek[with_face])) if np.isfinite(cheek[with_face]).any() else math.nan
        else:
            cheek0 = math.nan
        nose = noses.get("h", np.full(len(pts), np.nan))
        for move, cue in zip(ch.moves, ch.cue_ns):
            rel = (t_ns - int(cue)) / 1e6  # ms after the cue
            sign = SIDE_SIGN.get(move.direction, 0.0)
            axis = axis_of(move.direction)
            signal = noses.get(axis, np.full(len(pts), np.nan))
            min_turn = o.min_nod if axis == "v" else o.min_turn
            win_mask = (rel > 0) & (rel <= move.hold_ms + o.after_hold_ms)
            win = signal[win_mask]
            face = float(np.isfinite(win).mean()) if win.size else 0.0
            if not np.isfinite(win).any():
                out.append(CueResponse(move.direction, math.nan, math.nan, math.nan, math.nan, math.nan, face, False,
                                       axis=axis))
                continue
            r = sign * win
            peak = float(np.nanpercentile(r, 90))
            wrong = float(max(0.0, -np.nanmin(r)))
            cw = sign * (cheek[win_mask] - cheek0) if axis == "h" else np.full(int(win_mask.sum()), np.nan)
            cheek_peak = float(np.nanpercentile(cw, 90)) if np.isfinite(cw).any() else math.nan
            latency = math.nan
            if peak > 0:
                # The turn that reaches the peak: the last frame below half the peak before its maximum.
                top = int(np.nanargmax(r))
                below = np.flatnonzero(np.isfinite(r[:top]) & (r[:top] < 0.5 * peak))
                latency = float(rel[win_mask][below[-1] + 1]) if below.size else float(rel[win_mask][0])
            depth = sine = math.nan
            base = span0[axis]
            if peak > 0 and math.isfinite(base) and base > 0:
                turned = np.isfinite(r) & (r >= 0.8 * np.nanmax(r))
                ratio = float(np.nanmedian(spans[axis][win_mask][turned])) / base if turned.any() else math.nan
                if math.isfinite(ratio):
                    turn_sine = math.sqrt(max(0.0, 1.0 - min(1.0, ratio) ** 2))
                    par = float(np.nanmedian(r[turned]))
                    depth = min(o.depth_cap, par / turn_sine) if turn_sine > 0 else o.depth_cap
            if math.isfinite(base) and base > 0 and np.isfinite(spans[axis][win_mask]).any():
                # How far the face turned or tilted at most (its foreshortening), whatever its nose did.
                ratio = float(np.nanpercentile(spans[axis][win_mask], 10)) / base
                sine = math.sqrt(max(0.0, 1.0 - min(1.0, ratio) ** 2))
            followed = peak >= min_turn and math.isfinite(latency) and o.latency_ms[0] <= latency <= o.latency_ms[1]
            turn_frames = int(np.sum(np.isfinite(r) & (r >= min_turn)))
            out.append(CueResponse(move.direction, peak, wrong, latency, depth, cheek_peak, face, bool(followed), turn_frames,
                                   axis, sine))
        return out, nose, cheek

    def evaluate(self, inp: SessionInput) -> CheckResult:
        o = self.options
        ch = inp.challenge
        if not ch.moves:
            return result(NAME, Verdict.ABSTAIN, None, MovementReason.NO_CUES, MovementEvidence())
        directions = [m.direction for m in ch.moves]
        if len(ch.cue_ns) < len(ch.moves):
            return result(NAME, Verdict.ABSTAIN, None, MovementReason.CUES_NOT_SHOWN,
                          MovementEvidence(directions=directions, shown=len(ch.cue_ns)))
        noses: dict[str, np.ndarray] = {}
        responses, _, _ = self.responses(inp, noses)
        peaks = np.array([r.peak for r in responses], np.float64)
        cheeks = np.array([r.cheek_peak for r in responses], np.float64)
        lat = np.array([r.latency_ms for r in responses], np.float64)
        min_peak = float(np.nanmin(peaks)) if np.isfinite(peaks).any() else math.nan
        followed = sum(r.followed for r in responses)
        min_cheek = float(np.nanmin(cheeks)) if np.isfinite(cheeks).any() else math.nan
        depths = np.array([r.depth for r in responses], np.float64)
        depth = float(np.nanmedian(depths)) if np.isfinite(depths).any() else math.nan
        axes = {r.axis for r in responses}
        # Turns and nods both shown: each axis must show a head's depth (a print bends around one axis only).
        both = axes == {"h", "v"}
        axis_depth = {"h": _median([r.depth for r in responses if r.axis == "h"])}
        if both:
            # The score's weakest cue is read in each axis's own threshold: a nod is smaller than a turn.
            min_peak = float(np.nanmin([r.peak * (o.min_turn / o.min_nod if r.axis == "v" else 1.0) for r in responses]))\
                if np.isfinite(peaks).any() else math.nan
        # Movements no cue asked for (checks with turns and nods; recordings of turns only are judged as before).
        unasked = unprompted_movements(inp.data.t_ns, noses, ch.moves, ch.cue_ns, o) if both else []
        features = {"min_peak": min_peak, "min_cheek": min_cheek, "depth": depth, "followed": float(followed),
                    "cues": float(len(responses)), "depth_turn": axis_depth["h"], "unprompted": float(len(unasked))}
        evidence = MovementEvidence(
            cues=[r.to_dict() for r in responses],
            directions=directions,
            shown=len(ch.cue_ns),
            followed=followed,
            min_peak=min_peak,
            median_latency_ms=float(np.nanmedian(lat)) if np.isfinite(lat).any() else math.nan,
            min_cheek=min_cheek,
            depth=depth,
            min_depth=o.min_depth,
            depth_turn=axis_depth["h"],
            min_nod=o.min_nod,
            min_turn=o.min_turn,
            latency_window_ms=list(o.latency_ms),
            unprompted=[u.to_dict() for u in unasked] if both else UNSET,
            unprompted_levels=[o.unprompted_turn, o.unprompted_nod] if both else UNSET,
            features=features,
        )
        score = logistic_score(features, o.coef, o.bias, missing=0.0)
        if len(unasked) >= o.unprompted_fail:
            # Footage moving on another check's cues: it makes a movement for each cue it does not share with this
            # one, whatever it happened to match.
            u = unasked[0]
            return result(NAME, Verdict.FAIL, min(score, 0.02), MovementReason.UNPROMPTED, evidence, hard_fail=True,
                          count=len(unasked), movement=MOVEMENT_WORDS[u.side], when=u.onset_ms)
        # Too little face around a cue to judge it, unless its turn was seen before the landmarks were lost.
        unseen = [i for i, r in enumerate(responses)
                  if r.face_fraction < o.min_face_fraction and not (r.followed and r.turn_frames >= o.min_turn_frames)]
        if unseen:
            return result(NAME, Verdict.ABSTAIN, None, MovementReason.FACE_NOT_IN_VIEW, evidence, cue=unseen[0] + 1)
        brief = briefly_seen_turns(responses, o.min_depth_frames)
        if followed == len(responses) and both:
            # Every nod showed the nose's vertical parallax against the brow-chin line (``min_nod``); the turns
            # must show a head's depth for how far the face turned, as in a check of turns only.
            d = axis_depth["h"]
            if not (math.isfinite(d) and d >= o.min_depth):
                if brief:
                    return result(NAME, Verdict.ABSTAIN, None, MovementReason.FACE_NOT_IN_VIEW, evidence, cue=brief[0] + 1)
                return result(NAME, Verdict.FAIL, min(score, 0.02), MovementReason.FLAT_AXIS, evidence, hard_fail=True,
                              axis=AXIS_NAMES["h"], depth=d, min_depth=o.min_depth)
            if unasked:
                # One movement nobody asked for: a person may look away once, but the answers can no longer be
                # told from a replay's that matched this check by chance. No decision, never a pass.
                u = unasked[0]
                return result(NAME, Verdict.ABSTAIN, None, MovementReason.UNPROMPTED_ONCE, evidence,
                              movement=MOVEMENT_WORDS[u.side], when=u.onset_ms)
            return result(NAME, Verdict.PASS, score, MovementReason.FOLLOWED, evidence)
        shallow = not (math.isfinite(depth) and depth >= o.min_depth)
        if followed == len(responses) and shallow and brief:
            return result(NAME, Verdict.ABSTAIN, None, MovementReason.FACE_NOT_IN_VIEW, evidence, cue=brief[0] + 1)
        if followed == len(responses) and shallow:
            return result(NAME, Verdict.FAIL, min(score, 0.02), MovementReason.TOO_SHALLOW, evidence, hard_fail=True,
                          depth=depth, min_depth=o.min_depth)
        if followed == len(responses):
            return result(NAME, Verdict.PASS, score, MovementReason.FOLLOWED, evidence)
        missed = [i for i, r in enumerate(responses) if not r.followed]

        def limit(r: CueResponse) -> float:
            return o.min_nod if r.axis == "v" else o.min_turn

        # A cue answered the right way and far enough but after the window (a slow reaction, not evidence of an
        # attack) is no decision, unless another cue was not followed or answered too early.
        unanswered = [i for i in missed if not (math.isfinite(responses[i].peak) and responses[i].peak >= limit(responses[i]))]
        early = [i for i in missed if i not in unanswered and not responses[i].latency_ms > o.latency_ms[1]]
        if not unanswered and not early:
            first = missed[0]
            r = responses[first]
            return result(NAME, Verdict.ABSTAIN, None, MovementReason.LATE, evidence, direction=r.direction,
                          cue=first + 1, latency=r.latency_ms, high=o.latency_ms[1])
        first = (unanswered or early)[0]
        r = responses[first]
        limit_turn = limit(r)
        if both and unanswered and not (math.isfinite(r.wrong) and r.wrong >= limit_turn):
            # No parallax either way along the cue's axis. When the face visibly turned or tilted (foreshortened)
            # its surface is flat along that axis, as a print bent around the other one; when it hardly moved,
            # a small movement cannot tell a head from a picture: no decision, never a pass.
            if math.isfinite(r.sine) and r.sine >= o.min_sine:
                return result(NAME, Verdict.FAIL, min(score, 0.02), MovementReason.FLAT_AXIS, evidence, hard_fail=True,
                              axis=AXIS_NAMES[r.axis], depth=max(0.0, r.peak) if math.isfinite(r.peak) else 0.0,
                              min_depth=limit_turn)
            return result(NAME, Verdict.ABSTAIN, None, MovementReason.TOO_LITTLE, evidence, axis=AXIS_NAMES[r.axis])
        if unanswered:
            return result(NAME, Verdict.FAIL, min(score, 0.02), MovementReason.NOT_FOLLOWED, evidence, hard_fail=True,
                          direction=r.direction, cue=first + 1)
        return result(NAME, Verdict.FAIL, min(score, 0.02), MovementReason.OUT_OF_TIME, evidence, hard_fail=True,
                      latency=r.latency_ms, cue=first + 1, low=o.latency_ms[0], high=o.latency_ms[1])

    def close(self) -> None:
        pass


#: Verdicts this stage can give (for docs/tests).
VERDICTS = (Verdict.PASS, Verdict.FAIL, Verdict.ABSTAIN)

#: Run for movement-only checks instead of the light stage; its options are the ``stage`` section of the
#: movement-only check's own configuration (``movement_config.json``), not of ``fusion_config.json``.
STAGE = STAGES.register(StageSpec(NAME, MovementStage, MovementOptions, MovementEvidence, order=25, needs_moves=True))
