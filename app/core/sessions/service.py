"""The session service: one lifecycle for the kiosk GUI, the local API and the CLI.

No Qt here. The GUI subscribes a plain callable (``subscribe(cb, kiosk=True)``)
and turns ``SessionEvent``s into Qt signals; the API calls the same methods.
Listeners run on the thread that caused the event (an API request, an
analysis worker): a GUI adapter must only emit a queued signal.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from app import __version__
from app.core.errors import StoreError
from app.core.scoring.contract import ImageOut, LivenessResult
from app.core.sessions.clock import Clock, SystemClock, iso_utc
from app.core.sessions.errors import LockedOut, NoKioskAttached, PinRejected, SessionExpired, SessionNotFound, SessionStateError, WrongPin
from app.core.sessions.lockout import LockoutBook, LockoutPolicy, LockoutStatus
from app.core.sessions.model import (
    CREATED,
    ERROR,
    EXPIRED,
    FAILED,
    IN_PROGRESS,
    STATUSES,
    SUCCEEDED,
    Session,
    SessionSettings,
    StoredFile,
    is_session_id,
    new_session_id,
)
from app.core.sessions.pin import ATTEMPTS_FILE, PinThrottle
from app.core.fleet.background import attach_sender
from app.core.settings import Settings, load_settings
from app.core.store.db import SessionStore, open_store
from app.core.store.export import export_sessions
from app.core.store.signing import canonical_json, to_jsonable

log = logging.getLogger(__name__)

JPEG_QUALITY = 95
#: Seconds between automatic retention purges.
PURGE_INTERVAL_S = 3600.0
_DAY = 86400.0


@dataclass(frozen=True)
class SessionEvent:
    """Something happened to a session.

    Attributes
    ----------
    kind:
        ``created``, ``started`` (the kiosk must begin the check), ``finished``
        (SUCCEEDED/FAILED/ERROR/EXPIRED) or ``deleted``.
    session_id:
        The session's id.
    session:
        Snapshot after the change (``None`` for ``deleted``).
    """

    kind: str
    session_id: str
    session: Session | None


Listener = Callable[[SessionEvent], None]


def config_version(settings: Settings) -> str:
    """Short fingerprint of the settings that influence a result (PIN hash excluded)."""
    data = {k: v for k, v in settings.to_dict().items() if k not in ("kiosk_pin_hash",)}
    return f"v{settings.schema_version}-{hashlib.sha256(canonical_json(to_jsonable(data))).hexdigest()[:12]}"


def encode_jpeg(image: np.ndarray, *, what: str) -> bytes:
    """Encode a BGR (or grey) uint8 image as JPEG.

    Raises
    ------
    ValueError
        When the array is not an 8-bit grey or 3-channel image.
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or not (
        image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)
    ) or image.size == 0:
        shape = getattr(image, "shape", None)
        raise ValueError(f"{what} must be a non-empty uint8 BGR (HxWx3) or grey image; got {type(image).__name__} {shape}")
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError(f"{what} could not be JPEG-encoded")
    return buf.tobytes()


