"""The kiosk screen for a removed lock-out record, and lock-out settings that need the operator PIN."""

from __future__ import annotations

import sqlite3
import time

import pytest

from app.core.challenge import MOVEMENT_ONLY
from app.core.sessions import ManualClock
from app.core.sessions.lockout import RECORD_KEY
from app.core.settings import Settings, load_settings, replace
from app.core.store.db import DB_NAME
from app.devtools.synthetic_results import make_service
from app.gui.kiosk import PinDialog
from test_gui_screens import Puppet
from test_gui_sessions import PIN_HASH, build, wait_page  # noqa: F401 - build is a fixture

pytestmark = pytest.mark.gui


def test_a_removed_lockout_record_pauses_the_kiosk_until_staff_confirm(qtbot, build, tmp_path) -> None:  # noqa: F811
    clock = ManualClock(time.time())
    settings = Settings(kiosk_pin_hash=PIN_HASH)
    root = tmp_path / "store"
    make_service(root, clock=clock, settings=settings).close()
    with sqlite3.connect(root / "sessions" / DB_NAME) as db:
        db.execute("DELETE FROM state WHERE key = ?", (RECORD_KEY,))
    service = make_service(root, clock=clock, settings=settings, kiosk=False)
    try:
        window = build(Puppet(), settings=settings, service=service, clock=clock)
        with qtbot.waitSignal(window.controller.lockedOut, timeout=5000):
            window.start_check(challenge_type=MOVEMENT_ONLY)
        assert window.page_name == "lockout"
        page = window.lockout_page
        assert "until a member of staff confirms it" in page.body.text()
        clock.advance(86400)
        window.refresh_lockout()
        assert window.page_name == "lockout"  # time does not end it
        page.override.click()
        dialog = window.findChild(PinDialog)
        assert dialog is not None
        dialog.pin.setText("1357")
        with qtbot.waitSignal(dialog.granted, timeout=20000):
            dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
        wait_page(qtbot, window, "start")
        assert not service.lockout_status().locked
        with qtbot.waitSignal(window.controller.captureStarted, timeout=10000):
            window.start_check(challenge_type=MOVEMENT_ONLY)
        window.go_home()
    finally:
        for w in list(window.findChildren(PinDialog)):
            w.close()


def test_turning_the_lockout_off_in_the_settings_needs_the_pin(qtbot, build, tmp_path) -> None:  # noqa: F811
    settings = Settings(kiosk_pin_hash=PIN_HASH)
    window = build(Puppet(), settings=settings)
    service = window.controller.sessions
    settings_file = tmp_path / "settings.json"
    off = replace(settings, lockout_enabled=False)
    # Cancelled PIN prompt: the change is refused and taken back out of the saved settings.
    window.apply_settings(off)
    dialog = window.findChild(PinDialog)
    assert dialog is not None and dialog.isVisible()
    assert "lock-out settings" in dialog.message.text()
    dialog.buttons.button(dialog.buttons.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: window.settings.lockout_enabled, timeout=5000)
    assert service.policy.enabled
    assert load_settings(settings_file).lockout_enabled is True
    dialog.deleteLater()
    # With the PIN it is done.
    window.apply_settings(off)
    dialog = [d for d in window.findChildren(PinDialog) if d.isVisible()][-1]
    dialog.pin.setText("1357")
    with qtbot.waitSignal(dialog.granted, timeout=20000):
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert not service.policy.enabled and not window.settings.lockout_enabled
