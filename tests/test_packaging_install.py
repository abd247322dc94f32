"""packaging/install.sh and uninstall.sh on a stand-in build, in a temporary home folder.

The stand-in ``livegate`` is a shell script that logs how it was called, so the
tests see what the installer asked of the app (fetch, verify, mirror) without a
real build.
"""

from __future__ import annotations

import configparser
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTALL = ROOT / "packaging" / "install.sh"
UNINSTALL = ROOT / "packaging" / "uninstall.sh"

FAKE_APP = """#!/bin/sh
echo "$*|mirror=${LIVEGATE_MODEL_MIRROR:-}|models=${LIVEGATE_MODELS_DIR:-}" >> "$FAKE_LOG"
case "$1" in
  version) echo "livegate 9.9.9" ;;
  models) [ -n "${FAKE_MODELS_FAIL:-}" ] && exit 1 ;;
esac
exit 0
"""

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the installer is a bash script")


def make_build(folder: Path, *, offline: bool = False) -> Path:
    app = folder / "livegate"
    (app / "_internal").mkdir(parents=True)
    (app / "livegate").write_text(FAKE_APP)
    (app / "livegate").chmod(0o755)
    if offline:
        (app / "_internal" / "models").mkdir()
        (app / "_internal" / "models" / "face_landmarker.task").write_bytes(b"model")
    return app


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


def run(script: Path, home: Path, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "LIVEGATE_"))}
    env.update(HOME=str(home), FAKE_LOG=str(home / "calls.log"), **(extra_env or {}))
    return subprocess.run(["bash", str(script), *args], capture_output=True, text=True, env=env, timeout=60, check=False)


def calls(home: Path) -> list[str]:
    log = home / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def test_user_install_puts_app_launcher_menu_entry_and_icon_in_place(tmp_path: Path, home: Path) -> None:
    build = make_build(tmp_path / "dist")
    proc = run(INSTALL, home, "--from", str(build))
    assert proc.returncode == 0, proc.stderr
    prefix = home / ".local/opt/livegate"
    launcher = home / ".local/bin/livegate"
    assert (prefix / "livegate").is_file() and (prefix / "uninstall.sh").is_file()
    assert launcher.stat().st_mode & stat.S_IXUSR
    assert subprocess.run([str(launcher), "version"], capture_output=True, text=True, env={**os.environ, "FAKE_LOG": str(home / "calls.log")},
                          check=True).stdout.strip() == "livegate 9.9.9"
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(home / ".local/share/applications/livegate.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Exec"] == f"{launcher} gui"
    assert desktop["TryExec"] == str(launcher)
    assert desktop["Icon"] == "livegate" and desktop["Type"] == "Application" and desktop["Terminal"] == "false"
    assert (home / ".local/share/icons/hicolor/256x256/apps/livegate.png").is_file()
    # the models are fetched now, into the user's cache (no LIVEGATE_MODELS_DIR), then verified
    assert [c.split("|")[0] for c in calls(home) if c.startswith("models")] == ["models fetch --quiet", "models verify"]
    assert all(c.endswith("|models=") for c in calls(home))


def test_uninstall_keeps_user_data_unless_purged(tmp_path: Path, home: Path) -> None:
    build = make_build(tmp_path / "dist")
    assert run(INSTALL, home, "--from", str(build)).returncode == 0
    prefix = home / ".local/opt/livegate"
    user_dirs = [home / ".config/livegate", home / ".local/share/livegate", home / ".cache/livegate/models"]
    for d in user_dirs:
        d.mkdir(parents=True)
        (d / "kept.txt").write_text("x")

    proc = run(prefix / "uninstall.sh", home)
    assert proc.returncode == 0, proc.stderr
    assert not prefix.exists()
    assert not (home / ".local/bin/livegate").exists()
    assert not (home / ".local/share/applications/livegate.desktop").exists()
    assert not (home / ".local/share/icons/hicolor/256x256/apps/livegate.png").exists()
    assert all(d.is_dir() for d in user_dirs)

    proc = run(UNINSTALL, home, "--purge", "--yes")
    assert proc.returncode == 0, proc.stderr
    assert not (home / ".config/livegate").exists()
    assert not (home / ".local/share/livegate").exists()
    assert not (home / ".cache/livegate").exists()


def test_purge_names_but_never_deletes_override_folders(tmp_path: Path, home: Path) -> None:
    custom = tmp_path / "shared-data"
    custom.mkdir()
    proc = run(UNINSTALL, home, "--purge", "--yes", extra_env={"LIVEGATE_DATA_DIR": str(custom)})
    assert proc.returncode == 0
    assert custom.is_dir()
    assert f"not purged: LIVEGATE_DATA_DIR={custom}" in proc.stderr


