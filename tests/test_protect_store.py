"""Delete means gone, readers change nothing, and biometric evidence is encrypted at rest."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main as cli_main
from app.core.errors import StoreError
from app.core.sessions import ManualClock
from app.core.store.db import SCHEMA_VERSION, open_store
from app.devtools.synthetic_results import make_service, synthetic_result

ROOT = Path(__file__).resolve().parents[1]
REF = "CUSTOMER-REF-7d1e9a"


def _store_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "sessions").rglob("*") if p.is_file())


def _hashes(root: Path, *, skip_shm: bool = False) -> dict[str, str]:
    """Every file of the data folder but the app's own log (which records exports by design)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not (skip_shm and p.name.endswith("-shm")) and p.parts[len(root.parts)] != "logs"
    }


def _finished(service, *, ref: str = REF, decision: str = "pass"):  # type: ignore[no-untyped-def]
    session = service.create(customer_ref=ref, operator_ref="OPERATOR-99")
    service.start(session.id)
    return service.complete(session.id, synthetic_result(session.id, decision=decision))


@pytest.fixture()
def data_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LIVEGATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LIVEGATE_KEY_BACKEND", "file")
    return tmp_path / "data"


# --- delete means gone ----------------------------------------------------------------------


def test_after_delete_no_byte_of_the_session_remains_in_any_store_file(tmp_path: Path) -> None:
    service = make_service(tmp_path, clock=ManualClock())
    try:
        keep = _finished(service, ref="OTHER-REF-1")
        gone = _finished(service)
        service.delete(gone.id)
        # While the store is still open (the API answered 204): db, -wal, -shm and files.
        files = _store_files(tmp_path)
        assert any(p.name.endswith("-wal") for p in files)
        for path in files:
            data = path.read_bytes()
            assert REF.encode() not in data, path
            assert gone.id.encode() not in data, path
        assert service.get(keep.id).result is not None
    finally:
        service.close()


def test_purge_leaves_no_copy_in_the_log(tmp_path: Path) -> None:
    clock = ManualClock()
    service = make_service(tmp_path, clock=clock)
    try:
        old = _finished(service)
        clock.advance(40 * 86400)
        assert service.purge(older_than_days=30) == [old.id]
        for path in _store_files(tmp_path):
            assert old.id.encode() not in path.read_bytes(), path
        assert service.store.db_secure_delete() == 1
    finally:
        service.close()


# --- readers change nothing --------------------------------------------------------------------


def _populate(data: Path) -> dict[str, str]:
    # Made on 2025-01-01 (the manual clock): older than the default retention (30 days) today, so
    # an owner opening the store would purge them, and "waiting" is long past its expiry.
    service = make_service(data, clock=ManualClock())
    try:
        old = _finished(service, ref="OLD")
        waiting = service.create(customer_ref="WAITING")
        fresh = _finished(service, decision="fail")
        return {"old": old.id, "waiting": waiting.id, "fresh": fresh.id}
    finally:
        service.store.close()


def _read_commands(tmp_path: Path, ids: dict[str, str]) -> list[list[str]]:
    return [
        ["sessions", "list"],
        ["sessions", "list", "--customer", REF, "--json"],
        ["sessions", "show", ids["old"], ids["fresh"], ids["waiting"]],
        ["sessions", "export", ids["old"], "--out", str(tmp_path / "out" / "e.zip")],
    ]


