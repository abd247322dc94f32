"""The outbox of finished sessions and deletions, and the sender that empties it.

The store's triggers (``app.core.store.db``, migration 2) queue a row in the
transaction that finishes or deletes a session. The ``Sender`` pushes rows in
order - images sealed for head office to the bucket first, then the signed
result to the central inbox - and deletes a row only after the database has
committed it. So every session is delivered at least once; the centre keys
deliveries by session id and result hash, which makes the repeats harmless.
Network, database or bucket failures back the sender off exponentially (up to
``max_backoff_s``); nothing is lost and a check never waits: the sender has its
own SQLite connection and holds the write lock only for one-row updates.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.core.errors import ConfigError, LivegateError
from app.core.fleet import envelope
from app.core.fleet.central import DELETE_TYPE, CentralStore
from app.core.fleet.config import FleetConfig
from app.core.fleet.objects import SUFFIX, ObjectStore, object_prefix
from app.core.sessions.clock import iso_utc
from app.core.store.crypto import IntegrityError
from app.core.store.db import DB_NAME, SessionStore
from app.core.store.signing import canonical_json

log = logging.getLogger(__name__)

STATE_ENABLED = "fleet.outbox"
STATE_LAST_SUCCESS = "fleet.last_success"
STATE_LAST_ERROR = "fleet.last_error"


@dataclass(frozen=True)
class OutboxRow:
    seq: int
    kind: str
    session_id: str
    finished_at: float | None
    created_at: float
    attempts: int


@dataclass(frozen=True)
class OutboxStatus:
    """What ``livegate fleet status`` shows."""

    enabled: bool
    pending: int
    dead: int
    oldest_pending_at: float | None
    last_success: str | None
    last_error: str | None


class Outbox:
    """The outbox table of one store, through a connection of its own (any thread, any process)."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store
        self._db = sqlite3.connect(store.root / DB_NAME, isolation_level=None, check_same_thread=False, timeout=30.0)
        self._db.execute("PRAGMA synchronous=FULL")
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        with self._lock:
            return self._db.execute(sql, args).rowcount

    def _state(self, key: str, value: str) -> None:
        self._write("INSERT INTO state(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def enable(self, on: bool = True) -> None:
        """Start (or stop) queueing finished sessions and deletions."""
        self._state(STATE_ENABLED, "on" if on else "off")

    def enabled(self) -> bool:
        with self._lock:
            row = self._db.execute("SELECT value FROM state WHERE key = ?", (STATE_ENABLED,)).fetchone()
        return row is not None and row[0] == "on"

    def enqueue_all(self) -> int:
        """Queue every finished session with a signed result (``fleet push --all``). Returns how many were added."""
        now = time.time()
        return self._write(
            "INSERT OR IGNORE INTO outbox(kind, session_id, finished_at, created_at) "
            "SELECT 'session', id, finished_at, ? FROM sessions WHERE result IS NOT NULL",
            (now,),
        )

    def due(self, now: float, limit: int = 50) -> list[OutboxRow]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, kind, session_id, finished_at, created_at, attempts FROM outbox "
                "WHERE dead = 0 AND next_attempt_at <= ? ORDER BY seq LIMIT ?",
                (now, limit),
            ).fetchall()
        return [OutboxRow(*r) for r in rows]

    def done(self, row: OutboxRow) -> None:
        self._write("DELETE FROM outbox WHERE seq = ?", (row.seq,))

    def retry_later(self, row: OutboxRow, when: float, error: str) -> None:
        self._write(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE seq = ?",
            (when, error[:500], row.seq),
        )

    def give_up(self, row: OutboxRow, error: str) -> None:
        """Keep the row but stop trying (a local integrity failure: a person must look)."""
        self._write("UPDATE outbox SET attempts = attempts + 1, dead = 1, last_error = ? WHERE seq = ?", (error[:500], row.seq))

    def revive(self, *, given_up: bool = True) -> int:
        """Make every waiting row due now (``fleet push``), and the given-up ones too unless ``given_up`` is false."""
        if given_up:
            return self._write("UPDATE outbox SET dead = 0, next_attempt_at = 0")
        return self._write("UPDATE outbox SET next_attempt_at = 0 WHERE dead = 0 AND next_attempt_at > 0")

    def record(self, *, success: bool, message: str) -> None:
        self._state(STATE_LAST_SUCCESS if success else STATE_LAST_ERROR, f"{iso_utc(time.time())} {message}"[:600])

    def status(self) -> OutboxStatus:
        with self._lock:
            pending, oldest = self._db.execute("SELECT COUNT(*), MIN(created_at) FROM outbox WHERE dead = 0").fetchone()
            dead = self._db.execute("SELECT COUNT(*) FROM outbox WHERE dead = 1").fetchone()[0]
            state = dict(self._db.execute(
                "SELECT key, value FROM state WHERE key IN (?, ?, ?)", (STATE_ENABLED, STATE_LAST_SUCCESS, STATE_LAST_ERROR)
            ).fetchall())
        return OutboxStatus(
            enabled=state.get(STATE_ENABLED) == "on",
            pending=int(pending),
            dead=int(dead),
            oldest_pending_at=oldest,
            last_success=state.get(STATE_LAST_SUCCESS),
            last_error=state.get(STATE_LAST_ERROR),
        )

    def pending(self) -> int:
        return self.status().pending


