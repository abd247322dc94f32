"""Soak runner: many sessions through the real ``SessionService`` and store, headless.

Usage::

    python -m app.devtools.store_soak --sessions 200 [--simulate K | --recordings DIR] [--keep DIR] [--json]

Each session is created, started (a stand-in kiosk listener is subscribed),
completed with a result and its images (640x480, encrypted, signed, fsync-ed)
and read back (signature check and one image decryption), as the API would.
By default the results are synthetic. With ``--simulate K``, K recordings of
the simulated live user (``sim:live``, movement-only challenge, no screen
flashes) are rendered first; with ``--recordings DIR`` the ``.lgrec`` files
in DIR are used. Each session then scores one of them afresh with
``app.core.scoring.pipeline.score_recording`` and stores the recording with
the result (this measures resources, not accuracy). Reports resident memory (``VmRSS``) growth after a
warm-up and the time per session. Never part of the default test run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from app.core.settings import Settings
from app.devtools.synthetic_results import make_service, synthetic_result


def rss_kib() -> int:
    """Resident set size of this process in KiB (Linux ``/proc/self/status``; 0 elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def simulate_recordings(count: int, folder: Path, *, frames: int = 120) -> list[Path]:
    """Render ``count`` recordings of ``sim:live`` (seeds 1..count) into ``folder``."""
    from app.core.challenge import MOVEMENT_ONLY, Challenge
    from app.core.recording import RecordingWriter
    from app.core.simulate import open_sim_source

    paths = []
    for seed in range(1, count + 1):
        path = folder / f"sim-live-{seed}.lgrec"
        with open_sim_source("live", {"seed": str(seed)}, realtime=False) as source:
            writer = RecordingWriter(path)
            try:
                for _ in range(frames):
                    writer.add_frame(source.read())
            except BaseException:
                writer.abort()
                raise
            width, height = source.info.width, source.info.height
            writer.close(
                challenge=Challenge.new(width, height, challenge_type=MOVEMENT_ONLY, seed=seed).to_dict(),
                camera={"kind": "sim", "name": "sim:live", "fps": 30.0},
            )
        paths.append(path)
    return paths


def run_soak(
    sessions: int,
    *,
    root: Path,
    recordings: list[Path] | None = None,
    warmup: int = 10,
) -> dict[str, Any]:
    """Run ``sessions`` sessions in a store under ``root`` and return the measurements."""
    score = None
    if recordings:
        from app.core.scoring.pipeline import score_recording

        score = score_recording
    settings = Settings(lockout_enabled=False, keep_recordings=bool(recordings))
    service = make_service(root, settings=settings)
    durations: list[float] = []
    scoring: list[float] = []
    rss_start = rss_kib()
    rss_after_warmup = rss_start
    statuses: dict[str, int] = {}
    series: list[tuple[int, float]] = []
    every = max(1, sessions // 8)
    try:
        for i in range(sessions):
            t0 = time.perf_counter()
            session = service.create(customer_ref=f"soak-{i}")
            service.start(session.id)
            recording = None
            if score is not None and recordings:
                source = recordings[i % len(recordings)]
                t_score = time.perf_counter()
                result = dataclasses.replace(score(source), session_id=session.id)
                scoring.append(time.perf_counter() - t_score)
                recording = root / f"rec-{i}.lgrec"
                shutil.copyfile(source, recording)
            else:
                result = synthetic_result(session.id, decision="pass" if i % 3 else "fail", seed=i, width=640, height=480)
            done = service.complete(session.id, result, recording=recording)
            service.get(session.id)  # read back: signature check
            if done.file("reference"):
                service.image(session.id, "reference")  # and one decryption
            statuses[done.status] = statuses.get(done.status, 0) + 1
            durations.append(time.perf_counter() - t0)
            if i + 1 == warmup:
                rss_after_warmup = rss_kib()
            if (i + 1) % every == 0 or i + 1 == sessions:
                series.append((i + 1, round(rss_kib() / 1024, 1)))
        rss_end = rss_kib()
        store_bytes = sum(p.stat().st_size for p in (root / "sessions").rglob("*") if p.is_file())
    finally:
        service.close()
    ordered = sorted(durations)
    measured = durations[warmup:] or durations
    return {
        "sessions": sessions,
        "mode": "recordings" if recordings else "synthetic",
        "statuses": statuses,
        "rss_start_mib": round(rss_start / 1024, 1),
        "rss_after_warmup_mib": round(rss_after_warmup / 1024, 1),
        "rss_end_mib": round(rss_end / 1024, 1),
        "rss_growth_after_warmup_mib": round((rss_end - rss_after_warmup) / 1024, 1),
        "rss_growth_per_session_kib": round((rss_end - rss_after_warmup) / max(1, len(measured)), 1),
        "rss_series_mib": series,
        "ms_per_session_mean": round(1000 * statistics.fmean(durations), 1),
        "ms_per_session_p50": round(1000 * ordered[len(ordered) // 2], 1),
        "ms_per_session_p95": round(1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1),
        "ms_per_session_max": round(1000 * ordered[-1], 1),
        "ms_scoring_mean": round(1000 * statistics.fmean(scoring), 1) if scoring else None,
        "store_mib": round(store_bytes / 2**20, 2),
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; prints the report and returns 0."""
    parser = argparse.ArgumentParser(prog="python -m app.devtools.store_soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--recordings", type=Path, default=None, help="folder of .lgrec files to score (real results)")
    parser.add_argument("--simulate", type=int, default=0, metavar="K", help="render K sim:live recordings and score them (real results)")
    parser.add_argument("--frames", type=int, default=120, help="frames per simulated recording")
    parser.add_argument("--keep", type=Path, default=None, help="use (and keep) this data folder instead of a temporary one")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.sessions < 1:
        parser.error("--sessions must be at least 1")
    recordings = sorted(args.recordings.glob("*.lgrec")) if args.recordings else None
    if args.recordings and not recordings:
        parser.error(f"no .lgrec files in {args.recordings}")
    with tempfile.TemporaryDirectory(prefix="livegate-soak-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        if args.simulate > 0:
            t0 = time.perf_counter()
            (root / "sim").mkdir(exist_ok=True)
            recordings = simulate_recordings(args.simulate, root / "sim", frames=args.frames)
            print(f"rendered {len(recordings)} simulated recordings in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        report = run_soak(args.sessions, root=root, recordings=recordings)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:30} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
