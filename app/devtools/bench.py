"""``livegate bench``: performance numbers, printed (never asserted in tests).

Each benchmark is a function returning a dict of numbers; later parts of the
app register theirs in ``BENCHMARKS``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from app.core.capture.frame import Frame


def sample_face_frame(width: int = 640, height: int = 480) -> np.ndarray:
    """A BGR 640x480 frame with a real face (scikit-image's astronaut) or, without it, noise."""
    try:
        from skimage import data

        rgb = data.astronaut()
        canvas = np.full((height, width, 3), 90, np.uint8)
        face = cv2.resize(rgb[:, :, ::-1], (height, height))
        x0 = (width - height) // 2
        canvas[:, x0 : x0 + height] = face
        return canvas
    except ImportError:
        return np.random.default_rng(0).integers(0, 255, (height, width, 3), dtype=np.uint8)


def bench_landmarks(frames: int) -> dict[str, Any]:
    """Landmark-stage throughput on 640x480 frames (video mode, up to 3 faces)."""
    from app.core.landmarks import LandmarkStage

    image = sample_face_frame()
    times = []
    faces = 0
    with LandmarkStage.create() as stage:
        for i in range(frames):
            frame = Frame(image, i * 33_333_333, i)
            t0 = time.perf_counter()
            result = stage.process(frame)
            times.append(time.perf_counter() - t0)
            faces += int(result.face_count > 0)
    times = times[5:] or times
    med = statistics.median(times)
    return {
        "landmark_fps": round(1.0 / med, 1),
        "landmark_ms_median": round(med * 1000, 2),
        "landmark_ms_p95": round(sorted(times)[int(0.95 * (len(times) - 1))] * 1000, 2),
        "frames_with_face": f"{faces}/{frames}",
    }


BENCHMARKS: dict[str, Callable[[int], dict[str, Any]]] = {"landmarks": bench_landmarks}
#: The command-line argument each benchmark takes (default ``frames``).
ARGUMENTS: dict[str, str] = {}
#: Benchmarks that run only when named in ``--only`` (they take minutes).
OPT_IN: set[str] = set()


def register(name: str, func: Callable[[int], dict[str, Any]], *, argument: str = "frames", opt_in: bool = False) -> None:
    """Add a benchmark; ``argument`` names the ``livegate bench`` option passed to it."""
    BENCHMARKS[name] = func
    ARGUMENTS[name] = argument
    if opt_in:
        OPT_IN.add(name)


def _load_optional() -> None:
    """Import the modules that register more benchmarks (simulator, scoring, GUI)."""
    import importlib

    for module in ("app.devtools.bench_sim", "app.devtools.bench_scoring", "app.devtools.bench_fleet", "app.devtools.bench_gui"):
        try:
            importlib.import_module(module)
        except ImportError:
            pass


def run_benchmarks(args: argparse.Namespace) -> int:
    _load_optional()
    only = [n.strip() for n in (args.only or "").split(",") if n.strip()]
    unknown = [n for n in only if n not in BENCHMARKS]
    if unknown:
        print(f"error: unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    for name, func in BENCHMARKS.items():
        if (only and name not in only) or (not only and name in OPT_IN):
            continue
        value = getattr(args, ARGUMENTS.get(name, "frames"), None)
        result = func(int(value) if value is not None else args.frames)
        print(f"[{name}]")
        for key, value in result.items():
            print(f"  {key}: {value}")
    return 0
