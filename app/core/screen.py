"""What the screen is showing, shared between the GUI's flash controller and sources.

The GUI writes each colour with the monotonic time it reached the screen; the
simulated camera reads the colour in force at any moment and screen point (a
colour wipes across the screen in its step's direction, see
:func:`app.core.challenge.wipe_reach`). A movement-only check writes its head-turn
cues here too (``show_cue``), so a simulated participant can follow them.
Core only: no Qt.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass

from app.core.challenge import wipe_reach

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class ScreenEvent:
    """A colour that started to appear at ``t_ns`` and covered the screen after ``wipe_ns``, wiping in
    ``direction`` (the customer's frame)."""

    t_ns: int
    rgb: RGB
    wipe_ns: int = 0
    #: Fraction of full brightness actually emitted (linear light: the step's level x the flash attenuation's gain).
    gain: float = 1.0
    direction: str = "down"

    def reached(self, t_ns: int, x: float, y: float) -> bool:
        """Whether the colour covers screen point (``x`` from the customer's left, ``y`` from the top) at ``t_ns``."""
        return t_ns >= self.t_ns + int(wipe_reach(self.direction, x, y) * self.wipe_ns)


class ScreenState:
    """Thread-safe log of displayed colours. ``NEUTRAL`` is shown before any flash."""

    #: The app's normal (non-flash) screen: a mid-grey UI, counted as weak light.
    NEUTRAL: RGB = (40, 40, 40)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._times: list[int] = []
        self._events: list[ScreenEvent] = []
        #: Head-turn cues: (t_ns, direction or None when the cue is taken down), in time order.
        self._cues: list[tuple[int, str | None]] = []

    def show(self, rgb: RGB, t_ns: int, *, wipe_ns: int = 0, gain: float = 1.0, direction: str = "down") -> None:
        """Record that ``rgb`` started to reach the screen at ``t_ns``, wiping in ``direction``."""
        wipe_reach(direction, 0.0, 0.0)  # refuses an unknown direction here, not when a camera reads it
        event = ScreenEvent(int(t_ns), (int(rgb[0]), int(rgb[1]), int(rgb[2])), int(wipe_ns), float(gain), direction)
        with self._lock:
            idx = bisect.bisect_right(self._times, event.t_ns)
            self._times.insert(idx, event.t_ns)
            self._events.insert(idx, event)

    def clear(self) -> None:
        with self._lock:
            self._times.clear()
            self._events.clear()
            self._cues.clear()

    def show_cue(self, direction: str | None, t_ns: int) -> None:
        """Record that the head-movement cue ``direction`` ("left"/"right"/"up"/"down"; None: face the screen) appeared at ``t_ns``."""
        with self._lock:
            entry = (int(t_ns), direction)
            idx = bisect.bisect_right([c[0] for c in self._cues], entry[0])
            self._cues.insert(idx, entry)

    def cues(self) -> list[tuple[int, str | None]]:
        """Every cue change so far, in time order."""
        with self._lock:
            return list(self._cues)

    def events(self) -> list[ScreenEvent]:
        with self._lock:
            return list(self._events)

    def colour_at(self, t_ns: int, row_fraction: float = 1.0, x_fraction: float = 0.5) -> tuple[float, float, float]:
        """Emitted linear-ish colour (0..255 scaled by gain) at time ``t_ns`` for a screen point.

        ``row_fraction`` is 0 at the top of the screen and 1 at the bottom, ``x_fraction`` 0 at the customer's
        left edge and 1 at their right; a wiping colour reaches the point at ``t + reach * wipe``
        (:func:`~app.core.challenge.wipe_reach`).
        """
        with self._lock:
            idx = bisect.bisect_right(self._times, t_ns) - 1
            while idx >= 0:
                ev = self._events[idx]
                if ev.reached(t_ns, x_fraction, row_fraction):
                    return (ev.rgb[0] * ev.gain, ev.rgb[1] * ev.gain, ev.rgb[2] * ev.gain)
                idx -= 1
        n = self.NEUTRAL
        return (float(n[0]), float(n[1]), float(n[2]))
