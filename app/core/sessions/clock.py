"""Injectable wall clock.

Expiry, lock-out and retention are decided against a clock object rather than
``time.time()`` directly, so tests move time forward instead of sleeping.
Times are POSIX seconds (UTC) because they are stored and must survive a
restart; a monotonic clock would not.
"""

from __future__ import annotations

import datetime as _dt
import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Anything with ``now() -> float`` (POSIX seconds, UTC)."""

    def now(self) -> float:
        """Current time in POSIX seconds."""


class SystemClock:
    """The real wall clock."""

    def now(self) -> float:
        """Current time in POSIX seconds."""
        return time.time()


class ManualClock:
    """A clock that only moves when told to (tests, simulations).

    Parameters
    ----------
    start:
        Initial time in POSIX seconds (default: 2025-01-01T00:00:00Z).
    """

    def __init__(self, start: float = 1_735_689_600.0) -> None:
        self._t = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        """Current (manual) time in POSIX seconds."""
        with self._lock:
            return self._t

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds`` (must not be negative) and return the new time."""
        if seconds < 0:
            raise ValueError(f"a clock only moves forward; got {seconds} s")
        with self._lock:
            self._t += seconds
            return self._t


def iso_utc(t: float | None) -> str | None:
    """POSIX seconds as an ISO 8601 UTC string with a ``Z`` suffix (``None`` stays ``None``)."""
    if t is None:
        return None
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> float:
    """Parse an ISO 8601 date or date-time (naive = UTC) or POSIX seconds.

    Raises
    ------
    ValueError
        When ``text`` is neither; the message shows an accepted example.
    """
    raw = text.strip()
    try:
        value = float(raw)
    except ValueError:
        pass
    else:
        if value != value or value in (float("inf"), float("-inf")) or abs(value) > 1e11:
            raise ValueError(f"time {text!r} is out of range")
        return value
    try:
        parsed = _dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"time {text!r} is not ISO 8601 (e.g. 2025-01-31 or 2025-01-31T12:00:00Z) or POSIX seconds") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.timezone.utc)
    return parsed.timestamp()