def test_model_mirror_is_used_now_and_kept_in_the_launcher(tmp_path: Path, home: Path) -> None:
    build = make_build(tmp_path / "dist")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    assert run(INSTALL, home, "--from", str(build), "--model-mirror", str(mirror)).returncode == 0
    assert any(c.startswith("models fetch") and f"mirror={mirror}|" in c for c in calls(home)), calls(home)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LIVEGATE_")}  # CI sets its own mirror
    subprocess.run([str(home / ".local/bin/livegate"), "gui"], env={**clean, "FAKE_LOG": str(home / "calls.log")}, check=True)
    assert calls(home)[-1] == f"gui|mirror={mirror}|models="
    # an explicit LIVEGATE_MODEL_MIRROR still wins over the installed default
    env = {**clean, "FAKE_LOG": str(home / "calls.log"), "LIVEGATE_MODEL_MIRROR": "/elsewhere"}
    subprocess.run([str(home / ".local/bin/livegate"), "gui"], env=env, check=True)
    assert calls(home)[-1] == "gui|mirror=/elsewhere|models="


def test_failed_model_fetch_installs_the_app_and_exits_3(tmp_path: Path, home: Path) -> None:
    build = make_build(tmp_path / "dist")
    proc = run(INSTALL, home, "--from", str(build), extra_env={"FAKE_MODELS_FAIL": "1"})
    assert proc.returncode == 3
    assert (home / ".local/opt/livegate/livegate").is_file()
    assert "tries again on first start" in proc.stderr


def test_offline_build_is_verified_not_fetched(tmp_path: Path, home: Path) -> None:
    build = make_build(tmp_path / "dist", offline=True)
    assert run(INSTALL, home, "--from", str(build)).returncode == 0
    models_calls = [c.split("|")[0] for c in calls(home) if c.startswith("models")]
    assert models_calls == ["models verify"]


def test_no_models_skips_the_fetch(tmp_path: Path, home: Path) -> None:
    build = make_build(tmp_path / "dist")
    assert run(INSTALL, home, "--from", str(build), "--no-models").returncode == 0
    assert not [c for c in calls(home) if c.startswith("models")]


def test_reinstall_replaces_the_app(tmp_path: Path, home: Path) -> None:
    build = make_build(tmp_path / "dist")
    assert run(INSTALL, home, "--from", str(build)).returncode == 0
    stale = home / ".local/opt/livegate/_internal/stale.txt"
    stale.write_text("old")
    assert run(INSTALL, home, "--from", str(build)).returncode == 0
    assert not stale.exists()
    assert not list((home / ".local/opt").glob("livegate.new.*"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "{tmp}/nothing"], "no built app in"),
        (["--from", "{build}", "--prefix", "{home}"], "refusing to install into"),
        (["--from", "{build}", "--prefix", "{tmp}/occupied"], "is not a Livegate installation"),
        (["--from", "{build}", "--model-mirror", "{tmp}/missing"], "is not a folder"),
        (["--bogus"], "unknown option --bogus"),
    ],
)
def test_installer_refuses_bad_input_with_exit_code_2(tmp_path: Path, home: Path, args: list[str], message: str) -> None:
    build = make_build(tmp_path / "dist")
    (tmp_path / "occupied").mkdir()
    (tmp_path / "occupied" / "precious.txt").write_text("keep me")
    filled = [a.format(tmp=tmp_path, build=build, home=home) for a in args]
    proc = run(INSTALL, home, *filled)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert (tmp_path / "occupied" / "precious.txt").read_text() == "keep me"


def test_uninstall_refuses_a_folder_that_is_not_an_installation(tmp_path: Path, home: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "precious.txt").write_text("keep me")
    proc = run(UNINSTALL, home, "--prefix", str(other))
    assert proc.returncode == 2
    assert (other / "precious.txt").exists()


def test_desktop_entry_is_valid() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(ROOT / "packaging" / "livegate.desktop")
    desktop = entry["Desktop Entry"]
    for key in ("Type", "Name", "Exec", "Icon", "Categories", "StartupWMClass"):
        assert desktop.get(key), key
    assert desktop["Exec"].startswith("livegate ")
    assert desktop["Categories"].endswith(";")
    validator = shutil.which("desktop-file-validate")
    if validator:
        proc = subprocess.run([validator, str(ROOT / "packaging" / "livegate.desktop")], capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
