"""What the screen is showing, shared between the GUI's flash controller and sources.

The GUI writes each colour with the monotonic time it reached the screen; the
simulated camera reads the colour in force at any moment (and row, since a
colour wipes down from the top). A movement-only check writes its head-turn
cues here too (``show_cue``), so a simulated participant can follow them.
Core only: no Qt.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class ScreenEvent:
    """A colour that started to appear at ``t_ns`` and covered the screen after ``wipe_ns``."""

    t_ns: int
    rgb: RGB
    wipe_ns: int = 0
    #: Fraction of full brightness actually emitted (flash attenuation applied).
    gain: float = 1.0


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

    def show(self, rgb: RGB, t_ns: int, *, wipe_ns: int = 0, gain: float = 1.0) -> None:
        """Record that ``rgb`` started to reach the screen at ``t_ns``."""
        event = ScreenEvent(int(t_ns), (int(rgb[0]), int(rgb[1]), int(rgb[2])), int(wipe_ns), float(gain))
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
        """Record that the head-turn cue ``direction`` ("left"/"right"; None: face the screen) appeared at ``t_ns``."""
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

    def colour_at(self, t_ns: int, row_fraction: float = 1.0) -> tuple[float, float, float]:
        """Emitted linear-ish colour (0..255 scaled by gain) at time ``t_ns`` for a screen row.

        ``row_fraction`` is 0 at the top of the screen and 1 at the bottom; a
        wiping colour reaches row r at ``t + r * wipe``.
        """
        with self._lock:
            idx = bisect.bisect_right(self._times, t_ns) - 1
            while idx >= 0:
                ev = self._events[idx]
                if t_ns >= ev.t_ns + int(row_fraction * ev.wipe_ns):
                    return (ev.rgb[0] * ev.gain, ev.rgb[1] * ev.gain, ev.rgb[2] * ev.gain)
                idx -= 1
        n = self.NEUTRAL
        return (float(n[0]), float(n[1]), float(n[2]))
