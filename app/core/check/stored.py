"""The stored session of one check, as an explicit state machine.

Every check run with a session store is one session in it::

    REQUESTED --created--> CREATED --start()--> STARTED --persist()--> PERSISTING --saved/failed--> CLOSED
        |                     |                    |                                                  ^
        +---------------------+--------------------+------ close(kind, reason) / store failure ------+

* REQUESTED: ``SessionService.create`` was submitted (refused while the device is locked out);
* CREATED: the session exists; the check's flow runs;
* STARTED: capture began and the session was marked IN_PROGRESS (sessions started through the API begin here);
* PERSISTING: the scored outcome is being written (files first, then the record); the screen waits for it;
* CLOSED: the session ended: stored result, FAILED/ERROR, refused, or a store failure (:attr:`StoredCheck.problem`).

The machine reaches the store only through an injected :class:`StoreExecutor`
that runs jobs *in submission order* and answers in the owner's thread: the
GUI passes its store thread, ``livegate check`` and the tests an
:class:`InlineStoreExecutor` (or one that fails on purpose). All methods run in
the owner's thread. An illegal transition raises ``ValueError``.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from app.core.check.flow import Outcome
from app.core.errors import StoreError
from app.core.sessions import LockedOut, LockoutStatus, SessionError, SessionSettings, SessionStateError
from app.core.sessions.service import SessionService
from app.core.sessions import Session as StoredSession

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class StoreExecutor(Protocol):
    """Runs ``SessionService`` calls in submission order; answers reach the owner's thread."""

    @property
    def service(self) -> SessionService:
        """The session service the jobs are given."""
        ...

    def submit(
        self,
        job: Callable[[SessionService], Any],
        *,
        done: Done | None = None,
        failed: Failed | None = None,
        what: str = "",
    ) -> Any:
        """Run ``job(service)``; then ``done(result)`` or ``failed(exc)`` in the owner's thread."""
        ...


class InlineStoreExecutor:
    """A :class:`StoreExecutor` that runs every job at once in the caller's thread (CLI, tests)."""

    def __init__(self, service: SessionService) -> None:
        self._service = service

    @property
    def service(self) -> SessionService:
        """The session service."""
        return self._service

    @property
    def pending(self) -> int:
        """Jobs not yet answered (always 0: answers are immediate)."""
        return 0

    def submit(
        self,
        job: Callable[[SessionService], Any],
        *,
        done: Done | None = None,
        failed: Failed | None = None,
        what: str = "",
    ) -> None:
        """Run ``job`` now; call ``done`` or ``failed`` (without ``failed`` an error is logged)."""
        try:
            result = job(self._service)
        except Exception as exc:  # noqa: BLE001 - answered to the owner, which decides
            if failed is not None:
                failed(exc)
            else:
                log.warning("session store call %s failed: %s", what or job, exc)
            return
        if done is not None:
            done(result)

    def close(self, timeout_s: float = 10.0) -> None:
        """Nothing to stop (the service's owner closes the service)."""


class RecordState(enum.StrEnum):
    """States of a check's stored session (see the module docstring)."""

    REQUESTED = "requested"
    CREATED = "created"
    STARTED = "started"
    PERSISTING = "persisting"
    CLOSED = "closed"


_NEXT: dict[RecordState, frozenset[RecordState]] = {
    RecordState.REQUESTED: frozenset({RecordState.CREATED, RecordState.CLOSED}),
    RecordState.CREATED: frozenset({RecordState.STARTED, RecordState.CLOSED}),
    RecordState.STARTED: frozenset({RecordState.PERSISTING, RecordState.CLOSED}),
    RecordState.PERSISTING: frozenset({RecordState.CLOSED}),
    RecordState.CLOSED: frozenset(),
}


class EndKind(enum.StrEnum):
    """How an unscored check ends its session: FAILED (the participant's time-out) or ERROR."""

    FAIL = "fail"
    ERROR = "error"


