"""``livegate bench`` GUI benchmark: a full simulated check, offscreen, with the event-loop heartbeat running.

Reports preview and analysis frame rates, dropped-frame ratios (preview,
analysis, and frames the source itself dropped), the GUI event loop's worst
stall and 99th percentile, the end-to-end check time and how closely the
flashes kept their nominal durations. The check runs against a temporary
session store, as in the app, so the stall includes creating, starting and
storing the session (encrypted images, fsync). Numbers are printed, never asserted.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from app.devtools import bench
from app.core.challenge import MOVEMENT_AND_LIGHT
from app.core.check.flow import FlowConfig
from app.core.settings import Settings

SPEC = "sim:live?seed=7"


def bench_gui(frames: int) -> dict[str, Any]:
    """One full movement + light check with ``sim:live`` in an offscreen window (``frames`` is unused)."""
    if not os.environ.get("QT_QPA_PLATFORM") and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from app.gui.controller import CheckController
    from app.gui.main import make_application, tune_interpreter
    from app.gui.preview import RasterCanvas
    from app.devtools.screenshots import wait_until
    from app.gui.stall import StallMonitor
    from app.gui.window import MainWindow

    from app.devtools.synthetic_results import make_service

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = make_application(["livegate-bench", "-platform", "offscreen"])
    tune_interpreter()
    store_dir = Path(tempfile.mkdtemp(prefix="livegate-bench-store-"))
    service = make_service(store_dir, settings=Settings(), kiosk=False)
    controller = CheckController(
        settings=Settings(),
        source_spec=SPEC,
        flow_config=FlowConfig(face_fit_timeout_s=30.0, verify_timeout_s=60.0, camera_open_timeout_s=60.0),
        recordings_dir=store_dir / "recordings",
        sessions=service,
    )
    window = MainWindow(controller=controller, canvas=RasterCanvas(), camera_lister=list)
    window.resize(1100, 720)
    window.show()
    monitor = StallMonitor(interval_ms=10)
    # Warm-up: the simulator builds its face model and MediaPipe loads once per process.
    window.start_check(challenge_type=MOVEMENT_AND_LIGHT)
    wait_until(lambda: window.page_name in ("guidance", "error"), 120)
    window.go_home()
    wait_until(lambda: not controller.core.retiring, 10)

    monitor.start()
    t0 = time.monotonic()
    window.canvas.reset_stats()
    window.start_check(challenge_type=MOVEMENT_AND_LIGHT)
    wait_until(lambda: window.page_name == "guidance", 60)
    t_guidance = time.monotonic()
    wait_until(lambda: window.page_name in ("verifying", "result", "error", "timeout"), 120)
    t_capture_end = time.monotonic()
    worker = controller.core.last_epoch
    painted = window.canvas.painted_frames
    first_painted, last_painted = window.canvas.first_painted_index, window.canvas.last_painted_index
    wait_until(lambda: window.page_name in ("result", "error", "timeout"), 120)
    t_end = time.monotonic()
    monitor.stop()
    session = controller.session
    outcome = session.outcome if session is not None else None
    result = outcome.result if outcome is not None else None
    capture = worker.capture if worker is not None else None
    out: dict[str, Any] = {"source": SPEC, "ended_on": window.page_name}
    span_s = max(1e-6, t_capture_end - t_guidance)
    if capture is not None and capture.first_index is not None and capture.last_index is not None:
        offered = capture.last_index - capture.first_index + 1
        out["source_fps_offered"] = round(offered / max(1e-6, t_capture_end - t0), 1)
        out["capture_fps"] = round(capture.captured / max(1e-6, t_capture_end - t0), 1)
        out["source_dropped_ratio"] = round(1 - capture.captured / offered, 3)
    if first_painted is not None and last_painted is not None and capture is not None:
        out["preview_fps"] = round(painted / max(1e-6, t_capture_end - t0), 1)
        out["preview_dropped_ratio"] = round(max(0.0, 1 - painted / max(1, capture.captured)), 3)
    if worker is not None:
        out["analysis_fps"] = round(worker.frames_read / max(1e-6, t_capture_end - t0), 1)
        if capture is not None and capture.captured:
            out["analysis_dropped_ratio"] = round(1 - worker.frames_read / capture.captured, 3)
        if worker.analysis_ms:
            out["analysis_ms_median"] = round(statistics.median(worker.analysis_ms), 1)
    out["gui_stall_worst_ms"] = round(monitor.worst_ms, 1)
    out["gui_stall_p99_ms"] = round(monitor.percentile(0.99), 1)
    out["gui_stall_over_50ms"] = sum(1 for v in monitor.lateness_ms if v > 50)
    out["check_seconds_total"] = round(t_end - t0, 2)
    out["guidance_and_light_seconds"] = round(span_s, 2)
    out["verifying_seconds"] = round(t_end - t_capture_end, 2)
    if session is not None and session.challenge is not None and len(session.challenge.shown_ns) >= 2:
        shown = session.challenge.shown_ns
        steps = session.challenge.colours
        errors = [abs((b - a) / 1e6 - steps[i].duration_ms) for i, (a, b) in enumerate(zip(shown, shown[1:]))]
        out["flash_step_error_ms_mean"] = round(statistics.mean(errors), 1)
        out["flash_timing_source"] = session.challenge.timing_source
    out["decision"] = result.decision if result is not None else (outcome.unavailable_reason if outcome else "none")
    out["session_status"] = controller.record.status if controller.record is not None else "none"
    out["load_average_1min"] = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else "n/a"
    window.allow_close()
    window.close()
    wait_until(lambda: not controller.core.retiring, 10)
    app.processEvents()
    service.close()
    shutil.rmtree(store_dir, ignore_errors=True)
    return out


bench.register("gui", bench_gui)


#: One soak cycle: what a kiosk sees in a day, in proportion (kind, source).
SOAK_CYCLE: tuple[tuple[str, str], ...] = (
    ("pass", "sim:live?seed={seed}"),
    ("stall-retry", "sim:live?seed={seed}&behaviour=stall&stall_after=1"),
    ("pass", "sim:live?seed={seed}"),
    ("cancel", "sim:live?seed={seed}"),
    ("pass", "sim:live?seed={seed}"),
    ("timeout", "sim:live?seed={seed}&behaviour=never-approach"),
    ("stall-retry", "sim:live?seed={seed}&behaviour=stall&stall_after=1"),
    ("pass", "sim:live?seed={seed}"),
    ("cancel", "sim:live?seed={seed}"),
    ("pass", "sim:live?seed={seed}"),
)
SOAK_WARMUP = 5


def rss_mb() -> float:
    """This process's resident memory in MB (Linux ``/proc``; elsewhere the peak from ``resource``)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _slope(values: list[float]) -> float:
    """Least-squares slope of ``values`` per step (0 for fewer than two)."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, statistics.fmean(values)
    num = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    return num / sum((i - mean_x) ** 2 for i in range(n))


def bench_kiosk_soak(checks: int) -> dict[str, Any]:
    """``checks`` complete checks in one offscreen kiosk window, through the window and controller the app uses.

    A cycle mixes full passes (movement and light), a camera stall followed by
    Try again, cancels during guidance and face-fit time-outs, against a
    temporary session store (lock-out off so failures do not stop the run).
    Resident memory is sampled after each check; the growth is measured from
    the end of the five warm-up checks (models and caches load there).
    """
    import gc

    if not os.environ.get("QT_QPA_PLATFORM") and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from app.gui.controller import CheckController
    from app.gui.main import make_application, tune_interpreter
    from app.gui.preview import RasterCanvas
    from app.devtools.screenshots import wait_until
    from app.gui.window import MainWindow

    from app.core.models.pool import close_model_pool, model_pool
    from app.devtools.synthetic_results import make_service

    checks = max(SOAK_WARMUP + 1, int(checks))
    app = make_application(["livegate-bench", "-platform", "offscreen"])
    tune_interpreter()
    settings = Settings(lockout_enabled=False)
    store_dir = Path(tempfile.mkdtemp(prefix="livegate-soak-store-"))
    service = make_service(store_dir, settings=settings, kiosk=False)
    controller = CheckController(
        settings=settings,
        source_spec=SPEC,
        flow_config=FlowConfig(face_fit_timeout_s=4.0, verify_timeout_s=60.0, camera_open_timeout_s=60.0),
        recordings_dir=store_dir / "recordings",
        sessions=service,
    )
    window = MainWindow(controller=controller, canvas=RasterCanvas(), camera_lister=list)
    window.resize(1100, 720)
    window.show()
    final = ("result", "error", "timeout")
    counts: dict[str, int] = {}
    outcomes: dict[str, int] = {}
    samples: list[float] = []
    rss_start = 0.0
    t_start = 0.0

    def started(previous: str | None) -> bool:
        session = controller.session
        return session is not None and session.id != previous

    try:
        for i in range(checks):
            kind, spec = SOAK_CYCLE[i % len(SOAK_CYCLE)]
            spec = spec.format(seed=100 + i)
            previous = controller.session.id if controller.session is not None else None
            window.start_check(spec=spec, challenge_type=MOVEMENT_AND_LIGHT)
            wait_until(lambda: started(previous), 30)
            if kind == "cancel":
                wait_until(lambda: window.page_name in ("guidance", *final), 60)
                window.go_home()
                ended = "cancelled"
            else:
                wait_until(lambda: window.page_name in final, 120)
                ended = window.page_name
                if kind == "stall-retry" and ended == "error":
                    # The customer presses Try again: a new session on a camera that stalls again.
                    previous = controller.session.id if controller.session is not None else None
                    window.try_again()
                    wait_until(lambda: started(previous), 30)
                    wait_until(lambda: window.page_name in final, 60)
                    ended = f"error+retry:{window.page_name}"
                window.go_home()
            wait_until(lambda: not controller.busy and not controller.core.retiring, 30)
            app.processEvents()
            gc.collect()
            counts[kind] = counts.get(kind, 0) + 1
            outcomes[ended] = outcomes.get(ended, 0) + 1
            samples.append(rss_mb())
            if i + 1 == SOAK_WARMUP:
                rss_start = samples[-1]
                t_start = time.monotonic()
        elapsed = time.monotonic() - t_start
    finally:
        window.allow_close()
        window.close()
        wait_until(lambda: not controller.core.retiring, 10)
        app.processEvents()
        service.close()
        shutil.rmtree(store_dir, ignore_errors=True)
    stages = model_pool().landmark_stages_created
    close_model_pool()
    measured = checks - SOAK_WARMUP
    rss_end = samples[-1]
    tail = samples[SOAK_WARMUP:]
    return {
        "checks": checks,
        "warmup_checks": SOAK_WARMUP,
        "mix": ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
        "ended_on": ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())),
        "rss_first_check_mb": round(samples[0], 1),
        "rss_start_mb": round(rss_start, 1),
        "rss_end_mb": round(rss_end, 1),
        "rss_max_after_warmup_mb": round(max(tail), 1),
        "growth_pct": round(100.0 * (rss_end - rss_start) / rss_start, 1),
        # Single samples swing by some 30 MB with what the last check left for the allocator; the slope says more.
        "rss_trend_mb_per_100_checks": round(100.0 * _slope(tail), 1),
        "checks_per_minute": round(60.0 * measured / max(elapsed, 1e-6), 2),
        "landmark_stages_created": stages,
    }


bench.register("kiosk-soak", bench_kiosk_soak, argument="checks", opt_in=True)
