"""Data and settings are private on POSIX: folders 0700, files 0600, whatever the umask; repaired at start."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app.core import paths

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")

# Run with umask 000 in a fresh process: everything a working installation creates, then `stat`
# every entry while the store is still open (so its -wal and -shm files exist).
_CHILD = r"""
import json, os, sys
os.umask(0)
from pathlib import Path
import numpy as np
from app.cli import main
from app.core import paths
from app.core.capture.frame import Frame
from app.core.recording import RecordingWriter
from app.core.sessions.service import SessionService
from app.core.settings import Settings, save_settings

assert main(["token"]) == 0                      # keys, API token, logs
save_settings(Settings())
with RecordingWriter(paths.data_dir() / "recordings" / "one.lgrec") as writer:
    writer.add_frame(Frame(np.zeros((48, 64, 3), np.uint8), 1, 0))
service = SessionService.open()
session = service.create()
service.store.write_file(session.id, "reference", b"\xff\xd8 not really a face", media_type="image/jpeg")
service.store.set_state("probe", "1")
modes = {}
for top in (paths.data_dir(), paths.config_dir()):
    modes[str(top)] = [oct(os.stat(top).st_mode & 0o777), True]
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            p = Path(root) / name
            modes[str(p)] = [oct(os.lstat(p).st_mode & 0o777), p.is_dir()]
service.close()
print(json.dumps(modes))
"""


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LIVEGATE_DATA_DIR": str(tmp_path / "data"),
        "LIVEGATE_CONFIG_DIR": str(tmp_path / "config"),
        "LIVEGATE_KEY_BACKEND": "file",
    }


def test_fresh_data_folder_is_private_whatever_the_umask(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", _CHILD], env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    modes = json.loads(out.stdout.strip().splitlines()[-1])
    names = {Path(p).name for p in modes}
    # The things the issue names are all there: the database with its WAL and SHM, logs, keys, recordings, settings.
    for expected in ("sessions.sqlite3", "sessions.sqlite3-wal", "sessions.sqlite3-shm", "livegate.log", "one.lgrec",
                     "settings.json", "reference.enc", "signing.key"):
        assert expected in names, f"{expected} not created: {sorted(names)}"
    wrong = {p: mode for p, (mode, is_dir) in modes.items() if mode != oct(0o700 if is_dir else 0o600)}
    assert not wrong, wrong
    assert sum(is_dir for _, is_dir in modes.values()) >= 6


def test_start_repairs_loose_permissions(tmp_path: Path) -> None:
    env = _env(tmp_path)
    subprocess.run([sys.executable, "-m", "app", "token"], env=env, capture_output=True, check=True, timeout=60)
    data, config = tmp_path / "data", tmp_path / "config"
    config.mkdir()
    (config / "settings.json").write_text("{}")
    loose = [data / "logs" / "livegate.log", data / "keys" / "api-token.key", config / "settings.json"]
    for p in loose:
        os.chmod(p, 0o644)
    for d in (data, data / "logs", data / "keys", config):
        os.chmod(d, 0o755)
    outside = data / "not-ours.txt"  # a file Livegate does not create is left alone
    outside.write_text("x")
    os.chmod(outside, 0o644)
    out = subprocess.run([sys.executable, "-m", "app", "version"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert "folder(s) private again" in out.stderr
    for p in loose:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    for d in (data, data / "logs", data / "keys", config):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644


def test_make_private_dir_creates_missing_parents_private(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        made = paths.make_private_dir(tmp_path / "a" / "b" / "c")
    finally:
        os.umask(old)
    for p in (tmp_path / "a", tmp_path / "a" / "b", made):
        assert stat.S_IMODE(p.stat().st_mode) == 0o700
    os.chmod(tmp_path, 0o755)
    paths.make_private_dir(tmp_path / "a")  # existing folders are not touched
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755


def test_repair_skips_symlinks_and_reports_what_it_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("LIVEGATE_DATA_DIR", str(data))
    monkeypatch.setenv("LIVEGATE_CONFIG_DIR", str(tmp_path / "config"))
    (data / "logs").mkdir(parents=True)
    target = tmp_path / "elsewhere.txt"
    target.write_text("x")
    os.chmod(target, 0o644)
    (data / "logs" / "link").symlink_to(target)
    log = data / "logs" / "livegate.log"
    log.write_text("x")
    os.chmod(log, 0o640)
    os.chmod(data / "logs", 0o750)
    os.chmod(data, 0o755)
    repaired = paths.repair_permissions()
    assert set(repaired) == {log, data / "logs", data}
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert paths.repair_permissions() == []
