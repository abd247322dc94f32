"""The stored session of a check as a state machine, without Qt: transitions, refusals, a failing store, cancel."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.check.flow import Outcome
from app.core.check.stored import InlineStoreExecutor, RecordState, StoredCheck, StoredCheckListener, StoreProblem
from app.core.errors import StoreError
from app.core.sessions import LockoutStatus, SessionSettings
from app.core.sessions.service import SessionService
from app.core.sessions import Session as StoredSession
from app.core.settings import Settings
from app.devtools.synthetic_results import make_service, synthetic_result


class Recorder(StoredCheckListener):
    """Remembers every announcement."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def created(self, stored: StoredCheck) -> None:
        self.events.append(("created", stored.id))

    def locked_out(self, stored: StoredCheck, status: LockoutStatus) -> None:
        self.events.append(("locked_out", status))

    def store_failed(self, stored: StoredCheck, problem: StoreProblem) -> None:
        self.events.append(("store_failed", problem))

    def saved(self, stored: StoredCheck, outcome: Outcome) -> None:
        self.events.append(("saved", outcome))

    def finished(self, record: StoredSession) -> None:
        self.events.append(("finished", record))

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]


class DeferredExecutor(InlineStoreExecutor):
    """Queues jobs until :meth:`run_all` (the store thread has not got to them yet)."""

    def __init__(self, service: SessionService) -> None:
        super().__init__(service)
        self.queued: list[Callable[[], None]] = []

    def submit(self, job: Any, *, done: Any = None, failed: Any = None, what: str = "") -> None:
        self.queued.append(lambda: InlineStoreExecutor.submit(self, job, done=done, failed=failed, what=what))

    def run_all(self) -> None:
        while self.queued:
            self.queued.pop(0)()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[SessionService]:
    svc = make_service(tmp_path / "data", settings=Settings(), kiosk=True)
    yield svc
    svc.close()


def settings() -> SessionSettings:
    return SessionSettings.from_settings(Settings())


def started(service: SessionService, listener: Recorder) -> StoredCheck:
    stored = StoredCheck.request(InlineStoreExecutor(service), settings(), listener)
    stored.start()
    assert stored.state is RecordState.STARTED
    return stored


def scored(stored: StoredCheck, decision: str = "pass") -> Outcome:
    assert stored.id is not None
    return Outcome(synthetic_result(stored.id, decision=decision, audit=2))


def test_a_check_walks_requested_created_started_persisting_closed(service: SessionService) -> None:
    listener = Recorder()
    executor = DeferredExecutor(service)
    stored = StoredCheck(executor, listener)
    assert stored.state is RecordState.REQUESTED and not stored.open
    stored.create(settings())
    executor.run_all()
    assert stored.state is RecordState.CREATED and listener.kinds() == ["created"]
    assert service.get(stored.id).status == "CREATED"  # type: ignore[arg-type]
    stored.start()
    stored.start()  # a restarted capture epoch: no second start
    assert stored.state is RecordState.STARTED and len(executor.queued) == 1
    executor.run_all()
    assert stored.record is not None and stored.record.status == "IN_PROGRESS"
    stored.persist(scored(stored))
    assert stored.state is RecordState.PERSISTING and stored.persisting
    executor.run_all()
    assert stored.state is RecordState.CLOSED and not stored.open
    assert listener.kinds() == ["created", "finished", "saved"]
    assert (stored.record.status, stored.record.decision) == ("SUCCEEDED", "pass")
    assert service.image(stored.id, "reference")[:2] == b"\xff\xd8"  # type: ignore[arg-type]


def test_an_outcome_without_a_result_ends_failed_never_passed(service: SessionService) -> None:
    listener = Recorder()
    stored = started(service, listener)
    stored.persist(Outcome(None, "the scoring module is not installed in this build"))
    record = service.get(stored.id)  # type: ignore[arg-type]
    assert (record.status, record.decision) == ("FAILED", None)
    assert "could not be scored" in record.reason and "not installed" in record.reason
    assert listener.kinds() == ["created", "finished", "saved"]


@pytest.mark.parametrize(
    ("prepare", "command", "message"),
    [
        ("created", "persist", "cannot go from created to persisting"),
        ("closed", "start", "cannot go from closed to started"),
        ("persisted", "persist", "cannot go from closed to persisting"),
        ("requested", "start", "cannot go from requested to started"),
        ("created", "create", "create() only once"),
    ],
)
def test_illegal_transitions_raise_a_clear_value_error(service: SessionService, prepare: str, command: str, message: str) -> None:
    executor = DeferredExecutor(service)
    stored = StoredCheck(executor, Recorder())
    if prepare != "requested":
        stored.create(settings())
        executor.run_all()
    if prepare == "closed":
        stored.close("error", "cancelled")
    elif prepare == "persisted":
        stored.start()
        stored.persist(scored(stored))
        executor.run_all()
    before = stored.state
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        if command == "persist":
            stored.persist(scored(stored) if stored.id else Outcome(None, "x"))
        elif command == "start":
            stored.start()
        else:
            stored.create(settings())
    assert stored.state is before  # a refused command changes nothing


