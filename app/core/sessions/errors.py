"""Errors of the session lifecycle.

They extend ``app.core.errors`` so the CLI and the API turn them into one
clear line (CLI) or a JSON error with the right HTTP status (API).
"""

from __future__ import annotations

from app.core.errors import LivegateError


class SessionError(LivegateError):
    """A session operation is not possible in the session's current state."""


class SessionNotFound(SessionError):
    """No session has this id (never existed, deleted or purged)."""


class SessionExpired(SessionError):
    """The session was not started within its validity and can no longer be used."""


class SessionStateError(SessionError):
    """The operation does not fit the session's status (sessions are single-use)."""


class LockedOut(SessionError):
    """New checks are refused on this device after repeated failures.

    Attributes
    ----------
    until:
        POSIX time at which the lock-out ends (``None``: when an operator confirms).
    """

    exit_code = 3

    def __init__(self, message: str, *, until: float | None) -> None:
        super().__init__(message)
        self.until = until


class PinRejected(SessionError):
    """The operator PIN is wrong, or none is set."""


class WrongPin(PinRejected):
    """The operator PIN given is not the one in force (counted by the attempt limit)."""


class NoKioskAttached(SessionError):
    """A session was started but no kiosk screen listens for starts."""

    exit_code = 3
