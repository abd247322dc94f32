"""Plays a colour sequence into the shared :class:`~app.core.screen.ScreenState` without a display.

The GUI's flash controller paints each colour and writes it to the screen state
when its first frame reaches the screen. Without a display (``livegate check``)
the screen state *is* the screen: a simulated participant reads the colour in
force from it, exactly as it does in the app. This player writes each colour
with the moment it was written, keeps it for its wipe + hold time and reports
those times to the check (``colour_shown``, ``flash_finished``), so the flow and
the analyzer get the same inputs as from the GUI.

The owner drives it from its loop: :meth:`FlashPlayer.due_in` says how long it
may sleep, :meth:`FlashPlayer.advance` moves on when a colour's time is over.
"""

from __future__ import annotations

from collections.abc import Callable

from app.core.capture.base import monotonic_ns
from app.core.challenge import ColourStep
from app.core.screen import ScreenState

NS_PER_MS = 1_000_000

#: ``Challenge.timing_source`` of colours played without a display.
TIMING_SOURCE = "screen-state"


class FlashPlayer:
    """One colour sequence at a time, written to ``screen``.

    Parameters
    ----------
    screen:
        The shared log of displayed colours.
    on_shown:
        ``on_shown(index, t_ns)`` when colour ``index`` starts.
    on_finished:
        ``on_finished(t_ns)`` when the last colour's time is over (the screen is neutral again).
    attenuation:
        0 (full brightness) .. 0.8, as the app's setting; the emitted colour is scaled by ``1 - attenuation``
        and by each step's ``level``; each step wipes in its own ``direction``.
    clock:
        Monotonic nanoseconds (tests pass a fake).
    """

    def __init__(
        self,
        screen: ScreenState,
        *,
        on_shown: Callable[[int, int], None],
        on_finished: Callable[[int], None],
        attenuation: float = 0.0,
        clock: Callable[[], int] = monotonic_ns,
    ) -> None:
        self.screen = screen
        self._on_shown = on_shown
        self._on_finished = on_finished
        self.attenuation = attenuation
        self._clock = clock
        self._steps: list[ColourStep] = []
        self._index = -1
        self._since_ns = 0

    @property
    def gain(self) -> float:
        """Brightness factor applied to every colour (the app's rule)."""
        return max(0.2, 1.0 - self.attenuation)

    @property
    def active(self) -> bool:
        """True while a sequence plays."""
        return self._index >= 0

    def play(self, steps: list[ColourStep]) -> None:
        """Start the sequence from its first colour (a running one is dropped)."""
        if not steps:
            raise ValueError("a flash sequence needs at least one colour")
        self._steps = list(steps)
        self._show(0, self._clock())

    def stop(self) -> None:
        """Stop at once; the screen returns to neutral."""
        if self._index >= 0:
            self._index = -1
            self.screen.show(ScreenState.NEUTRAL, self._clock())

    def due_in(self) -> float:
        """Seconds until the current colour's time is over (a large number when idle)."""
        if self._index < 0:
            return 3600.0
        end = self._since_ns + self._steps[self._index].duration_ms * NS_PER_MS
        return max(0.0, (end - self._clock()) / 1e9)

    def advance(self) -> None:
        """Move on when the current colour's time is over: the next colour, or the end of the sequence."""
        if self._index < 0 or self.due_in() > 0:
            return
        now = self._clock()
        if self._index + 1 < len(self._steps):
            self._show(self._index + 1, now)
            return
        self._index = -1
        self.screen.show(ScreenState.NEUTRAL, now)
        self._on_finished(now)

    def _show(self, index: int, t_ns: int) -> None:
        step = self._steps[index]
        self._index = index
        self._since_ns = t_ns
        # The step's level is linear light, like the attenuation's gain (docs/simulator.md, "Screen geometry").
        self.screen.show(step.rgb, t_ns, wipe_ns=step.wipe_ms * NS_PER_MS, gain=self.gain * step.level, direction=step.direction)
        self._on_shown(index, t_ns)
