"""Plays the head-turn cues of a movement-only check into the shared :class:`~app.core.screen.ScreenState`.

A cue ("turn your head to your left") is a state of the screen, like a colour:
the player writes each cue with the moment it was put up, keeps it for its hold
time, then takes it down for the next pause. The GUI draws the cue in force (an
arrow over the preview) and a simulated participant (``sim:``) reads it from the
screen state, so both see the same cues with the same times. The check reports
each cue's time (``cue_shown``) and the end of the sequence (``cues_finished``)
to the flow, which stores them in ``Challenge.cue_ns``.

The owner drives it from its loop (the check's tick and each analysed frame):
:meth:`CuePlayer.due_in` says how long it may sleep, :meth:`CuePlayer.advance`
moves on when a pause or a cue is over.
"""

from __future__ import annotations

from collections.abc import Callable

from app.core.capture.base import monotonic_ns
from app.core.challenge import MoveStep
from app.core.screen import ScreenState

NS_PER_MS = 1_000_000

#: ``Challenge.timing_source`` of cues: the moment each cue was written to the screen state.
TIMING_SOURCE = "screen-state cue write"


class CuePlayer:
    """One cue sequence at a time: pause (face the screen), cue, pause, cue, ...

    Parameters
    ----------
    screen:
        The shared screen state the cues are written to.
    on_shown:
        ``on_shown(index, direction, t_ns)`` when cue ``index`` goes up.
    on_finished:
        ``on_finished(t_ns)`` when the last cue's hold time is over (the cue is taken down).
    on_hidden:
        ``on_hidden(index, t_ns)`` when cue ``index`` is taken down (before ``on_finished`` for the last one):
        a view must remove the cue then, or a person would keep turning through the pause.
    clock:
        Monotonic nanoseconds (tests pass a fake).
    """

    def __init__(
        self,
        screen: ScreenState,
        *,
        on_shown: Callable[[int, str, int], None],
        on_finished: Callable[[int], None],
        on_hidden: Callable[[int, int], None] | None = None,
        clock: Callable[[], int] = monotonic_ns,
    ) -> None:
        self.screen = screen
        self._on_shown = on_shown
        self._on_finished = on_finished
        self._on_hidden = on_hidden
        self._clock = clock
        self._steps: list[MoveStep] = []
        self._index = -1
        self._cue_up = False
        self._since_ns = 0

    @property
    def active(self) -> bool:
        """True while a sequence plays."""
        return self._index >= 0

    @property
    def direction(self) -> str | None:
        """The cue in force (None during a pause or when idle)."""
        return self._steps[self._index].direction if self._index >= 0 and self._cue_up else None

    def play(self, steps: list[MoveStep]) -> None:
        """Start the sequence with the first pause (a running one is dropped)."""
        if not steps:
            raise ValueError("a cue sequence needs at least one cue")
        self._steps = list(steps)
        self._index = 0
        self._cue_up = False
        self._since_ns = self._clock()
        self.screen.show_cue(None, self._since_ns)

    def stop(self) -> None:
        """Stop at once; the cue is taken down."""
        if self._index >= 0:
            self._index = -1
            self._cue_up = False
            self.screen.show_cue(None, self._clock())

    def due_in(self) -> float:
        """Seconds until the current pause or cue is over (a large number when idle)."""
        if self._index < 0:
            return 3600.0
        step = self._steps[self._index]
        span = step.hold_ms if self._cue_up else step.pause_ms
        return max(0.0, (self._since_ns + span * NS_PER_MS - self._clock()) / 1e9)

    def advance(self) -> None:
        """Move on when the current pause or cue is over: put the cue up, take it down, or finish."""
        while self._index >= 0 and self.due_in() <= 0:
            now = self._clock()
            if not self._cue_up:
                self._cue_up = True
                self._since_ns = now
                step = self._steps[self._index]
                self.screen.show_cue(step.direction, now)
                self._on_shown(self._index, step.direction, now)
                continue
            self._cue_up = False
            self._since_ns = now
            self.screen.show_cue(None, now)
            if self._on_hidden is not None:
                self._on_hidden(self._index, now)
            if self._index + 1 < len(self._steps):
                self._index += 1
                continue
            self._index = -1
            self._on_finished(now)