def test_a_store_failing_mid_write_ends_in_a_clear_error_and_reports_nothing_saved(
    service: SessionService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listener = Recorder()
    stored = started(service, listener)
    real_write = service.store.write_file
    written: list[str] = []

    def second_write_fails(session_id: str, role: str, source: Any, *, media_type: str) -> Any:
        if written:  # the reference is on disk; the first audit image is not
            raise StoreError(f"cannot write {role}.enc: the disk is full")
        written.append(role)
        return real_write(session_id, role, source, media_type=media_type)

    monkeypatch.setattr(service.store, "write_file", second_write_fails)
    recording = tmp_path / "capture.lgrec"
    recording.write_bytes(b"plaintext frames")
    outcome = scored(stored)
    stored.persist(outcome, recording)

    assert written == ["reference"]
    assert stored.state is RecordState.CLOSED
    assert stored.problem == StoreProblem("save", "cannot write audit-0.enc: the disk is full")
    assert "saved" not in listener.kinds() and listener.kinds()[-1] == "store_failed"
    assert stored.unsaved is outcome  # kept for the caller; shown nowhere as saved
    record = service.get(stored.id)  # type: ignore[arg-type]
    assert record.status == "ERROR" and record.reason.startswith("storage failed") and record.decision is None
    assert not service.store.session_dir(record.id).exists()  # the half-written reference was removed
    assert not recording.exists()  # no plaintext left behind
    assert stored.record is not None and stored.record.status == "ERROR"
    stored.close("error", "cancelled")  # already closed: nothing changes
    assert service.get(record.id).reason == record.reason


def test_a_session_ended_elsewhere_before_the_save_is_reported_as_ended(service: SessionService) -> None:
    listener = Recorder()
    stored = started(service, listener)
    service.error(stored.id, "ended by an operator")  # type: ignore[arg-type]
    stored.persist(scored(stored))
    assert stored.state is RecordState.CLOSED and stored.problem is not None and stored.problem.kind == "ended"
    assert service.get(stored.id).reason == "ended by an operator"  # type: ignore[arg-type]


def test_cancel_while_requested_ends_the_session_once_it_exists(service: SessionService) -> None:
    listener = Recorder()
    executor = DeferredExecutor(service)
    stored = StoredCheck.request(executor, settings(), listener)
    stored.close("error", "cancelled")
    assert stored.state is RecordState.CLOSED and service.list() == []
    executor.run_all()
    (record,) = service.list()
    assert (record.status, record.reason) == ("ERROR", "cancelled before the check began")
    assert "created" not in listener.kinds() and listener.kinds() == ["finished"]


@pytest.mark.parametrize(("state", "kind", "status"), [("created", "fail", "ERROR"), ("created", "error", "ERROR"),
                                                      ("started", "fail", "FAILED"), ("started", "error", "ERROR")])
def test_cancel_while_created_or_started(service: SessionService, state: str, kind: str, status: str) -> None:
    listener = Recorder()
    stored = StoredCheck.request(InlineStoreExecutor(service), settings(), listener)
    if state == "started":
        stored.start()
    stored.close(kind, "time-out: no face")
    assert stored.state is RecordState.CLOSED
    record = service.get(stored.id)  # type: ignore[arg-type]
    # A session never started cannot fail (it did not run): it ends in ERROR either way.
    assert (record.status, record.reason) == (status, "time-out: no face")
    assert listener.kinds()[-1] == "finished" and stored.record == record


def test_cancel_while_persisting_skips_a_save_that_has_not_begun(service: SessionService, tmp_path: Path) -> None:
    listener = Recorder()
    executor = DeferredExecutor(service)
    stored = StoredCheck.request(executor, settings(), listener)
    executor.run_all()
    stored.start()
    executor.run_all()
    recording = tmp_path / "capture.lgrec"
    recording.write_bytes(b"plaintext frames")
    stored.persist(scored(stored), recording)
    stored.close("error", "cancelled")
    assert stored.state is RecordState.CLOSED
    executor.run_all()
    record = service.get(stored.id)  # type: ignore[arg-type]
    assert (record.status, record.reason, record.decision) == ("ERROR", "cancelled", None)
    assert "saved" not in listener.kinds()
    assert not recording.exists()


def test_close_is_idempotent(service: SessionService) -> None:
    listener = Recorder()
    stored = started(service, listener)
    stored.close("error", "cancelled")
    stored.close("error", "the app was closed during the check")
    stored.close("fail", "time-out")
    assert listener.kinds().count("finished") == 1
    assert service.get(stored.id).reason == "cancelled"  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'later'"):
        stored.close("later", "x")


def test_a_locked_out_device_closes_the_request_without_a_session(service: SessionService) -> None:
    for _ in range(service.policy.failures):
        other = service.create()
        service.start(other.id)
        service.fail(other.id, "no")
    listener = Recorder()
    stored = StoredCheck.request(InlineStoreExecutor(service), settings(), listener)
    assert stored.state is RecordState.CLOSED and stored.record is None
    assert listener.kinds() == ["locked_out"] and stored.lockout is not None and stored.lockout.locked


def test_a_store_that_cannot_create_reports_it(service: SessionService, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise StoreError("the database is read-only")

    monkeypatch.setattr(service, "create", broken)
    listener = Recorder()
    stored = StoredCheck.request(InlineStoreExecutor(service), settings(), listener)
    assert stored.state is RecordState.CLOSED and stored.problem == StoreProblem("create", "the database is read-only")
    assert listener.kinds() == ["store_failed"]
