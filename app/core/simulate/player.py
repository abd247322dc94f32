"""The app's side of a session, played by the simulator: wait for the fit, hold, flash the colours.

Used by the generator (the outer session of every recording) and inside the
replay attacks (the genuine session that was recorded earlier, with its own
colour sequence). It follows the same rules as the GUI flow: the face must fit
the oval for a few consecutive frames, then ~1 s of "hold still", then each
:class:`~app.core.challenge.ColourStep` wipes in its direction at its level and holds; each colour's
start is logged in ``challenge.shown_ns`` and in the :class:`ScreenState`
(same clock as the frame stamps), at display-refresh granularity.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from app.core.challenge import Box, Challenge, fit_state
from app.core.screen import ScreenState

log = logging.getLogger(__name__)


@dataclass
class PlayerTiming:
    """Timings of the app flow (reference product values)."""

    fit_frames: int = 3
    hold_s: float = 1.0
    time_limit_s: float = 7.0
    tail_s: float = 0.5
    refresh_hz: float = 60.0
    #: Area-weighted overlay opacity: 90% outside the oval, 75% inside.
    flash_gain: float = 0.86


class ChallengePlayer:
    """State machine: approach -> hold -> colours -> tail -> done (or time-out -> tail -> done).

    Parameters
    ----------
    challenge:
        The session's challenge; ``shown_ns`` is filled as colours are scheduled.
    screen:
        Where the displayed colours are logged (the renderer reads it).
    start_ns:
        Session start on the frame clock.
    seed:
        For the small presentation jitter of each colour (vsync phase).
    """

    def __init__(self, challenge: Challenge, screen: ScreenState, start_ns: int, *, timing: PlayerTiming | None = None, seed: int = 0) -> None:
        self.challenge = challenge
        self.screen = screen
        self.timing = timing or PlayerTiming()
        self.start_ns = int(start_ns)
        self.state = "approach"
        self._fit_count = 0
        self._hold_until = 0
        self._colours_end = 0
        self._done_at = 0
        self._rng = np.random.default_rng([seed, 23])
        self.fit_ns: int | None = None
        self.timed_out = False

    @property
    def done(self) -> bool:
        return self.state == "done"

    @property
    def colours_end_ns(self) -> int:
        """End of the colours (or of the head-turn cues)."""
        return self._colours_end

    def step(self, t_ns: int, face: Box | None) -> None:
        """Advance with the frame stamped ``t_ns`` whose (largest) face box is ``face``."""
        tm = self.timing
        if self.state == "approach":
            fits = face is not None and fit_state(face, self.challenge.oval).fits
            self._fit_count = self._fit_count + 1 if fits else 0
            if self._fit_count >= tm.fit_frames:
                self.state = "hold"
                self.fit_ns = t_ns
                self._hold_until = t_ns + int(tm.hold_s * 1e9)
            elif t_ns - self.start_ns > tm.time_limit_s * 1e9:
                self.timed_out = True
                self.state = "tail"
                self._done_at = t_ns + int(tm.tail_s * 1e9)
        elif self.state == "hold":
            if t_ns >= self._hold_until:
                if self.challenge.moves:
                    self._schedule_cues(t_ns)
                else:
                    self._schedule_colours(t_ns)
                self.state = "colours" if self.challenge.colours or self.challenge.moves else "tail"
                self._done_at = self._colours_end + int(tm.tail_s * 1e9)
        elif self.state == "colours":
            if t_ns >= self._colours_end:
                self.state = "tail"
        elif self.state == "tail":
            if t_ns >= self._done_at:
                self.state = "done"

    def _schedule_cues(self, t_ns: int) -> None:
        """Log every head-turn cue: a pause facing the screen, then the cue for its hold time, refresh-aligned."""
        period = 1e9 / self.timing.refresh_hz
        t = float(t_ns) + period
        self.screen.show_cue(None, int(t))
        for step in self.challenge.moves:
            shown = int(round((t + step.pause_ms * 1e6) / period) * period + self._rng.normal(0.0, 3e5))
            self.screen.show_cue(step.direction, shown)
            self.challenge.cue_ns.append(shown)
            t = shown + step.hold_ms * 1e6
            self.screen.show_cue(None, int(t))
        self._colours_end = int(round(t / period) * period)
        self.challenge.timing_source = "simulator: presentation time at display refresh"

    def _schedule_colours(self, t_ns: int) -> None:
        """Log every colour's presentation time: refresh-aligned, each after the previous one's duration."""
        period = 1e9 / self.timing.refresh_hz
        t = float(t_ns) + period
        gain = self.timing.flash_gain
        for step in self.challenge.colours:
            shown = int(round(t / period) * period + self._rng.normal(0.0, 3e5))
            self.screen.show(step.rgb, shown, wipe_ns=int(step.wipe_ms * 1e6), gain=gain * step.level, direction=step.direction)
            self.challenge.shown_ns.append(shown)
            t = shown + step.duration_ms * 1e6
        end = int(round(t / period) * period)
        if self.challenge.colours:
            self.screen.show(ScreenState.NEUTRAL, end)
        self._colours_end = end
        self.challenge.timing_source = "simulator: presentation time at display refresh"
