"""The session store: SQLite (WAL) records plus encrypted files.

Layout under the store folder::

    sessions.sqlite3        records (WAL mode, synchronous=FULL, secure_delete)
    files/<session id>/     reference.enc, audit-0.enc .. audit-3.enc, recording.enc
    store.lock              held by the process that owns the store (GUI or API)

Order of a completion: every file is written atomically and durably first;
only then does one transaction mark the session finished and reference the
files. A crash before the commit leaves the session IN_PROGRESS; the next
owner to open the store turns it into ERROR("interrupted") and removes its
files and any temporary file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

from app.core import paths
from app.core.errors import StoreError
from app.core.sessions.clock import Clock, SystemClock
from app.core.sessions.model import IN_PROGRESS, Session, SessionSettings, StoredFile
from app.core.store.crypto import IntegrityError, KeyStore, open_sealed, read_sealed, write_sealed
from app.core.store.files import clean_temp_files, fsync_dir
from app.core.store.signing import ResultSigner, canonical_json, verify_document

log = logging.getLogger(__name__)

DB_NAME = "sessions.sqlite3"
FILES_DIR = "files"
LOCK_NAME = "store.lock"

#: Migrations: (version, description, statements). Append only; never edit a released one.
MIGRATIONS: list[tuple[int, str, tuple[str, ...]]] = [
    (
        1,
        "sessions, failures and state tables",
        (
            """CREATE TABLE sessions (
                id TEXT PRIMARY KEY,
                status TEXT NOT NULL,
                reason TEXT NOT NULL DEFAULT '',
                settings TEXT NOT NULL,
                customer_ref TEXT NOT NULL DEFAULT '',
                operator_ref TEXT NOT NULL DEFAULT '',
                created_at REAL NOT NULL,
                expires_at REAL NOT NULL,
                started_at REAL,
                finished_at REAL,
                decision TEXT,
                confidence REAL,
                versions TEXT NOT NULL DEFAULT '{}',
                files TEXT NOT NULL DEFAULT '[]',
                result TEXT,
                signature TEXT
            )""",
            "CREATE INDEX sessions_created ON sessions(created_at)",
            "CREATE INDEX sessions_status ON sessions(status)",
            "CREATE INDEX sessions_customer ON sessions(customer_ref)",
            "CREATE TABLE failures (t REAL NOT NULL)",
            "CREATE INDEX failures_t ON failures(t)",
            "CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ),
    ),
    # --- fleet outbox (app.core.fleet.outbox reads and empties it) ---------------------------
    # Filled by triggers, so a finished session is queued in the very transaction that stores
    # its signed result, and a deletion in the one that removes the record. Only while the
    # state key 'fleet.outbox' is 'on' (set by `livegate fleet enroll`).
    (
        2,
        "fleet outbox",
        (
            """CREATE TABLE outbox (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                kind TEXT NOT NULL CHECK (kind IN ('session', 'delete')),
                session_id TEXT NOT NULL,
                finished_at REAL,
                created_at REAL NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at REAL NOT NULL DEFAULT 0,
                last_error TEXT NOT NULL DEFAULT '',
                dead INTEGER NOT NULL DEFAULT 0,
                UNIQUE (kind, session_id)
            )""",
            """CREATE TRIGGER outbox_session_finished AFTER UPDATE OF result ON sessions
               WHEN OLD.result IS NULL AND NEW.result IS NOT NULL
                    AND EXISTS (SELECT 1 FROM state WHERE key = 'fleet.outbox' AND value = 'on')
               BEGIN
                   INSERT OR IGNORE INTO outbox(kind, session_id, finished_at, created_at)
                   VALUES ('session', NEW.id, NEW.finished_at, (julianday('now') - 2440587.5) * 86400.0);
               END""",
            """CREATE TRIGGER outbox_session_deleted AFTER DELETE ON sessions
               WHEN OLD.result IS NOT NULL AND EXISTS (SELECT 1 FROM state WHERE key = 'fleet.outbox' AND value = 'on')
               BEGIN
                   DELETE FROM outbox WHERE kind = 'session' AND session_id = OLD.id;
                   INSERT OR IGNORE INTO outbox(kind, session_id, finished_at, created_at)
                   VALUES ('delete', OLD.id, OLD.finished_at, (julianday('now') - 2440587.5) * 86400.0);
               END""",
        ),
    ),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]

_COLUMNS = (
    "id, status, reason, settings, created_at, expires_at, started_at, finished_at, "
    "decision, confidence, versions, files, result, signature"
)


@dataclass
class RecoveryReport:
    """What opening the store repaired after a crash."""

    interrupted: list[str] = field(default_factory=list)
    removed_temp_files: int = 0
    removed_orphan_files: int = 0


class _ProcessLock:
    """An advisory exclusive lock on a file, held while the store is owned."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    def acquire(self) -> bool:
        paths.make_private_file(self.path)
        fh = open(self.path, "a+", encoding="utf-8")
        try:
            if os.name == "posix":
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:  # pragma: no cover - Windows
                import msvcrt

                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return True

    def holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip() or "?"
        except OSError:
            return "?"

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()  # closing drops the lock
            self._fh = None


