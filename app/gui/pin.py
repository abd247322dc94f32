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

from app.core.sessions.pin import PinThrottle, hash_new_pin, hash_pin, new_pin_problem, verify_pin

__all__ = ["PinChecker", "hash_new_pin", "hash_pin", "new_pin_problem", "verify_pin"]

log = logging.getLogger(__name__)


class PinChecker(QObject):
    """Verifies a PIN in a background thread.

    Wrong PINs are limited by a :class:`~app.core.sessions.pin.PinThrottle`
    (the data folder's, unless one is given): after a few, every attempt must
    wait, longer each time, even after a restart.

    Signals
    -------
    checked(bool ok):
        The answer for the last :meth:`check`.
    waitRequired(float seconds):
        Emitted before a refusal ``checked(False)`` when the next attempt must wait.
    changeAdvised():
        Emitted before ``checked(True)`` when the right PIN is shorter than a new PIN may be.
    """

    checked = Signal(bool)
    waitRequired = Signal(float)
    changeAdvised = Signal()

    def __init__(self, parent: QObject | None = None, *, throttle: PinThrottle | None = None) -> None:
        super().__init__(parent)
        self._throttle = throttle

    def check(self, pin: str, stored: str, *, verifier: Callable[[str], bool] | None = None) -> None:
        """Start checking ``pin`` against ``stored`` (``salt$hash``), or with ``verifier(pin)`` when given.

        A verifier performs the operator action itself (for example ending a
        lock-out through ``SessionService.override_lockout``, which limits
        attempts itself) and returns whether the PIN was accepted; an
        exception counts as refused.
        """

        def work() -> None:
            wait, advise = 0.0, False
            try:
                if verifier is not None:
                    ok = verifier(pin)
                else:
                    throttle = self._throttle or PinThrottle.default()
                    result = throttle.check(pin, stored)
                    ok, wait, advise = result.ok, result.wait_s, result.change_advised
            except Exception:  # noqa: BLE001 - a failing check is a refusal, never an access
                log.exception("the PIN check failed")
                ok = False
            if not ok and wait > 0:
                self.waitRequired.emit(float(wait))
            if ok and advise:
                self.changeAdvised.emit()
            self.checked.emit(bool(ok))

        threading.Thread(target=work, name="livegate-pin-check", daemon=True).start()
