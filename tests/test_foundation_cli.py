"""The livegate command: exit codes and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out.startswith("livegate ")


def test_devices_without_camera(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.core.capture.devices.list_cameras", lambda fallback=None: [])
    assert main(["devices"]) == 0
    assert "No camera found" in capsys.readouterr().out
    assert main(["devices", "--json"]) == 0
    assert capsys.readouterr().out.strip() == "[]"


@pytest.mark.parametrize(
    ("argv", "code", "needle"),
    [
        (["verify", "/nonexistent/x.lgrec"], 2, "does not exist"),
        (["models", "explode"], 2, "invalid choice"),
        (["frobnicate"], 2, "invalid choice"),
    ],
)
def test_errors_are_one_line(argv: list[str], code: int, needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) if argv[0] in ("frobnicate",) or argv[:2] == ["models", "explode"] else _nullcontext() as exc:
        result = main(argv)
    got = exc.value.code if exc else result  # type: ignore[union-attr]
    assert got == code
    err = capsys.readouterr().err.strip()
    assert needle in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_corrupt_recording_via_subprocess(tmp_path: Path) -> None:
    bad = tmp_path / "bad.lgrec"
    bad.write_bytes(b"PK\x03\x04 not really")
    proc = subprocess.run([sys.executable, "-m", "app", "verify", str(bad)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("livegate:") and "Traceback" not in proc.stderr


class _nullcontext:
    value = None

    def __enter__(self):
        return None

    def __exit__(self, *a):
        return False
