"""``livegate bench --only sim``: simulator render speed (printed, never asserted in tests)."""

from __future__ import annotations

import statistics
import time
from typing import Any

from app.devtools.bench import register


def bench_sim(frames: int, species: str = "live") -> dict[str, Any]:
    """Render ``frames`` frames of ``sim:<species>`` on the virtual clock; wall and CPU time per frame."""
    from app.core.simulate import open_sim_source

    t_open = time.perf_counter()
    source = open_sim_source(species, {"seed": "1"}, realtime=False)
    source.open()
    open_s = time.perf_counter() - t_open
    wall, cpu = [], []
    try:
        for _ in range(max(frames, 10)):
            w0, c0 = time.perf_counter(), time.thread_time()
            source.read()
            wall.append(time.perf_counter() - w0)
            cpu.append(time.thread_time() - c0)
    finally:
        source.close()
    wall, cpu = wall[3:], cpu[3:]
    med = statistics.median(wall)
    return {
        f"sim_{species}_fps": round(1.0 / med, 1),
        f"sim_{species}_ms_median": round(med * 1000, 2),
        f"sim_{species}_ms_p95": round(sorted(wall)[int(0.95 * (len(wall) - 1))] * 1000, 2),
        f"sim_{species}_cpu_ms_median": round(statistics.median(cpu) * 1000, 2),
        f"sim_{species}_open_s": round(open_s, 2),
    }


def bench_all(frames: int) -> dict[str, Any]:
    """``sim:live`` in full, then the attack species with fewer frames."""
    result = bench_sim(frames, "live")
    for species in ("print", "mask", "screen-replay", "injection"):
        r = bench_sim(max(20, frames // 3), species)
        result[f"sim_{species}_fps"] = r[f"sim_{species}_fps"]
    return result


register("sim", bench_all)
