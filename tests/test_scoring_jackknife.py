"""The block jackknife every session error comes from (stages/base.py)."""

from __future__ import annotations

import math

import numpy as np

from app.core.scoring.stages.base import block_jackknife_se


def _mean_se(values: np.ndarray) -> float:
    return block_jackknife_se(len(values), lambda keep: float(values[keep].mean()))


def test_independent_frames_give_the_textbook_error_of_a_mean() -> None:
    rng = np.random.default_rng(0)
    errors = [_mean_se(rng.normal(0, 1, 120)) for _ in range(200)]
    # sigma / sqrt(n) = 0.091; six blocks give a noisy but unbiased estimate of it.
    assert 0.075 < float(np.mean(errors)) < 0.105


def test_frames_that_move_together_give_a_larger_error() -> None:
    """Stretches of frames shifted together (a sway, an exposure step) raise the error well above what
    independent frames of the same spread give."""
    rng = np.random.default_rng(1)
    independent, drifting = [], []
    for _ in range(100):
        noise = rng.normal(0, 1, 120)
        independent.append(_mean_se(noise))
        walk = np.cumsum(rng.normal(0, 1, 120))
        drifting.append(_mean_se(walk / walk.std() * noise.std()))
    assert float(np.median(drifting)) > 3 * float(np.median(independent))


def test_too_few_frames_or_a_failed_repeat_give_no_error() -> None:
    values = np.arange(10.0)
    assert math.isnan(block_jackknife_se(len(values), lambda keep: float(values[keep].mean()), min_per_block=2))
    values = np.arange(60.0)
    assert math.isnan(block_jackknife_se(len(values), lambda keep: math.nan if keep[0] else 1.0))
    assert block_jackknife_se(len(values), lambda keep: 1.0) == 0.0
