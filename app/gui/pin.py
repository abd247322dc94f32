"""Operator PIN checks for the kiosk, run off the GUI thread.

The hashing itself is ``app.core.sessions.pin`` (PBKDF2-HMAC-SHA256, ``salt$hash``
hex in ``Settings.kiosk_pin_hash``); it is deliberately slow, so the GUI checks
a PIN in a worker thread and hears the answer through a signal.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from app.core.sessions.pin import hash_pin, verify_pin

__all__ = ["PinChecker", "hash_pin", "verify_pin"]

log = logging.getLogger(__name__)


class PinChecker(QObject):
    """Verifies a PIN in a background thread.

    Signals
    -------
    checked(bool ok):
        The answer for the last :meth:`check`.
    """

    checked = Signal(bool)

    def check(self, pin: str, stored: str, *, verifier: Callable[[str], bool] | None = None) -> None:
        """Start checking ``pin`` against ``stored`` (``salt$hash``), or with ``verifier(pin)`` when given.

        A verifier performs the operator action itself (for example ending a
        lock-out through ``SessionService.override_lockout``) and returns
        whether the PIN was accepted; an exception counts as refused.
        """

        def work() -> None:
            try:
                ok = verifier(pin) if verifier is not None else verify_pin(pin, stored)
            except Exception:  # noqa: BLE001 - a failing check is a refusal, never an access
                log.exception("the PIN check failed")
                ok = False
            self.checked.emit(bool(ok))

        threading.Thread(target=work, name="livegate-pin-check", daemon=True).start()
