"""Operator PIN hashing (PBKDF2-HMAC-SHA256).

Stored in ``Settings.kiosk_pin_hash`` as ``salt$hash`` (both hex). The
iteration count is fixed by this module (the stored format has no room for
it); raising it later means re-hashing on the next successful PIN entry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: PBKDF2 iterations (OWASP 2023 guidance for PBKDF2-HMAC-SHA256 is 600 000).
ITERATIONS = 600_000
SALT_BYTES = 16
_MIN_PIN, _MAX_PIN = 4, 64


def _derive(pin: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", pin.encode("utf-8"), salt, ITERATIONS)


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """Hash an operator PIN for ``Settings.kiosk_pin_hash``.

    Parameters
    ----------
    pin:
        The PIN, 4 to 64 characters.
    salt:
        Only for tests; a fresh random salt is used otherwise.

    Returns
    -------
    str
        ``salt$hash`` in lower-case hex.

    Raises
    ------
    ValueError
        When the PIN is shorter than 4 or longer than 64 characters.
    """
    if not isinstance(pin, str) or not _MIN_PIN <= len(pin) <= _MAX_PIN:
        raise ValueError(f"a PIN must be {_MIN_PIN} to {_MAX_PIN} characters long")
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    return f"{salt.hex()}${_derive(pin, salt).hex()}"


def is_valid_pin_hash(stored: str) -> bool:
    """Whether ``stored`` has the ``salt$hash`` hex shape (an empty string means no PIN)."""
    salt_hex, sep, hash_hex = stored.partition("$")
    if not sep or not salt_hex or len(hash_hex) != 64:
        return False
    try:
        bytes.fromhex(salt_hex)
        bytes.fromhex(hash_hex)
    except ValueError:
        return False
    return True


def verify_pin(pin: str, stored: str) -> bool:
    """Check ``pin`` against a ``salt$hash`` string in constant time.

    Returns ``False`` (never raises) for a malformed or empty stored hash or a
    non-string PIN: no PIN set means no override.
    """
    if not isinstance(pin, str) or not isinstance(stored, str) or not is_valid_pin_hash(stored):
        return False
    if len(pin) > _MAX_PIN:
        return False
    salt_hex, _, hash_hex = stored.partition("$")
    return hmac.compare_digest(_derive(pin, bytes.fromhex(salt_hex)), bytes.fromhex(hash_hex))
