"""The session challenge: the oval the face must fill and the random colour sequence or head-turn cues.

One place for the geometry the GUI draws, the simulator plays and the scoring
checks. Proportions follow the reference product (see docs): oval width =
0.8 x min(frame width, 0.75 x frame height), height = 1.618 x width, centre
jittered within 7/16..9/16 of the frame.
"""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from app.core.facemesh import LEFT_EYE, MOUTH, RIGHT_EYE, eye_centres, inter_ocular  # noqa: F401 - re-exported

#: The challenge's version as integrations see it (kept at 1.0.0: clients of the AWS-compatible API ask for it).
#: Colour steps with a wipe ``direction`` and a brightness ``level`` are told apart by the recording format
#: (version 2) and by the steps themselves (absent: a down wipe at full brightness).
CHALLENGE_VERSION = "1.0.0"
MOVEMENT_AND_LIGHT = "FaceMovementAndLightChallenge"
MOVEMENT_ONLY = "FaceMovementChallenge"

#: What each check can prove (``Challenge.Assurance`` in the result; see docs/result.md).
#: "standard": screen light + movement (the face reflected this session's colours and came closer in 3D).
#: "reduced": movement only (no colour flashes): head turns on random cues, 3D parallax, texture; it cannot
#: see a 3D mask or a live accomplice, and a replay matches the cues by chance with a small stated probability.
ASSURANCE: dict[str, str] = {MOVEMENT_AND_LIGHT: "standard", MOVEMENT_ONLY: "reduced"}

#: Head-movement cue directions: a turn to the person's own left or right (an arrow on the mirrored preview points
#: that way), or a nod up or down. A face is curved along both axes (its nose stands out in front of the cheeks
#: and of the brow-chin line), paper only along one (it bends around one axis without creasing), so a session
#: asks for both kinds of movement (see :func:`make_move_sequence`).
DIRECTIONS = ("left", "right", "up", "down")
#: Turns (about the vertical axis) and nods (about the horizontal axis).
HORIZONTAL = ("left", "right")
VERTICAL = ("up", "down")


def cue_axis(direction: str) -> str:
    """"h" for a turn (left/right), "v" for a nod (up/down)."""
    return "v" if direction in VERTICAL else "h"

#: Palette of flash colours (RGB), named for reports.
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (255, 0, 0),
    "yellow": (255, 255, 0),
    "lime": (0, 255, 0),
    "cyan": (0, 255, 255),
    "blue": (0, 0, 255),
    "violet": (255, 0, 255),
    "white": (255, 255, 255),
}
BLACK = (0, 0, 0)

#: IoU between face box and oval box needed to count as "fits".
FIT_IOU = 0.7
#: The start-far gate: face box width / oval width must be below this first.
START_FAR_RATIO = 0.62
#: A face box wider than this times the oval is "too close".
TOO_CLOSE_RATIO = 1.15


