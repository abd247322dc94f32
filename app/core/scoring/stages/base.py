"""What every session stage shares: its input, the result helpers and small maths."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.core.capture.frame import SourceInfo
from app.core.challenge import Challenge
from app.core.enums import Verdict
from app.core.scoring.contract import CheckResult
from app.core.scoring.evidence import UNSET, Evidence, clean, number
from app.core.scoring.features import SessionData
from app.core.scoring.reasons import ReasonCode


@dataclass
class KeptFrame:
    """A full frame the analyzer kept (reference, audit or texture candidate)."""

    image: np.ndarray
    index: int
    t_ns: int
    points: np.ndarray | None
    quality: float


@dataclass
class SessionInput:
    """Everything a session stage may read. Never contains labels."""

    data: SessionData
    challenge: Challenge
    source: SourceInfo
    #: Best-quality full frames (for the texture model), best first.
    best_frames: list[KeptFrame] = field(default_factory=list)
    #: Texture-model candidates, best first: frames in the plain light before the first colour whose face box,
    #: scaled for every MiniFASNet model, lies wholly inside the frame (the texture stage re-checks both).
    texture_frames: list[KeptFrame] = field(default_factory=list)
    #: Seed for anything random (decoy sequences); derived from the session so re-scoring is identical.
    seed: int = 0


def sigmoid(x: float) -> float:
    """Logistic function, safe for large magnitudes."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def logistic_score(features: dict[str, float], coef: dict[str, float], bias: float, *, missing: float = 0.0) -> float:
    """``sigmoid(bias + sum(coef[k] * features[k]))``; NaN or absent features count as ``missing``."""
    z = bias
    for key, weight in coef.items():
        value = features.get(key, math.nan)
        if value is None or not math.isfinite(value):
            value = missing
        z += weight * value
    return sigmoid(z)


class ScorerReason(ReasonCode):
    """Reasons the scorer itself gives for a stage."""

    STAGE_ERROR = "scorer.stage_error", "The {name} check could not be computed."


@dataclass
class StageErrorEvidence(Evidence):
    """Evidence of a stage that raised while judging (it abstains)."""

    error: str = UNSET


def result(
    name: str,
    verdict: Verdict,
    score: float | None,
    code: ReasonCode,
    evidence: Evidence | None = None,
    *,
    hard_fail: bool = False,
    **params: Any,
) -> CheckResult:
    """A :class:`CheckResult` with cleaned evidence and the sentence of ``code`` (``params`` fill it in);
    abstentions carry no score."""
    verdict = Verdict(verdict)
    if verdict == Verdict.ABSTAIN:
        score = None
    ev = clean(evidence if evidence is not None else Evidence())
    return CheckResult(name, verdict, score, code.sentence(**params), ev, hard_fail=hard_fail, code=code, params=dict(params))


@contextmanager
def timed(sink: Callable[[float], None]) -> Iterator[None]:
    """Measure the enclosed block in milliseconds and hand the value to ``sink``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        sink((time.perf_counter() - start) * 1000)


def nanmedian(values: np.ndarray | list[float]) -> float:
    """Median ignoring NaN; NaN when nothing is left (no warning)."""
    arr = np.asarray(values, np.float64)
    arr = arr[np.isfinite(arr)]
    return float(np.median(arr)) if arr.size else math.nan


def nanmean(values: np.ndarray | list[float]) -> float:
    arr = np.asarray(values, np.float64)
    arr = arr[np.isfinite(arr)]
    return float(arr.mean()) if arr.size else math.nan


def moved_by_errors(value: Any, se: Any, k: float) -> float:
    """``value + k * se``: a measurement moved by ``k`` of its standard errors (negative ``k``: towards smaller
    values). An unknown error counts as none, so a value without one is judged on itself alone. A rule that
    calls "attack" asks whether this bound, not the bare value, lies beyond its limit."""
    e = number(se)
    return number(value) + k * (e if math.isfinite(e) else 0.0)


#: Consecutive stretches of a session left out in turn by :func:`block_jackknife_se`.
JACKKNIFE_BLOCKS = 6


def block_jackknife_se(n: int, estimate: Callable[[np.ndarray], float], *, blocks: int = JACKKNIFE_BLOCKS,
                       min_per_block: int = 2) -> float:
    """Standard error of a session measurement from stretches of its frames (block jackknife).

    Neighbouring frames are not independent: a sway into the key light, an exposure step, landmarks that wander
    together in a dim room move whole stretches of frames, so an error that takes frames as independent
    understates the real one. ``estimate(keep)`` repeats the measurement on the frames of the boolean mask
    ``keep``; it is called once per stretch with that stretch left out, and the spread of the results gives
    the error. NaN with fewer than ``min_per_block`` frames per stretch or a non-finite repeat."""
    if n < blocks * min_per_block:
        return math.nan
    edges = np.linspace(0, n, blocks + 1).round().astype(int)
    values = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        keep = np.ones(n, bool)
        keep[lo:hi] = False
        values.append(float(estimate(keep)))
    v = np.asarray(values)
    if not np.isfinite(v).all():
        return math.nan
    return float(math.sqrt((blocks - 1) / blocks * float(((v - v.mean()) ** 2).sum())))
