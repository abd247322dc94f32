"""What every session stage shares: its input, the result helpers and small maths."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from app.core.capture.frame import SourceInfo
from app.core.challenge import Challenge
from app.core.scoring.contract import ABSTAIN, FAIL, PASS, CheckResult
from app.core.scoring.features import SessionData


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
    #: Seed for anything random (decoy sequences); derived from the session so re-scoring is identical.
    seed: int = 0


class SessionStage(Protocol):
    """The one-method interface of a session stage (plus ``close``)."""

    name: str

    def evaluate(self, session: SessionInput) -> CheckResult:
        """Judge one session."""

    def close(self) -> None:
        """Release resources."""


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


def clean(value: Any, digits: int = 4) -> Any:
    """JSON-friendly evidence: floats rounded, NaN/inf as None, numpy scalars unwrapped."""
    if isinstance(value, dict):
        return {str(k): clean(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v, digits) for v in value]
    if isinstance(value, np.ndarray):
        return clean(value.tolist(), digits)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return round(v, digits) if math.isfinite(v) else None
    return value


def result(
    name: str,
    verdict: str,
    score: float | None,
    reason: str,
    evidence: dict[str, Any] | None = None,
    *,
    hard_fail: bool = False,
) -> CheckResult:
    """A :class:`CheckResult` with cleaned evidence; abstentions carry no score."""
    if verdict not in (PASS, FAIL, ABSTAIN):
        raise ValueError(f"verdict must be pass, fail or abstain, got {verdict!r}")
    if verdict == ABSTAIN:
        score = None
    return CheckResult(name, verdict, score, reason, clean(evidence or {}), hard_fail=hard_fail)


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
