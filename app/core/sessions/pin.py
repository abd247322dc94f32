"""Operator PIN hashing (PBKDF2-HMAC-SHA256), the new-PIN policy and the attempt limit.

Stored in ``Settings.kiosk_pin_hash`` as ``salt$hash`` (both hex). The
iteration count is fixed by this module (the stored format has no room for
it); raising it later means re-hashing on the next successful PIN entry.

A new PIN has at least ``MIN_NEW_PIN_DIGITS`` digits (``new_pin_problem``,
``hash_new_pin``); a shorter PIN set by an older version still verifies, and
``PinCheck.change_advised`` asks the operator to replace it. Wrong PINs are
limited by ``PinThrottle``: after ``FREE_ATTEMPTS`` wrong PINs every further
attempt must wait, doubling each time; the count is kept in a file so a
restart does not reset it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

#: PBKDF2 iterations (OWASP 2023 guidance for PBKDF2-HMAC-SHA256 is 600 000).
ITERATIONS = 600_000
SALT_BYTES = 16
_MIN_PIN, _MAX_PIN = 4, 64
#: Shortest PIN that may be set now (shorter ones from older versions still verify).
MIN_NEW_PIN_DIGITS = 6
#: Wrong PINs allowed before attempts must wait.
FREE_ATTEMPTS = 3
#: The first wait (seconds); it doubles with every further wrong PIN up to ``MAX_WAIT_S``.
BASE_WAIT_S = 30.0
MAX_WAIT_S = 3600.0
#: File of the attempt count in the data folder.
ATTEMPTS_FILE = "pin-attempts.json"


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


def new_pin_problem(pin: str) -> str | None:
    """Why ``pin`` cannot be set as a new operator PIN (``None``: it can)."""
    if not isinstance(pin, str) or not pin.isascii() or not pin.isdigit() or not MIN_NEW_PIN_DIGITS <= len(pin) <= _MAX_PIN:
        return f"a PIN needs {MIN_NEW_PIN_DIGITS} to {_MAX_PIN} digits"
    return None


def hash_new_pin(pin: str) -> str:
    """Hash a PIN being set now (the new-PIN policy applies).

    Raises
    ------
    ValueError
        When the PIN has fewer than ``MIN_NEW_PIN_DIGITS`` digits, or anything but digits.
    """
    problem = new_pin_problem(pin)
    if problem is not None:
        raise ValueError(problem)
    return hash_pin(pin)


@dataclass(frozen=True)
class PinCheck:
    """Outcome of one PIN attempt.

    Attributes
    ----------
    ok:
        The PIN was right (and the attempt allowed).
    wait_s:
        Seconds before the next attempt is allowed (0: now). When an attempt
        is made while waiting, it is refused without checking the PIN.
    change_advised:
        The PIN was right but is shorter than a new PIN may be: ask the operator to change it.
    """

    ok: bool
    wait_s: float = 0.0
    change_advised: bool = False


class PinThrottle:
    """Limits wrong PINs with an exponentially growing wait that survives a restart.

    Parameters
    ----------
    path:
        The attempt-count file (JSON, written atomically, owner-only).
    clock:
        POSIX time source (tests pass a manual one).
    """

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()

    @classmethod
    def default(cls) -> "PinThrottle":
        """The throttle of this user's data folder."""
        from app.core import paths

        return cls(paths.data_dir() / ATTEMPTS_FILE)

    def _load(self) -> tuple[int, float]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            failures, until = int(data["failures"]), float(data["until"])
            if failures < 0 or not math.isfinite(until):
                raise ValueError("out of range")
            return failures, until
        except FileNotFoundError:
            return 0, 0.0
        except (OSError, ValueError, TypeError, KeyError) as exc:
            # Fail closed: an unreadable count must not grant free attempts.
            log.warning("the PIN attempt count %s is unreadable (%s); the next attempt waits", self.path, exc)
            return FREE_ATTEMPTS, self._clock() + BASE_WAIT_S

    def _save(self, failures: int, until: float) -> None:
        from app.core.store.files import atomic_writer

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with atomic_writer(self.path) as fh:
                fh.write(json.dumps({"failures": failures, "until": until}).encode("utf-8"))
        except OSError as exc:
            log.error("cannot save the PIN attempt count to %s: %s", self.path, exc)

    def wait_s(self) -> float:
        """Seconds until a PIN may be tried again (0: now)."""
        with self._lock:
            _, until = self._load()
        return max(0.0, until - self._clock())

    def attempt(self, check: Callable[[], bool], *, pin: str = "") -> PinCheck:
        """Run ``check()`` (which verifies the PIN) if an attempt is allowed now, and count the outcome.

        Parameters
        ----------
        check:
            Returns whether the PIN was right (may perform the protected action).
        pin:
            The PIN tried, only to advise a change of a short one.
        """
        with self._lock:
            failures, until = self._load()
            now = self._clock()
            if now < until:
                return PinCheck(False, until - now)
            ok = bool(check())
            if ok:
                if failures:
                    self._save(0, 0.0)
                return PinCheck(True, 0.0, change_advised=new_pin_problem(pin) is not None)
            failures += 1
            wait = 0.0
            if failures >= FREE_ATTEMPTS:
                wait = min(MAX_WAIT_S, BASE_WAIT_S * 2.0 ** (failures - FREE_ATTEMPTS))
            self._save(failures, now + wait)
            log.warning("wrong operator PIN (%d in a row); next attempt allowed in %.0f s", failures, wait)
            return PinCheck(False, wait)

    def check(self, pin: str, stored: str) -> PinCheck:
        """Verify ``pin`` against ``stored`` (``salt$hash``) within the attempt limit."""
        return self.attempt(lambda: verify_pin(pin, stored), pin=pin)
