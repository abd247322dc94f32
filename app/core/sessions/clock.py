"""Injectable wall clock.

Expiry, lock-out and retention are decided against a clock object rather than
``time.time()`` directly, so tests move time forward instead of sleeping.
Times are POSIX seconds (UTC) because they are stored and must survive a
restart; a monotonic clock would not.

The lock-out also reads an *elapsed-time* clock (``monotonic()``, the
kernel's boot-time clock, which counts suspend and which no user can set)
and the boot's identity (``boot_id()``), so that a pause ends after real
time has passed, whatever the wall clock says (:func:`read_clocks`).
"""

from __future__ import annotations

import datetime as _dt
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    """Anything with ``now() -> float`` (POSIX seconds, UTC)."""

    def now(self) -> float:
        """Current time in POSIX seconds."""


class SystemClock:
    """The real wall clock, with the machine's elapsed-time clock and boot identity."""

    def now(self) -> float:
        """Current time in POSIX seconds."""
        return time.time()

    def monotonic(self) -> float:
        """Seconds since boot, suspend included (Linux ``CLOCK_BOOTTIME``; elsewhere ``time.monotonic``)."""
        boottime = getattr(time, "CLOCK_BOOTTIME", None)
        if boottime is not None:
            try:
                return time.clock_gettime(boottime)
            except OSError:
                pass
        return time.monotonic()

    def boot_id(self) -> str:
        """Identity of this boot (Linux); ``""`` where the system does not tell (then a monotonic clock
        that went backwards is taken as a reboot)."""
        try:
            return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        except OSError:
            return ""


class ManualClock:
    """A clock that only moves when told to (tests, simulations).

    Parameters
    ----------
    start:
        Initial time in POSIX seconds (default: 2025-01-01T00:00:00Z).
    """

    def __init__(self, start: float = 1_735_689_600.0) -> None:
        self._t = float(start)
        self._mono = 1000.0
        self._boot = secrets.token_hex(8)
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
            self._mono += seconds
            return self._t

    def set_wall(self, seconds: float) -> float:
        """Someone changes the wall clock by ``seconds`` (either sign); no real time passes."""
        with self._lock:
            self._t += seconds
            return self._t

    def monotonic(self) -> float:
        """Elapsed-time clock: moves with :meth:`advance`, not with :meth:`set_wall`."""
        with self._lock:
            return self._mono

    def boot_id(self) -> str:
        """Identity of the simulated boot (changed by :meth:`reboot`)."""
        with self._lock:
            return self._boot

    def reboot(self, downtime_s: float = 0.0) -> None:
        """Simulate a reboot: a new boot identity, the elapsed-time clock restarts, ``downtime_s`` of wall time passes."""
        with self._lock:
            self._t += downtime_s
            self._mono = 5.0
            self._boot = secrets.token_hex(8)


@dataclass(frozen=True)
class ClockReading:
    """One look at the clocks: wall time, elapsed-time clock, boot identity."""

    wall: float
    mono: float
    boot: str


def read_clocks(clock: Clock) -> ClockReading:
    """Read ``clock``; a clock without an elapsed-time source counts its wall time as elapsed time."""
    wall = clock.now()
    mono = getattr(clock, "monotonic", None)
    boot = getattr(clock, "boot_id", None)
    return ClockReading(wall, float(mono()) if mono is not None else wall, str(boot()) if boot is not None else "")


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