def test_readers_change_no_byte_of_a_closed_store_or_a_backup(data_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _populate(data_env)
    backup = tmp_path / "backup"
    shutil.copytree(data_env, backup)
    for folder in (data_env, backup):
        os.environ["LIVEGATE_DATA_DIR"] = str(folder)
        before = _hashes(folder)
        for command in _read_commands(tmp_path, ids):
            assert cli_main(command) == 0, command
        assert _hashes(folder) == before  # not one byte, no file created (-wal, -shm) or removed
    out = capsys.readouterr().out
    assert ids["old"] in out and "OLD" in out  # an owner's retention purge would have deleted it


def test_list_on_a_store_owned_by_another_process_changes_no_byte(data_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _populate(data_env)
    owner_code = (
        "import sys\n"
        "from app.core.store.db import open_store\n"
        "store = open_store()\n"
        "print('owned', flush=True)\n"
        "sys.stdin.readline()\n"
        "store.close()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", owner_code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"owned"
        # SQLite's shared-memory index (-shm) is where every reader takes its read lock; it holds no record.
        before = _hashes(data_env, skip_shm=True)
        for command in _read_commands(tmp_path, ids):
            assert cli_main(command) == 0, command
        assert _hashes(data_env, skip_shm=True) == before
    finally:
        assert proc.stdin is not None
        proc.stdin.write(b"\n")
        proc.stdin.close()
        proc.wait(timeout=20)
        proc.stdout.close()  # type: ignore[union-attr]
    assert ids["old"] in capsys.readouterr().out


def test_a_read_only_store_refuses_changes_and_never_creates_keys(tmp_path: Path) -> None:
    _populate(tmp_path)
    store = open_store(tmp_path, read_only=True)
    try:
        with pytest.raises(StoreError, match="read-only"):
            store.set_state("x", "y")
        assert store.count() == 3
    finally:
        store.close()
    keyless = tmp_path / "copied-without-keys"
    (keyless / "sessions").mkdir(parents=True)
    shutil.copy(tmp_path / "sessions" / "sessions.sqlite3", keyless / "sessions")
    with pytest.raises(StoreError, match="no Livegate keys"):
        open_store(keyless, read_only=True)
    assert sorted(p.name for p in keyless.rglob("*")) == ["sessions", "sessions.sqlite3"]


# --- list views show only signed values ---------------------------------------------------------


def test_an_edited_decision_column_is_not_listed_as_verified(data_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    service = make_service(data_env)
    try:
        failed = _finished(service, decision="fail")
    finally:
        service.close()
    db = sqlite3.connect(data_env / "sessions" / "sessions.sqlite3")
    db.execute("UPDATE sessions SET decision = 'pass', confidence = 99.0 WHERE id = ?", (failed.id,))
    db.commit()
    db.close()
    assert cli_main(["sessions", "list"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if failed.id in line)
    assert "UNVERIFIED" in line and "pass" not in line
    assert cli_main(["sessions", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["Decision"] is None and listed[0]["Confidence"] is None
    service = make_service(data_env)
    try:
        [row] = service.list()
        assert row.verified is False and row.decision is None
    finally:
        service.close()


# --- encrypted at rest --------------------------------------------------------------------------


def test_references_and_evidence_are_encrypted_at_rest_and_still_searchable(tmp_path: Path) -> None:
    service = make_service(tmp_path, clock=ManualClock())
    try:
        done = _finished(service)
        _finished(service, ref="SOMEONE-ELSE")
        assert [s.id for s in service.search(customer_ref=REF)] == [done.id]
        assert service.get(done.id).settings.operator_ref == "OPERATOR-99"
        evidence = json.dumps(done.result["Checks"][1]["Evidence"]).encode()
        service.store.checkpoint()
        for path in _store_files(tmp_path):
            data = path.read_bytes()
            for secret in (REF.encode(), b"OPERATOR-99", b"lag_frames", b'"Box"', evidence[:20]):
                assert secret not in data, (path, secret)
    finally:
        service.close()


def _downgrade_to_schema_1(root: Path) -> None:
    """Turn a store into what Livegate wrote before schema 2: settings, references and results in the clear."""
    store = open_store(root)
    rows = store._db.execute("SELECT id, settings, result FROM sessions").fetchall()
    plain = [
        (
            store._unseal(r["id"], "settings", r["settings"]).decode(),
            json.loads(store._unseal(r["id"], "settings", r["settings"]))["customer_ref"],
            None if r["result"] is None else store._unseal(r["id"], "result", r["result"]).decode(),
            r["id"],
        )
        for r in rows
    ]
    store.close()
    db = sqlite3.connect(root / "sessions" / "sessions.sqlite3", isolation_level=None)
    db.execute("DROP INDEX sessions_customer_key")
    db.execute("ALTER TABLE sessions DROP COLUMN customer_key")
    db.execute("ALTER TABLE sessions DROP COLUMN record_sig")
    db.execute("CREATE INDEX sessions_customer ON sessions(customer_ref)")
    for settings, ref, result, sid in plain:
        db.execute("UPDATE sessions SET settings = ?, customer_ref = ?, result = ? WHERE id = ?", (settings, ref, result, sid))
    db.execute("DROP TRIGGER IF EXISTS outbox_session_finished")
    db.execute("DROP TRIGGER IF EXISTS outbox_session_deleted")
    db.execute("DROP TABLE IF EXISTS outbox")
    db.execute("DELETE FROM schema_migrations WHERE version >= 2")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def test_a_schema_1_store_is_readable_read_only_and_encrypted_on_first_open(tmp_path: Path) -> None:
    service = make_service(tmp_path, clock=ManualClock())
    try:
        done = _finished(service)
        waiting = service.create(customer_ref="W-2")
    finally:
        service.close()
    _downgrade_to_schema_1(tmp_path)
    db_file = tmp_path / "sessions" / "sessions.sqlite3"
    assert REF.encode() in db_file.read_bytes()

    reader = open_store(tmp_path, read_only=True)  # old stores stay readable without migrating
    try:
        assert [s.id for s in reader.query(customer_ref=REF)] == [done.id]
        assert reader.load(done.id).result["Decision"] == "pass"
        assert {s.id: s.verified for s in reader.query()} == {done.id: True, waiting.id: False}
    finally:
        reader.close()
    assert REF.encode() in db_file.read_bytes()

    service = make_service(tmp_path, clock=ManualClock())  # the owner migrates
    try:
        assert service.store.schema_version() == SCHEMA_VERSION
        assert [s.id for s in service.search(customer_ref=REF)] == [done.id]
        assert service.get(done.id).result["SessionId"] == done.id
        assert all(s.verified for s in service.list())
        for path in _store_files(tmp_path):
            assert REF.encode() not in path.read_bytes(), path
            assert b"lag_frames" not in path.read_bytes(), path
    finally:
        service.close()


def test_a_one_off_delete_does_not_purge_or_expire_anything_else(data_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _populate(data_env)
    assert cli_main(["sessions", "delete", ids["fresh"]]) == 0
    store = open_store(data_env, read_only=True)
    try:
        assert {s.id: s.status for s in store.query()} == {ids["old"]: "SUCCEEDED", ids["waiting"]: "CREATED"}
    finally:
        store.close()
    for path in _store_files(data_env):
        assert ids["fresh"].encode() not in path.read_bytes(), path


def test_history_marks_an_unverified_record(qtbot) -> None:
    from app.core.sessions import Session, SessionSettings
    from app.gui.history import HistoryPage

    page = HistoryPage()
    qtbot.addWidget(page)
    rows = [
        Session("A" * 32, "SUCCEEDED", SessionSettings(), 1_735_689_600.0, 1_735_689_780.0, decision="pass", confidence=90.0),
        Session("B" * 32, "SUCCEEDED", SessionSettings(), 1_735_689_500.0, 1_735_689_680.0, verified=False),
    ]
    page._on_found(page._search_generation, rows)
    from app.gui.history import _ID_ROLE

    shown = {page.table.item(r, 2).data(_ID_ROLE): page.table.item(r, 2).text() for r in range(2)}
    assert shown == {"A" * 32: "Pass", "B" * 32: "Unverified"}
