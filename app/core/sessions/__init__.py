"""Liveness sessions: lifecycle, lock-out, operator PIN (no Qt).

The GUI and the local API both drive sessions through ``app.core.sessions.service.SessionService``; this
package itself holds only the records, clocks, errors, lock-out and PIN that the store sits above.
"""

from app.core.sessions.clock import Clock, ManualClock, SystemClock
from app.core.sessions.errors import (
    LockedOut,
    NoKioskAttached,
    PinRejected,
    SessionError,
    SessionExpired,
    SessionNotFound,
    SessionStateError,
)
from app.core.sessions.lockout import LockoutPolicy, LockoutStatus
from app.core.sessions.model import (
    CREATED,
    ERROR,
    EXPIRED,
    FAILED,
    IN_PROGRESS,
    STATUSES,
    SUCCEEDED,
    Session,
    SessionSettings,
    StoredFile,
)
from app.core.sessions.pin import PinCheck, PinThrottle, hash_new_pin, hash_pin, new_pin_problem, verify_pin

__all__ = [
    "CREATED",
    "ERROR",
    "EXPIRED",
    "FAILED",
    "IN_PROGRESS",
    "STATUSES",
    "SUCCEEDED",
    "Clock",
    "LockedOut",
    "LockoutPolicy",
    "LockoutStatus",
    "ManualClock",
    "NoKioskAttached",
    "PinCheck",
    "PinRejected",
    "PinThrottle",
    "Session",
    "SessionError",
    "SessionExpired",
    "SessionNotFound",
    "SessionSettings",
    "SessionStateError",
    "StoredFile",
    "SystemClock",
    "hash_new_pin",
    "hash_pin",
    "new_pin_problem",
    "verify_pin",
]
