"""Measurement helpers for checking the simulator's physics (tests, docs, demos).

These read the simulator's ground truth (face boxes) to know where to measure;
they are evaluation tools and must never be used by the scoring code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.core.screen import ScreenState
from app.core.simulate.source import SimSource

FRAME_NS = 33_333_333

#: Overrides that make a participant reach the oval within ~0.3 s with a locked,
#: uncompressed camera and a fixed latency: for short, precise physics checks.
QUICK = {
    "wait_s": "0",
    "approach_s": "0.25",
    "latency_ms": "66.7",
    "ae_tau": "0",
    "awb_tau": "0",
    "jpeg_quality": "0",
    "jitter_ms": "0",
}


def scripted_screen(schedule: Sequence[tuple[int, tuple[int, int, int]]], t0_ns: int, *, wipe_ms: float = 0.0) -> ScreenState:
    """A screen that shows ``rgb`` from frame index ``i`` on (for each ``(i, rgb)``)."""
    screen = ScreenState()
    for index, rgb in schedule:
        screen.show(rgb, t0_ns + index * FRAME_NS, wipe_ns=int(wipe_ms * 1e6))
    return screen


@dataclass
class Trace:
    """Per-frame mean RGB of the face centre and of a background corner, plus face counts (truth)."""

    face: np.ndarray  # (n, 3) RGB
    background: np.ndarray  # (n, 3) RGB
    faces: list[int]


def trace(source: SimSource, frames: int, *, corner: int = 40) -> Trace:
    """Read ``frames`` frames; measure the largest true face's central region and the top-left corner."""
    face, bg, counts = [], [], []
    for _ in range(frames):
        frame = source.read()
        truth = source.truth
        assert truth is not None
        counts.append(len(truth.faces))
        img = frame.image
        if truth.faces:
            b = max(truth.faces, key=lambda f: f.box.w).box
            x0, x1 = int(max(b.cx - 0.2 * b.w, 0)), int(min(b.cx + 0.2 * b.w, img.shape[1]))
            y0, y1 = int(max(b.cy - 0.15 * b.h, 0)), int(min(b.cy + 0.15 * b.h, img.shape[0]))
            face.append(img[y0:y1, x0:x1].reshape(-1, 3).mean(axis=0)[::-1])
        else:
            face.append(np.full(3, np.nan))
        bg.append(img[5 : 5 + corner, 5 : 5 + corner].reshape(-1, 3).mean(axis=0)[::-1])
    return Trace(np.array(face), np.array(bg), counts)


def step_response(values: np.ndarray, before: slice, after: slice) -> np.ndarray:
    """Mean over ``after`` minus mean over ``before`` (per channel)."""
    return np.nanmean(values[after], axis=0) - np.nanmean(values[before], axis=0)


def half_rise_index(series: np.ndarray, start: int, stop: int, baseline: slice) -> int:
    """First index in ``start..stop`` where ``series`` is past half-way from its baseline to its final level."""
    base = float(np.nanmean(series[baseline]))
    final = float(np.nanmean(series[stop - 3 : stop]))
    half = (base + final) / 2
    for i in range(start, stop):
        if (final > base and series[i] > half) or (final < base and series[i] < half):
            return i
    return stop