@dataclass(frozen=True)
class Box:
    """Axis-aligned box in frame pixels (x, y = top-left)."""

    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def iou(self, other: "Box") -> float:
        ix = max(0.0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0.0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        inter = ix * iy
        union = self.w * self.h + other.w * other.h - inter
        return inter / union if union > 0 else 0.0

    def to_fractions(self, width: int, height: int) -> dict[str, float]:
        """The reference service's BoundingBox shape: fractions of the frame."""
        return {"Width": self.w / width, "Height": self.h / height, "Left": self.x / width, "Top": self.y / height}


@dataclass(frozen=True)
class Oval:
    """The oval in frame pixels (centre and full width/height)."""

    cx: float
    cy: float
    w: float
    h: float

    @property
    def box(self) -> Box:
        return Box(self.cx - self.w / 2, self.cy - self.h / 2, self.w, self.h)

    def contains(self, x: float, y: float) -> bool:
        return ((x - self.cx) / (self.w / 2)) ** 2 + ((y - self.cy) / (self.h / 2)) ** 2 <= 1.0


def make_oval(frame_w: int, frame_h: int, rng: random.Random | None = None) -> Oval:
    """The session's oval, centre jittered within 7/16..9/16 of the frame."""
    rng = rng or random.Random(secrets.randbits(64))
    w = 0.8 * min(frame_w, 0.75 * frame_h)
    h = 1.618 * w
    cx = frame_w * rng.uniform(7 / 16, 9 / 16)
    cy = frame_h * rng.uniform(7 / 16, 9 / 16)
    # Keep the oval on the frame vertically as far as its height allows.
    cy = min(max(cy, h / 2), frame_h - h / 2) if h <= frame_h else frame_h / 2
    return Oval(cx, cy, w, h)


def face_box(points: np.ndarray) -> Box:
    """Face box from the eye distance *pd* and eye-to-mouth height *fh* (reference product's rule).

    ``points`` are the 478 landmarks in pixels, shape (478, 2).
    """
    right, left = eye_centres(points)
    mouth = points[list(MOUTH)].mean(axis=0)
    eyes = (right + left) / 2
    pd = float(np.linalg.norm(left - right))
    fh = float(np.linalg.norm(mouth - eyes))
    w = (2.0 * pd + 1.8 * fh) / 2
    h = 1.618 * w
    cx = float(eyes[0])
    cy = float((eyes[1] + mouth[1]) / 2)
    return Box(cx - w / 2, cy - h / 2, w, h)


@dataclass(frozen=True)
class FitState:
    """How the face sits relative to the oval."""

    iou: float
    size_ratio: float  # face box width / oval width
    offset: float  # centre distance / oval width
    edge_overhang: float  # largest fraction of the face box outside the oval box
    fits: bool
    far_enough: bool
    too_close: bool
    progress: float  # 0..1, for the "face fit" indicator


def fit_state(face: Box, oval: Oval, *, iou_start: float = 0.2, fit_iou: float = FIT_IOU) -> FitState:
    """Compare a face box with the oval: fit, too close, far enough, progress."""
    ob = oval.box
    iou = face.iou(ob)
    ratio = face.w / oval.w if oval.w else 0.0
    offset = math.hypot(face.cx - oval.cx, face.cy - oval.cy) / oval.w if oval.w else 1.0
    over = max(
        max(0.0, ob.x - face.x),
        max(0.0, (face.x + face.w) - (ob.x + ob.w)),
    ) / max(face.w, 1e-6)
    over_v = max(max(0.0, ob.y - face.y), max(0.0, (face.y + face.h) - (ob.y + ob.h))) / max(face.h, 1e-6)
    overhang = max(over, over_v)
    too_close = ratio > TOO_CLOSE_RATIO
    fits = iou >= fit_iou and overhang <= 0.25 and not too_close
    progress = 0.25 + 0.75 * (iou - iou_start) / (fit_iou - iou_start)
    progress = 1.0 if fits else float(min(0.99, max(0.0, progress)))
    return FitState(iou, ratio, offset, overhang, fits, ratio < START_FAR_RATIO, too_close, progress)


#: Colour-wipe directions, in the customer's frame: the way the new colour's edge travels across the screen as
#: the person in front of it sees it ("right": from their left to their right; "down": from the top). The camera
#: faces the customer, so in the camera's (unmirrored) image a "right" wipe lights the image's right side of the
#: face first (the customer's left cheek); docs/simulator.md, "Screen geometry", draws it.
WIPES = ("down", "up", "right", "left")
#: Brightness levels of a colour step: linear light, as a fraction of the flash's full brightness (before the
#: flash attenuation setting). The GUI paints code value x level ** (1 / DISPLAY_GAMMA) to emit this fraction.
LEVELS = (1.0, 0.65, 0.4)
#: Display transfer assumed when a level is turned into a code value (sRGB-like displays).
DISPLAY_GAMMA = 2.2


def wipe_reach(direction: str, x: Any, y: Any) -> Any:
    """Share of a wipe after which the new colour reaches the screen point (``x``, ``y``).

    ``x`` runs from the customer's left edge of the screen (0) to their right edge (1), ``y`` from the top (0) to
    the bottom (1): the screen's own pixel coordinates as the customer sees them (a Qt widget's x and y over its
    width and height). Works on floats and numpy arrays alike. A colour that starts wiping at ``t`` over ``wipe``
    reaches the point at ``t + wipe_reach(...) * wipe``.
    """
    if direction == "down":
        return y
    if direction == "up":
        return 1.0 - y
    if direction == "right":
        return x
    if direction == "left":
        return 1.0 - x
    raise ValueError(f"unknown wipe direction {direction!r}")


@dataclass(frozen=True)
class ColourStep:
    """One flash: a colour that wipes across the screen in ``direction`` at ``level`` of full brightness, then
    holds flat. Recordings of format version 1 hold only down wipes at full brightness (the defaults)."""

    name: str
    rgb: tuple[int, int, int]
    wipe_ms: int
    hold_ms: int
    direction: str = "down"
    level: float = 1.0

    @property
    def duration_ms(self) -> int:
        return self.wipe_ms + self.hold_ms

    @property
    def patterned(self) -> bool:
        """True when the step differs from format version 1's only kind (a down wipe at full brightness)."""
        return self.direction != "down" or self.level != 1.0


def with_patterns(steps: list[ColourStep], rng: random.Random) -> list[ColourStep]:
    """The steps with a random wipe direction and brightness level each (black keeps a down wipe at full level:
    it emits no light either way). Drawn after everything else a challenge draws, so a seeded simulation keeps
    its colours, timings and oval."""
    out = []
    for step in steps:
        if step.rgb == BLACK:
            out.append(step)
            continue
        out.append(ColourStep(step.name, step.rgb, step.wipe_ms, step.hold_ms, rng.choice(WIPES), rng.choice(LEVELS)))
    return out


def make_colour_sequence(rng: random.Random | None = None, length: int = 8, *, patterns: bool = True) -> list[ColourStep]:
    """A random flash sequence: black first, then palette colours.

    At least 4 distinct colours, never the same colour twice in a row. Each
    colour wipes for 300-475 ms and holds for 75-100 ms (reference product);
    with ``patterns`` each colour also gets a random wipe direction and
    brightness level (:func:`with_patterns`, drawn last).
    """
    rng = rng or random.Random(secrets.randbits(64))
    names = list(PALETTE)
    while True:
        seq: list[str] = []
        for _ in range(length - 1):
            choice = rng.choice([n for n in names if not seq or n != seq[-1]])
            seq.append(choice)
        if len(set(seq)) >= 4:
            break
    steps = [ColourStep("black", BLACK, 0, rng.randint(300, 400))]
    for name in seq:
        steps.append(ColourStep(name, PALETTE[name], rng.randint(300, 475), rng.randint(75, 100)))
    return with_patterns(steps, rng) if patterns else steps


@dataclass(frozen=True)
class MoveStep:
    """One head-turn cue: after ``pause_ms`` facing the screen, turn to ``direction`` for ``hold_ms``."""

    direction: str
    pause_ms: int
    hold_ms: int

    @property
    def duration_ms(self) -> int:
        return self.pause_ms + self.hold_ms


#: Number of head-movement cues per movement-only check (4**3 - 2 * 2**3 = 48 direction sequences with at least
#: one turn and one nod, see docs/accuracy.md).
MOVE_CUES = 3
#: Shortest pause (ms) before a cue that repeats the previous cue's direction (see :func:`make_move_sequence`).
REPEAT_PAUSE_MS = 1800


def make_move_sequence(rng: random.Random | None = None, length: int = MOVE_CUES) -> list[MoveStep]:
    """Random head-movement cues: each direction drawn from left/right/up/down, at least one turn (left/right) and
    one nod (up/down) per session (drawn again until both are there), in random order, with random pauses and holds.

    The pause before each cue (600-2400 ms, the first 600-3000 ms, one repeating the cue before it 1800-2400 ms) and the cue's duration (1300-1700 ms) are
    random too, so a recorded head turn matches this session only if its directions *and* its timing match by
    chance: the pauses spread each cue over about 2 s, against the 1.15 s in which a turn counts as an answer
    (a replay of an earlier check of the same flow, whose cues came at similar times, must not line up).
    """
    rng = rng or random.Random(secrets.randbits(64))
    while True:
        directions = [rng.choice(DIRECTIONS) for _ in range(length)]
        # Both axes: a print bent around one axis shows a face's depth along the other only (see HORIZONTAL).
        if length < 2 or (set(directions) & set(HORIZONTAL) and set(directions) & set(VERTICAL)):
            break
    steps: list[MoveStep] = []
    for i, d in enumerate(directions):
        # A cue repeating the one before waits until even a slow person's head is back: turning back takes a
        # reaction and a movement (up to about 0.7 + 0.8 s), and a head still turned that way when the cue goes
        # up would read as an answer before anyone could react (a hard failure for a genuine person).
        low = REPEAT_PAUSE_MS if i > 0 and d == directions[i - 1] else 600
        steps.append(MoveStep(d, rng.randint(low, 3000 if i == 0 else 2400), rng.randint(1300, 1700)))
    return steps


@dataclass
class Challenge:
    """Everything the session asked of the user, plus when each colour actually appeared."""

    type: str
    oval: Oval
    colours: list[ColourStep] = field(default_factory=list)
    #: Monotonic ns at which each colour began to reach the screen (filled by the GUI/simulator).
    shown_ns: list[int] = field(default_factory=list)
    version: str = CHALLENGE_VERSION
    #: How ``shown_ns`` (or ``cue_ns``) was obtained (e.g. "QWindow.frameSwapped after update").
    timing_source: str = ""
    #: Head-turn cues of a movement-only check (empty for the light check).
    moves: list[MoveStep] = field(default_factory=list)
    #: Monotonic ns at which each cue began to reach the screen (filled by the GUI/simulator).
    cue_ns: list[int] = field(default_factory=list)

    @property
    def assurance(self) -> str:
        """"standard" (light + movement) or "reduced" (movement only); see :data:`ASSURANCE`."""
        return ASSURANCE.get(self.type, "unknown")

    @property
    def movement_only(self) -> bool:
        """A movement-only check (head-turn cues, no colours): scored by its own stages and fusion."""
        return bool(self.moves) or self.type == MOVEMENT_ONLY

    @classmethod
    def new(cls, frame_w: int, frame_h: int, *, challenge_type: str = MOVEMENT_AND_LIGHT, seed: int | None = None) -> "Challenge":
        """A fresh challenge; ``seed`` only for simulations and tests (real sessions use ``secrets``)."""
        rng = random.Random(seed if seed is not None else secrets.randbits(64))
        colours = make_colour_sequence(rng, patterns=False) if challenge_type == MOVEMENT_AND_LIGHT else []
        oval = make_oval(frame_w, frame_h, rng)
        moves = make_move_sequence(rng) if challenge_type == MOVEMENT_ONLY else []
        # Directions and levels last: a seed gives the same colours, timings and oval as before they existed.
        return cls(challenge_type, oval, with_patterns(colours, rng), moves=moves)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type,
            "version": self.version,
            "oval": asdict(self.oval),
            "colours": [
                {**asdict(c), "rgb": list(c.rgb), "shown_ns": (self.shown_ns[i] if i < len(self.shown_ns) else None)}
                for i, c in enumerate(self.colours)
            ],
            "timing_source": self.timing_source,
        }
        if self.moves:
            # Only movement-only checks carry "moves"; light-check manifests stay exactly as before.
            out["moves"] = [
                {**asdict(m), "shown_ns": (self.cue_ns[i] if i < len(self.cue_ns) else None)} for i, m in enumerate(self.moves)
            ]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Challenge":
        """Rebuild from a recording's manifest; raises ``ValueError`` on malformed input."""
        try:
            oval = Oval(**{k: float(data["oval"][k]) for k in ("cx", "cy", "w", "h")})
            colours, shown = [], []
            for c in data.get("colours", []):
                direction = str(c.get("direction", "down"))
                if direction not in WIPES:
                    raise ValueError(f"unknown wipe direction {direction!r}")
                level = float(c.get("level", 1.0))
                if not 0.0 < level <= 1.0:
                    raise ValueError(f"colour level {level} outside (0, 1]")
                colours.append(ColourStep(str(c["name"]), tuple(int(v) for v in c["rgb"]), int(c["wipe_ms"]), int(c["hold_ms"]),  # type: ignore[arg-type]
                                          direction, level))
                if c.get("shown_ns") is not None:
                    shown.append(int(c["shown_ns"]))
            moves, cues = [], []
            for m in data.get("moves") or []:
                direction = str(m["direction"])
                if direction not in DIRECTIONS:
                    raise ValueError(f"unknown cue direction {direction!r}")
                moves.append(MoveStep(direction, int(m["pause_ms"]), int(m["hold_ms"])))
                if m.get("shown_ns") is not None:
                    cues.append(int(m["shown_ns"]))
            return cls(
                str(data["type"]), oval, colours, shown, str(data.get("version", CHALLENGE_VERSION)),
                str(data.get("timing_source", "")), moves, cues,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed challenge: {exc}") from exc


@dataclass(frozen=True)
class ChanceMatch:
    """How likely a recording of another session matches this session's colour challenge (per attempt).

    ``colour`` bounds the chance that another session's hues agree with these in all but the tolerated number
    of steps, ``direction`` is the chance that its wipes cross the face in this session's order in enough
    steps to pass the sweep rule, ``total`` their product (the two are drawn independently). Brightness levels
    and step timings must match too but are not counted (no rule has been measured to enforce them), so
    ``total`` is an upper bound on what the colours and wipes alone allow.
    """

    steps: int
    colour: float
    direction: float
    total: float
    needed_agree: int


def binomial_tail(n: int, k: int, p: float) -> float:
    """P(at least ``k`` successes in ``n`` independent trials of probability ``p``)."""
    return float(sum(math.comb(n, j) * p**j * (1.0 - p) ** (n - j) for j in range(max(k, 0), n + 1)))


def chance_match(
    steps: list[ColourStep], *, colour_misses: int = 1, min_agree: int = 4, agree_share: float = 0.6, sweep_z: float = 2.0,
) -> ChanceMatch:
    """The chance that a recording of another session (its challenge drawn by the same rules) passes this
    session's colour and sweep-order rules by coincidence; derivation in docs/accuracy.md.

    - **Colours.** Another session's colour at each step is uniform over the 6 palette colours that differ from
      its previous one (7 for the first), so given anything before, it equals this session's with probability
      at most 1/6. Matching in a given set of ``s`` steps has probability at most (1/6)^s, and a union over the
      C(n, m) sets of ``n - m`` steps bounds matching all but ``m = colour_misses`` steps:
      ``C(n, m) (1/6)^(n - m)``.
    - **Directions.** Each step's wipe direction is uniform over 4, independently. A step of the other session
      agrees with this one's when its direction is the same (1/4); when it runs across (1/2) the face shows no
      lead along this step's axis and the step agrees only by noise (one-sided normal tail beyond ``sweep_z``
      standard errors); when it runs the opposite way it disagrees. With every step usable, the sweep rule needs
      at least ``max(min_agree, ceil(agree_share x n))`` agreeing steps: a binomial tail.

    Black (no wipe) is not counted: it has no colour to match and no wipe.
    """
    judged = [s for s in steps if s.wipe_ms > 0 and s.rgb != BLACK]
    n = len(judged)
    if n == 0:
        return ChanceMatch(0, 1.0, 1.0, 1.0, 0)
    m = min(max(colour_misses, 0), n)
    p_colour_step = 1.0 / (len(PALETTE) - 1)
    colour = min(1.0, math.comb(n, m) * p_colour_step ** (n - m))
    across = 0.5 * math.erfc(sweep_z / math.sqrt(2.0))  # P(N(0, 1) >= z)
    p_agree = 1.0 / len(WIPES) + 0.5 * across
    needed = max(min_agree, math.ceil(agree_share * n - 1e-9))
    direction = binomial_tail(n, needed, p_agree)
    return ChanceMatch(n, colour, direction, colour * direction, needed)
