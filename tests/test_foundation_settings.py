"""Settings: versioned, env-overridable, tolerant of bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.settings import SCHEMA_VERSION, Settings, load_settings, replace, save_settings


def test_defaults_when_no_file(tmp_path: Path) -> None:
    s = load_settings(tmp_path / "none.json", environ={})
    assert s == Settings()
    assert s.problems == []


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    s = replace(Settings(), threshold=72.5, audit_images=2, camera="camera:1", keep_recordings=True)
    save_settings(s, path)
    loaded = load_settings(path, environ={})
    assert loaded.threshold == 72.5 and loaded.audit_images == 2 and loaded.camera == "camera:1"
    assert loaded.keep_recordings is True
    assert json.loads(path.read_text())["schema_version"] == SCHEMA_VERSION


@pytest.mark.parametrize(
    "content",
    ["{not json", "[1, 2]", "", "\x00\x01binary"],
)
def test_bad_file_is_reported_not_fatal(tmp_path: Path, content: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(content)
    s = load_settings(path, environ={})
    assert s.threshold == Settings().threshold
    assert any("unreadable" in p for p in s.problems)


def test_bad_values_fall_back_per_key(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"threshold": 250, "audit_images": "four", "mode": "kiosk", "bogus": 1}))
    s = load_settings(path, environ={})
    assert s.threshold == Settings().threshold  # out of range -> default
    assert s.audit_images == Settings().audit_images  # wrong type -> default
    assert s.mode == "kiosk"  # good keys survive
    assert len(s.problems) == 3


def test_environment_overrides_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"threshold": 50}))
    s = load_settings(path, environ={"LIVEGATE_THRESHOLD": "80", "LIVEGATE_KEEP_RECORDINGS": "yes"})
    assert s.threshold == 80.0 and s.keep_recordings is True
    bad = load_settings(path, environ={"LIVEGATE_AUDIT_IMAGES": "many"})
    assert bad.audit_images == Settings().audit_images
    assert any("LIVEGATE_AUDIT_IMAGES" in p for p in bad.problems)