class SessionService:
    """Create, run, finish, find and delete liveness sessions.

    Parameters
    ----------
    store:
        The session store (``app.core.store.SessionStore``).
    settings:
        App settings: defaults of new sessions, expiry, lock-out, retention.
    clock:
        Time source (tests pass ``ManualClock``).
    in_progress_timeout_s:
        An IN_PROGRESS session not completed within this time becomes
        ERROR("timed out") so a hung check cannot block an integrator forever.
    """

    def __init__(
        self,
        store: "SessionStore",
        *,
        settings: Settings | None = None,
        clock: Clock | None = None,
        in_progress_timeout_s: float = 600.0,
    ) -> None:
        self.store = store
        self._settings = settings or Settings()
        self.clock: Clock = clock or SystemClock()
        self.in_progress_timeout_s = float(in_progress_timeout_s)
        self._listeners: list[tuple[Listener, bool]] = []
        self._listeners_lock = threading.Lock()
        store_dir = getattr(store, "data_dir", None) or store.root
        #: Wrong operator PINs wait longer and longer, across restarts.
        self.pin_throttle = PinThrottle(Path(store_dir) / ATTEMPTS_FILE, clock=self.clock.now)
        #: The sealed lock-out record; checked at start (a removed or altered one locks until confirmed).
        self._lockout = LockoutBook(store, self._settings, self.clock)
        self._lockout.adopt_first_pin(self._settings)
        self._report_pending_lockout()
        if store.owner:
            # Only the store's owner repairs and purges on opening; a reader or a one-off command never does.
            self.maintain(force_purge=True)

    @classmethod
    def open(
        cls,
        data_dir: Path | None = None,
        *,
        settings: Settings | None = None,
        clock: Clock | None = None,
        owner: bool = True,
        key_backend: str = "auto",
        read_only: bool = False,
    ) -> "SessionService":
        """Open the store of ``data_dir`` (default: the user's data folder) and wrap it.

        ``read_only``: list, show and export without changing a byte of the
        store (no expiry marking, no purge); changing calls raise ``StoreError``.

        Raises
        ------
        StoreError
            When the store cannot be opened (see ``SessionStore``).
        """
        store = open_store(data_dir, clock=clock, owner=owner, key_backend=key_backend, read_only=read_only)
        service = cls(store, settings=settings or load_settings(), clock=clock)
        if owner and not read_only:
            # Fleet delivery (docs/fleet.md): a background sender when this device is enrolled.
            service._fleet_sender = attach_sender(service)
        return service

    def close(self) -> None:
        """Stop the fleet sender (if any), then close the store."""
        sender = getattr(self, "_fleet_sender", None)
        if sender is not None:
            sender.unsubscribe()
            sender.stop()
            self._fleet_sender = None
        self.store.close()

    def __enter__(self) -> "SessionService":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- settings and listeners ------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The app settings in force."""
        return self._settings

    def update_settings(self, settings: Settings) -> None:
        """Use new app settings (sessions already created keep theirs).

        The lock-out policy and the operator PIN that guards it are not taken
        from here: they change only through :meth:`confirm_lockout_settings`
        (the first PIN ever set is the exception: it is adopted at once).
        """
        self._settings = settings
        self._lockout.adopt_first_pin(settings)
        self._report_pending_lockout()

    def _report_pending_lockout(self) -> None:
        pending = self._lockout.pending(self._settings)
        if pending:
            log.warning("lock-out settings not in force until confirmed with the operator PIN: %s", ", ".join(pending))

    @property
    def policy(self) -> LockoutPolicy:
        """The lock-out policy in force (sealed in the store; see :meth:`confirm_lockout_settings`)."""
        return self._lockout.record.policy

    def lockout_changes_pending(self) -> list[str]:
        """Lock-out settings (or the operator PIN) changed in the settings but not yet confirmed with the PIN."""
        return self._lockout.pending(self._settings)

    def confirm_lockout_settings(self, pin: str) -> None:
        """Put the settings' lock-out policy and operator PIN in force.

        Parameters
        ----------
        pin:
            The operator PIN in force so far (for the first PIN ever set: that PIN).

        Raises
        ------
        PinRejected
            When no PIN is set or the PIN is wrong; the previous policy stays in force.
        """
        self._with_pin_limit(pin, lambda: self._lockout.confirm_settings(pin, self._settings))

    def _with_pin_limit(self, pin: str, action: Callable[[], None]) -> None:
        """Run ``action`` (which checks ``pin``) within the wrong-PIN attempt limit.

        A wrong PIN counts towards the limit; while a wait is running even the right PIN is not tried.
        """

        def attempt() -> bool:
            try:
                action()
            except WrongPin:
                return False
            return True

        check = self.pin_throttle.attempt(attempt, pin=pin)
        if not check.ok:
            wait = f"; the next attempt is possible in {math.ceil(check.wait_s)} s" if check.wait_s > 0 else ""
            raise PinRejected(f"the PIN is wrong or was tried too often{wait}")

    def subscribe(self, listener: Listener, *, kiosk: bool = False) -> Callable[[], None]:
        """Call ``listener(event)`` on every session event; returns a function that unsubscribes.

        Parameters
        ----------
        kiosk:
            The listener begins the check when a session is ``started``. Starting
            a session is refused (``NoKioskAttached``) while no kiosk listener is
            subscribed, since nobody would run it.
        """
        entry = (listener, kiosk)
        with self._listeners_lock:
            self._listeners.append(entry)

        def unsubscribe() -> None:
            with self._listeners_lock:
                if entry in self._listeners:
                    self._listeners.remove(entry)

        return unsubscribe

    @property
    def kiosk_attached(self) -> bool:
        """Whether a kiosk listener would run a started session."""
        with self._listeners_lock:
            return any(kiosk for _, kiosk in self._listeners)

    def _notify(self, kind: str, session_id: str, session: Session | None) -> None:
        event = SessionEvent(kind, session_id, session)
        with self._listeners_lock:
            listeners = [cb for cb, _ in self._listeners]
        for callback in listeners:
            try:
                callback(event)
            except Exception:  # a broken listener must not break the lifecycle
                log.exception("session listener %r failed on %s event of session %s", callback, kind, session_id)

    # --- lifecycle ---------------------------------------------------------------------

    def create(self, settings: SessionSettings | None = None, *, session_id: str | None = None, **overrides: Any) -> Session:
        """Create a session (status CREATED) that must be started before it expires.

        Parameters
        ----------
        settings:
            Per-session settings; default from the app settings.
        session_id:
            The id to use (the service-protocol API passes a fresh UUID); default a new random id.
        overrides:
            Individual ``SessionSettings`` fields, applied to the defaults when
            ``settings`` is not given.

        Raises
        ------
        LockedOut
            While the device is locked out after repeated failures.
        ValueError
            For invalid settings (the message names the field).
        """
        if settings is None:
            settings = SessionSettings.from_settings(self._settings, **overrides)
        elif overrides:
            raise ValueError("pass either settings or individual overrides, not both")
        if session_id is not None and not is_session_id(session_id):
            raise ValueError(f"a session id must be 16 to 64 of A-Z, a-z, 0-9, '_' and '-'; got {session_id[:70]!r}")
        self.maintain()
        self._check_lockout()
        now = self.clock.now()
        session = Session(
            id=session_id or new_session_id(),
            status=CREATED,
            settings=settings,
            created_at=now,
            expires_at=now + float(self._settings.session_expiry_s),
        )
        self.store.insert(session)
        log.info("session %s created", session.id)
        self._notify("created", session.id, session)
        return session

    def get(self, session_id: str, *, with_result: bool = True) -> Session:
        """The session with this id (expired sessions are marked so first).

        Raises
        ------
        SessionNotFound
            For an unknown (or malformed) id.
        IntegrityError
            When its stored result fails the signature check.
        """
        if not is_session_id(session_id):
            raise SessionNotFound(f"no session has the id {session_id!r}")
        self._expire_if_due(session_id)
        session = self.store.load(session_id, with_result=with_result)
        if session is None:
            raise SessionNotFound(f"no session has the id {session_id!r}: it never existed, was deleted or was purged")
        return session

    def start(self, session_id: str) -> Session:
        """Mark a CREATED session IN_PROGRESS and tell the kiosk to begin the check.

        Raises
        ------
        SessionNotFound, SessionExpired
            Unknown id; not started in time.
        SessionStateError
            Already started or finished (sessions are single-use).
        LockedOut
            While the device is locked out.
        NoKioskAttached
            When no kiosk listener is subscribed.
        """
        session = self.get(session_id, with_result=False)
        if session.status == EXPIRED:
            raise SessionExpired(f"session {session_id} expired at {iso_utc(session.expires_at)}; create a new session")
        if session.status != CREATED:
            raise SessionStateError(f"session {session_id} is {session.status}; a session can be started only once, when CREATED")
        self._check_lockout()
        if not self.kiosk_attached:
            raise NoKioskAttached("no kiosk screen is attached to run the check; start Livegate in kiosk mode (livegate gui --kiosk)")
        if not self.store.transition(session_id, expected=(CREATED,), status=IN_PROGRESS, started_at=self.clock.now()):
            latest = self.get(session_id, with_result=False)
            raise SessionStateError(f"session {session_id} is {latest.status}; it was started or changed meanwhile")
        started = self.get(session_id, with_result=False)
        log.info("session %s started", session_id)
        self._notify("started", session_id, started)
        return started

    def complete(
        self,
        session_id: str,
        result: LivenessResult,
        *,
        recording: Path | None = None,
        remove_recording_source: bool = True,
    ) -> Session:
        """Store a scored result with its images (and recording), then mark the session finished.

        Files are encrypted and made durable before the record changes, so a
        crash never yields a finished session with missing files.

        Parameters
        ----------
        result:
            The scoring result; ``result.session_id`` must be ``session_id``
            and ``result.status`` SUCCEEDED or FAILED. At most the session's
            ``audit_images`` audit images are kept.
        recording:
            A recording file; stored (encrypted) only when the session's
            ``keep_recording`` is set, after which the plaintext source is
            deleted unless ``remove_recording_source`` is false.

        Raises
        ------
        SessionNotFound, SessionStateError
            Unknown id; the session is not IN_PROGRESS.
        ValueError
            The result does not belong to this session or holds a bad image.
        StoreError
            A file could not be written (the session becomes ERROR; nothing is marked passed).
        """
        session = self.get(session_id, with_result=False)
        if session.status != IN_PROGRESS:
            raise SessionStateError(f"session {session_id} is {session.status}; only an IN_PROGRESS session can be completed")
        if result.session_id != session_id:
            raise ValueError(f"the result is for session {result.session_id!r}, not {session_id!r}")
        if result.status not in (SUCCEEDED, FAILED):
            raise ValueError(f"result status must be SUCCEEDED or FAILED; got {result.status!r}")
        if result.decision not in ("pass", "fail"):
            raise ValueError(f"result decision must be 'pass' or 'fail'; got {result.decision!r}")
        images: list[tuple[str, ImageOut]] = []
        if result.reference is not None:
            images.append(("reference", result.reference))
        images.extend((f"audit-{i}", img) for i, img in enumerate(result.audit[: session.settings.audit_images]))
        encoded = [(role, encode_jpeg(img.image, what=f"{role} image")) for role, img in images]
        keep_recording = recording is not None and session.settings.keep_recording
        if recording is not None and not Path(recording).is_file():
            raise ValueError(f"recording {recording} does not exist")

        stored: list[StoredFile] = []
        try:
            for role, jpeg in encoded:
                stored.append(self.store.write_file(session_id, role, jpeg, media_type="image/jpeg"))
            if keep_recording:
                assert recording is not None
                stored.append(self.store.write_file(session_id, "recording", Path(recording), media_type="application/zip"))
        except StoreError as exc:
            self._abandon(session_id, f"storage failed: {exc}")
            raise

        now = self.clock.now()
        versions = {"app": __version__, "config": config_version(self._settings), **{str(k): str(v) for k, v in result.versions.items()}}
        document = self._document(session, result, stored, versions, now)
        try:
            changed = self.store.finish(
                session_id, status=result.status, document=document, files=stored, finished_at=now, versions=versions
            )
        except (StoreError, TypeError, ValueError) as exc:
            self._abandon(session_id, f"storage failed: {exc}")
            if isinstance(exc, StoreError):
                raise
            raise ValueError(f"the result of session {session_id} cannot be stored: {exc}") from exc
        if not changed:
            self.store.remove_files(session_id)
            latest = self.store.load(session_id, with_result=False)
            raise SessionStateError(
                f"session {session_id} became {latest.status if latest else 'deleted'} before its result was stored"
            )
        if keep_recording and remove_recording_source:
            assert recording is not None
            try:
                Path(recording).unlink()
            except OSError as exc:
                log.warning("could not remove the plaintext recording of session %s: %s", session_id, exc)
        if result.decision != "pass":
            self._record_failure(now)
        finished = self.get(session_id)
        log.info("session %s finished: %s", session_id, finished.status)
        self._notify("finished", session_id, finished)
        return finished

    def _document(
        self, session: Session, result: LivenessResult, stored: Sequence[StoredFile], versions: dict[str, str], now: float
    ) -> dict[str, Any]:
        by_role = {f.role: f for f in stored}
        audit_extras = [
            {"Sha256": by_role[f"audit-{i}"].sha256} for i in range(len(result.audit)) if f"audit-{i}" in by_role
        ]
        kept_audit = len(audit_extras)
        trimmed = dataclasses.replace(result, audit=result.audit[:kept_audit])
        extras: dict[str, Any] = {"AuditImages": audit_extras}
        if "reference" in by_role:
            extras["ReferenceImage"] = {"Sha256": by_role["reference"].sha256}
        document = to_jsonable(trimmed.to_dict(images=extras))
        document["SessionId"] = session.id
        document["Versions"] = versions
        document["Session"] = {
            "CreatedAt": iso_utc(session.created_at),
            "StartedAt": iso_utc(session.started_at),
            "FinishedAt": iso_utc(now),
            "CustomerReference": session.settings.customer_ref,
            "OperatorReference": session.settings.operator_ref,
            "Settings": session.settings.to_dict(),
        }
        if "recording" in by_role:
            document["Recording"] = {"Sha256": by_role["recording"].sha256, "Size": by_role["recording"].size}
        if result.plots:
            document["Plots"] = to_jsonable({k: v for k, v in result.plots.items() if k != "hints"})
        return document

    def _abandon(self, session_id: str, reason: str) -> None:
        """Give up on a session after a storage failure: ERROR, and no partial files left."""
        try:
            self.store.remove_files(session_id)
        except StoreError as exc:
            log.warning("could not remove partial files of session %s: %s", session_id, exc)
        try:
            self.store.transition(session_id, expected=(IN_PROGRESS,), status=ERROR, reason=reason[:500], finished_at=self.clock.now())
        except StoreError as exc:  # the next start-up turns it into ERROR("interrupted")
            log.error("could not mark session %s as ERROR: %s", session_id, exc)
        self._notify("finished", session_id, self.store.load(session_id, with_result=False))

    def fail(self, session_id: str, reason: str) -> Session:
        """End an IN_PROGRESS session as FAILED without a scored result (counts toward lock-out).

        Raises
        ------
        SessionNotFound, SessionStateError
        """
        return self._end(session_id, FAILED, reason, expected=(IN_PROGRESS,), counts_as_failure=True)

    def error(self, session_id: str, reason: str) -> Session:
        """End a CREATED or IN_PROGRESS session as ERROR(reason) (camera lost, cancelled...).

        Raises
        ------
        SessionNotFound, SessionStateError
        """
        return self._end(session_id, ERROR, reason, expected=(CREATED, IN_PROGRESS), counts_as_failure=False)

    def _end(self, session_id: str, status: str, reason: str, *, expected: tuple[str, ...], counts_as_failure: bool) -> Session:
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("a reason is required (one sentence a clerk understands)")
        session = self.get(session_id, with_result=False)
        now = self.clock.now()
        if not self.store.transition(session_id, expected=expected, status=status, reason=reason.strip()[:500], finished_at=now):
            raise SessionStateError(f"session {session_id} is {session.status}; it cannot become {status}")
        if counts_as_failure:
            self._record_failure(now)
        ended = self.get(session_id, with_result=False)
        self._notify("finished", session_id, ended)
        return ended

    # --- queries -----------------------------------------------------------------------

    def search(
        self,
        *,
        status: str | None = None,
        customer_ref: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Session]:
        """Sessions matching every given filter, newest first (results not loaded: use ``get``).

        Parameters
        ----------
        status:
            One of ``STATUSES``.
        customer_ref:
            Exact customer reference.
        since, until:
            Creation time bounds in POSIX seconds (``since`` inclusive, ``until`` exclusive).
        limit, offset:
            Paging (``limit`` 1-1000).

        Raises
        ------
        ValueError
            For an unknown status or a limit out of range.
        """
        if status is not None and status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}; got {status!r}")
        if not 1 <= int(limit) <= 1000 or int(offset) < 0:
            raise ValueError("limit must be 1-1000 and offset not negative")
        self.expire_due()
        return self.store.query(status=status, customer_ref=customer_ref, since=since, until=until, limit=limit, offset=offset)

    def list(self, *, limit: int = 100, offset: int = 0) -> list[Session]:
        """The newest sessions (``search`` without filters)."""
        return self.search(limit=limit, offset=offset)

    def image(self, session_id: str, role: str) -> bytes:
        """Decrypted JPEG of a session's ``reference`` or ``audit-N`` image.

        Raises
        ------
        SessionNotFound
            Unknown session, or it has no image with this role.
        IntegrityError
            The stored file was altered.
        """
        session = self.get(session_id, with_result=False)
        stored = session.file(role)
        if stored is None or stored.media_type != "image/jpeg":
            raise SessionNotFound(f"session {session_id} has no {role!r} image")
        return self.store.read_file(session_id, stored)

    def export(self, session_ids: Sequence[str], dest: Path, *, include_recordings: bool = False) -> Path:
        """Write sessions as a ZIP (signed result JSON + decrypted images + manifest.json).

        Raises
        ------
        SessionNotFound, IntegrityError, StoreError
        """
        return export_sessions(self, session_ids, Path(dest), include_recordings=include_recordings)

    # --- deletion, expiry, retention ---------------------------------------------------

    def delete(self, session_id: str) -> None:
        """Delete a session's files and record for good.

        Raises
        ------
        SessionNotFound
            For an unknown id.
        """
        if not is_session_id(session_id) or not self.store.delete(session_id):
            raise SessionNotFound(f"no session has the id {session_id!r}")
        log.info("session %s deleted", session_id)
        self._notify("deleted", session_id, None)

    def expire_due(self) -> list[str]:
        """Expire CREATED sessions past their validity; time out stuck IN_PROGRESS ones. Returns changed ids."""
        if self.store.read_only:
            return []
        now = self.clock.now()
        changed: list[str] = []
        for sid in self.store.ids_where("status = ? AND expires_at <= ?", (CREATED, now)):
            if self.store.transition(sid, expected=(CREATED,), status=EXPIRED, finished_at=now, reason="not started in time"):
                changed.append(sid)
                self._notify("finished", sid, self.store.load(sid, with_result=False))
        limit = now - self.in_progress_timeout_s
        for sid in self.store.ids_where("status = ? AND started_at <= ?", (IN_PROGRESS, limit)):
            if self.store.transition(sid, expected=(IN_PROGRESS,), status=ERROR, finished_at=now, reason="timed out"):
                self.store.remove_files(sid)
                changed.append(sid)
                self._notify("finished", sid, self.store.load(sid, with_result=False))
        return changed

    def _expire_if_due(self, session_id: str) -> None:
        if self.store.read_only:
            return
        now = self.clock.now()
        if self.store.ids_where("id = ? AND status = ? AND expires_at <= ?", (session_id, CREATED, now)):
            if self.store.transition(session_id, expected=(CREATED,), status=EXPIRED, finished_at=now, reason="not started in time"):
                self._notify("finished", session_id, self.store.load(session_id, with_result=False))

    def purge(self, *, older_than_days: float | None = None) -> list[str]:
        """Delete finished sessions (records and files) and plaintext recordings older than the retention period.

        Ends with a WAL checkpoint, so no deleted record stays in the log.

        Parameters
        ----------
        older_than_days:
            Override of ``settings.retention_days``. A retention of 0 days
            means "no automatic purge"; pass ``older_than_days=0`` to purge
            every finished session now.

        Returns
        -------
        list[str]
            Ids of the deleted sessions.
        """
        days = self._settings.retention_days if older_than_days is None else float(older_than_days)
        if older_than_days is None and days <= 0:
            return []
        self.expire_due()
        now = self.clock.now()
        cutoff = now - days * _DAY
        ids = self.store.ids_where(
            "status IN ('SUCCEEDED', 'FAILED', 'EXPIRED', 'ERROR') AND COALESCE(finished_at, created_at) <= ?", (cutoff,)
        )
        for sid in ids:
            self.store.delete(sid, checkpoint=False)
            self._notify("deleted", sid, None)
        recordings = self.store.purge_recordings(cutoff)
        self.store.prune_failures(now - max(self.policy.window_s, 7 * _DAY))
        if ids:
            self.store.checkpoint()
        if ids or recordings:
            log.info("retention purge deleted %d session(s) and %d recording file(s) older than %g days", len(ids), recordings, days)
        self.store.set_state("last_purge", repr(now))
        return ids

    def maintain(self, *, force_purge: bool = False) -> None:
        """Expire due sessions and run the retention purge when it is due (hourly); nothing for a reader."""
        if self.store.read_only:
            return
        self.expire_due()
        last = self.store.get_state("last_purge")
        now = self.clock.now()
        # A last purge "in the future" means the clock was set back (or had been set forward): purge now
        # rather than wait for the wall clock to catch up.
        if force_purge or last is None or now - float(last) >= PURGE_INTERVAL_S or float(last) > now:
            if self.store.owner or force_purge:
                self.purge()

    # --- lock-out ------------------------------------------------------------------------

    def lockout_status(self) -> LockoutStatus:
        """The device's lock-out state now."""
        return self._lockout.status()

    def _check_lockout(self) -> None:
        status = self.lockout_status()
        if status.locked:
            raise LockedOut(status.message, until=status.until)

    def _record_failure(self, now: float) -> None:
        self._lockout.add_failure()

    def override_lockout(self, pin: str) -> None:
        """End a lock-out early with the operator PIN (also confirms a device whose lock-out record was removed).

        Raises
        ------
        PinRejected
            When no PIN is set, the PIN is wrong, or too many wrong PINs were
            tried lately (the message says how long to wait).
        """
        self._with_pin_limit(pin, lambda: self._lockout.override(pin, self._settings))
        log.warning("lock-out overridden by an operator at %s", iso_utc(self.clock.now()))

    # --- keys ----------------------------------------------------------------------------

    @property
    def key_id(self) -> str:
        """Fingerprint of the key that signs this device's results."""
        return str(self.store.signer.key_id)

    def public_key_pem(self) -> str:
        """This device's result-signing public key (PEM)."""
        return str(self.store.signer.public_pem())
