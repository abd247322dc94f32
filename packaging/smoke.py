"""Start a built app for one simulated check and report its cold start.

Usage: python packaging/smoke.py [dist/livegate/livegate] [--runs N] [--cold] [--source SPEC]

1. Models, as a user's machine would get them: a default build fetches them
   with ``livegate models fetch`` into a scratch folder (from
   ``LIVEGATE_MODEL_MIRROR``, else this checkout's ``models/`` used as a mirror;
   the MiniFASNet ONNX graphs are converted by the frozen app); an offline build
   uses the ones inside it. Then ``livegate models verify`` must exit 0.
2. The app, started with ``LIVEGATE_SMOKE_CHECK=1`` (see ``app/gui/smoke.py``),
   opens the start screen with the simulated camera (``sim:live``), runs one
   complete check and quits with exit code 0 once the result screen is reached,
   printing ``smoke: first-preview-s=...`` (process start to the first painted
   preview frame) and ``smoke: result=...``. A virtual display (``xvfb-run``)
   is used when there is no screen. With ``--runs N`` the app is started N times
   (fresh process each time; the simulator's face cache is warm after the first);
   ``--cold`` evicts the build's files from the page cache before each start.

Settings, data, caches and the home folder are a scratch folder deleted afterwards; onnxruntime's
telemetry must not have been initialised there (no ``~/.cache/Microsoft/...``).
Exit code 0 when every step passed; the last line says ``smoke: ok`` or
``smoke: FAILED ...``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_PREVIEW = re.compile(r"^smoke: first-preview-s=([0-9.]+)$", re.M)
RESULT = re.compile(r"^smoke: result=(pass|fail|unavailable)$", re.M)


def is_offline_build(binary: Path) -> bool:
    """Whether the build carries its models (``--offline``)."""
    return any((binary.parent / "_internal" / "models").glob("*.task"))


def display_prefix(env: dict[str, str]) -> list[str] | None:
    """``xvfb-run`` when there is no screen; ``None`` when neither exists."""
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return []
    if shutil.which("xvfb-run"):
        return ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24"]
    return None


def evict_from_page_cache(folder: Path) -> int:
    """Ask the kernel to drop ``folder``'s files from the page cache (a disk-cold start); returns the file count.

    Only these files are affected (``posix_fadvise(DONTNEED)``), not the rest of the machine. Linux only.
    """
    count = 0
    for path in folder.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        with open(path, "rb") as fh:
            os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        count += 1
    return count


def run(cmd: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def prepare_models(binary: Path, env: dict[str, str], scratch: Path) -> str | None:
    """Fetch (default build) and verify the models; returns an error or ``None``."""
    if is_offline_build(binary):
        env.pop("LIVEGATE_MODELS_DIR", None)
        env.pop("LIVEGATE_MODEL_MIRROR", None)
    else:
        env["LIVEGATE_MODELS_DIR"] = str(scratch / "models")
        env.setdefault("LIVEGATE_MODEL_MIRROR", str(ROOT / "models"))
        fetched = run([str(binary), "models", "fetch", "--quiet"], env, 600)
        if fetched.returncode != 0:
            return f"`livegate models fetch` exited {fetched.returncode}: {fetched.stderr.strip()[-500:]}"
    verified = run([str(binary), "models", "verify"], env, 120)
    print("\n".join(f"smoke: models {line}" for line in verified.stdout.splitlines()))
    if verified.returncode != 0:
        return f"`livegate models verify` exited {verified.returncode}: {verified.stderr.strip()[-500:]}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("binary", nargs="?", default=str(ROOT / "dist" / "livegate" / "livegate"))
    parser.add_argument("--runs", type=int, default=1, help="start the app this many times (timings)")
    parser.add_argument("--source", default="sim:live", help="simulated source for the check")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per start")
    parser.add_argument("--cold", action="store_true", help="drop the build's files from the page cache before each start (Linux)")
    args = parser.parse_args(argv)
    binary = Path(args.binary).resolve()
    if not binary.is_file():
        print(f"smoke: FAILED no build at {binary} (make package)")
        return 2
    env = dict(os.environ)
    prefix = display_prefix(env)
    if prefix is None:
        print("smoke: FAILED no display and no xvfb-run (apt-get install xvfb xauth)")
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="livegate-smoke-"))
    try:
        home = scratch / "home"  # a fresh user: nothing of the real user's is read or written
        home.mkdir()
        env.update(
            HOME=str(home),
            LIVEGATE_DATA_DIR=str(scratch / "data"),
            LIVEGATE_CONFIG_DIR=str(scratch / "config"),
            LIVEGATE_SIM_CACHE=str(scratch / "sim-faces"),
        )
        variant = "offline (models inside)" if is_offline_build(binary) else "default (models fetched)"
        print(f"smoke: build {binary} [{variant}]")
        error = prepare_models(binary, env, scratch)
        if error:
            print(f"smoke: FAILED {error}")
            return 1
        env["LIVEGATE_SMOKE_CHECK"] = "1"
        previews: list[float] = []
        for i in range(args.runs):
            if args.cold and hasattr(os, "posix_fadvise"):
                evict_from_page_cache(binary.parent)
            start = time.monotonic()
            proc = run([*prefix, str(binary), "gui", "--source", args.source], env, args.timeout)
            took = time.monotonic() - start
            for line in proc.stdout.splitlines():
                if line.startswith("smoke:"):
                    print(line)
            print(f"smoke: run={i + 1} exit={proc.returncode} wall-s={took:.1f}")
            preview, result = FIRST_PREVIEW.search(proc.stdout), RESULT.search(proc.stdout)
            if proc.returncode != 0 or preview is None or result is None:
                sys.stderr.write(proc.stderr[-4000:])
                print(f"smoke: FAILED run {i + 1}: exit code {proc.returncode}" + ("" if result else ", no result line"))
                return 1
            previews.append(float(preview.group(1)))
        telemetry = home / ".cache" / "Microsoft" / "DeveloperTools" / ".onnxruntime"
        if telemetry.exists():
            print(f"smoke: FAILED onnxruntime telemetry was initialised ({telemetry} exists): ORT_DISABLE_TELEMETRY=1 missing")
            return 1
        if len(previews) > 1:
            print(f"smoke: first-preview-s median={statistics.median(previews):.2f} "
                  f"min={min(previews):.2f} max={max(previews):.2f} runs={len(previews)}")
        print("smoke: ok")
        return 0
    except subprocess.TimeoutExpired as exc:
        print(f"smoke: FAILED the app did not quit within {exc.timeout:.0f} s")
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
