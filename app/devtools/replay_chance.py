"""The chance that a replay of another movement-only check passes this check's cue rules by coincidence.

``python -m app.devtools.replay_chance [--cues N] [--trials T]`` draws pairs of cue sequences with the app's own
generator (:func:`app.core.challenge.make_move_sequence`): one for this check, one for the recorded check whose
footage is replayed. The recorded person answered each of *their* cues with a human latency (half the movement
after a reaction of 200-600 ms per person, +-100 ms per cue, plus half a turn of 350-800 ms: the ranges the
simulator's genuine people use, within measured human reaction times). The replay passes the cue rules when its
directions equal this check's (one sequence of all those with at least one turn and one nod) and every recorded
movement's half point falls in this check's answer window (``latency_ms`` after each cue). Two ways of starting
the footage are modelled:

* ``aligned``: the forger starts the footage so that its first cue coincides with this check's first cue (the best
  a forger can do without knowing the later cues' random times);
* ``blind``: the footage starts at a random moment within +-1 s of that.

A replay that matches therefore makes no movement of its own beyond the cues (both checks have the same number
of cues), so the rule against unprompted movements does not lower this chance; it stops replays that match some
cues and not others, with a reason of their own. Printed: the timing probability per mode, the direction
probability, their product per attempt, and over ``--attempts`` attempts (the device's lock-out).
"""

from __future__ import annotations

import argparse
import random
import sys
from itertools import product

from app.core.challenge import HORIZONTAL, VERTICAL, make_move_sequence


def sequences(cues: int) -> int:
    """Number of direction sequences of ``cues`` cues with at least one turn and one nod."""
    return sum(1 for q in product(HORIZONTAL + VERTICAL, repeat=cues) if set(q) & set(HORIZONTAL) and set(q) & set(VERTICAL))


def cue_times(rng: random.Random, cues: int) -> list[float]:
    """Times (ms) at which a check's cues appear, from the start of its first pause."""
    t, out = 0.0, []
    for step in make_move_sequence(rng, cues):
        t += step.pause_ms
        out.append(t)
        t += step.hold_ms
    return out


def timing_chance(cues: int, trials: int, window: tuple[float, float], aligned: bool, seed: int = 1) -> float:
    """Share of replays whose every movement's half point lands in this check's answer window."""
    rng = random.Random(seed)
    hits = 0
    for _ in range(trials):
        ours, theirs = cue_times(rng, cues), cue_times(rng, cues)
        offset = ours[0] - theirs[0] if aligned else ours[0] - theirs[0] + rng.uniform(-1000.0, 1000.0)
        person = rng.uniform(200.0, 600.0)
        ok = True
        for a, b in zip(ours, theirs):
            half = max(150.0, person + rng.uniform(-100.0, 100.0)) + rng.uniform(350.0, 800.0) / 2
            if not window[0] <= b + offset + half - a <= window[1]:
                ok = False
                break
        hits += ok
    return hits / trials


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.devtools.replay_chance", description=__doc__.split("\n")[0])
    parser.add_argument("--cues", type=int, default=3)
    parser.add_argument("--trials", type=int, default=100_000)
    parser.add_argument("--window", type=float, nargs=2, default=(150.0, 1500.0), metavar=("LOW_MS", "HIGH_MS"))
    parser.add_argument("--attempts", type=int, default=5)
    args = parser.parse_args(argv)
    if args.cues < 2 or args.trials < 1 or args.attempts < 1:
        print("replay_chance: --cues must be at least 2, --trials and --attempts at least 1", file=sys.stderr)
        return 2
    n = sequences(args.cues)
    print(f"{args.cues} cues: {n} direction sequences (1 in {n}); answer window {args.window[0]:.0f}-{args.window[1]:.0f} ms")
    for aligned in (True, False):
        mode = "aligned" if aligned else "blind"
        p_time = timing_chance(args.cues, args.trials, (args.window[0], args.window[1]), aligned)
        p = p_time / n
        if p <= 0:
            print(f"  {mode}: no timing match in {args.trials} trials")
            continue
        over = 1.0 - (1.0 - p) ** args.attempts
        print(f"  {mode}: timing {p_time:.3f}, per attempt {p:.5f} (1 in {1 / p:.0f}), over {args.attempts} attempts {over:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
