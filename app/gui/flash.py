"""Plays the session's colour sequence on the preview canvas and time-stamps every colour.

Each step is anchored to the moment its first frame actually reached the screen
(the canvas's ``presented`` signal, see :mod:`app.gui.preview`), not to when it
was requested, so wipe and hold durations are honoured as displayed. Every
colour is written to the shared :class:`~app.core.screen.ScreenState` with that
time, the wipe duration and direction, and the gain (the attenuation's times the
step's level, linear light).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor

from app.core.capture.base import monotonic_ns
from app.core.challenge import DISPLAY_GAMMA, ColourStep
from app.core.screen import ScreenState
from app.gui.preview import Canvas, FlashPaint, with_start

log = logging.getLogger(__name__)

NS_PER_MS = 1_000_000


class FlashController(QObject):
    """Runs one colour sequence at a time.

    Parameters
    ----------
    canvas:
        The preview canvas that paints the overlay and reports presentation times.
    screen:
        Shared log of displayed colours (the simulated camera reads it).
    attenuation:
        0 (full brightness) .. 0.8; the emitted colour is scaled by ``1 - attenuation``.
    tick_ms:
        Animation tick (the wipe is redrawn at this rate or the display's, whichever is slower). One 60 Hz
        refresh: a display shows no more, and every repaint beyond it costs the camera thread frames (under
        load an 8 ms tick halved the frames captured during the colours, and with them the sweep's evidence).

    Signals
    -------
    colourShown(int index, int t_ns):
        Colour ``index`` began to reach the screen at ``t_ns`` (monotonic).
    sequenceFinished(int t_ns):
        The last colour's hold ended; the screen is neutral again.
    """

    colourShown = Signal(int, object)
    sequenceFinished = Signal(object)

    def __init__(
        self,
        *,
        canvas: Canvas,
        screen: ScreenState,
        attenuation: float = 0.0,
        tick_ms: int = 16,
        clock: Callable[[], int] = monotonic_ns,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._canvas = canvas
        self._screen = screen
        self._clock = clock
        self.attenuation = attenuation
        self._steps: list[ColourStep] = []
        self._shown: list[int | None] = []
        self._index = -1
        self._token = 0
        self._flash: FlashPaint | None = None
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self._on_tick)
        # Fires when the current colour's wipe + hold is over (armed once the colour is on screen).
        self._advance = QTimer(self)
        self._advance.setSingleShot(True)
        self._advance.setTimerType(Qt.TimerType.PreciseTimer)
        self._advance.timeout.connect(self._on_advance)
        canvas.presented.connect(self._on_presented)

    @property
    def timing_source(self) -> str:
        """Which Qt signal the colour times come from (stored in ``Challenge.timing_source``)."""
        return self._canvas.timing_source

    @property
    def gain(self) -> float:
        """Brightness factor applied to every flash colour."""
        return max(0.2, 1.0 - self.attenuation)

    @property
    def active(self) -> bool:
        """True while a sequence is playing."""
        return self._timer.isActive()

    def play(self, steps: list[ColourStep]) -> None:
        """Start the sequence from its first colour (a running one is dropped)."""
        if not steps:
            raise ValueError("a flash sequence needs at least one colour")
        self._steps = list(steps)
        self._shown = [None] * len(steps)
        self._begin(0)
        self._timer.start()

    def stop(self) -> None:
        """Stop at once (the face left the oval, or the session ended); the screen returns to neutral."""
        was_active = self._timer.isActive() or self._flash is not None
        self._timer.stop()
        self._advance.stop()
        self._flash = None
        self._index = -1
        self._canvas.set_flash(None)
        if was_active:
            self._screen.show(ScreenState.NEUTRAL, self._clock())

    def _colour(self, step: ColourStep) -> QColor:
        # The attenuation scales the code value (as it always has); the step's level is linear light, so its code
        # value is level ** (1 / gamma) on a display of the assumed gamma.
        g = self.gain * step.level ** (1.0 / DISPLAY_GAMMA)
        r, gr, b = step.rgb
        return QColor(round(r * g), round(gr * g), round(b * g))

    def _begin(self, index: int) -> None:
        self._index = index
        self._token += 1
        step = self._steps[index]
        previous = self._colour(self._steps[index - 1]) if index > 0 else None
        self._flash = FlashPaint(self._token, self._colour(step), previous, None, step.wipe_ms * NS_PER_MS, step.direction)
        self._canvas.set_flash(self._flash)

    def _on_presented(self, token: int, t_ns: int) -> None:
        flash = self._flash
        if flash is None or token != flash.token or flash.start_ns is not None:
            return
        index = self._index
        step = self._steps[index]
        self._flash = with_start(flash, t_ns)
        self._canvas.renderer.flash = self._flash
        self._shown[index] = t_ns
        self._screen.show(step.rgb, t_ns, wipe_ns=step.wipe_ms * NS_PER_MS, gain=self.gain * step.level, direction=step.direction)
        remaining_ms = step.duration_ms - (self._clock() - t_ns) / NS_PER_MS
        self._advance.start(max(0, int(remaining_ms)))
        self.colourShown.emit(index, t_ns)

    def _on_tick(self) -> None:
        """Repaint while a colour waits to reach the screen or is wiping down."""
        flash = self._flash
        if flash is None:
            self._timer.stop()
            return
        if flash.start_ns is None or self._clock() - flash.start_ns <= flash.wipe_ns + 20 * NS_PER_MS:
            self._canvas.update()  # a holding colour needs no repaint

    def _on_advance(self) -> None:
        """The current colour's time is over: next colour, or the end of the sequence."""
        flash = self._flash
        if flash is None or flash.start_ns is None:
            return
        step = self._steps[self._index]
        now = self._clock()
        left_ms = step.duration_ms - (now - flash.start_ns) / NS_PER_MS
        if left_ms > 1.0:  # woke up early (timer granularity): wait for the rest
            self._advance.start(int(left_ms))
            return
        if self._index + 1 < len(self._steps):
            self._begin(self._index + 1)
            return
        self._timer.stop()
        self._flash = None
        self._index = -1
        self._canvas.set_flash(None)
        self._screen.show(ScreenState.NEUTRAL, now)
        self.sequenceFinished.emit(now)
