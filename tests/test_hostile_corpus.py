"""Hostile recordings (tests/hostile_corpus.py): refused with exit 2 and one line, in bounded memory.

Every case is first opened in-process (the message must name what is wrong), then given to
``livegate verify`` in a child process whose peak resident memory is read from the kernel's
per-child accounting (``os.wait4``). The wall-time bound is the issue's 10 s ceiling, a guard
against a hang or a runaway decompression, not a performance measurement.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

import hostile_corpus as corpus
from app.core.errors import RecordingError
from app.core.recording import Recording, read_labels

ROOT = Path(__file__).resolve().parents[1]
#: The issue's ceilings for one `livegate verify` of a hostile file.
PEAK_RSS_LIMIT_MB = 600
WALL_LIMIT_S = 10.0


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return corpus.write_corpus(tmp_path_factory.mktemp("hostile"))


def test_corpus_base_is_a_valid_recording(corpus_dir: dict[str, Path]) -> None:
    # Each case differs from this one in one respect, so each refusal is for that respect.
    with Recording(corpus_dir["good"]) as rec:
        assert rec.meta.frame_count == corpus.FRAMES
        frame = rec.read_frame(corpus.FRAMES - 1)
        assert frame.image.shape == (corpus.HEIGHT, corpus.WIDTH, 3)
    assert read_labels(corpus_dir["good"]) is None


def test_bombs_stay_small_on_disk(corpus_dir: dict[str, Path]) -> None:
    assert corpus_dir["bomb-frame-2gib"].stat().st_size < 4 * corpus.MIB
    with open(corpus_dir["bomb-frame-2gib"], "rb") as fh:
        assert b"frames/000000.jpg" in fh.read(64)


@pytest.mark.parametrize("case", corpus.CASES, ids=[c.name for c in corpus.CASES])
def test_reader_refuses_and_names_the_problem(case: corpus.Case, corpus_dir: dict[str, Path]) -> None:
    with pytest.raises(RecordingError) as err:
        Recording(corpus_dir[case.name]).close()
    message = str(err.value)
    assert case.expect in message
    assert "\n" not in message and "\r" not in message


def test_recording_source_and_labels_use_the_same_checks(corpus_dir: dict[str, Path]) -> None:
    from app.core.capture.files import RecordingSource

    with pytest.raises(RecordingError, match="camera"):
        RecordingSource(corpus_dir["camera-as-list"]).open()
    with pytest.raises(RecordingError, match="labels.json declares"):
        read_labels(corpus_dir["bomb-labels-2gib"])  # evaluation reads labels: bounded like the rest
    with pytest.raises(RecordingError, match="encrypted"):
        read_labels(corpus_dir["encrypted-manifest"])


@dataclass
class Run:
    name: str
    code: int
    stderr: str
    stdout: str
    peak_rss_mb: float
    wall_s: float


# Linux keeps a process's peak RSS across fork and exec, so a child started straight from this
# (possibly large) test process would report this process's size. A small spawner process starts
# each command instead and reports that child's own peak from ``os.wait4``; one spawner serves a
# whole series of commands (one JSON line in, one out), so each case costs one interpreter start.
_SPAWNER = """
import json, os, subprocess, sys
for line in sys.stdin:
    job = json.loads(line)
    with open(job["out"], "wb") as fo, open(job["err"], "wb") as fe:
        proc = subprocess.Popen(job["argv"], stdout=fo, stderr=fe, env=job["env"], cwd=job["cwd"])
        start = os.times().elapsed
        _, status, usage = os.wait4(proc.pid, 0)
    wall = os.times().elapsed - start
    print(json.dumps([os.waitstatus_to_exitcode(status), usage.ru_maxrss, wall]), flush=True)
"""


class Spawner:
    """A small process that runs commands one at a time and reports exit code, peak RSS (kB) and wall time."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SPAWNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def run(self, argv: list[str], out: Path, err: Path, env: dict[str, str]) -> tuple[int, int, float]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        job = {"argv": argv, "out": str(out), "err": str(err), "env": env, "cwd": str(ROOT)}
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        code, maxrss_kb, wall = json.loads(self.proc.stdout.readline())
        return int(code), int(maxrss_kb), float(wall)

    def close(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()


def _verify(spawner: Spawner, name: str, path: Path, workdir: Path) -> Run:
    """`livegate verify PATH` in a child process; its peak RSS from its own rusage (kilobytes on Linux)."""
    out, err = workdir / f"{name}.out", workdir / f"{name}.err"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code, maxrss_kb, wall = spawner.run([sys.executable, "-m", "app", "verify", str(path)], out, err, env)
    return Run(name, code, err.read_text(errors="replace"), out.read_text(errors="replace"), maxrss_kb / 1024.0, wall)


@pytest.mark.skipif(not hasattr(os, "wait4"), reason="per-child peak memory needs os.wait4 (POSIX)")
def test_livegate_verify_refuses_every_case(corpus_dir: dict[str, Path], tmp_path: Path) -> None:
    names = [c.name for c in corpus.CASES]
    halves = [names[0::2], names[1::2]]  # two children at a time: the machine has two cores
    spawners = [Spawner(), Spawner()]
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            parts = pool.map(lambda i: [_verify(spawners[i], n, corpus_dir[n], tmp_path) for n in halves[i]], [0, 1])
            runs = [run for part in parts for run in part]
    finally:
        for spawner in spawners:
            spawner.close()
    problems = []
    for run in runs:
        lines = run.stderr.splitlines()
        if run.code != 2:
            problems.append(f"{run.name}: exit {run.code}")
        if len(lines) != 1 or not lines[0].startswith("livegate: "):
            problems.append(f"{run.name}: stderr is {len(lines)} lines: {run.stderr[:300]!r}")
        if "Traceback" in run.stderr or "Traceback" in run.stdout:
            problems.append(f"{run.name}: traceback")
        if run.peak_rss_mb >= PEAK_RSS_LIMIT_MB:
            problems.append(f"{run.name}: peak RSS {run.peak_rss_mb:.0f} MB")
        if run.wall_s >= WALL_LIMIT_S:
            problems.append(f"{run.name}: {run.wall_s:.1f} s")
    assert len(runs) == len(names)
    worst = max(runs, key=lambda r: r.peak_rss_mb)
    print(f"{len(runs)} hostile recordings; highest peak RSS {worst.peak_rss_mb:.0f} MB ({worst.name}); "
          f"slowest {max(r.wall_s for r in runs):.2f} s")
    assert not problems, "\n".join(problems)


def test_peak_memory_measurement_sees_a_large_child(tmp_path: Path) -> None:
    # The instrument itself: a child that touches 300 MB must be reported above 300 MB, and a small
    # one far below (so the spawner's own size does not leak into the figures).
    spawner = Spawner()
    try:
        big = spawner.run([sys.executable, "-c", "b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096])"],
                          tmp_path / "o", tmp_path / "e", dict(os.environ))
        small = spawner.run([sys.executable, "-c", "pass"], tmp_path / "o", tmp_path / "e", dict(os.environ))
    finally:
        spawner.close()
    assert big[0] == 0 and big[1] / 1024 > 300
    assert small[0] == 0 and small[1] / 1024 < 100


def test_file_name_with_line_breaks_still_gives_one_line(corpus_dir: dict[str, Path], tmp_path: Path) -> None:
    odd = tmp_path / "evil\nlivegate: ok\r.lgrec"
    odd.write_bytes(corpus_dir["camera-as-list"].read_bytes())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "app", "verify", str(odd)], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert len(out.stderr.splitlines()) == 1 and "camera" in out.stderr
