"""Smoke mode (``LIVEGATE_SMOKE_CHECK=1``): the driver from source, and the frozen build when one exists.

The driver tests run the real window with the simulated camera offscreen and
wait on the driver's own state, never on sleeps. The frozen test starts
``dist/livegate/livegate`` through ``packaging/smoke.py`` and is skipped when
no build exists (``make package`` makes one).
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "dist" / "livegate" / "livegate"


# --- the driver, from source --------------------------------------------------------------------------------


@pytest.fixture
def smoke_window(qtbot, tmp_path: Path) -> Iterator[Callable[..., tuple[object, object, io.StringIO, list[int]]]]:
    pytest.importorskip("app.core.simulate.source", reason="the simulator is not built yet")
    from app.core.check.flow import FlowConfig
    from app.core.settings import Settings
    from app.gui.controller import CheckController
    from app.gui.preview import RasterCanvas
    from app.gui.smoke import SmokeDriver
    from app.gui.window import MainWindow

    windows: list[MainWindow] = []

    def make(spec: str, *, fit_timeout_s: float = 15.0) -> tuple[MainWindow, SmokeDriver, io.StringIO, list[int]]:
        config = FlowConfig(face_fit_timeout_s=fit_timeout_s, verify_timeout_s=60.0, camera_open_timeout_s=30.0)
        controller = CheckController(settings=Settings(), source_spec=spec, flow_config=config, recordings_dir=tmp_path)
        window = MainWindow(controller=controller, settings_path=tmp_path / "settings.json", canvas=RasterCanvas(), camera_lister=list)
        qtbot.addWidget(window)
        out, exits = io.StringIO(), []
        driver = SmokeDriver(window, source=spec, timeout_s=120.0, out=out, hard_exit=exits.append)
        window.resize(800, 600)
        window.show()
        windows.append(window)
        return window, driver, out, exits

    yield make
    for window in windows:
        window.allow_close()
        window.close()


@pytest.mark.gui
def test_driver_runs_one_check_from_the_start_screen_and_closes_the_window(qtbot, smoke_window) -> None:
    window, driver, out, exits = smoke_window("sim:live?seed=3")
    seen: list[str] = []
    window.pageShown.connect(seen.append)
    qtbot.waitUntil(lambda: driver.finished, timeout=120000)
    text = out.getvalue()
    assert exits == [], text  # a clean quit, not the failure exit
    assert seen[:4] == ["get_ready", "countdown", "camera_check", "guidance"], seen  # consent, 3-2-1, then the camera
    assert seen[-1] == "result"
    assert re.search(r"^smoke: first-preview-s=\d+\.\d\d$", text, re.M), text
    assert re.search(r"^smoke: result=(pass|fail|unavailable)$", text, re.M), text
    assert driver.first_preview_s is not None and driver.first_preview_s > 0
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10000)


@pytest.mark.gui
def test_driver_fails_with_exit_code_1_on_a_problem_screen(qtbot, smoke_window) -> None:
    window, driver, out, exits = smoke_window("sim:live?seed=4&behaviour=never-approach", fit_timeout_s=2.0)
    qtbot.waitUntil(lambda: exits != [], timeout=60000)
    assert exits == [1]
    assert "smoke: error=the check ended on the timeout screen" in out.getvalue()
    assert "smoke: result=" not in out.getvalue()


def test_smoke_mode_is_off_unless_the_variable_is_1(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.gui.smoke import SMOKE_ENV, smoke_requested

    assert not smoke_requested({})
    assert not smoke_requested({SMOKE_ENV: "0"})
    assert not smoke_requested({SMOKE_ENV: "yes"})
    assert smoke_requested({SMOKE_ENV: "1"})
    monkeypatch.delenv(SMOKE_ENV, raising=False)
    assert not smoke_requested()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process start time is read from /proc (Linux)")
def test_process_age_counts_from_the_process_start() -> None:
    from app.gui.smoke import process_age_s, seconds_since_start

    age = process_age_s()
    assert age is not None and 0 < age < 24 * 3600
    assert seconds_since_start() >= age - 0.05


# --- the frozen build -------------------------------------------------------------------------------------


def _no_display() -> bool:
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or shutil.which("xvfb-run"))


@pytest.mark.slow
@pytest.mark.skipif(not BUILD.is_file(), reason=f"no desktop build at {BUILD.relative_to(ROOT)} (build one with `make package`)")
@pytest.mark.skipif(_no_display(), reason="no display and no xvfb-run for the frozen app's window")
def test_frozen_app_fetches_models_runs_one_check_and_quits_cleanly() -> None:
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}  # the frozen app gets a real (virtual) screen
    proc = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "smoke.py"), str(BUILD)],
        capture_output=True, text=True, timeout=280, env=env, check=False,
    )
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr[-3000:]
    assert re.search(r"^smoke: models ok +face_landmarker ", out, re.M), out
    assert re.search(r"^smoke: first-preview-s=\d+\.\d\d$", out, re.M), out
    assert re.search(r"^smoke: result=(pass|fail|unavailable)$", out, re.M), out
    assert re.search(r"^smoke: run=1 exit=0 ", out, re.M), out
    assert out.rstrip().endswith("smoke: ok"), out
