"""Session lifecycle: single use, expiry, lock-out, retention, listeners (no sleeping: ManualClock)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.sessions import (
    CREATED,
    ERROR,
    EXPIRED,
    FAILED,
    IN_PROGRESS,
    SUCCEEDED,
    LockedOut,
    ManualClock,
    NoKioskAttached,
    PinRejected,
    SessionExpired,
    SessionNotFound,
    SessionSettings,
    SessionStateError,
    hash_pin,
)
from app.core.sessions.service import SessionEvent
from app.core.settings import Settings, replace
from app.devtools.synthetic_results import make_service, synthetic_result


@pytest.fixture()
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture()
def service(tmp_path: Path, clock: ManualClock):
    svc = make_service(tmp_path, clock=clock)
    yield svc
    svc.close()


def _run(service, *, decision: str = "pass", **create):
    session = service.create(**create)
    service.start(session.id)
    return service.complete(session.id, synthetic_result(session.id, decision=decision))


def test_happy_path_records_times_versions_and_files(service, clock) -> None:
    created = service.create(customer_ref="C-42", operator_ref="desk 3")
    assert created.status == CREATED and len(created.id) >= 32
    clock.advance(5)
    started = service.start(created.id)
    assert started.status == IN_PROGRESS and started.started_at == created.created_at + 5
    clock.advance(3)
    done = service.complete(created.id, synthetic_result(created.id))
    assert done.status == SUCCEEDED and done.decision == "pass" and done.confidence == pytest.approx(87.5)
    assert done.finished_at == created.created_at + 8
    assert {"app", "config", "minifasnet"} <= set(done.versions)
    assert [f.role for f in done.files] == ["reference", "audit-0", "audit-1", "audit-2", "audit-3"]
    assert done.result is not None and done.result["Session"]["CustomerReference"] == "C-42"
    assert done.result["Signature"]["KeyId"] == service.key_id


def test_ids_are_unguessable_and_unique(service) -> None:
    ids = {service.create().id for _ in range(50)}
    assert len(ids) == 50
    assert all(len(i) == 32 for i in ids)


def test_sessions_are_single_use(service) -> None:
    session = service.create()
    service.start(session.id)
    with pytest.raises(SessionStateError):
        service.start(session.id)
    service.complete(session.id, synthetic_result(session.id))
    with pytest.raises(SessionStateError):
        service.complete(session.id, synthetic_result(session.id))
    with pytest.raises(SessionStateError):
        service.start(session.id)


def test_created_session_expires(service, clock) -> None:
    session = service.create()
    clock.advance(service.settings.session_expiry_s - 1)
    assert service.get(session.id).status == CREATED
    clock.advance(1)
    assert service.get(session.id).status == EXPIRED
    with pytest.raises(SessionExpired):
        service.start(session.id)


def test_stuck_in_progress_session_times_out(service, clock) -> None:
    session = service.create()
    service.start(session.id)
    clock.advance(service.in_progress_timeout_s + 1)
    assert service.expire_due() == [session.id]
    stuck = service.get(session.id)
    assert stuck.status == ERROR and stuck.reason == "timed out"


def test_unknown_and_malformed_ids(service) -> None:
    for bad in ("nope", "x" * 40, "../../etc/passwd", ""):
        with pytest.raises(SessionNotFound):
            service.get(bad)
    with pytest.raises(SessionNotFound):
        service.delete("A" * 32)


def test_result_for_another_session_is_refused(service) -> None:
    session = service.create()
    service.start(session.id)
    with pytest.raises(ValueError, match="not"):
        service.complete(session.id, synthetic_result("someone-else-entirely-0000"))
    assert service.get(session.id).status == IN_PROGRESS


def test_audit_image_limit_is_applied(service) -> None:
    done = _run(service, settings=SessionSettings(audit_images=1))
    assert [f.role for f in done.files] == ["reference", "audit-0"]
    assert len(done.result["AuditImages"]) == 1


@pytest.mark.parametrize(
    "overrides",
    [{"audit_images": 5}, {"audit_images": -1}, {"threshold": 101.0}, {"challenge": "Dance"}, {"customer_ref": "x" * 201}, {"operator_ref": "a\nb"}],
)
def test_bad_session_settings_are_refused(service, overrides) -> None:
    with pytest.raises(ValueError):
        service.create(**overrides)


def test_fail_and_error_end_sessions(service) -> None:
    a = service.create()
    service.start(a.id)
    assert service.fail(a.id, "The face left the oval.").status == FAILED
    b = service.create()
    assert service.error(b.id, "cancelled").status == ERROR
    with pytest.raises(SessionStateError):
        service.fail(b.id, "too late")


def test_listeners_get_events_and_can_unsubscribe(service) -> None:
    events: list[SessionEvent] = []
    unsubscribe = service.subscribe(events.append)
    session = service.create()
    service.start(session.id)
    service.complete(session.id, synthetic_result(session.id))
    assert [e.kind for e in events] == ["created", "started", "finished"]
    assert events[1].session is not None and events[1].session.status == IN_PROGRESS
    unsubscribe()
    service.create()
    assert len(events) == 3


def test_a_broken_listener_does_not_break_the_lifecycle(service) -> None:
    def broken(event: SessionEvent) -> None:
        raise RuntimeError("listener bug")

    service.subscribe(broken)
    session = service.create()
    assert service.start(session.id).status == IN_PROGRESS


def test_start_needs_a_kiosk(tmp_path: Path, clock) -> None:
    svc = make_service(tmp_path, clock=clock, kiosk=False)
    try:
        session = svc.create()
        with pytest.raises(NoKioskAttached):
            svc.start(session.id)
        assert svc.get(session.id).status == CREATED
    finally:
        svc.close()


def test_lockout_after_failures_in_window(service, clock) -> None:
    for _ in range(4):
        _run(service, decision="fail")
        clock.advance(10)
    assert not service.lockout_status().locked
    pending = service.create()
    _run(service, decision="fail")
    status = service.lockout_status()
    assert status.locked and status.until == pytest.approx(clock.now() + service.settings.lockout_duration_s)
    assert "try again" in status.message.lower()
    with pytest.raises(LockedOut):
        service.create()
    with pytest.raises(LockedOut):
        service.start(pending.id)
    clock.advance(service.settings.lockout_duration_s)
    assert not service.lockout_status().locked
    # The window starts afresh after a lock-out: one more failure does not lock again.
    _run(service, decision="fail")
    assert not service.lockout_status().locked


def test_failures_outside_the_window_do_not_lock(service, clock) -> None:
    for _ in range(10):
        _run(service, decision="fail")
        clock.advance(service.settings.lockout_window_s / 4 + 1)
    assert not service.lockout_status().locked


def test_lockout_survives_a_restart(tmp_path: Path, clock) -> None:
    svc = make_service(tmp_path, clock=clock)
    for _ in range(5):
        _run(svc, decision="fail")
    svc.close()
    svc = make_service(tmp_path, clock=clock)
    try:
        assert svc.lockout_status().locked
    finally:
        svc.close()


def test_lockout_override_needs_the_pin(service) -> None:
    for _ in range(5):
        _run(service, decision="fail")
    with pytest.raises(PinRejected, match="no operator PIN"):
        service.override_lockout("1234")
    service.update_settings(replace(service.settings, kiosk_pin_hash=hash_pin("2468")))
    with pytest.raises(PinRejected, match="wrong"):
        service.override_lockout("1357")
    assert service.lockout_status().locked
    service.override_lockout("2468")
    assert not service.lockout_status().locked
    service.create()


def test_lockout_can_be_disabled(tmp_path: Path, clock) -> None:
    svc = make_service(tmp_path, clock=clock, settings=Settings(lockout_enabled=False))
    try:
        for _ in range(8):
            _run(svc, decision="fail")
        assert not svc.lockout_status().locked
    finally:
        svc.close()


def test_retention_purge_deletes_records_and_files(service, clock) -> None:
    old = _run(service)
    folder = service.store.session_dir(old.id)
    assert len(list(folder.iterdir())) == 5
    clock.advance(10 * 86400)
    recent = _run(service)
    clock.advance(21 * 86400)  # old: 31 days, recent: 21 days
    assert service.purge() == [old.id]
    assert not folder.exists()
    with pytest.raises(SessionNotFound):
        service.get(old.id)
    assert service.get(recent.id).status == SUCCEEDED


def test_purge_runs_automatically(service, clock) -> None:
    old = _run(service)
    clock.advance(31 * 86400)
    service.create()  # maintenance runs when it is due
    with pytest.raises(SessionNotFound):
        service.get(old.id)


def test_zero_retention_means_no_automatic_purge(tmp_path: Path, clock) -> None:
    svc = make_service(tmp_path, clock=clock, settings=Settings(retention_days=0))
    try:
        old = _run(svc)
        clock.advance(400 * 86400)
        assert svc.purge() == []
        assert svc.get(old.id).status == SUCCEEDED
        assert svc.purge(older_than_days=0) == [old.id]
    finally:
        svc.close()


def test_delete_really_removes_files(service) -> None:
    done = _run(service)
    folder = service.store.session_dir(done.id)
    assert folder.is_dir()
    service.delete(done.id)
    assert not folder.exists()
    with pytest.raises(SessionNotFound):
        service.get(done.id)


def test_search_filters(service, clock) -> None:
    a = _run(service, customer_ref="alice")
    clock.advance(60)
    b = service.create(customer_ref="bob")
    clock.advance(60)
    c = _run(service, decision="fail", customer_ref="alice")
    assert [s.id for s in service.search(customer_ref="alice")] == [c.id, a.id]
    assert [s.id for s in service.search(status=CREATED)] == [b.id]
    assert [s.id for s in service.search(since=b.created_at)] == [c.id, b.id]
    assert [s.id for s in service.search(until=b.created_at)] == [a.id]
    assert [s.id for s in service.search(limit=1)] == [c.id]
    assert service.search(limit=1, offset=1)[0].id == b.id
    with pytest.raises(ValueError):
        service.search(status="DONE")


def test_recording_is_kept_encrypted_and_plaintext_removed(service, tmp_path: Path) -> None:
    recording = tmp_path / "check.lgrec"
    recording.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 100)
    session = service.create(keep_recording=True)
    service.start(session.id)
    done = service.complete(session.id, synthetic_result(session.id), recording=recording)
    stored = done.file("recording")
    assert stored is not None and stored.size == 4 + 25600
    assert not recording.exists()
    assert b"PK\x03\x04" not in (service.store.session_dir(done.id) / stored.name).read_bytes()
    assert done.result["Recording"]["Sha256"] == stored.sha256


def test_recording_is_not_kept_unless_asked(service, tmp_path: Path) -> None:
    recording = tmp_path / "check.lgrec"
    recording.write_bytes(b"data")
    session = service.create(keep_recording=False)
    service.start(session.id)
    done = service.complete(session.id, synthetic_result(session.id), recording=recording)
    assert done.file("recording") is None and recording.exists()


def test_session_ids_never_look_like_command_line_options() -> None:
    """An id starting with "-" broke `livegate sessions export ID` (argparse took it for an option)."""
    from app.core.sessions.model import is_session_id, new_session_id

    ids = {new_session_id() for _ in range(3000)}
    assert len(ids) == 3000
    assert all(i[0].isalnum() and is_session_id(i) and len(i) == 32 for i in ids)


@pytest.mark.parametrize("value", ["a\n", "\n", "x\ry", "tab\there", "bell\x07"])
def test_references_with_control_characters_are_refused(value: str) -> None:
    from app.core.sessions.model import check_reference

    with pytest.raises(ValueError, match="control characters"):
        check_reference("customer_ref", value)
    assert check_reference("customer_ref", "Branch 12 / Desk 3") == "Branch 12 / Desk 3"
