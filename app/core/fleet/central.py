"""The central store: PostgreSQL at head office.

Kiosks only ``deliver`` (insert into ``inbox``; a duplicate delivery is a no-op).
Head office runs ``ingest`` (``livegate fleet ingest``), which checks each
delivery's Ed25519 signature against the key registered for its device and
moves it into the month-partitioned ``sessions`` table, or refuses it and
writes an audit event. Deletions (retention, purge) arrive the same way,
signed by the device, and leave a tombstone without the document.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
from dataclasses import dataclass
from importlib import resources
from typing import Any

from app.core.errors import LivegateError
from app.core.fleet.config import redact_dsn
from app.core.store.signing import canonical_json, key_id, load_public_pem, verify_document

log = logging.getLogger(__name__)

#: Type of a signed delete notice (``fleet`` signs it with the device key).
DELETE_TYPE = "LivegateDelete"


class CentralUnavailable(LivegateError):
    """The central database cannot be reached or refused the connection."""

    exit_code = 3


def migrations() -> list[tuple[int, str, str]]:
    """``(version, file name, SQL)`` of every migration in the package, in order."""
    folder = resources.files("app.core.fleet") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError("two fleet migrations share a version number")
    return found


def result_hash(document_text: bytes) -> str:
    """``sha256:<hex>`` of a delivered document's canonical bytes: the idempotency key with the session id."""
    return "sha256:" + hashlib.sha256(document_text).hexdigest()


def _ts(iso: Any) -> _dt.datetime | None:
    if not isinstance(iso, str) or not iso:
        return None
    try:
        value = _dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)


@dataclass(frozen=True)
class IngestReport:
    """What one ``ingest`` pass did."""

    accepted: int = 0
    duplicates: int = 0
    refused: int = 0
    purged: int = 0


