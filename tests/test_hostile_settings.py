"""Hostile settings files and LIVEGATE_* values: reported, ignored, never fatal."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

import hostile_corpus as corpus
from app.core import strictjson
from app.core.settings import MAX_FILE_BYTES, Settings, load_settings


@pytest.mark.parametrize("name", sorted(corpus.SETTINGS_CASES))
def test_hostile_settings_file_is_reported_and_ignored(name: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(corpus.SETTINGS_CASES[name])
    with caplog.at_level(logging.WARNING, logger="app.core.settings"):
        s = load_settings(path, environ={})
    defaults = Settings()
    assert s.to_dict() == defaults.to_dict()  # every hostile case here touches only bad values
    assert s.problems, "a bad settings file must be reported"
    assert all("\n" not in p and len(p) < 400 for p in s.problems)
    assert any("settings:" in r.getMessage() for r in caplog.records)  # and logged


@pytest.mark.parametrize(("env_name", "value"), sorted(corpus.ENV_CASES.items()))
def test_hostile_environment_value_is_reported_and_ignored(env_name: str, value: str, tmp_path: Path) -> None:
    s = load_settings(tmp_path / "none.json", environ={env_name: value})
    key = env_name.removeprefix("LIVEGATE_").lower()
    assert getattr(s, key) == getattr(Settings(), key)
    assert len(s.problems) == 1 and len(s.problems[0]) < 400


def test_one_bad_value_costs_only_that_setting(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        '{"threshold": ' + "9" * 400 + ', "mode": "kiosk", "audit_images": NaN, "api_port": 9000,'
        ' "flash_attenuation": 1e400, "camera": "camera:1", "camera": "camera:2"}'
    )
    s = load_settings(path, environ={})
    assert (s.mode, s.api_port) == ("kiosk", 9000)
    assert (s.threshold, s.audit_images, s.flash_attenuation, s.camera) == (60.0, 4, 0.0, "")
    assert len(s.problems) == 4
    assert any("400 digits" in p for p in s.problems) and any("duplicate key 'camera'" in p for p in s.problems)


def test_exact_types_in_the_file_plain_numbers_in_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"threshold": "70", "audit_images": 2.0, "keep_recordings": "yes"}))
    s = load_settings(path, environ={"LIVEGATE_LOCKOUT_FAILURES": " 7 ", "LIVEGATE_FACE_FIT_TIMEOUT_S": "12.5"})
    assert (s.threshold, s.audit_images, s.keep_recordings) == (60.0, 4, False)
    assert (s.lockout_failures, s.face_fit_timeout_s) == (7, 12.5)
    assert len(s.problems) == 3


def test_oversized_file_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(b'{"camera": "' + b"x" * (MAX_FILE_BYTES + 10) + b'"}')
    s = load_settings(path, environ={})
    assert any(f"larger than {MAX_FILE_BYTES}" in p for p in s.problems)


def test_unexpected_failure_still_gives_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"threshold": 70}')

    def broken(*args: object, **kwargs: object) -> object:
        raise MemoryError("simulated")

    monkeypatch.setattr(strictjson, "loads", broken)
    s = load_settings(path, environ={})
    assert s.to_dict() == Settings().to_dict()
    assert any("could not be applied (MemoryError)" in p for p in s.problems)


def test_strict_json_parser() -> None:
    for text, fragment in [
        ("[" * 10_000, "nested"),
        ('{"a": NaN}', "NaN"),
        ("[1e400]", "out of range"),
        ("[" + "1" * 31 + "]", "31 digits"),
        ('{"a": 1, "a": 2}', "duplicate key"),
        ('"' + '\\"' * 50_000, "Unterminated"),
    ]:
        with pytest.raises(strictjson.StrictJSONError, match=fragment):
            strictjson.loads(text)
    assert strictjson.loads('{"a": [1, 2.5, "x[[[", {"b": null}]}') == {"a": [1, 2.5, "x[[[", {"b": None}]}
    lenient = strictjson.loads('{"a": NaN, "b": 1, "b": 2}', lenient=True)
    assert isinstance(lenient["a"], strictjson.Invalid) and isinstance(lenient["b"], strictjson.Invalid)
    with pytest.raises(strictjson.StrictJSONError, match="byte-order mark"):
        strictjson.decode_utf8("{}".encode("utf-16"))


@pytest.mark.parametrize(
    ("env", "code"),
    [
        ({"LIVEGATE_KEY_BACKEND": "bogus"}, 2),
        ({"LIVEGATE_KEY_BACKEND": "k" * 5000}, 2),
        ({"LIVEGATE_DATA_DIR": "{file}"}, 3),
        ({"LIVEGATE_DATA_DIR": "{file}/below"}, 3),
    ],
)
def test_hostile_environment_paths_give_one_error_line(env: dict[str, str], code: int, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    afile = tmp_path / "a-file"
    afile.write_text("x")
    full = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    full.update({k: v.replace("{file}", str(afile)) for k, v in env.items()})
    out = subprocess.run([sys.executable, "-m", "app", "token"], env=full, capture_output=True, text=True, timeout=60)
    assert out.returncode == code
    assert "Traceback" not in out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("livegate: ") and len(last) < 300
