"""Operator PIN hashing helpers."""

from __future__ import annotations

import pytest

from app.core.sessions import pin as pin_module
from app.core.sessions.pin import hash_pin, is_valid_pin_hash, verify_pin


@pytest.fixture(autouse=True)
def fast_pbkdf2(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Few iterations keep the tests quick; the known-vector test uses the real count."""
    if request.node.name != "test_known_vector":
        monkeypatch.setattr(pin_module, "ITERATIONS", 1000)


def test_hash_format_is_salt_dollar_hash_hex() -> None:
    stored = hash_pin("2468")
    salt, sep, digest = stored.partition("$")
    assert sep == "$" and len(salt) == 32 and len(digest) == 64
    bytes.fromhex(salt), bytes.fromhex(digest)
    assert is_valid_pin_hash(stored)


def test_same_pin_gets_a_new_salt() -> None:
    assert hash_pin("2468") != hash_pin("2468")


def test_known_vector() -> None:
    # Fixed salt: guards against an accidental change of algorithm or iteration count
    # (which would lock every operator out of kiosks already set up).
    assert pin_module.ITERATIONS == 600_000
    stored = hash_pin("1234", salt=bytes(16))
    assert stored == "00000000000000000000000000000000$c150d657df80140246db4ccba862aedcaa29e8f8d12adb552b07f56d7c499ef3"
    assert verify_pin("1234", stored)


@pytest.mark.parametrize(
    ("pin", "stored_pin", "ok"),
    [("2468", "2468", True), ("2469", "2468", False), ("", "2468", False), ("24680", "2468", False)],
)
def test_verify(pin: str, stored_pin: str, ok: bool) -> None:
    assert verify_pin(pin, hash_pin(stored_pin, salt=b"s" * 16)) is ok


@pytest.mark.parametrize("stored", ["", "nodollar", "zz$" + "00" * 32, "00$00", "00$" + "gg" * 32])
def test_malformed_hash_never_verifies(stored: str) -> None:
    assert verify_pin("2468", stored) is False


@pytest.mark.parametrize("pin", ["", "123", "x" * 65])
def test_pin_length_is_checked(pin: str) -> None:
    with pytest.raises(ValueError):
        hash_pin(pin)
