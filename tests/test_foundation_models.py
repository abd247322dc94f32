"""Model manifest: fetch from sources in order, verify on fetch and on every load."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from app.core.errors import ModelError
from app.core.models.manifest import ModelEntry, ModelStore, load_manifest


def _entry(data: bytes, sources: tuple[dict, ...]) -> ModelEntry:
    return ModelEntry("toy", "toy.bin", "1", "test", hashlib.sha256(data).hexdigest(), len(data), sources)


def test_shipped_manifest_is_valid() -> None:
    manifest = load_manifest()
    assert "face_landmarker" in manifest
    fl = manifest["face_landmarker"]
    assert fl.sha256 == "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
    kinds = [s["kind"] for s in fl.sources]
    assert kinds == ["mirror", "url", "wheel"]


def test_fetch_from_mirror_then_verify_then_tamper(tmp_path: Path) -> None:
    data = b"model-bytes" * 100
    mirror = tmp_path / "mirror"
    (mirror / "toys").mkdir(parents=True)
    (mirror / "toys" / "toy.bin").write_bytes(data)
    store = ModelStore(cache_dir=tmp_path / "cache", manifest={"toy": _entry(data, ({"kind": "mirror", "path": "toys/toy.bin"},))}, mirror=mirror)
    assert store.status("toy") == "missing"
    with pytest.raises(ModelError, match="livegate models fetch"):
        store.resolve("toy")
    path = store.fetch("toy")
    assert store.resolve("toy") == path
    # Alter one byte: every load re-checks the hash.
    raw = bytearray(path.read_bytes())
    raw[10] ^= 0x01
    path.write_bytes(bytes(raw))
    assert store.status("toy") == "altered"
    with pytest.raises(ModelError, match="altered"):
        store.resolve("toy")
    store.fetch("toy")  # a fetch repairs it
    assert store.status("toy") == "ok"


def test_wrong_bytes_from_a_source_are_rejected(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "toy.bin").write_bytes(b"evil")
    store = ModelStore(cache_dir=tmp_path / "cache", manifest={"toy": _entry(b"good", ({"kind": "mirror", "path": "toy.bin"},))}, mirror=mirror)
    with pytest.raises(ModelError, match="does not match"):
        store.fetch("toy")
    assert not (tmp_path / "cache" / "toy.bin").exists()


def test_sources_are_tried_in_order(tmp_path: Path) -> None:
    data = b"abc" * 10
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "toy.bin").write_bytes(data)
    sources = (
        {"kind": "url", "url": "http://127.0.0.1:9/nothing-listens-here"},
        {"kind": "mirror", "path": "toy.bin"},
    )
    store = ModelStore(cache_dir=tmp_path / "cache", manifest={"toy": _entry(data, sources)}, mirror=mirror, url_timeout_s=2)
    assert store.fetch("toy").read_bytes() == data


def test_no_source_gives_clear_error(tmp_path: Path) -> None:
    store = ModelStore(cache_dir=tmp_path / "c", manifest={"toy": _entry(b"x", ({"kind": "mirror", "path": "toy.bin"},))}, mirror=None)
    with pytest.raises(ModelError, match="could not fetch model toy"):
        store.fetch("toy")


def test_installed_models_verify() -> None:
    """After set-up every model in the manifest is present and intact."""
    statuses = ModelStore().verify()
    assert statuses and all(s == "ok" for s in statuses.values()), statuses


def test_cli_verify_detects_one_altered_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main
    from app.core import paths

    cache = tmp_path / "models"
    shutil.copytree(paths.models_dir(), cache, ignore=shutil.ignore_patterns("manifest.toml", ".fetch-*"))
    monkeypatch.setenv("LIVEGATE_MODELS_DIR", str(cache))
    assert main(["models", "verify"]) == 0
    target = cache / "face_landmarker.task"
    raw = bytearray(target.read_bytes())
    raw[1000] ^= 0xFF
    target.write_bytes(bytes(raw))
    assert main(["models", "verify"]) == 1
    err = capsys.readouterr().err
    assert "face_landmarker" in err and "livegate models fetch" in err