class CentralStore:
    """A connection to the central PostgreSQL database.

    Parameters
    ----------
    dsn:
        libpq connection string (may hold the password: it is never logged).
    tls:
        libpq TLS parameters (``sslmode``, ``sslrootcert``, ``sslcert``, ``sslkey``), passed through.
    connect_timeout:
        Seconds to wait for the server.

    Raises
    ------
    CentralUnavailable
        When the database cannot be reached (message without the password).
    """

    def __init__(self, dsn: str, *, tls: dict[str, str] | None = None, connect_timeout: int = 5, application: str = "livegate") -> None:
        import psycopg

        self._where = redact_dsn(dsn)
        try:
            self.conn = psycopg.connect(
                dsn, autocommit=True, connect_timeout=connect_timeout, application_name=application, **(tls or {})
            )
        except psycopg.Error as exc:
            raise CentralUnavailable(f"cannot reach the central database ({self._where}): {_first_line(exc)}") from exc

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "CentralStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- schema ----------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Apply the migrations not applied yet, each in its own transaction. Returns the files applied."""
        applied: list[str] = []
        with self.conn.transaction():
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
                "applied_at timestamptz NOT NULL DEFAULT now())"
            )
        for version, name, sql in migrations():
            with self.conn.transaction():
                # One migrator at a time (two head-office hosts running `fleet migrate` at once).
                self.conn.execute("SELECT pg_advisory_xact_lock(hashtext('livegate_migrate'))")
                done = self.conn.execute("SELECT 1 FROM schema_migrations WHERE version = %s", (version,)).fetchone()
                if done:
                    continue
                self.conn.execute(sql.encode("utf-8"))  # bytes: run as one multi-statement script
                self.conn.execute("INSERT INTO schema_migrations(version, name) VALUES (%s, %s)", (version, name))
                applied.append(name)
                log.info("central database migrated: %s", name)
        return applied

    def schema_version(self) -> int:
        """Highest applied migration (0 on an empty database)."""
        with self.conn.transaction():
            exists = self.conn.execute("SELECT to_regclass('schema_migrations')").fetchone()
            if not exists or exists[0] is None:
                return 0
            row = self.conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
        return int(row[0]) if row else 0

    def require_schema(self) -> None:
        """Raise ``CentralUnavailable`` unless every migration of this Livegate is applied."""
        want = migrations()[-1][0]
        have = self.schema_version()
        if have < want:
            raise CentralUnavailable(f"the central database has schema {have}, this Livegate needs {want}: run `livegate fleet migrate`")

    # --- devices ---------------------------------------------------------------------------

    def enroll(self, *, branch: str, device_id: str, public_key_pem: str) -> str:
        """Register (or re-register with the same key) a device. Returns its key id.

        Raises
        ------
        LivegateError
            When the device is enrolled with another key (revoke it at head office first).
        """
        kid = key_id(load_public_pem(public_key_pem))
        with self.conn.transaction():
            row = self.conn.execute("SELECT key_id, branch FROM devices WHERE device_id = %s FOR UPDATE", (device_id,)).fetchone()
            if row is not None and row[0] != kid:
                raise LivegateError(
                    f"device {device_id} is already enrolled with another key ({row[0]}); head office must revoke it first"
                )
            if row is None:
                self.conn.execute(
                    "INSERT INTO devices(device_id, branch, key_id, public_key_pem) VALUES (%s, %s, %s, %s)",
                    (device_id, branch, kid, public_key_pem),
                )
            else:
                self.conn.execute("UPDATE devices SET branch = %s, revoked_at = NULL WHERE device_id = %s", (branch, device_id))
            self._audit("enrolled", device_id=device_id, branch=branch, detail={"key_id": kid, "moved_from": row[1] if row and row[1] != branch else None})
        return kid

    def revoke(self, device_id: str) -> bool:
        """Stop accepting a device's deliveries. Returns whether the device exists."""
        with self.conn.transaction():
            cur = self.conn.execute("UPDATE devices SET revoked_at = now() WHERE device_id = %s", (device_id,))
            if cur.rowcount:
                self._audit("revoked", device_id=device_id)
        return bool(cur.rowcount)

    # --- delivery (kiosk side) ------------------------------------------------------------

    def deliver(
        self, *, kind: str, session_id: str, document_text: bytes, device_id: str, branch: str, objects: list[dict[str, Any]]
    ) -> bool:
        """Put one delivery in the inbox. Returns ``False`` when it was delivered before (no-op)."""
        with self.conn.transaction():
            cur = self.conn.execute(
                "INSERT INTO inbox(kind, session_id, result_hash, device_id, branch, document, objects) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (kind, session_id, result_hash) DO NOTHING",
                (kind, session_id, result_hash(document_text), device_id, branch, document_text.decode("utf-8"), _jsonb(objects)),
            )
        return bool(cur.rowcount)

    # --- ingest (head-office side) --------------------------------------------------------

    def ensure_partitions(self) -> None:
        """Create this month's and next month's partitions in a transaction of their own.

        Creating a partition locks its parent table exclusively; done here, before any
        row is filed, two ingest workers cannot deadlock over it at a month's turn.
        """
        with self.conn.transaction():
            for table in ("sessions", "audit_events"):
                self.conn.execute("SELECT livegate_month_partition(%s, now())", (table,))
                self.conn.execute("SELECT livegate_month_partition(%s, now() + interval '1 month')", (table,))

    def ingest(self, *, batch: int = 200) -> IngestReport:
        """Verify and file up to ``batch`` deliveries (safe to run in several processes at once).

        A late delivery from a month without a partition yet creates it on the way; should
        that deadlock with another worker, PostgreSQL rolls this batch back whole and
        ``ingest_all`` runs it again.
        """
        accepted = duplicates = refused = purged = 0
        with self.conn.transaction():
            rows = self.conn.execute(
                "SELECT id, kind, session_id, result_hash, device_id, branch, document, objects, received_at "
                "FROM inbox ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
                (batch,),
            ).fetchall()
            keys: dict[str, tuple[str, Any, Any]] = {}
            for row in rows:
                rid, kind, sid, rhash, device_id, branch, text, objects, received_at = row
                if device_id not in keys:
                    dev = self.conn.execute(
                        "SELECT public_key_pem, branch, revoked_at FROM devices WHERE device_id = %s", (device_id,)
                    ).fetchone()
                    keys[device_id] = (dev[1], load_public_pem(dev[0]), dev[2]) if dev else ("", None, None)
                dev_branch, public, revoked = keys[device_id]
                outcome = self._file_one(
                    kind=kind, sid=sid, rhash=rhash, device_id=device_id, branch=branch, text=text, objects=objects,
                    received_at=received_at, dev_branch=dev_branch, public=public, revoked=revoked,
                )
                self.conn.execute("DELETE FROM inbox WHERE id = %s", (rid,))
                if outcome == "accepted":
                    accepted += 1
                elif outcome == "duplicate":
                    duplicates += 1
                elif outcome == "purged":
                    purged += 1
                else:
                    refused += 1
        return IngestReport(accepted, duplicates, refused, purged)

    def ingest_all(self, *, batch: int = 200) -> IngestReport:
        """Run ``ingest`` until the inbox is empty; the reports added up."""
        from psycopg import errors

        self.ensure_partitions()
        total = IngestReport()
        retries = 0
        while True:
            try:
                r = self.ingest(batch=batch)
            except (errors.DeadlockDetected, errors.SerializationFailure, errors.LockNotAvailable):
                retries += 1
                if retries > 5:
                    raise
                log.info("ingest batch rolled back by a lock conflict with another worker; running it again")
                continue
            total = IngestReport(*(a + b for a, b in zip(
                (total.accepted, total.duplicates, total.refused, total.purged), (r.accepted, r.duplicates, r.refused, r.purged))))
            if r == IngestReport():
                return total

    def _refuse(self, reason: str, *, kind: str, sid: str, rhash: str, device_id: str, branch: str) -> str:
        log.warning("refused %s delivery of session %s from device %s: %s", kind, sid, device_id, reason)
        self._audit("refused", device_id=device_id, branch=branch, session_id=sid, detail={"kind": kind, "reason": reason, "result_hash": rhash})
        return "refused"

    def _file_one(self, *, kind: str, sid: str, rhash: str, device_id: str, branch: str, text: str, objects: Any,
                  received_at: Any, dev_branch: str, public: Any, revoked: Any) -> str:
        refuse = lambda reason: self._refuse(reason, kind=kind, sid=sid, rhash=rhash, device_id=device_id, branch=branch)  # noqa: E731
        if public is None:
            return refuse("the device is not enrolled")
        if revoked is not None:
            return refuse("the device was revoked")
        if branch != dev_branch:
            return refuse(f"the device is enrolled for branch {dev_branch}, not {branch}")
        raw = text.encode("utf-8")
        if result_hash(raw) != rhash:
            return refuse("the result hash does not match the document")
        try:
            document = json.loads(text)
        except ValueError:
            return refuse("the document is not JSON")
        check = verify_document(document, {key_id(public): public})
        if not check.valid:
            return refuse(check.reason)
        if canonical_json(document) != raw:
            return refuse("the document is not in canonical form")
        if kind == "delete":
            if document.get("Type") != DELETE_TYPE or document.get("SessionId") != sid:
                return refuse("the delete notice does not name this session")
            return self._purge(sid, device_id=device_id, branch=branch, notice=document)
        if document.get("SessionId") != sid:
            return refuse("the document is for another session")
        finished = _ts((document.get("Session") or {}).get("FinishedAt"))
        if finished is None:
            return refuse("the result has no finishing time")
        created = _ts((document.get("Session") or {}).get("CreatedAt"))
        self.conn.execute("SELECT livegate_month_partition('sessions', %s)", (finished,))
        inserted = self.conn.execute(
            "INSERT INTO session_keys(session_id, result_hash, device_id, finished_at) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (session_id) DO NOTHING",
            (sid, rhash, device_id, finished),
        ).rowcount
        if not inserted:
            have = self.conn.execute("SELECT result_hash, device_id FROM session_keys WHERE session_id = %s", (sid,)).fetchone()
            if have and have[0] == rhash and have[1] == device_id:
                return "duplicate"
            return refuse("a different result for this session was accepted before")
        settings = (document.get("Session") or {})
        confidence = document.get("Confidence")
        self.conn.execute(
            "INSERT INTO sessions(session_id, finished_at, created_at, device_id, branch, status, decision, confidence, "
            "customer_ref, operator_ref, versions, document, result_hash, key_id, objects, received_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (
                sid, finished, created, device_id, branch, str(document.get("Status", "")), document.get("Decision"),
                float(confidence) if isinstance(confidence, (int, float)) and not isinstance(confidence, bool) else None,
                settings.get("CustomerReference"), settings.get("OperatorReference"),
                _jsonb(document.get("Versions") or {}), _jsonb(document), rhash, check.key_id, _jsonb(objects), received_at,
            ),
        )
        return "accepted"

    def _purge(self, sid: str, *, device_id: str, branch: str, notice: dict[str, Any]) -> str:
        owner = self.conn.execute("SELECT device_id FROM session_keys WHERE session_id = %s", (sid,)).fetchone()
        if owner is not None and owner[0] != device_id:
            return self._refuse("only the device that delivered a session can purge it", kind="delete", sid=sid, rhash="",
                                device_id=device_id, branch=branch)
        changed = self.conn.execute(
            "UPDATE sessions SET document = NULL, customer_ref = NULL, operator_ref = NULL, objects = '[]'::jsonb, "
            "purged_at = now() WHERE session_id = %s AND purged_at IS NULL",
            (sid,),
        ).rowcount
        self._audit("purged", device_id=device_id, branch=branch, session_id=sid,
                    detail={"reason": str(notice.get("Reason", "")), "known": owner is not None, "changed": bool(changed)})
        return "purged"

    def _audit(self, kind: str, *, device_id: str | None = None, branch: str | None = None, session_id: str | None = None,
               detail: dict[str, Any] | None = None) -> None:
        self.conn.execute("SELECT livegate_month_partition('audit_events', now())")
        self.conn.execute(
            "INSERT INTO audit_events(kind, device_id, branch, session_id, detail) VALUES (%s, %s, %s, %s, %s)",
            (kind, device_id, branch, session_id, _jsonb(detail or {})),
        )

    # --- queries ---------------------------------------------------------------------------

    def sessions(self, *, branch: str | None = None, since: _dt.datetime | None = None, status: str | None = None,
                 device_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Sessions at the centre, newest first (no documents)."""
        where, args = [], []
        for column, value in (("branch", branch), ("status", status), ("device_id", device_id)):
            if value is not None:
                where.append(f"{column} = %s")
                args.append(value)
        if since is not None:
            where.append("finished_at >= %s")
            args.append(since)
        sql = ("SELECT session_id, finished_at, branch, device_id, status, decision, confidence, key_id, result_hash, purged_at, "
               "jsonb_array_length(objects) FROM sessions")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY finished_at DESC, session_id LIMIT %s"
        with self.conn.transaction():
            rows = self.conn.execute(sql, (*args, limit)).fetchall()
        names = ("session_id", "finished_at", "branch", "device_id", "status", "decision", "confidence", "key_id",
                 "result_hash", "purged_at", "objects")
        return [dict(zip(names, r)) for r in rows]

    def session(self, session_id: str) -> dict[str, Any] | None:
        """One session with its document and object keys, or ``None``."""
        with self.conn.transaction():
            row = self.conn.execute(
                "SELECT session_id, finished_at, branch, device_id, status, decision, confidence, key_id, result_hash, "
                "purged_at, document, objects, verified_at FROM sessions WHERE session_id = %s",
                (session_id,),
            ).fetchone()
        if row is None:
            return None
        names = ("session_id", "finished_at", "branch", "device_id", "status", "decision", "confidence", "key_id",
                 "result_hash", "purged_at", "document", "objects", "verified_at")
        return dict(zip(names, row))

    def audit_events(self, *, kind: str | None = None, session_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Audit events, newest first."""
        where, args = [], []
        if kind is not None:
            where.append("kind = %s")
            args.append(kind)
        if session_id is not None:
            where.append("session_id = %s")
            args.append(session_id)
        sql = "SELECT at, kind, device_id, branch, session_id, detail FROM audit_events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY at DESC, id DESC LIMIT %s"
        with self.conn.transaction():
            rows = self.conn.execute(sql, (*args, limit)).fetchall()
        return [dict(zip(("at", "kind", "device_id", "branch", "session_id", "detail"), r)) for r in rows]

    def counts(self) -> dict[str, int]:
        """Rows per table (status and benchmarks)."""
        out = {}
        with self.conn.transaction():
            for table in ("devices", "inbox", "sessions", "audit_events"):
                out[table] = int(self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # fixed names
        return out


def _jsonb(value: Any) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(value)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
