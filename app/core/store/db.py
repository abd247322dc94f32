"""The session store: SQLite (WAL) records plus encrypted files.

Layout under the store folder::

    sessions.sqlite3        records (WAL mode, synchronous=FULL, secure_delete)
    files/<session id>/     reference.enc, audit-0.enc .. audit-3.enc, recording.enc
    store.lock              held by the process that owns the store (GUI or API)

What a record keeps in the clear is what listing and searching need: id,
status, reason, times, decision, confidence, file names and hashes. The
settings (with the customer and operator references) and the signed result
(with its per-frame colour series, geometry and boxes) are encrypted with the
data key like the images (``seal_value``, bound to the session id and field);
a customer reference is searchable through a keyed HMAC only. Every record
carries a tag over its listed values (a MAC keyed from the signing key), so a
list never shows an edited decision as if it were the device's (``Session.verified``).

Deleting is for good: ``secure_delete`` zeroes freed database space, and every
delete or purge ends with a ``TRUNCATE`` checkpoint so no copy of the record
stays in the write-ahead log. Readers (``read_only``) open the database
read-only and never repair, expire or purge anything.

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
from app.core.store.crypto import (
    IntegrityError,
    KeyStore,
    lookup_tag,
    open_sealed,
    open_value,
    read_sealed,
    seal_value,
    write_sealed,
)
from app.core.store.files import PART_SUFFIX, clean_partial_files, clean_temp_files, fsync_dir
from app.core.store.signing import ResultSigner, canonical_json, parse_strict, verify_document

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
]
MIGRATIONS.append(
    (
        2,
        "settings, references and results encrypted; customer reference searchable by keyed HMAC; record signatures",
        (
            "ALTER TABLE sessions ADD COLUMN customer_key TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE sessions ADD COLUMN record_sig TEXT",
            "DROP INDEX IF EXISTS sessions_customer",
            "CREATE INDEX sessions_customer_key ON sessions(customer_key)",
        ),
    )
)
MIGRATIONS.append(
    # --- fleet outbox (app.core.fleet.outbox reads and empties it) ---------------------------
    # Filled by triggers, so a finished session is queued in the very transaction that stores
    # its signed result, and a deletion in the one that removes the record. Only while the
    # state key 'fleet.outbox' is 'on' (set by `livegate fleet enroll`).
    (
        3,
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
    )
)
SCHEMA_VERSION = MIGRATIONS[-1][0]

_COLUMNS_V1 = (
    "id, status, reason, settings, customer_ref, created_at, expires_at, started_at, finished_at, "
    "decision, confidence, versions, files, result, signature"
)
_COLUMNS = _COLUMNS_V1 + ", record_sig"
_RECORD_COLUMNS = "id, status, reason, created_at, expires_at, started_at, finished_at, decision, confidence"


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
        Take the store's process lock and repair after a crash. Tools that
        change a store another process may own (``livegate sessions delete``)
        pass ``False`` so they never mark a running kiosk's session as interrupted.
    read_only:
        Open the database read-only and change no byte of the store (list,
        show, export; a backup folder). Implies not ``owner``. An older
        schema is read as it is, without migrating.
    data_dir:
        The data folder around the store: an owner's recovery removes partial
        files anywhere under it, and plaintext recordings of known sessions
        under its ``recordings`` folder.

    Raises
    ------
    StoreError
        When the database cannot be opened, is from a newer Livegate, or
        ``owner`` is set and another process owns the store.
    """

    def __init__(
        self,
        root: Path,
        *,
        keys: KeyStore,
        clock: Clock | None = None,
        owner: bool = True,
        read_only: bool = False,
        data_dir: Path | None = None,
    ) -> None:
        self.root = Path(root)
        self.files_root = self.root / FILES_DIR
        self.keys = keys
        self.clock: Clock = clock or SystemClock()
        self.read_only = bool(read_only)
        self.owner = owner and not self.read_only
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.recovery = RecoveryReport()
        self._lock = threading.RLock()
        self._process_lock: _ProcessLock | None = None
        self._schema = SCHEMA_VERSION
        if self.read_only:
            self._open_read_only()
            return
        try:
            paths.make_private_dir(self.files_root)
            paths.set_private(self.root)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder {self.root}: {exc}") from exc
        if self.owner:
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
            self.signer = ResultSigner(keys.signing_seed())
            self._data_key = keys.data_key()
            self._migrate()
        except sqlite3.Error as exc:
            self._release()
            raise StoreError(f"cannot open the session database in {self.root}: {exc}") from exc
        except BaseException:
            self._release()
            raise
        try:
            if self.owner:
                self._recover()
        except BaseException:
            self._release()
            raise

    def _open_read_only(self) -> None:
        """Open for reading only: no folder, file, key, lock or record is created or changed."""
        path = self.root / DB_NAME
        if not path.is_file():
            raise StoreError(f"there is no session store in {self.root}")
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        # With a shared-memory index present (a process has the store open, or crashed) SQLite reads
        # the log through it. Without one nobody has the database open, so it is read as an
        # immutable file: SQLite would otherwise create the -wal and -shm files of a closed store.
        immutable = not shm.exists()
        if immutable and wal.exists() and wal.stat().st_size > 0:
            log.warning("the store in %s has an unfinished write-ahead log; its newest changes are not shown", self.root)
        uri = path.resolve().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")
        try:
            self._db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=10.0)
            self._db.row_factory = sqlite3.Row
            has_table = self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").fetchone()
            self._schema = int(self._db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]) if has_table else 0
        except sqlite3.Error as exc:
            self._release()
            raise StoreError(f"cannot read the session database in {self.root}: {exc}") from exc
        if self._schema > SCHEMA_VERSION or self._schema < 1:
            self._release()
            raise StoreError(
                f"the session database in {self.root} has schema version {self._schema}; this Livegate reads 1 to {SCHEMA_VERSION}"
            )
        try:
            self.signer = ResultSigner(self.keys.signing_seed())
            self._data_key = self.keys.data_key()
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
            rewritten = 0
            for version, description, statements in MIGRATIONS:
                if version <= current:
                    continue
                for statement in statements:
                    db.execute(statement)
                if version == 2:
                    rewritten = self._encrypt_v1_rows(db)
                db.execute(
                    "INSERT INTO schema_migrations(version, description, applied_at) VALUES (?, ?, ?)",
                    (version, description, self.clock.now()),
                )
                log.info("session database migrated to schema %d (%s)", version, description)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        if rewritten:
            # The clear-text values of the old rows must not survive in free pages or the log.
            self.checkpoint()
            self._db.execute("VACUUM")
            self.checkpoint()
            log.info("encrypted the settings, references and results of %d stored session(s)", rewritten)

    def _encrypt_v1_rows(self, db: sqlite3.Connection) -> int:
        """Migration 2: encrypt settings and results, key the customer reference, sign every record."""
        rows = db.execute(f"SELECT {_COLUMNS_V1} FROM sessions").fetchall()
        for row in rows:
            sid = row["id"]
            settings_text = row["settings"]
            try:
                ref = str(json.loads(settings_text).get("customer_ref") or row["customer_ref"] or "")
            except (TypeError, ValueError, AttributeError):
                ref = str(row["customer_ref"] or "")
            result = row["result"]
            sealed_result = None
            trusted = True
            if isinstance(result, str):
                try:
                    self._check_result(row, result.encode("utf-8"), canonical_only=False)
                except IntegrityError as exc:
                    log.warning("session %s: %s; its record stays unverified", sid, exc)
                    trusted = False
                sealed_result = self._seal(sid, "result", result.encode("utf-8"))
            db.execute(
                "UPDATE sessions SET settings = ?, customer_ref = '', operator_ref = '', customer_key = ?, result = ? WHERE id = ?",
                (self._seal(sid, "settings", str(settings_text).encode("utf-8")), lookup_tag(self._data_key, ref), sealed_result, sid),
            )
            if trusted:
                self._sign_record(db, sid)
        return len(rows)

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
            for sid in ids:
                self._sign_record(db, sid)
        self.recovery.interrupted = ids
        removed = len(clean_temp_files(self.root))
        if self.data_dir is not None:
            removed += len(clean_partial_files(self.data_dir))
            with self._lock:
                known = [r[0] for r in self._db.execute("SELECT id FROM sessions")]
            # Recordings are kept in the store only; a plaintext one of a known session is a crash's leftover.
            removed += sum(self._remove_plain_recordings(sid) for sid in known)
        self.recovery.removed_temp_files = removed
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
            if getattr(self, "_db", None) is None:
                return
            if not self.read_only:
                try:
                    self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                except sqlite3.Error as exc:
                    log.warning("WAL checkpoint at close failed: %s", exc)
            self._release()
            self._db = None  # type: ignore[assignment]

    def __enter__(self) -> "SessionStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- records ------------------------------------------------------------------------

    @staticmethod
    def _context(session_id: str, role: str) -> bytes:
        return f"livegate/{session_id}/{role}".encode()

    def _seal(self, session_id: str, field_name: str, plaintext: bytes) -> bytes:
        return seal_value(self._data_key, plaintext, context=self._context(session_id, f"record/{field_name}"))

    def _unseal(self, session_id: str, field_name: str, value: Any) -> bytes:
        """A field's clear bytes: decrypted, or as stored in a schema-1 store read without migrating."""
        if isinstance(value, str) and self._schema < 2:
            return value.encode("utf-8")
        return open_value(
            self._data_key, value, context=self._context(session_id, f"record/{field_name}"), name=f"the {field_name} of session {session_id}"
        )

    @staticmethod
    def _record_payload(row: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
        return {
            "SessionId": row["id"],
            "Status": row["status"],
            "Reason": row["reason"],
            "Decision": row["decision"],
            "Confidence": row["confidence"],
            "CreatedAt": row["created_at"],
            "ExpiresAt": row["expires_at"],
            "StartedAt": row["started_at"],
            "FinishedAt": row["finished_at"],
        }

    def _sign_record(self, db: sqlite3.Connection, session_id: str) -> None:
        """Sign the listed values of a record as they are now (inside the caller's transaction)."""
        row = db.execute(f"SELECT {_RECORD_COLUMNS} FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is not None:
            db.execute("UPDATE sessions SET record_sig = ? WHERE id = ?", (self.signer.sign_record(self._record_payload(row)), session_id))

    def _record_verified(self, row: sqlite3.Row) -> bool:
        if self._schema >= 2:
            return self.signer.verify_record(self._record_payload(row), row["record_sig"])
        if row["result"] is None:
            return False  # a schema-1 record without a result has nothing signed
        try:
            self._check_result(row, self._unseal(row["id"], "result", row["result"]), canonical_only=False)
        except IntegrityError:
            return False
        return True

    def _row_to_session(self, row: sqlite3.Row, *, with_result: bool) -> Session:
        sid = row["id"]
        result = None
        if with_result and row["result"] is not None:
            result = self._check_result(row, self._unseal(sid, "result", row["result"]), canonical_only=self._schema >= 2)
        try:
            settings = SessionSettings.from_dict(json.loads(self._unseal(sid, "settings", row["settings"])))
        except (TypeError, ValueError) as exc:
            raise IntegrityError(f"the settings of session {sid} are corrupt: {exc}") from exc
        verified = self._record_verified(row)
        return Session(
            id=sid,
            status=row["status"],
            settings=settings,
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            reason=row["reason"],
            decision=row["decision"] if verified else None,
            confidence=row["confidence"] if verified else None,
            versions=json.loads(row["versions"]),
            files=tuple(StoredFile(**f) for f in json.loads(row["files"])),
            result=result,
            verified=verified,
        )

    def _check_result(self, row: sqlite3.Row, text: bytes, *, canonical_only: bool) -> dict[str, Any]:
        """The signed result of a record, parsed strictly and checked against its signature and columns."""
        sid = row["id"]
        try:
            document = parse_strict(text)
            if not isinstance(document, dict):
                raise ValueError("not a JSON object")
            if canonical_only and canonical_json(document) != text:
                raise ValueError("it is not in canonical form")
            document["Signature"] = parse_strict(row["signature"] or "null")
        except (ValueError, TypeError) as exc:
            raise IntegrityError(f"the stored result of session {sid} is corrupt: {exc}") from exc
        check = verify_document(document, {self.signer.key_id: self.signer.public_key})
        if not check.valid:
            raise IntegrityError(f"the stored result of session {sid} failed its signature check: {check.reason}")
        if (
            document.get("SessionId") != sid
            or document.get("Status") != row["status"]
            or document.get("Decision") != row["decision"]
            or document.get("Confidence") != row["confidence"]
        ):
            raise IntegrityError(f"the record of session {sid} does not match its signed result: the database was altered")
        return document

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError("this session store was opened read-only")

    def insert(self, session: Session) -> None:
        """Add a new session record."""
        self._writable()
        try:
            with self._transaction() as db:
                db.execute(
                    "INSERT INTO sessions(id, status, reason, settings, customer_key, created_at, expires_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        session.id,
                        session.status,
                        session.reason,
                        self._seal(session.id, "settings", json.dumps(session.settings.to_dict()).encode("utf-8")),
                        lookup_tag(self._data_key, session.settings.customer_ref),
                        session.created_at,
                        session.expires_at,
                    ),
                )
                self._sign_record(db, session.id)
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
            row = self._db.execute(f"SELECT {self._columns} FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return None if row is None else self._row_to_session(row, with_result=with_result)

    @property
    def _columns(self) -> str:
        return _COLUMNS if self._schema >= 2 else _COLUMNS_V1

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
        self._writable()
        cols = ", ".join(["status = ?", *(f"{k} = ?" for k in values)])
        marks = ", ".join("?" for _ in expected)
        try:
            with self._transaction() as db:
                cur = db.execute(
                    f"UPDATE sessions SET {cols} WHERE id = ? AND status IN ({marks})",
                    (status, *values.values(), session_id, *expected),
                )
                if cur.rowcount != 1:
                    return False
                self._sign_record(db, session_id)
                return True
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
            result=self._seal(session_id, "result", canonical_json(signed)),
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
            if self._schema >= 2:
                where.append("customer_key = ?")
                args.append(lookup_tag(self._data_key, customer_ref))
            else:
                where.append("customer_ref = ?")
                args.append(customer_ref)
        if since is not None:
            where.append("created_at >= ?")
            args.append(since)
        if until is not None:
            where.append("created_at < ?")
            args.append(until)
        sql = f"SELECT {self._columns} FROM sessions"
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

    def delete(self, session_id: str, *, checkpoint: bool = True) -> bool:
        """Remove a session's files (and any plaintext recording of it), then its record, for good.

        Parameters
        ----------
        checkpoint:
            End with a ``TRUNCATE`` checkpoint so the write-ahead log keeps no
            copy of the record (``purge`` deletes many, then checkpoints once).

        Returns
        -------
        bool
            Whether the session existed.
        """
        self._writable()
        self.remove_files(session_id)
        self._remove_plain_recordings(session_id)
        try:
            with self._transaction() as db:
                gone = db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount == 1
        except sqlite3.Error as exc:
            raise StoreError(f"cannot delete session {session_id}: {exc}") from exc
        if checkpoint:
            self.checkpoint()
        return gone

    def checkpoint(self) -> bool:
        """Fold the WAL into the database and truncate it, so deleted rows leave no copy in the log.

        Returns
        -------
        bool
            Whether the log was fully folded and truncated (``False``: a
            reader held an old snapshot past the busy timeout; logged).
        """
        self._writable()
        with self._lock:
            try:
                busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            except sqlite3.Error as exc:
                log.warning("WAL checkpoint failed: %s", exc)
                return False
        if busy:
            log.warning("WAL checkpoint incomplete: another process was reading; the next delete or close folds the rest")
        return not busy

    def db_secure_delete(self) -> int:
        """The connection's ``secure_delete`` setting (1: freed space is zeroed)."""
        with self._lock:
            return int(self._db.execute("PRAGMA secure_delete").fetchone()[0])

    @property
    def recordings_dir(self) -> Path | None:
        """Where plaintext recordings of this data folder are written (``None``: unknown)."""
        return self.data_dir / "recordings" if self.data_dir is not None else None

    def _remove_plain_recordings(self, session_id: str) -> int:
        """Delete a session's plaintext recording and spools, should a crash have left them."""
        folder = self.recordings_dir
        if folder is None or not folder.is_dir():
            return 0
        removed = 0
        for item in (folder / f"{session_id}.lgrec", *folder.glob(f".{session_id}.lgrec.*{PART_SUFFIX}")):
            try:
                if item.is_file():
                    item.unlink()
                    removed += 1
            except OSError as exc:
                log.warning("could not remove the recording %s: %s", item.name, exc)
        return removed

    def purge_recordings(self, cutoff: float) -> int:
        """Delete plaintext recordings and spools last written at or before ``cutoff`` (retention)."""
        self._writable()
        folder = self.recordings_dir
        if folder is None or not folder.is_dir():
            return 0
        removed = 0
        for item in folder.iterdir():
            if not (item.name.endswith(".lgrec") or item.name.endswith(PART_SUFFIX)):
                continue
            try:
                if item.is_file() and item.stat().st_mtime <= cutoff:
                    item.unlink()
                    removed += 1
            except OSError as exc:
                log.warning("could not remove the recording %s: %s", item.name, exc)
        return removed

    # --- lock-out state -----------------------------------------------------------------

    def add_failure(self, t: float) -> None:
        """Record a failed check at time ``t``."""
        self._writable()
        with self._transaction() as db:
            db.execute("INSERT INTO failures(t) VALUES (?)", (t,))

    def failures_since(self, t: float) -> int:
        """Number of failures recorded after ``t``."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM failures WHERE t > ?", (t,)).fetchone()[0])

    def prune_failures(self, before: float) -> None:
        """Forget failures older than ``before``."""
        self._writable()
        with self._transaction() as db:
            db.execute("DELETE FROM failures WHERE t < ?", (before,))

    def get_state(self, key: str) -> str | None:
        """A value of the small key/value state table."""
        with self._lock:
            row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_state(self, key: str, value: str) -> None:
        """Set a value of the key/value state table."""
        self._writable()
        with self._transaction() as db:
            db.execute("INSERT INTO state(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    # --- files --------------------------------------------------------------------------

    def session_dir(self, session_id: str) -> Path:
        """Folder of a session's files."""
        return self.files_root / session_id

    def write_file(self, session_id: str, role: str, source: bytes | Path, *, media_type: str) -> StoredFile:
        """Encrypt ``source`` into the session's folder atomically and durably.

        Raises
        ------
        StoreError
            When the write fails (disk full, permissions); nothing is left behind.
        """
        import hashlib

        self._writable()
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
        self._writable()
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
    read_only: bool = False,
) -> SessionStore:
    """Open the store of a data folder (default: ``app.core.paths.data_dir()``).

    Key backend: ``key_backend`` argument, overridden by ``LIVEGATE_KEY_BACKEND``.
    ``read_only``: change no byte of the folder (see ``SessionStore``).
    """
    from app.core import paths
    from app.core.store.crypto import default_key_dir

    base = Path(data_dir) if data_dir is not None else paths.data_dir()
    backend = os.environ.get("LIVEGATE_KEY_BACKEND", "").strip() or key_backend
    keys = KeyStore(default_key_dir(base), backend=backend, read_only=read_only)
    return SessionStore(base / "sessions", keys=keys, clock=clock, owner=owner, read_only=read_only, data_dir=base)
