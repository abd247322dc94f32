"""Operator PIN: attempts limited with a growing wait that survives a restart; new PINs of 6+ digits."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.sessions import ManualClock, PinRejected
from app.core.sessions import pin as pin_module
from app.core.sessions.pin import (
    ATTEMPTS_FILE,
    BASE_WAIT_S,
    FREE_ATTEMPTS,
    MAX_WAIT_S,
    PinThrottle,
    hash_new_pin,
    hash_pin,
    new_pin_problem,
    verify_pin,
)
from app.devtools.synthetic_results import make_service


@pytest.fixture(autouse=True)
def fast_pbkdf2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pin_module, "ITERATIONS", 1000)


class Counting:
    """A PIN check that records how often it ran."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.answer


def test_wrong_pins_wait_longer_and_longer(tmp_path: Path) -> None:
    clock = ManualClock()
    throttle = PinThrottle(tmp_path / ATTEMPTS_FILE, clock=clock.now)
    wrong = Counting(False)
    for _ in range(FREE_ATTEMPTS - 1):
        assert throttle.attempt(wrong).wait_s == 0
    assert throttle.attempt(wrong).wait_s == BASE_WAIT_S
    right = Counting(True)
    refused = throttle.attempt(right)  # while waiting, even the right PIN is not checked
    assert not refused.ok and refused.wait_s == BASE_WAIT_S and right.calls == 0
    clock.advance(BASE_WAIT_S)
    assert throttle.attempt(wrong).wait_s == 2 * BASE_WAIT_S
    clock.advance(2 * BASE_WAIT_S)
    assert throttle.attempt(wrong).wait_s == 4 * BASE_WAIT_S
    for _ in range(20):
        clock.advance(MAX_WAIT_S)
        last = throttle.attempt(wrong)
    assert last.wait_s == MAX_WAIT_S
    clock.advance(MAX_WAIT_S)
    assert throttle.attempt(right).ok and right.calls == 1
    assert throttle.attempt(wrong).wait_s == 0  # a right PIN starts the count afresh


def test_the_wait_survives_a_restart_and_a_broken_count_fails_closed(tmp_path: Path) -> None:
    clock = ManualClock()
    path = tmp_path / ATTEMPTS_FILE
    first = PinThrottle(path, clock=clock.now)
    for _ in range(FREE_ATTEMPTS):
        first.attempt(Counting(False))
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    again = PinThrottle(path, clock=clock.now)  # the app restarted
    assert again.wait_s() == BASE_WAIT_S
    assert not again.attempt(Counting(True)).ok
    path.write_text("{garbage")
    assert PinThrottle(path, clock=clock.now).wait_s() == BASE_WAIT_S
    path.write_text(json.dumps({"failures": 0, "until": float("inf")}).replace("Infinity", "1e999"))
    assert PinThrottle(path, clock=clock.now).wait_s() == BASE_WAIT_S


def test_28_wrong_pins_then_the_right_one_is_refused_at_the_override(tmp_path: Path) -> None:
    from app.core.settings import Settings

    clock = ManualClock()
    service = make_service(tmp_path, clock=clock, settings=Settings(kiosk_pin_hash=hash_pin("135790")))
    try:
        for _ in range(28):
            with pytest.raises(PinRejected):
                service.override_lockout("000000")
        with pytest.raises(PinRejected, match="next attempt is possible in"):
            service.override_lockout("135790")
        clock.advance(service.pin_throttle.wait_s())
        service.override_lockout("135790")
        # The count lives beside the store: a new process (same data folder) sees it.
        for _ in range(FREE_ATTEMPTS):
            with pytest.raises(PinRejected):
                service.override_lockout("000000")
    finally:
        service.close()
    reopened = make_service(tmp_path, clock=clock, settings=Settings(kiosk_pin_hash=hash_pin("135790")))
    try:
        with pytest.raises(PinRejected, match="next attempt"):
            reopened.override_lockout("135790")
    finally:
        reopened.close()


@pytest.mark.parametrize(("pin", "ok"), [("123456", True), ("0" * 64, True), ("12345", False), ("2468", False),
                                         ("12345a", False), ("١٢٣٤٥٦", False), ("0" * 65, False), ("", False)])
def test_new_pins_need_six_to_64_ascii_digits(pin: str, ok: bool) -> None:
    assert (new_pin_problem(pin) is None) is ok
    if ok:
        assert verify_pin(pin, hash_new_pin(pin))
    else:
        with pytest.raises(ValueError, match="6 to 64 digits"):
            hash_new_pin(pin)


def test_a_short_existing_pin_still_verifies_and_a_change_is_advised(tmp_path: Path) -> None:
    throttle = PinThrottle(tmp_path / ATTEMPTS_FILE)
    short = hash_pin("2468")  # set by an older version
    result = throttle.check("2468", short)
    assert result.ok and result.change_advised
    long = throttle.check("246813", hash_new_pin("246813"))
    assert long.ok and not long.change_advised


def test_pin_dialog_says_how_long_to_wait(qtbot, tmp_path: Path) -> None:
    from app.core import paths
    from app.gui.kiosk import OperatorMenu, PinDialog

    path = paths.data_dir() / ATTEMPTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"failures": FREE_ATTEMPTS, "until": time.time() + 120}))
    dialog = PinDialog(hash_pin("135790"))
    qtbot.addWidget(dialog)
    dialog.pin.setText("135790")
    dialog._on_ok()
    qtbot.waitUntil(lambda: "Too many wrong PINs" in dialog.message.text(), timeout=10000)
    os.remove(path)

    short = PinDialog(hash_pin("2468"))
    qtbot.addWidget(short)
    short.pin.setText("2468")
    with qtbot.waitSignal(short.granted, timeout=10000):
        short._on_ok()
    assert short.change_advised
    menu = OperatorMenu(change_pin=short.change_advised)
    qtbot.addWidget(menu)
    assert not menu.notice.isHidden() and "6 digits" in menu.notice.text()
    assert OperatorMenu().notice.isHidden()