class Sender:
    """Pushes the outbox to the centre: ``run_once()`` in the foreground or ``start()`` as a daemon thread.

    Parameters
    ----------
    store:
        The local store (results are read and verified through it; deletions are signed with its key).
    config:
        Branch, device, bucket, TLS, head office's public key, poll and back-off times.
    dsn:
        The central database's DSN (a secret).
    central_factory, objects_factory:
        Stand-ins for tests and the benchmark (default: ``CentralStore``, ``ObjectStore``).
    """

    def __init__(
        self,
        store: SessionStore,
        config: FleetConfig,
        dsn: str,
        *,
        central_factory: Callable[[], CentralStore] | None = None,
        objects_factory: Callable[[], ObjectStore] | None = None,
    ) -> None:
        if not config.enrolled:
            raise LivegateError("this device is not enrolled: run `livegate fleet enroll --branch B --device D` first")
        if not config.head_office_key:
            raise LivegateError("head office's public key is not set: `livegate fleet enroll --head-office-key FILE`")
        self.store = store
        self.config = config
        try:
            self.recipient = envelope.load_public(config.head_office_key)
        except ValueError as exc:
            raise ConfigError(f"head office's public key in the fleet settings is unusable: {exc}") from exc
        self.outbox = Outbox(store)
        self._central_factory = central_factory or (lambda: CentralStore(dsn, tls=config.tls_kwargs(), application="livegate-kiosk"))
        self._objects_factory = objects_factory or (lambda: ObjectStore(config))
        self._central: CentralStore | None = None
        self._objects: ObjectStore | None = None
        self._failures = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0
        #: Set by ``background.attach_sender``: detaches the sender from the session events.
        self.unsubscribe: Callable[[], None] = lambda: None

    # --- one pass --------------------------------------------------------------------------

    def run_once(self, *, limit: int = 50) -> tuple[int, str | None]:
        """Push the due rows in order until one fails. Returns (rows pushed, error or ``None``)."""
        pushed = 0
        for row in self.outbox.due(time.time(), limit):
            if self._stop.is_set():
                break
            try:
                self._push(row)
            except IntegrityError as exc:
                # The local record fails its own signature: never send it, never retry blindly.
                log.error("outbox: session %s cannot be delivered: %s", row.session_id, exc)
                self.outbox.give_up(row, str(exc))
                self.outbox.record(success=False, message=f"session {row.session_id}: {exc}")
                continue
            except Exception as exc:  # network, database, bucket: keep the row, back off
                message = _describe(exc)
                self._drop_connections()
                self._failures += 1
                delay = self.backoff(self._failures)
                self.outbox.retry_later(row, time.time() + delay, message)
                self.outbox.record(success=False, message=message)
                log.warning("outbox: delivery of %s %s failed (%s); next try in %.1f s", row.kind, row.session_id, message, delay)
                return pushed, message
            self.outbox.done(row)
            pushed += 1
            self.sent += 1
            if self._failures:
                # The way to the centre is back: rows still waiting out their back-off go now, too.
                self._failures = 0
                self.outbox.revive(given_up=False)
        if pushed:
            self.outbox.record(success=True, message=f"{pushed} delivered")
        return pushed, None

    def backoff(self, failures: int) -> float:
        """Seconds to wait after ``failures`` failures in a row: doubling, capped, with jitter."""
        base = min(self.config.max_backoff_s, self.config.poll_s * (2 ** min(failures, 20)))
        return base * random.uniform(0.5, 1.0)

    def push_all(self, *, max_rounds: int = 10_000) -> tuple[int, str | None]:
        """Run passes until the outbox is empty or a pass fails."""
        total = 0
        for _ in range(max_rounds):
            n, error = self.run_once()
            total += n
            if error is not None or n == 0:
                return total, error
        return total, None

    def _connections(self) -> tuple[CentralStore, ObjectStore]:
        if self._central is None:
            self._central = self._central_factory()
        if self._objects is None:
            self._objects = self._objects_factory()
        return self._central, self._objects

    def _drop_connections(self) -> None:
        if self._central is not None:
            try:
                self._central.close()
            except Exception as exc:  # closing a broken connection may fail too; it is gone either way
                log.debug("closing the central connection: %s", type(exc).__name__)
            self._central = None
        self._objects = None

    def _push(self, row: OutboxRow) -> None:
        central, objects = self._connections()
        branch, device = self.config.branch, self.config.device_id
        if row.kind == "delete":
            notice = self.store.signer.sign({
                "Type": DELETE_TYPE,
                "SessionId": row.session_id,
                "DeletedAt": iso_utc(row.created_at),
                "Reason": "deleted on the device (retention or purge)",
            })
            if row.finished_at is not None:
                objects.delete_prefix(object_prefix(branch, device, row.finished_at, row.session_id))
            central.deliver(kind="delete", session_id=row.session_id, document_text=canonical_json(notice),
                            device_id=device, branch=branch, objects=[])
            return
        session = self.store.load(row.session_id)
        if session is None or session.result is None:
            return  # deleted meanwhile: its delete row follows
        finished = session.finished_at or row.finished_at or time.time()
        prefix = object_prefix(branch, device, finished, session.id)
        delivered = []
        for stored in session.files:
            key = prefix + stored.role + SUFFIX
            blob = envelope.seal(self.store.read_file(session.id, stored), self.recipient, object_key=key)
            objects.put(key, blob)
            delivered.append({"role": stored.role, "key": key, "size": len(blob), "sha256": stored.sha256, "media_type": stored.media_type})
        central.deliver(kind="session", session_id=session.id, document_text=canonical_json(session.result),
                        device_id=device, branch=branch, objects=delivered)

    # --- background thread -----------------------------------------------------------------

    def start(self) -> None:
        """Run in a daemon thread until ``stop()``."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="livegate-fleet-sender", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look at the outbox now (a session just finished)."""
        self._wake.set()

    def stop(self, timeout: float = 3.0) -> None:
        """Stop the thread (waiting at most ``timeout`` s for a network call in flight) and close the outbox."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._drop_connections()
        self.outbox.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                pushed, error = self.run_once()
            except Exception as exc:  # the sender must outlive anything; say what happened and go on
                log.error("outbox sender pass failed: %s", _describe(exc))
                pushed, error = 0, _describe(exc)
                self._failures += 1
            if pushed and error is None:
                continue  # more may be due right away
            if error:
                # Back off for real: a session finishing meanwhile must not trigger a retry against a dead server.
                self._stop.wait(self.backoff(self._failures))
            else:
                self._wake.wait(self.config.poll_s)
            self._wake.clear()


def _describe(exc: BaseException) -> str:
    """One line about a failure, never with a DSN or password in it."""
    if isinstance(exc, LivegateError):
        return str(exc).splitlines()[0][:300]
    try:
        import psycopg

        if isinstance(exc, psycopg.Error):
            kind = "the central database is unreachable" if isinstance(exc, psycopg.OperationalError) else "central database error"
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            return f"{kind}: {first[:200]}"
    except ImportError:
        pass
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