@dataclass(frozen=True)
class StoreProblem:
    """Why a check could not be recorded in the session store.

    Attributes
    ----------
    kind:
        ``create`` (the session could not be created), ``start`` (it could not be
        started), ``locked_out`` (it could not be started: the device is locked
        out), ``save`` (the result could not be stored; nothing counts as
        passed) or ``ended`` (another program ended or deleted the session first).
    detail:
        The store's message (for example "the disk is full").
    """

    kind: str
    detail: str


class OwnSessions:
    """Ids of sessions this process created and has not started yet (thread-safe).

    A ``started`` event for any other id came from another program (the local API).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: set[str] = set()

    def add(self, session_id: str) -> None:
        with self._lock:
            self._ids.add(session_id)

    def discard(self, session_id: str) -> None:
        with self._lock:
            self._ids.discard(session_id)

    def __contains__(self, session_id: object) -> bool:
        with self._lock:
            return session_id in self._ids


class StoredCheckListener:
    """What a :class:`StoredCheck` tells its owner (owner's thread). Override what you need."""

    def created(self, stored: "StoredCheck") -> None:
        """The session exists (CREATED): the check may begin."""

    def locked_out(self, stored: "StoredCheck", status: LockoutStatus) -> None:
        """The device is locked out: no session was created, or it could not be started."""

    def store_failed(self, stored: "StoredCheck", problem: StoreProblem) -> None:
        """The store refused a step; the check is over and nothing counts as passed."""

    def saved(self, stored: "StoredCheck", outcome: Outcome) -> None:
        """The outcome is stored; the result may show."""

    def finished(self, record: StoredSession) -> None:
        """The store finished a session (its final status), whichever way it ended."""


def end_session(
    executor: StoreExecutor,
    session_id: str,
    kind: EndKind | str,
    reason: str,
    *,
    done: Callable[[StoredSession | None], None] | None = None,
) -> None:
    """Submit ending ``session_id`` as FAILED (``fail``) or ERROR; ``done`` gets the ended session, or None when it
    had already ended (stored result, storage error, expired)."""
    kind = EndKind(kind)

    def close(service: SessionService) -> StoredSession | None:
        try:
            if kind is EndKind.FAIL:
                try:
                    return service.fail(session_id, reason)
                except SessionStateError:  # never started (CREATED): it cannot fail, it ends in ERROR
                    return service.error(session_id, reason)
            return service.error(session_id, reason)
        except SessionStateError as exc:
            log.info("session %s was already finished; not ending it as %s (%s): %s", session_id, kind.value, reason, exc)
            return None

    executor.submit(close, done=done, what=f"end session {session_id}")


def _remove(path: Path | None) -> None:
    """Delete a plaintext recording (missing is fine)."""
    if path is None:
        return
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not delete the plaintext recording %s: %s", path, exc)


class StoredCheck:
    """The stored session of one check. Build with :meth:`request` or :meth:`adopt`.

    Attributes
    ----------
    state:
        The :class:`RecordState`.
    record:
        The store's session as last answered (None while REQUESTED, or when creation failed).
    problem:
        Why the store refused a step (set when a store failure closed the check).
    unsaved:
        The outcome that could not be stored (kept for the caller: shown nowhere as saved).
    """

    def __init__(
        self, executor: StoreExecutor, listener: StoredCheckListener | None = None, own: OwnSessions | None = None
    ) -> None:
        self.executor = executor
        self.listener = listener or StoredCheckListener()
        self.own = own if own is not None else OwnSessions()
        self.state = RecordState.REQUESTED
        self.record: StoredSession | None = None
        self.problem: StoreProblem | None = None
        self.unsaved: Outcome | None = None
        self.lockout: LockoutStatus | None = None
        self._cancel = threading.Event()
        self._asked = False

    # --- construction ------------------------------------------------------------------------

    @classmethod
    def request(
        cls,
        executor: StoreExecutor,
        settings: SessionSettings,
        listener: StoredCheckListener | None = None,
        own: OwnSessions | None = None,
    ) -> "StoredCheck":
        """A new check asking the store for its session (see :meth:`create`)."""
        stored = cls(executor, listener, own)
        stored.create(settings)
        return stored

    def create(self, settings: SessionSettings) -> None:
        """Ask the store for the session (once, while REQUESTED); ``listener.created`` or a refusal follows.

        Raises
        ------
        ValueError
            When already asked, or not REQUESTED.
        """
        if self.state is not RecordState.REQUESTED or self._asked:
            raise ValueError(
                f"stored session {self.id or '(not created)'}: create() only once, while requested (now {self.state.value})"
            )
        self._asked = True

        def create(service: SessionService) -> StoredSession | LockoutStatus:
            try:
                record = service.create(settings)
            except LockedOut:
                return service.lockout_status()
            self.own.add(record.id)  # before its "started" event can reach the owner
            return record

        self.executor.submit(create, done=self._on_created, failed=self._on_create_failed, what="create a session")

    @classmethod
    def adopt(
        cls,
        executor: StoreExecutor,
        record: StoredSession,
        listener: StoredCheckListener | None = None,
        own: OwnSessions | None = None,
    ) -> "StoredCheck":
        """Run a session that is already IN_PROGRESS (started through the API): STARTED."""
        stored = cls(executor, listener, own)
        stored._asked = True
        stored.record = record
        stored.state = RecordState.STARTED
        return stored

    # --- queries -----------------------------------------------------------------------------

    @property
    def id(self) -> str | None:
        """The store's session id (None until created)."""
        return self.record.id if self.record is not None else None

    @property
    def open(self) -> bool:
        """True while the session exists and has not been closed by this check."""
        return self.state in (RecordState.CREATED, RecordState.STARTED, RecordState.PERSISTING)

    @property
    def persisting(self) -> bool:
        """True while the outcome is being written."""
        return self.state is RecordState.PERSISTING

    def _move(self, target: RecordState) -> None:
        if target not in _NEXT[self.state]:
            raise ValueError(f"stored session {self.id or '(not created)'}: cannot go from {self.state.value} to {target.value}")
        log.debug("stored session %s: %s -> %s", self.id or "-", self.state.value, target.value)
        self.state = target

    # --- commands ----------------------------------------------------------------------------

    def start(self) -> None:
        """Capture began: mark the session IN_PROGRESS (CREATED -> STARTED; no-op when already STARTED).

        Raises
        ------
        ValueError
            From REQUESTED, PERSISTING or CLOSED.
        """
        if self.state is RecordState.STARTED:
            return  # a restarted capture epoch, or a session started through the API
        self._move(RecordState.STARTED)
        assert self.record is not None
        sid = self.record.id
        self.executor.submit(
            lambda service: service.start(sid),
            done=self._on_started,
            failed=self._on_start_failed,
            what=f"start session {sid}",
        )

    def persist(self, outcome: Outcome, recording: Path | None = None) -> None:
        """Store the outcome (STARTED -> PERSISTING); ``listener.saved`` or ``listener.store_failed`` follows.

        Files go first, then the record; a plaintext ``recording`` is deleted afterwards whatever happens
        (stored encrypted by then, or not to be kept). An outcome without a result ends the session FAILED.

        Raises
        ------
        ValueError
            From any state but STARTED.
        """
        self._move(RecordState.PERSISTING)
        assert self.record is not None
        sid = self.record.id
        cancel = self._cancel

        def save(service: SessionService) -> StoredSession | None:
            try:
                if cancel.is_set():  # the check ended meanwhile (time-out, cancel): that end is recorded instead
                    return None
                result = outcome.result
                if result is None:
                    why = outcome.unavailable_reason or "scoring is unavailable"
                    return service.fail(sid, f"the check could not be scored: {why}")
                if result.session_id != sid:
                    result = dataclasses.replace(result, session_id=sid)
                return service.complete(sid, result, recording=recording)
            finally:
                _remove(recording)

        self.executor.submit(
            save,
            done=lambda saved: self._on_saved(outcome, saved),
            failed=lambda exc: self._on_save_failed(outcome, exc),
            what=f"store the result of session {sid}",
        )

    def close(self, kind: EndKind | str, reason: str) -> None:
        """End the check's session as FAILED (``fail``) or ERROR; idempotent (no-op once CLOSED).

        While REQUESTED the check is marked cancelled: the session, once created, ends as ERROR at once.
        While PERSISTING a save that has not begun is skipped; a save already written stays (the store
        refuses ending a finished session).
        """
        kind = EndKind(kind)
        if self.state is RecordState.CLOSED:
            return
        self._cancel.set()
        was = self.state
        self._move(RecordState.CLOSED)
        if was is RecordState.REQUESTED or self.record is None:
            return
        self._end(kind, reason)

    # --- answers -----------------------------------------------------------------------------

    def _end(self, kind: EndKind | str, reason: str) -> None:
        assert self.record is not None
        end_session(self.executor, self.record.id, kind, reason, done=self._on_ended)

    def _on_ended(self, record: StoredSession | None) -> None:
        if record is None:  # it had ended already (a storage failure, another program): show what the store holds
            if self.record is not None:
                sid = self.record.id
                self.executor.submit(
                    lambda service: service.get(sid, with_result=False), done=self._refresh, what=f"read session {sid}"
                )
            return
        self.own.discard(record.id)
        self.record = record
        self.listener.finished(record)

    def _refresh(self, record: StoredSession) -> None:
        self.record = record

    def _on_created(self, answer: StoredSession | LockoutStatus) -> None:
        if isinstance(answer, LockoutStatus):
            if self.state is RecordState.REQUESTED:
                self.lockout = answer
                self._move(RecordState.CLOSED)
                log.info("check refused: the device is locked out until %s", answer.until)
                self.listener.locked_out(self, answer)
            return
        self.record = answer
        if self.state is not RecordState.REQUESTED:  # cancelled while the store worked
            self._end(EndKind.ERROR, "cancelled before the check began")
            return
        self._move(RecordState.CREATED)
        self.listener.created(self)

    def _on_create_failed(self, exc: BaseException) -> None:
        if self.state is not RecordState.REQUESTED:
            return
        log.error("a session could not be created: %s", exc)
        self._fail_closed(StoreProblem("create", str(exc)))

    def _on_started(self, started: StoredSession) -> None:
        self.own.discard(started.id)  # its "started" event was delivered before this answer (same thread, same order)
        self.record = started  # answers arrive in submission order: a later end overwrites it

    def _on_start_failed(self, exc: BaseException) -> None:
        assert self.record is not None
        self.own.discard(self.record.id)
        if self.state is not RecordState.STARTED:
            return
        log.error("session %s could not be started: %s", self.record.id, exc)
        self._end(EndKind.ERROR, f"could not be started: {exc}")
        if isinstance(exc, LockedOut):
            self._fail_closed(StoreProblem("locked_out", str(exc)))
            self.executor.submit(lambda service: service.lockout_status(), done=self._on_lockout_status, what="lock-out status")
        else:
            self._fail_closed(StoreProblem("start", str(exc)))

    def _on_lockout_status(self, status: LockoutStatus) -> None:
        self.lockout = status
        self.listener.locked_out(self, status)

    def _on_saved(self, outcome: Outcome, saved: StoredSession | None) -> None:
        if saved is not None:
            self.record = saved
            self.own.discard(saved.id)
            self.listener.finished(saved)
        if self.state is not RecordState.PERSISTING:
            return  # closed meanwhile (time-out, cancel): that end was recorded instead
        self._move(RecordState.CLOSED)
        self.listener.saved(self, outcome)

    def _on_save_failed(self, outcome: Outcome, exc: BaseException) -> None:
        assert self.record is not None
        log.error("the result of session %s could not be stored: %s", self.record.id, exc)
        # StoreError: the service already made it ERROR("storage failed") and removed what it had written.
        # Anything else (a result that cannot be encoded, a session ended elsewhere) is closed as ERROR here
        # if it is still open.
        self._end(EndKind.ERROR, f"the result could not be stored: {exc}")
        if self.state is not RecordState.PERSISTING:
            return
        self.unsaved = outcome
        kind = "ended" if isinstance(exc, SessionError) and not isinstance(exc, StoreError) else "save"
        self._fail_closed(StoreProblem(kind, str(exc)))

    def _fail_closed(self, problem: StoreProblem) -> None:
        self._move(RecordState.CLOSED)
        self.problem = problem
        self.listener.store_failed(self, problem)
