"""How the simulated person (or the attacker's prop) moves: approach, hold, sway, blink, leave.

A :class:`Motion` turns time (seconds since the source opened) into a pose.
It aims at the oval the app shows: the final position is solved so that the
*geometric* face box (the reference product's rule applied to the projected
3D landmarks of the subject) fills the oval by ``fit_ratio``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.core.challenge import Box, Oval, face_box
from app.core.simulate.render import PinholeCamera, Pose, rotation

BEHAVIOURS = ("cooperative", "never-approach", "too-close", "leaves", "second-face", "stall")


def min_jerk(tau: float) -> float:
    """Minimum-jerk profile 0..1 (smooth start and stop, like a reaching movement)."""
    tau = min(max(tau, 0.0), 1.0)
    return tau**3 * (10 - 15 * tau + 6 * tau**2)


@dataclass
class MotionParams:
    """Per-seed movement parameters (see docs/simulator.md for ranges)."""

    behaviour: str = "cooperative"
    wait_s: float = 0.6
    approach_s: float = 1.6
    start_ratio: float = 0.54
    fit_ratio: float = 0.97
    aim_error: float = 0.02  # centre error, fraction of the oval width
    too_close_ratio: float = 1.35
    start_offset_x: float = 0.02  # metres
    start_offset_y: float = 0.01
    sway_deg: float = 1.5
    sway_mm: float = 3.0
    hold_calm: float = 0.45  # sway factor while holding still
    #: Slow drift while holding still (real people settle, turn to read the screen, lean): amplitude of a
    #: 0.1-0.4 Hz head turn/nod (degrees) and lean (mm); 0 = off (the default: seeds render as before).
    hold_drift_deg: float = 0.0
    hold_drift_mm: float = 0.0
    yaw0_deg: float = 0.0
    pitch0_deg: float = 0.0
    roll0_deg: float = 0.0
    leave_after_s: float = 2.5
    blink_interval_s: float = 3.5
    blink_ms: float = 180.0
    blinks: bool = True
    phase_seed: int = 0


#: Yaw sign (radians of :func:`rotation`) of a turn to the person's own left / right.
CUE_YAW_SIGN = {"left": -1.0, "right": 1.0}
#: Pitch sign of a nod up (chin up: the nose tip moves up in the image) / down.
CUE_PITCH_SIGN = {"up": -1.0, "down": 1.0}


class CueFollower:
    """Head (or prop) yaw and pitch that follow the screen's head-movement cues with a human reaction time.

    Each cue change (a cue going up, or down) starts a minimum-jerk turn toward its target yaw
    (``amplitude`` to the cued side, or back to 0) or pitch (``pitch_amplitude`` up or down, for a nod cue)
    after a reaction time drawn per change around
    ``reaction_ms`` (+-``reaction_jitter_ms``). Turns that overlap blend (each adds its own step),
    as a person who reacts to the next cue before the last turn has finished.

    Parameters
    ----------
    cues:
        Returns every cue change so far as ``(t_ns, direction or None)`` (the screen state's log).
    t0_ns:
        Clock value of scene time 0.
    amplitude_deg, reaction_ms, reaction_jitter_ms, turn_s:
        The participant's turn size, mean reaction time, its spread, and the turn's duration.
    pitch_amplitude_deg:
        The participant's nod size (people nod less far than they turn); the nod takes ``turn_s`` too.
    seed:
        Stream of the per-change reaction times and amplitudes.
    """

    def __init__(self, cues: Callable[[], list[tuple[int, str | None]]], t0_ns: int, *, amplitude_deg: float,
                 reaction_ms: float, reaction_jitter_ms: float, turn_s: float, seed: int,
                 pitch_amplitude_deg: float = 15.0) -> None:
        self._cues = cues
        self.t0_ns = int(t0_ns)
        self.amplitude = math.radians(amplitude_deg)
        self.pitch_amplitude = math.radians(pitch_amplitude_deg)
        self.reaction_s = reaction_ms / 1000.0
        self.jitter_s = reaction_jitter_ms / 1000.0
        self.turn_s = max(0.05, turn_s)
        self.seed = int(seed)

    def _draw(self, k: int) -> tuple[float, float]:
        rng = np.random.default_rng([self.seed, 61, k])
        reaction = max(0.15, self.reaction_s + float(rng.uniform(-1, 1)) * self.jitter_s)
        return reaction, float(rng.uniform(0.8, 1.2))

    def turn(self, t: float) -> tuple[float, float]:
        """Yaw and pitch offsets (radians) at scene time ``t``."""
        total, previous = np.zeros(2), np.zeros(2)
        for k, (t_ns, direction) in enumerate(self._cues()):
            reaction, scale = self._draw(k)
            d = direction or ""
            target = np.array([CUE_YAW_SIGN.get(d, 0.0) * self.amplitude, CUE_PITCH_SIGN.get(d, 0.0) * self.pitch_amplitude]) * scale
            begin = (t_ns - self.t0_ns) / 1e9 + reaction
            if t <= begin:
                break
            total += (target - previous) * min_jerk((t - begin) / self.turn_s)
            previous = target
        return float(total[0]), float(total[1])

    def yaw(self, t: float) -> float:
        """Yaw offset (radians) at scene time ``t``."""
        return self.turn(t)[0]


class Motion:
    """Pose of a subject over time.

    Parameters
    ----------
    params:
        Movement parameters.
    camera:
        The camera (for solving where the subject must be to fill the oval).
    points3d:
        The subject's landmark points in its local frame (478, 3); the face
        box is computed from their projection.
    oval:
        The oval aimed at.
    autostart:
        Approach after ``wait_s``; otherwise wait far until :meth:`set_oval`.
    """

    def __init__(self, params: MotionParams, camera: PinholeCamera, points3d: np.ndarray, oval: Oval, *, autostart: bool = True) -> None:
        self.p = params
        self.camera = camera
        self.points3d = points3d
        self.oval = oval
        rng = np.random.default_rng([params.phase_seed, 11])
        # Sway: two incommensurate sinusoids per degree of freedom.
        self._freq = rng.uniform(0.12, 0.6, (6, 2))
        self._phase = rng.uniform(0, 2 * math.pi, (6, 2))
        self._blinks = self._blink_times(rng)
        self.base_rot = (math.radians(params.yaw0_deg), math.radians(params.pitch0_deg), math.radians(params.roll0_deg))
        self.start = self._solve(oval, params.start_ratio, (params.start_offset_x, params.start_offset_y))
        self.target = self._target_for(oval)
        # Segments: (t_begin, duration, from, to).
        self._segments: list[tuple[float, float, np.ndarray, np.ndarray]] = []
        self._approach_end: float | None = None
        self._now = 0.0
        #: Follows head-movement cues when set (movement-only checks): a yaw and a pitch added to the pose.
        self.follow: CueFollower | None = None
        if params.behaviour == "too-close":
            self.start = self.target.copy()
        if autostart:
            self._plan_approach(params.wait_s)

    # -- aiming ----------------------------------------------------------------------

    def box_at(self, pos: np.ndarray) -> Box:
        """Geometric face box with the subject at ``pos`` (no sway)."""
        R = rotation(*self.base_rot)
        pts = self.camera.project(self.points3d @ R.T + pos)
        return face_box(pts)

    def _solve(self, oval: Oval, ratio: float, offset_m: tuple[float, float] | None = None, centre_err: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
        """Position where the face box is ``ratio`` x oval width, centred on the oval (+ error)."""
        f = self.camera.f
        pos = np.array([0.0, 0.0, 0.4])
        want_w = ratio * oval.w
        want_cx = oval.cx + centre_err[0] * oval.w
        want_cy = oval.cy + centre_err[1] * oval.w
        for _ in range(8):
            box = self.box_at(pos)
            pos[2] *= box.w / want_w
            box = self.box_at(pos)
            pos[0] += (want_cx - box.cx) * pos[2] / f
            pos[1] += (want_cy - box.cy) * pos[2] / f
        if offset_m is not None:
            pos[0] += offset_m[0]
            pos[1] += offset_m[1]
        return pos

    def _target_for(self, oval: Oval) -> np.ndarray:
        rng = np.random.default_rng([self.p.phase_seed, 13, int(oval.cx * 10), int(oval.cy * 10)])
        err = tuple(rng.uniform(-1, 1, 2) * self.p.aim_error)
        ratio = self.p.too_close_ratio if self.p.behaviour == "too-close" else self.p.fit_ratio
        return self._solve(oval, ratio, None, err)  # type: ignore[arg-type]

    def _plan_approach(self, t_begin: float) -> None:
        if self.p.behaviour in ("never-approach", "too-close"):
            return
        self._segments.append((t_begin, self.p.approach_s, self.start.copy(), self.target.copy()))
        self._approach_end = t_begin + self.p.approach_s

    def set_oval(self, oval: Oval, now: float) -> None:
        """A new session shows ``oval`` at time ``now``: re-aim (stepping back first if already near)."""
        if oval == self.oval and self._segments:
            return
        self.oval = oval
        self.target = self._target_for(oval)
        if self.p.behaviour == "too-close":
            self._segments = [(now, 0.5, self._base_position(now), self.target.copy())]
            return
        current = self._base_position(now)
        if not self._segments or (self._segments[0][0] > now and len(self._segments) == 1):
            # Not moving yet: just approach the new oval after the usual wait.
            self._segments = []
            self._plan_approach(max(now, 0.0) + self.p.wait_s)
            return
        back = 0.8
        self._segments = [(now, back, current, self.start.copy())]
        self._plan_approach(now + back + 0.5)

    @property
    def approach_end(self) -> float | None:
        """Time the (last) approach ends, None when the subject never approaches."""
        return self._approach_end

    # -- pose ------------------------------------------------------------------------

    def _base_position(self, t: float) -> np.ndarray:
        pos = self.start.copy()
        for t0, dur, a, b in self._segments:
            if t >= t0:
                pos = a + (b - a) * min_jerk((t - t0) / dur if dur > 0 else 1.0)
        if self.p.behaviour == "leaves" and self._approach_end is not None:
            t_leave = self._approach_end + self.p.leave_after_s
            if t > t_leave:
                side = 1.0 if self.oval.cx < self.camera.width / 2 else -1.0
                pos = pos + np.array([side * 0.55 * min_jerk((t - t_leave) / 0.7), 0.0, 0.0])
        return pos

    def _sway(self, t: float) -> np.ndarray:
        s = np.sin(2 * math.pi * self._freq * t + self._phase).sum(axis=1) / 2
        calm = 1.0
        if self._approach_end is not None and t > self._approach_end:
            calm = self.p.hold_calm
        rot = np.radians(self.p.sway_deg) * s[:3] * calm
        trans = self.p.sway_mm * 1e-3 * s[3:] * calm
        if (self.p.hold_drift_deg > 0 or self.p.hold_drift_mm > 0) and self._approach_end is not None:
            drift = self._drift(t)
            rot, trans = rot + drift[:3], trans + drift[3:]
        return np.r_[rot, trans]

    def _drift(self, t: float) -> np.ndarray:
        """Slow head turn/nod and lean while holding still, faded in over 0.5 s after the approach ends."""
        held = t - float(self._approach_end or 0.0)
        if held <= 0:
            return np.zeros(6)
        fade = min_jerk(held / 0.5)
        if getattr(self, "_drift_fp", None) is None:
            rng = np.random.default_rng([self.p.phase_seed & 0xFFFFFFFF, 0x44524654])  # "DRFT": its own stream
            self._drift_fp = (rng.uniform(0.1, 0.4, (6, 2)), rng.uniform(0, 2 * math.pi, (6, 2)))
        freq, phase = self._drift_fp
        s = np.sin(2 * math.pi * freq * held + phase).sum(axis=1) / 2 - np.sin(phase).sum(axis=1) / 2
        s[2] *= 0.3  # little roll
        return fade * np.r_[np.radians(self.p.hold_drift_deg) * s[:3], self.p.hold_drift_mm * 1e-3 * s[3:]]

    def pose(self, t: float) -> Pose:
        """Pose at ``t`` seconds after the source opened."""
        self._now = t
        pos = self._base_position(t)
        sw = self._sway(t)
        turn, nod = self.follow.turn(t) if self.follow is not None else (0.0, 0.0)
        R = rotation(self.base_rot[0] + sw[0] + turn, self.base_rot[1] + sw[1] + nod, self.base_rot[2] + sw[2])
        return Pose(R, pos + sw[3:])

    # -- blinks ----------------------------------------------------------------------

    def _blink_times(self, rng: np.random.Generator) -> np.ndarray:
        times, t = [], float(rng.uniform(0.8, 2.0))
        while t < 600:
            times.append(t)
            t += float(rng.uniform(0.6, 1.4)) * self.p.blink_interval_s
        return np.array(times)

    def blink(self, t: float) -> float:
        """Eyelid closure 0 (open) .. 1 (closed)."""
        if not self.p.blinks:
            return 0.0
        dur = self.p.blink_ms / 1000.0
        i = int(np.searchsorted(self._blinks, t)) - 1
        if i < 0:
            return 0.0
        dt = t - self._blinks[i]
        if dt > dur:
            return 0.0
        close = 0.4 * dur
        if dt < close:
            return math.sin(0.5 * math.pi * dt / close)
        return math.cos(0.5 * math.pi * (dt - close) / (dur - close))


def entry_motion(start: np.ndarray, end: np.ndarray, t_enter: float, duration: float = 0.8) -> Callable[[float], np.ndarray]:
    """A straight entry (for the second face): off-frame until ``t_enter``, then slides in."""

    def at(t: float) -> np.ndarray:
        return start + (end - start) * min_jerk((t - t_enter) / duration)

    return at