class SessionStore:
    """Durable session records and encrypted biometric files.

    Thread-safe: one SQLite connection guarded by a lock; file writes happen
    outside the lock. Use ``SessionStore.open`` or the constructor, and
    ``close()`` (or a ``with`` block).

    Parameters
    ----------
    root:
        Store folder (created ``0700``).
    keys:
        Where the data and signing keys come from.
    clock:
        Time source for recovery timestamps.
    owner:
        Take the store's process lock and repair after a crash. Read-mostly
        tools (``livegate sessions``) pass ``False`` so they never mark a
        running kiosk's session as interrupted.

    Raises
    ------
    StoreError
        When the database cannot be opened, is from a newer Livegate, or
        ``owner`` is set and another process owns the store.
    """

    def __init__(self, root: Path, *, keys: KeyStore, clock: Clock | None = None, owner: bool = True) -> None:
        self.root = Path(root)
        self.files_root = self.root / FILES_DIR
        self.keys = keys
        self.clock: Clock = clock or SystemClock()
        self.owner = owner
        self.recovery = RecoveryReport()
        self._lock = threading.RLock()
        self._process_lock: _ProcessLock | None = None
        try:
            paths.make_private_dir(self.files_root)
            paths.set_private(self.root)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder {self.root}: {exc}") from exc
        if owner:
            lock = _ProcessLock(self.root / LOCK_NAME)
            if not lock.acquire():
                raise StoreError(
                    f"the session store {self.root} is in use by another Livegate process (pid {lock.holder()}); "
                    "stop it or use that process's API"
                )
            self._process_lock = lock
        try:
            # SQLite creates the database 0644 and gives its -wal/-shm files the database's mode: create it 0600 first.
            if not (self.root / DB_NAME).exists():
                with contextlib.suppress(OSError):  # if it cannot be created, SQLite says why just below
                    paths.make_private_file(self.root / DB_NAME)
            self._db = sqlite3.connect(self.root / DB_NAME, isolation_level=None, check_same_thread=False, timeout=10.0)
            self._db.row_factory = sqlite3.Row
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"the database could not switch to WAL mode (got {mode}); is the folder on a network share?")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as exc:
            self._release()
            raise StoreError(f"cannot open the session database in {self.root}: {exc}") from exc
        except StoreError:
            self._release()
            raise
        try:
            self.signer = ResultSigner(keys.signing_seed())
            self._data_key = keys.data_key()
            if owner:
                self._recover()
        except BaseException:
            self._release()
            raise

    # --- set-up -------------------------------------------------------------------------

    def _release(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()
        if self._process_lock is not None:
            self._process_lock.release()
            self._process_lock = None

    def _migrate(self) -> None:
        with self._transaction() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at REAL NOT NULL)"
            )
            current = db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"the session database has schema version {current}, newer than this Livegate understands "
                    f"({SCHEMA_VERSION}); update Livegate"
                )
            for version, description, statements in MIGRATIONS:
                if version <= current:
                    continue
                for statement in statements:
                    db.execute(statement)
                db.execute(
                    "INSERT INTO schema_migrations(version, description, applied_at) VALUES (?, ?, ?)",
                    (version, description, self.clock.now()),
                )
                log.info("session database migrated to schema %d (%s)", version, description)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def schema_version(self) -> int:
        """The applied schema version."""
        with self._lock:
            return int(self._db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0])

    def _recover(self) -> None:
        now = self.clock.now()
        with self._transaction() as db:
            rows = db.execute("SELECT id FROM sessions WHERE status = ?", (IN_PROGRESS,)).fetchall()
            ids = [r["id"] for r in rows]
            db.execute(
                "UPDATE sessions SET status = 'ERROR', reason = 'interrupted', finished_at = ?, files = '[]' WHERE status = ?",
                (now, IN_PROGRESS),
            )
        self.recovery.interrupted = ids
        self.recovery.removed_temp_files = len(clean_temp_files(self.root))
        self.recovery.removed_orphan_files = self._remove_orphan_files()
        if ids or self.recovery.removed_temp_files or self.recovery.removed_orphan_files:
            log.warning(
                "store recovery: %d interrupted session(s) marked ERROR, %d temporary and %d orphan file(s) removed",
                len(ids),
                self.recovery.removed_temp_files,
                self.recovery.removed_orphan_files,
            )

    def _remove_orphan_files(self) -> int:
        """Delete files no finished record references (from interrupted completions)."""
        removed = 0
        with self._lock:
            referenced: dict[str, set[str]] = {}
            for row in self._db.execute("SELECT id, files FROM sessions WHERE files != '[]'"):
                referenced[row["id"]] = {f["name"] for f in json.loads(row["files"])}
        for folder in self.files_root.iterdir():
            keep = referenced.get(folder.name, set())
            if not folder.is_dir():
                continue
            for item in folder.iterdir():
                if item.name not in keep:
                    item.unlink(missing_ok=True)
                    removed += 1
            if not keep:
                shutil.rmtree(folder, ignore_errors=True)
        return removed

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")

    def close(self) -> None:
        """Checkpoint the WAL, close the database and release ownership."""
        with self._lock:
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                log.warning("WAL checkpoint at close failed: %s", exc)
            self._release()

    def __enter__(self) -> "SessionStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- records ------------------------------------------------------------------------

    def _row_to_session(self, row: sqlite3.Row, *, with_result: bool) -> Session:
        result = None
        if with_result and row["result"] is not None:
            result = self._verified_result(row)
        return Session(
            id=row["id"],
            status=row["status"],
            settings=SessionSettings.from_dict(json.loads(row["settings"])),
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            reason=row["reason"],
            decision=row["decision"],
            confidence=row["confidence"],
            versions=json.loads(row["versions"]),
            files=tuple(StoredFile(**f) for f in json.loads(row["files"])),
            result=result,
        )

    def _verified_result(self, row: sqlite3.Row) -> dict[str, Any]:
        sid = row["id"]
        try:
            document = json.loads(row["result"])
            document["Signature"] = json.loads(row["signature"] or "null")
        except (ValueError, TypeError) as exc:
            raise IntegrityError(f"the stored result of session {sid} is corrupt: {exc}") from exc
        check = verify_document(document, {self.signer.key_id: self.signer.public_key})
        if not check.valid:
            raise IntegrityError(f"the stored result of session {sid} failed its signature check: {check.reason}")
        if document.get("SessionId") != sid or document.get("Status") != row["status"] or document.get("Decision") != row["decision"]:
            raise IntegrityError(f"the record of session {sid} does not match its signed result: the database was altered")
        return document

    def insert(self, session: Session) -> None:
        """Add a new session record."""
        try:
            with self._transaction() as db:
                db.execute(
                    "INSERT INTO sessions(id, status, reason, settings, customer_ref, operator_ref, created_at, expires_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        session.id,
                        session.status,
                        session.reason,
                        json.dumps(session.settings.to_dict()),
                        session.settings.customer_ref,
                        session.settings.operator_ref,
                        session.created_at,
                        session.expires_at,
                    ),
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot save session {session.id}: {exc}") from exc

    def load(self, session_id: str, *, with_result: bool = True) -> Session | None:
        """The session, or ``None`` when unknown.

        Raises
        ------
        IntegrityError
            When the stored result fails its signature check.
        """
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return None if row is None else self._row_to_session(row, with_result=with_result)

    def transition(self, session_id: str, *, expected: Sequence[str], status: str, **values: Any) -> bool:
        """Set ``status`` (and columns in ``values``) only if the current status is in ``expected``.

        Returns
        -------
        bool
            Whether the record changed (``False``: unknown id or another status).
        """
        allowed = {"reason", "started_at", "finished_at", "decision", "confidence", "versions", "files", "result", "signature"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"cannot set column(s) {sorted(unknown)}")
        cols = ", ".join(["status = ?", *(f"{k} = ?" for k in values)])
        marks = ", ".join("?" for _ in expected)
        try:
            with self._transaction() as db:
                cur = db.execute(
                    f"UPDATE sessions SET {cols} WHERE id = ? AND status IN ({marks})",
                    (status, *values.values(), session_id, *expected),
                )
                return cur.rowcount == 1
        except sqlite3.Error as exc:
            raise StoreError(f"cannot update session {session_id}: {exc}") from exc

    def finish(
        self,
        session_id: str,
        *,
        status: str,
        document: dict[str, Any],
        files: Sequence[StoredFile],
        finished_at: float,
        versions: dict[str, str],
        reason: str = "",
    ) -> bool:
        """Sign ``document`` and mark the IN_PROGRESS session finished in one transaction.

        Call only after every file in ``files`` is durable.
        """
        signed = self.signer.sign(document)
        signature = signed.pop("Signature")
        confidence = document.get("Confidence")
        return self.transition(
            session_id,
            expected=(IN_PROGRESS,),
            status=status,
            reason=reason,
            finished_at=finished_at,
            decision=document.get("Decision"),
            confidence=float(confidence) if isinstance(confidence, (int, float)) else None,
            versions=json.dumps(versions, sort_keys=True),
            files=json.dumps([f.__dict__ for f in files]),
            result=canonical_json(signed).decode("utf-8"),
            signature=json.dumps(signature),
        )

    def query(
        self,
        *,
        status: str | None = None,
        customer_ref: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Session]:
        """Sessions matching every given filter, newest first, without their results.

        ``since``/``until`` bound the creation time (``since`` inclusive, ``until`` exclusive).
        """
        where, args = [], []
        if status is not None:
            where.append("status = ?")
            args.append(status)
        if customer_ref is not None:
            where.append("customer_ref = ?")
            args.append(customer_ref)
        if since is not None:
            where.append("created_at >= ?")
            args.append(since)
        if until is not None:
            where.append("created_at < ?")
            args.append(until)
        sql = f"SELECT {_COLUMNS} FROM sessions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, id LIMIT ? OFFSET ?"
        with self._lock:
            rows = self._db.execute(sql, (*args, max(0, int(limit)), max(0, int(offset)))).fetchall()
        return [self._row_to_session(r, with_result=False) for r in rows]

    def count(self) -> int:
        """Number of session records."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])

    def ids_where(self, sql_condition: str, args: Sequence[Any]) -> list[str]:
        """Ids of sessions matching a condition written by this package (never user text)."""
        with self._lock:
            return [r[0] for r in self._db.execute(f"SELECT id FROM sessions WHERE {sql_condition}", tuple(args))]

    def delete(self, session_id: str) -> bool:
        """Remove a session's files, then its record. Returns whether it existed."""
        self.remove_files(session_id)
        try:
            with self._transaction() as db:
                gone = db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount == 1
        except sqlite3.Error as exc:
            raise StoreError(f"cannot delete session {session_id}: {exc}") from exc
        return gone

    def checkpoint(self) -> None:
        """Fold the WAL into the database so deleted rows leave no copy in the WAL file."""
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # --- lock-out state -----------------------------------------------------------------

    def add_failure(self, t: float) -> None:
        """Record a failed check at time ``t``."""
        with self._transaction() as db:
            db.execute("INSERT INTO failures(t) VALUES (?)", (t,))

    def failures_since(self, t: float) -> int:
        """Number of failures recorded after ``t``."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM failures WHERE t > ?", (t,)).fetchone()[0])

    def prune_failures(self, before: float) -> None:
        """Forget failures older than ``before``."""
        with self._transaction() as db:
            db.execute("DELETE FROM failures WHERE t < ?", (before,))

    def get_state(self, key: str) -> str | None:
        """A value of the small key/value state table."""
        with self._lock:
            row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_state(self, key: str, value: str) -> None:
        """Set a value of the key/value state table."""
        with self._transaction() as db:
            db.execute("INSERT INTO state(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    # --- files --------------------------------------------------------------------------

    def session_dir(self, session_id: str) -> Path:
        """Folder of a session's files."""
        return self.files_root / session_id

    @staticmethod
    def _context(session_id: str, role: str) -> bytes:
        return f"livegate/{session_id}/{role}".encode()

    def write_file(self, session_id: str, role: str, source: bytes | Path, *, media_type: str) -> StoredFile:
        """Encrypt ``source`` into the session's folder atomically and durably.

        Raises
        ------
        StoreError
            When the write fails (disk full, permissions); nothing is left behind.
        """
        import hashlib

        folder = self.session_dir(session_id)
        name = f"{role}.enc"
        try:
            if not folder.exists():
                folder.mkdir(mode=0o700)
                fsync_dir(self.files_root)
            if isinstance(source, bytes):
                digest, size = hashlib.sha256(source).hexdigest(), len(source)
            else:
                h = hashlib.sha256()
                with open(source, "rb") as fh:
                    while block := fh.read(1 << 20):
                        h.update(block)
                digest, size = h.hexdigest(), source.stat().st_size
            write_sealed(folder / name, self._data_key, source, context=self._context(session_id, role))
        except OSError as exc:
            hint = " (the disk is full)" if getattr(exc, "errno", None) == 28 else ""
            raise StoreError(f"cannot store the {role} file of session {session_id}{hint}: {exc}") from exc
        return StoredFile(role=role, name=name, size=size, sha256=digest, media_type=media_type)

    def read_file(self, session_id: str, stored: StoredFile) -> bytes:
        """Decrypt a stored file into memory and check it against its recorded SHA-256.

        Raises
        ------
        IntegrityError
            When the file was altered, truncated, swapped or is missing.
        """
        import hashlib

        data = read_sealed(self.session_dir(session_id) / stored.name, self._data_key, context=self._context(session_id, stored.role))
        if hashlib.sha256(data).hexdigest() != stored.sha256:
            raise IntegrityError(f"the {stored.role} file of session {session_id} does not match its record")
        return data

    def copy_file_to(self, session_id: str, stored: StoredFile, out: BinaryIO) -> int:
        """Decrypt a stored file into ``out`` chunk by chunk (recordings). Returns bytes written."""
        import hashlib

        path = self.session_dir(session_id) / stored.name
        h = hashlib.sha256()
        written = 0
        try:
            with open(path, "rb") as fh:
                for block in open_sealed(fh, self._data_key, context=self._context(session_id, stored.role), name=path.name):
                    out.write(block)
                    h.update(block)
                    written += len(block)
        except FileNotFoundError as exc:
            raise IntegrityError(f"the {stored.role} file of session {session_id} is missing") from exc
        if h.hexdigest() != stored.sha256:
            raise IntegrityError(f"the {stored.role} file of session {session_id} does not match its record")
        return written

    def remove_files(self, session_id: str) -> int:
        """Delete every file of a session (and its folder). Returns the number of files removed."""
        folder = self.session_dir(session_id)
        if not folder.is_dir():
            return 0
        count = 0
        try:
            for item in folder.iterdir():
                item.unlink()
                count += 1
            folder.rmdir()
            fsync_dir(self.files_root)
        except OSError as exc:
            raise StoreError(f"cannot delete the files of session {session_id}: {exc}") from exc
        return count


def open_store(
    data_dir: Path | None = None,
    *,
    clock: Clock | None = None,
    owner: bool = True,
    key_backend: str = "auto",
) -> SessionStore:
    """Open the store of a data folder (default: ``app.core.paths.data_dir()``).

    Key backend: ``key_backend`` argument, overridden by ``LIVEGATE_KEY_BACKEND``.
    """
    from app.core import paths
    from app.core.store.crypto import default_key_dir

    base = Path(data_dir) if data_dir is not None else paths.data_dir()
    backend = os.environ.get("LIVEGATE_KEY_BACKEND", "").strip() or key_backend
    keys = KeyStore(default_key_dir(base), backend=backend)
    return SessionStore(base / "sessions", keys=keys, clock=clock, owner=owner)
