"""What the screen emitted over time, rebuilt from the challenge (colours and when each began).

Each colour wipes across the screen over ``wipe_ms`` (in its step's direction)
and then holds; averaged over the screen, the emitted colour therefore ramps
linearly from the previous colour to the new one during the wipe, whatever
the direction. A step's ``level`` scales its colour (linear light). A camera frame integrates over its
exposure, so the timeline is sampled on a fine grid and smoothed with a box of
one frame interval before it is compared with the face.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

import numpy as np

from app.core.challenge import LEVELS, PALETTE, Challenge, ColourStep
from app.core.screen import ScreenState

#: Resolution of the sampled timeline.
GRID_NS = 2_000_000


@dataclass(frozen=True)
class DisplayTimeline:
    """Piecewise-linear screen colour (RGB, 0..255) of one colour sequence.

    Attributes
    ----------
    starts_ns:
        When each colour began to reach the screen (monotonic clock).
    colours:
        (K, 3) RGB of each step, scaled by the step's brightness level (linear light, 0..255).
    wipes_ns, holds_ns:
        Wipe and hold durations per step.
    neutral:
        RGB shown before the first and after the last step.
    """

    starts_ns: np.ndarray
    colours: np.ndarray
    wipes_ns: np.ndarray
    holds_ns: np.ndarray
    neutral: tuple[float, float, float] = tuple(float(v) for v in ScreenState.NEUTRAL)  # type: ignore[assignment]

    @classmethod
    def from_challenge(cls, challenge: Challenge) -> "DisplayTimeline | None":
        """The timeline of a challenge, or ``None`` when it has no colours or no recorded times."""
        steps = challenge.colours
        if not steps or len(challenge.shown_ns) < len(steps):
            return None
        return cls.from_steps(steps, challenge.shown_ns[: len(steps)])

    @classmethod
    def from_steps(cls, steps: list[ColourStep], shown_ns: list[int]) -> "DisplayTimeline":
        return cls(
            starts_ns=np.asarray(shown_ns, np.int64),
            colours=np.array([np.asarray(s.rgb, np.float64) * s.level for s in steps], np.float64),
            wipes_ns=np.array([s.wipe_ms * 1_000_000 for s in steps], np.int64),
            holds_ns=np.array([s.hold_ms * 1_000_000 for s in steps], np.int64),
        )

    @property
    def start_ns(self) -> int:
        return int(self.starts_ns[0])

    @property
    def end_ns(self) -> int:
        """When the last colour's hold ends."""
        return int(self.starts_ns[-1] + self.wipes_ns[-1] + self.holds_ns[-1])

    def colour_at(self, t_ns: np.ndarray) -> np.ndarray:
        """Screen-average RGB at each time (no exposure smoothing); shape (len(t), 3)."""
        t = np.asarray(t_ns, np.int64)
        k = np.searchsorted(self.starts_ns, t, side="right") - 1
        neutral = np.asarray(self.neutral, np.float64)
        out = np.tile(neutral, (len(t), 1))
        inside = (k >= 0) & (t < self.end_ns)
        if inside.any():
            ki = k[inside]
            new = self.colours[ki]
            prev = np.where((ki > 0)[:, None], self.colours[np.maximum(ki - 1, 0)], neutral[None, :])
            wipe = self.wipes_ns[ki].astype(np.float64)
            elapsed = (t[inside] - self.starts_ns[ki]).astype(np.float64)
            frac = np.where(wipe > 0, np.clip(elapsed / np.maximum(wipe, 1.0), 0.0, 1.0), 1.0)
            out[inside] = prev * (1.0 - frac[:, None]) + new * frac[:, None]
        return out

    def sampled(self, t0_ns: int, t1_ns: int, exposure_ns: int) -> "SampledTimeline":
        """Sample on a 2 ms grid over ``[t0, t1]`` and box-smooth over ``exposure_ns`` (one frame)."""
        n = int((t1_ns - t0_ns) // GRID_NS) + 2
        times = t0_ns + np.arange(n, dtype=np.int64) * GRID_NS
        values = self.colour_at(times)
        width = max(1, int(round(exposure_ns / GRID_NS)))
        if width > 1:
            # A frame stamped at t integrated the light over (t - exposure, t].
            kernel = np.ones(width) / width
            padded = np.vstack([np.repeat(values[:1], width - 1, axis=0), values])
            values = np.stack([np.convolve(padded[:, c], kernel, mode="valid") for c in range(3)], axis=1)
        return SampledTimeline(t0_ns, values)


@dataclass(frozen=True)
class SampledTimeline:
    """A timeline on a regular 2 ms grid starting at ``t0_ns``."""

    t0_ns: int
    values: np.ndarray  # (n, 3)

    def at(self, t_ns: np.ndarray) -> np.ndarray:
        """Values at arbitrary times (nearest grid sample, clamped to the ends); shape (*t.shape, 3)."""
        idx = np.rint((np.asarray(t_ns, np.float64) - self.t0_ns) / GRID_NS).astype(np.int64)
        idx = np.clip(idx, 0, len(self.values) - 1)
        return self.values[idx]


def decoy_sequences(challenge: Challenge, count: int, seed: int) -> list[DisplayTimeline]:
    """Random colour sequences with this challenge's timing, drawn by the same rules.

    Used as a null distribution: a face must follow *this* session's colours
    clearly better than it follows sequences that were never shown. The RNG is
    seeded from the session, so scoring the same data twice gives the same answer.
    """
    rng = random.Random(f"livegate-decoys:{seed}")
    names = list(PALETTE)
    steps = challenge.colours
    levelled = any(s.patterned for s in steps)
    # The true sequence and its channel permutations fit equally well under a free 3x3 mixing,
    # so they are no evidence against the face and never serve as decoys.
    true_rgb = [tuple(s.rgb) for s in steps[1:]]
    excluded = {tuple(tuple(rgb[i] for i in perm) for rgb in true_rgb) for perm in itertools.permutations(range(3))}
    out = []
    for _ in range(count):
        for _attempt in range(1000):
            seq: list[str] = []
            for _ in range(len(steps) - 1):
                seq.append(rng.choice([n for n in names if not seq or n != seq[-1]]))
            if len(set(seq)) >= min(4, len(steps) - 1) and tuple(PALETTE[n] for n in seq) not in excluded:
                break
        fake = [steps[0]]
        # Each decoy step keeps the shown step's timing and direction (the screen-average timeline does not
        # depend on the direction) and, when the challenge varies brightness, draws its own level as the
        # challenge does (a version 1 recording's decoys stay at full brightness, as they always were).
        fake += [ColourStep(n, PALETTE[n], s.wipe_ms, s.hold_ms, s.direction, rng.choice(LEVELS) if levelled else 1.0)
                 for n, s in zip(seq, steps[1:])]
        out.append(DisplayTimeline.from_steps(fake, challenge.shown_ns[: len(steps)]))
    return out
