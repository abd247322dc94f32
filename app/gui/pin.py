"""Operator PIN checks for the kiosk, run off the GUI thread.

The hashing itself is ``app.core.sessions.pin`` (PBKDF2-HMAC-SHA256, ``salt$hash``
hex in ``Settings.kiosk_pin_hash``); it is deliberately slow, so the GUI checks
a PIN in a worker thread and hears the answer through a signal.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from app.core.sessions.pin import hash_pin, verify_pin

__all__ = ["PinChecker", "hash_pin", "verify_pin"]


class PinChecker(QObject):
    """Verifies a PIN in a background thread.

    Signals
    -------
    checked(bool ok):
        The answer for the last :meth:`check`.
    """

    checked = Signal(bool)

    def check(self, pin: str, stored: str) -> None:
        """Start checking ``pin`` against ``stored`` (``salt$hash``)."""

        def work() -> None:
            self.checked.emit(verify_pin(pin, stored))

        threading.Thread(target=work, name="livegate-pin-check", daemon=True).start()
