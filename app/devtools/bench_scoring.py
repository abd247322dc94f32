"""``livegate bench --only scoring``: per-frame analysis cost and decision latency.

Uses a hand-made session (``synthetic.py``) so it needs neither the simulator
nor the landmark model: landmarks come with the session.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from app.devtools.bench import register


def bench_scoring(frames: int) -> dict[str, Any]:
    """Median/p95 of ``LiveAnalyzer.add`` per frame and of ``finish`` over a few sessions."""
    from app.core.scoring.contract import SessionContext
    from app.core.scoring.pipeline import LiveAnalyzer, SessionScorer
    from app.devtools.synthetic_sessions import SynthSpec, make_session

    session = make_session(SynthSpec(kind="live", seed=3))
    scorer = SessionScorer()
    per_frame: list[float] = []
    finish: list[float] = []
    held = 0
    texture = "loaded" if scorer.texture.model is not None else "missing (stage abstains)"
    try:
        for _ in range(max(1, min(5, frames // 30))):
            analyzer = LiveAnalyzer(SessionContext("bench", session.challenge, session.source), scorer=scorer)
            for frame, lms in zip(session.frames, session.landmarks):
                t0 = time.perf_counter()
                analyzer.add(frame, lms)
                per_frame.append((time.perf_counter() - t0) * 1000)
            held = analyzer._keeper.frames_held
            t0 = time.perf_counter()
            analyzer.finish()
            finish.append((time.perf_counter() - t0) * 1000)
    finally:
        scorer.close()
    per_frame.sort()
    return {
        "frames_per_session": len(session.frames),
        "add_ms_median": round(statistics.median(per_frame), 2),
        "add_ms_p95": round(per_frame[int(0.95 * (len(per_frame) - 1))], 2),
        "full_frames_held": held,
        "finish_ms_median": round(statistics.median(finish), 1),
        "finish_ms_max": round(max(finish), 1),
        "texture_model": texture,
    }


register("scoring", bench_scoring)
