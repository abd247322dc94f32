"""Crash and write-failure behaviour of the store: nothing lost, nothing half-written reported."""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.core.errors import StoreError
from app.core.sessions import ERROR, IN_PROGRESS, SUCCEEDED, ManualClock
from app.core.store import files as store_files
from app.core.store.db import SCHEMA_VERSION, SessionStore
from app.core.store.files import TEMP_PREFIX
from app.devtools.synthetic_results import make_service, synthetic_result

REPO = Path(__file__).resolve().parents[1]

_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from app.core.store import files as store_files
    from app.devtools.synthetic_results import make_service, synthetic_result

    root, point = Path(sys.argv[1]), sys.argv[2]
    service = make_service(root)
    session = service.create()
    service.start(session.id)
    print(session.id, flush=True)

    def hang(*args, **kwargs):
        print("ready", flush=True)
        time.sleep(120)

    if point == "mid-file":
        real = store_files.fsync_file
        calls = []

        def fsync_then_hang(fh):
            calls.append(1)
            if len(calls) == 3:  # two images are complete, the third is half-way
                fh.flush()
                hang()
            real(fh)

        store_files.fsync_file = fsync_then_hang
    else:  # every file durable, the record not yet updated
        service.store.finish = hang
    service.complete(session.id, synthetic_result(session.id))
    """
)


def _temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob(f"{TEMP_PREFIX}*")]


@pytest.mark.parametrize("point", ["mid-file", "before-commit"])
def test_kill_9_while_writing_a_session(tmp_path: Path, point: str) -> None:
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path), point], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO
    )
    try:
        assert proc.stdout is not None
        session_id = proc.stdout.readline().strip()
        ready = proc.stdout.readline().strip()
        assert ready == "ready", proc.stderr.read() if proc.stderr else ""
        folder = tmp_path / "sessions" / "files" / session_id
        if point == "mid-file":
            assert _temp_files(folder), "the test should catch a half-written temp file"
        else:
            assert len(list(folder.glob("*.enc"))) == 5
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert proc.returncode == -signal.SIGKILL

    service = make_service(tmp_path)
    try:
        assert service.store.recovery.interrupted == [session_id]
        session = service.get(session_id)
        assert session.status == ERROR and session.reason == "interrupted"
        assert session.result is None and session.files == ()
        assert not _temp_files(tmp_path)
        assert not (tmp_path / "sessions" / "files" / session_id).exists()
        assert service.search(status=SUCCEEDED) == []
        assert not service.lockout_status().recent_failures  # an interruption is not a failed check
    finally:
        service.close()


def test_disk_full_is_a_clear_error_and_nothing_is_marked_passed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    service = make_service(tmp_path, clock=ManualClock())
    try:
        session = service.create()
        service.start(session.id)
        real = store_files.fsync_file
        calls = []

        def full_disk(fh):
            calls.append(1)
            if len(calls) >= 3:
                raise OSError(errno.ENOSPC, "No space left on device")
            real(fh)

        monkeypatch.setattr(store_files, "fsync_file", full_disk)
        with pytest.raises(StoreError, match="disk is full"):
            service.complete(session.id, synthetic_result(session.id))
        monkeypatch.setattr(store_files, "fsync_file", real)
        failed = service.get(session.id)
        assert failed.status == ERROR and failed.reason.startswith("storage failed")
        assert failed.decision is None and failed.result is None
        assert not service.store.session_dir(session.id).exists()
        assert not _temp_files(tmp_path)
        assert service.search(status=SUCCEEDED) == []
        # The store still works once space is back.
        again = service.create()
        service.start(again.id)
        assert service.complete(again.id, synthetic_result(again.id)).status == SUCCEEDED
    finally:
        service.close()


def test_database_write_failure_leaves_no_finished_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    service = make_service(tmp_path, clock=ManualClock())
    try:
        session = service.create()
        service.start(session.id)

        def broken_finish(*args, **kwargs):
            raise StoreError("cannot update session: disk I/O error")

        monkeypatch.setattr(service.store, "finish", broken_finish)
        with pytest.raises(StoreError):
            service.complete(session.id, synthetic_result(session.id))
        assert service.get(session.id).status == ERROR
        assert not service.store.session_dir(session.id).exists()
    finally:
        service.close()


def test_store_uses_wal_and_records_its_schema(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    service.close()
    db = sqlite3.connect(tmp_path / "sessions" / "sessions.sqlite3")
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        db.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    make_service(tmp_path).close()
    db = sqlite3.connect(tmp_path / "sessions" / "sessions.sqlite3")
    db.execute("INSERT INTO schema_migrations VALUES (?, 'from the future', 0)", (SCHEMA_VERSION + 1,))
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer"):
        make_service(tmp_path)


def test_only_one_process_owns_the_store(tmp_path: Path) -> None:
    owner = make_service(tmp_path)
    try:
        with pytest.raises(StoreError, match="in use by another"):
            SessionStore(tmp_path / "sessions", keys=owner.store.keys)
        # A reader (the CLI) may open it and never touches running sessions.
        session = owner.create()
        owner.start(session.id)
        reader = make_service(tmp_path, owner=False)
        try:
            assert reader.get(session.id).status == IN_PROGRESS
        finally:
            reader.close()
        assert owner.get(session.id).status == IN_PROGRESS
    finally:
        owner.close()


def test_orphan_files_without_a_record_are_removed(tmp_path: Path) -> None:
    make_service(tmp_path).close()
    stray = tmp_path / "sessions" / "files" / ("Z" * 32)
    stray.mkdir()
    (stray / "reference.enc").write_bytes(b"x")
    (tmp_path / "sessions" / "files" / f"{TEMP_PREFIX}junk").write_bytes(b"y")
    service = make_service(tmp_path)
    try:
        assert not stray.exists()
        assert service.store.recovery.removed_orphan_files == 1
        assert service.store.recovery.removed_temp_files == 1
    finally:
        service.close()
