"""Lock-out after repeated failed checks on this device.

Vendor advice for the reference service: at most 5 failed checks per device in
3 minutes, then 30-60 minutes of refusal. The policy is read from the settings
(``lockout_*``); its state (failure times, lock end) lives in the store so a
restart does not reset it.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.settings import Settings


@dataclass(frozen=True)
class LockoutPolicy:
    """How many failures within which window lock the device, and for how long."""

    enabled: bool = True
    failures: int = 5
    window_s: float = 180.0
    duration_s: float = 1800.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "LockoutPolicy":
        """The policy configured in the app settings."""
        return cls(settings.lockout_enabled, settings.lockout_failures, settings.lockout_window_s, settings.lockout_duration_s)


@dataclass(frozen=True)
class LockoutStatus:
    """The device's lock-out state at one moment.

    Attributes
    ----------
    locked:
        New checks are refused.
    until:
        POSIX time the lock-out ends (``None`` when not locked).
    recent_failures:
        Failures counted in the current window.
    limit:
        Failures that trigger a lock-out.
    message:
        One sentence for the screen (no score, no personal data).
    """

    locked: bool
    until: float | None
    recent_failures: int
    limit: int
    message: str
