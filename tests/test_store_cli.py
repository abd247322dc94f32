"""``livegate sessions list|show|export|purge|delete``."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.cli import main as cli_main
from app.core.store.signing import load_public_pem, verify_document, key_id
from app.devtools.synthetic_results import make_service, synthetic_result


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LIVEGATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LIVEGATE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LIVEGATE_KEY_BACKEND", "file")
    return tmp_path / "data"


@pytest.fixture()
def sessions(data_dir: Path) -> dict[str, str]:
    service = make_service(data_dir)
    try:
        ids = {}
        for name, decision, ref in (("alice", "pass", "C-1"), ("bob", "fail", "C-2")):
            session = service.create(customer_ref=ref)
            service.start(session.id)
            service.complete(session.id, synthetic_result(session.id, decision=decision))
            ids[name] = session.id
        ids["waiting"] = service.create(customer_ref="C-3").id
        return ids
    finally:
        service.close()


def test_list_with_filters(sessions: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["sessions", "list"]) == 0
    out = capsys.readouterr().out
    assert all(sid in out for sid in sessions.values())
    assert cli_main(["sessions", "list", "--customer", "C-2", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [s["SessionId"] for s in listed] == [sessions["bob"]]
    assert cli_main(["sessions", "list", "--status", "succeeded", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    assert cli_main(["sessions", "list", "--since", "2999-01-01"]) == 0
    assert "No sessions match" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["--status", "DONE"], ["--since", "yesterday"], ["--limit", "0"]])
def test_list_rejects_bad_filters(sessions: dict[str, str], args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["sessions", "list", *args]) == 2
    assert "livegate:" in capsys.readouterr().err


def test_show(sessions: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["sessions", "show", sessions["alice"]]) == 0
    out = capsys.readouterr().out
    assert "SUCCEEDED" in out and "Signed by" in out
    assert cli_main(["sessions", "show", sessions["alice"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["SessionId"] == sessions["alice"]
    assert cli_main(["sessions", "show", "NoSuchSessionIdAtAll000"]) == 2


def test_export_zip_has_results_images_and_manifest(sessions: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "export.zip"
    assert cli_main(["sessions", "export", sessions["alice"], sessions["waiting"], "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["Format"] == "livegate-export"
        assert [s["SessionId"] for s in manifest["Sessions"]] == [sessions["alice"], sessions["waiting"]]
        for entry in manifest["Sessions"]:
            for item in entry["Files"]:
                assert hashlib.sha256(zf.read(item["Name"])).hexdigest() == item["Sha256"]
        alice = sessions["alice"]
        assert {f"{alice}/result.json", f"{alice}/reference.jpg", f"{alice}/audit-3.jpg"} <= names
        assert f"{sessions['waiting']}/session.json" in names
        image = cv2.imdecode(np.frombuffer(zf.read(f"{alice}/reference.jpg"), np.uint8), cv2.IMREAD_COLOR)
        assert image is not None
        public = load_public_pem(zf.read("public-key.pem"))
        result = json.loads(zf.read(f"{alice}/result.json"))
        assert verify_document(result, {key_id(public): public}).valid
        assert result["ReferenceImage"]["Sha256"] == hashlib.sha256(zf.read(f"{alice}/reference.jpg")).hexdigest()


def test_export_by_filter(sessions: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "c2.zip"
    assert cli_main(["sessions", "export", "--customer", "C-2", "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as zf:
        assert [s["SessionId"] for s in json.loads(zf.read("manifest.json"))["Sessions"]] == [sessions["bob"]]


def test_delete_and_purge(sessions: dict[str, str], data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = data_dir / "sessions" / "files" / sessions["alice"]
    assert folder.is_dir()
    assert cli_main(["sessions", "delete", sessions["alice"]]) == 0
    assert not folder.exists()
    assert cli_main(["sessions", "purge"]) == 0
    assert "purged 0" in capsys.readouterr().out  # nothing is 30 days old
    assert cli_main(["sessions", "purge", "--older-than", "0"]) == 0
    assert "purged 1" in capsys.readouterr().out  # bob; the CREATED session is not finished
    assert cli_main(["sessions", "list", "--json"]) == 0
    assert [s["SessionId"] for s in json.loads(capsys.readouterr().out)] == [sessions["waiting"]]


@pytest.mark.parametrize("module", ["app.core.store.cli", "app.core.api.cli", "app.core.sessions", "app.core.sessions.service", "app.core.store.db", "app.devtools.store_soak"])
def test_entry_modules_import_first(module: str) -> None:
    """The CLI imports these lazily and first: no import cycle may depend on a warm interpreter."""
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=repo, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
