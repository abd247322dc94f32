"""A lock-out that no clock change, settings edit or removed row ends (ManualClock: no sleeping)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from app.core.sessions import LockedOut, ManualClock, PinRejected, hash_pin
from app.core.sessions.lockout import JOURNAL_NAME, RECORD_KEY
from app.core.settings import Settings, load_settings, replace
from app.core.store.db import DB_NAME
from app.devtools.synthetic_results import make_service, synthetic_result

PIN = "246813"
PIN_HASH = hash_pin(PIN, salt=b"0123456789abcdef")
SETTINGS = Settings(lockout_failures=3, lockout_window_s=180.0, lockout_duration_s=1800.0, kiosk_pin_hash=PIN_HASH)


@pytest.fixture()
def clock() -> ManualClock:
    return ManualClock()


def _fail(service) -> None:
    session = service.create()
    service.start(session.id)
    service.complete(session.id, synthetic_result(session.id, decision="fail"))


def _lock(service) -> None:
    for _ in range(service.policy.failures):
        if service.lockout_status().locked:
            break
        _fail(service)
    assert service.lockout_status().locked


def _db(root: Path) -> Path:
    return root / "sessions" / DB_NAME


def test_a_pause_survives_the_clock_set_forward_an_hour_and_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    svc = make_service(tmp_path, clock=clock, settings=SETTINGS)
    _lock(svc)
    clock.advance(60)
    clock.set_wall(3600)  # someone sets the clock an hour ahead: the old lock-out ended on that
    status = svc.lockout_status()
    assert status.locked and status.until == pytest.approx(clock.now() + 1740)
    with pytest.raises(LockedOut):
        svc.create()
    svc.close()
    svc = make_service(tmp_path, clock=clock, settings=SETTINGS)  # a restart on the same boot
    try:
        status = svc.lockout_status()
        assert status.locked and status.until == pytest.approx(clock.now() + 1740)
        clock.advance(1739)
        assert svc.lockout_status().locked
        clock.advance(2)  # real time served: the pause ends
        assert not svc.lockout_status().locked
        svc.create()
    finally:
        svc.close()


def test_a_clock_set_back_or_a_reboot_does_not_end_or_lengthen_what_was_served(tmp_path: Path, clock: ManualClock) -> None:
    svc = make_service(tmp_path, clock=clock, settings=SETTINGS)
    try:
        _lock(svc)
        clock.advance(600)
        clock.set_wall(-7200)
        assert svc.lockout_status().until == pytest.approx(clock.now() + 1200)
    finally:
        svc.close()
    clock.reboot(downtime_s=86400)  # a day of wall time while switched off: not counted, nothing to prove it
    svc = make_service(tmp_path, clock=clock, settings=SETTINGS)
    try:
        assert svc.lockout_status().until == pytest.approx(clock.now() + 1200)
        clock.advance(1201)
        assert not svc.lockout_status().locked
    finally:
        svc.close()


def test_failures_spread_by_a_clock_jump_still_count_in_the_window(tmp_path: Path, clock: ManualClock) -> None:
    svc = make_service(tmp_path, clock=clock, settings=SETTINGS)
    try:
        _fail(svc)
        _fail(svc)
        clock.set_wall(3600)  # would push the first two out of a wall-clock window
        _fail(svc)
        assert svc.lockout_status().locked
    finally:
        svc.close()


def test_disabling_the_lockout_without_the_pin_is_refused(tmp_path: Path, clock: ManualClock, monkeypatch) -> None:
    svc = make_service(tmp_path, clock=clock, settings=SETTINGS)
    try:
        _lock(svc)
        svc.update_settings(replace(SETTINGS, lockout_enabled=False, lockout_duration_s=1.0))  # a settings.json edit
        assert svc.policy.enabled and svc.policy.duration_s == 1800.0
        assert svc.lockout_status().locked
        assert "lockout_enabled: True -> False" in svc.lockout_changes_pending()
        with pytest.raises(PinRejected, match="wrong"):
            svc.confirm_lockout_settings("135790")
        assert svc.lockout_status().locked
        # Replacing the PIN hash in the settings file too does not help: the sealed PIN guards the change.
        svc.update_settings(replace(SETTINGS, lockout_enabled=False, kiosk_pin_hash=hash_pin("999999")))
        with pytest.raises(PinRejected):
            svc.confirm_lockout_settings("999999")
        with pytest.raises(PinRejected):
            svc.override_lockout("999999")
        assert svc.lockout_status().locked and svc.policy.enabled
    finally:
        svc.close()
    # The environment switch at the next start changes nothing either.
    monkeypatch.setenv("LIVEGATE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LIVEGATE_LOCKOUT_ENABLED", "false")
    settings = replace(load_settings(), kiosk_pin_hash=PIN_HASH)
    assert settings.lockout_enabled is False
    svc = make_service(tmp_path, clock=clock, settings=settings)
    try:
        assert svc.policy.enabled and svc.lockout_status().locked
        with pytest.raises(LockedOut):
            svc.create()
        # Three wrong PINs above started the wrong-PIN back-off (kept across the restart): even the right PIN waits.
        with pytest.raises(PinRejected, match="tried too often"):
            svc.confirm_lockout_settings(PIN)
        clock.advance(31.0)
        svc.confirm_lockout_settings(PIN)  # the operator agrees: now it is off
        assert not svc.policy.enabled and not svc.lockout_status().locked
        assert svc.lockout_changes_pending() == []
    finally:
        svc.close()


def test_without_any_pin_the_policy_cannot_be_changed(tmp_path: Path, clock: ManualClock) -> None:
    svc = make_service(tmp_path, clock=clock, settings=Settings())
    try:
        svc.update_settings(Settings(lockout_enabled=False))
        with pytest.raises(PinRejected, match="no operator PIN"):
            svc.confirm_lockout_settings("")
        assert svc.policy.enabled
        # The first PIN ever set is adopted as it is, and then guards the change.
        svc.update_settings(Settings(lockout_enabled=False, kiosk_pin_hash=PIN_HASH))
        assert svc.policy.enabled
        svc.confirm_lockout_settings(PIN)
        assert not svc.policy.enabled
    finally:
        svc.close()


def test_a_pin_changed_through_the_settings_takes_over_once_the_old_pin_confirms(tmp_path: Path, clock: ManualClock) -> None:
    svc = make_service(tmp_path, clock=clock, settings=SETTINGS)
    try:
        _lock(svc)
        new = hash_pin("777777")
        svc.update_settings(replace(SETTINGS, kiosk_pin_hash=new))
        assert svc.lockout_changes_pending() == ["operator PIN changed"]
        svc.confirm_lockout_settings(PIN)
        with pytest.raises(PinRejected):
            svc.override_lockout(PIN)
        svc.override_lockout("777777")
        assert not svc.lockout_status().locked
    finally:
        svc.close()


def _delete_record(root: Path) -> None:
    with sqlite3.connect(_db(root)) as db:
        db.execute("DELETE FROM state WHERE key = ?", (RECORD_KEY,))
        db.execute("DELETE FROM state WHERE key LIKE 'lockout%'")
        db.execute("DELETE FROM failures")


def test_deleting_the_lockout_rows_is_detected_at_the_next_start(tmp_path: Path, clock: ManualClock) -> None:
    svc = make_service(tmp_path, clock=clock, settings=SETTINGS)
    _lock(svc)
    svc.close()
    _delete_record(tmp_path)
    svc = make_service(tmp_path, clock=clock, settings=SETTINGS)
    try:
        status = svc.lockout_status()
        assert status.locked and status.needs_operator and status.until is None
        assert "staff" in status.message
        with pytest.raises(LockedOut):
            svc.create()
        clock.advance(7 * 86400)  # no amount of time ends it
        assert svc.lockout_status().locked
    finally:
        svc.close()
    svc = make_service(tmp_path, clock=clock, settings=SETTINGS)  # still there after another restart
    try:
        assert svc.lockout_status().needs_operator
        with pytest.raises(PinRejected):
            svc.override_lockout("000000")
        svc.override_lockout(PIN)  # the operator confirms
        assert not svc.lockout_status().locked
        svc.create()
    finally:
        svc.close()
    svc = make_service(tmp_path, clock=clock, settings=SETTINGS)
    try:
        assert not svc.lockout_status().locked  # confirmed for good, not just in memory
    finally:
        svc.close()


def test_a_lost_write_ahead_log_is_detected(tmp_path: Path, clock: ManualClock) -> None:
    svc = make_service(tmp_path, clock=clock, settings=SETTINGS)
    _fail(svc)
    svc.close()
    backup = tmp_path / "backup"
    shutil.copytree(tmp_path / "sessions", backup)
    svc = make_service(tmp_path, clock=clock, settings=SETTINGS)
    _lock(svc)
    svc.close()
    # The database goes back to before the lock-out (what losing the WAL does); the journal beside it does not.
    for item in backup.iterdir():
        if item.name != JOURNAL_NAME and item.is_file():
            shutil.copy2(item, tmp_path / "sessions" / item.name)
    svc = make_service(tmp_path, clock=clock, settings=SETTINGS)
    try:
        status = svc.lockout_status()
        assert status.locked and status.needs_operator
    finally:
        svc.close()


def test_a_removed_journal_or_an_edited_record_is_detected(tmp_path: Path, clock: ManualClock) -> None:
    svc = make_service(tmp_path, clock=clock, settings=SETTINGS)
    _fail(svc)
    svc.close()
    (tmp_path / "sessions" / JOURNAL_NAME).unlink()
    svc = make_service(tmp_path, clock=clock, settings=SETTINGS)
    assert svc.lockout_status().needs_operator
    svc.override_lockout(PIN)
    svc.close()
    with sqlite3.connect(_db(tmp_path)) as db:
        raw = db.execute("SELECT value FROM state WHERE key = ?", (RECORD_KEY,)).fetchone()[0]
        db.execute("UPDATE state SET value = ? WHERE key = ?", (raw.replace('"enabled": true', '"enabled": false'), RECORD_KEY))
    svc = make_service(tmp_path, clock=clock, settings=SETTINGS)
    try:
        assert svc.lockout_status().needs_operator and svc.policy.enabled
    finally:
        svc.close()


def test_a_reader_checks_but_never_writes_the_record(tmp_path: Path, clock: ManualClock) -> None:
    svc = make_service(tmp_path, clock=clock, settings=SETTINGS)
    _lock(svc)
    svc.close()
    journal = tmp_path / "sessions" / JOURNAL_NAME
    before = journal.read_bytes()
    clock.advance(600)
    reader = make_service(tmp_path, clock=clock, settings=SETTINGS, owner=False)
    try:
        assert reader.lockout_status().locked
    finally:
        reader.close()
    assert journal.read_bytes() == before


def test_the_retention_purge_is_not_held_off_by_a_clock_that_was_set_ahead(tmp_path: Path, clock: ManualClock) -> None:
    svc = make_service(tmp_path, clock=clock, settings=replace(SETTINGS, retention_days=1.0))
    try:
        old = svc.create()
        svc.error(old.id, "cancelled")
        svc.store.set_state("last_purge", repr(clock.now() + 30 * 86400))  # purged once while the clock was a month ahead
        clock.advance(2 * 86400)
        svc.maintain()
        assert svc.search(limit=10) == []
    finally:
        svc.close()
