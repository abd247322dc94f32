"""``sim:<species>`` as a frame source: a simulated camera for the GUI, tests and demos."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import numpy as np

from app.core.capture.base import FrameSource, monotonic_ns
from app.core.capture.frame import Frame, SourceInfo
from app.core.challenge import Oval
from app.core.errors import CameraError, CameraStalled
from app.core.screen import ScreenState
from app.core.simulate.simulation import FPS, FRAME_NS, HEIGHT, WIDTH, FrameTruth, Simulation, make_simulation

log = logging.getLogger(__name__)


class SimSource(FrameSource):
    """A simulated camera in front of which a live user (or an attack) stands.

    Parameters
    ----------
    species:
        ``live``, ``live-hard``, ``print``, ``curved-print``, ``screen-replay``,
        ``injection``, ``injection-forged-light`` or ``mask``.
    params:
        Resolved parameters (see :func:`app.core.simulate.params.resolve_params`).
    screen:
        The GUI's screen state; the rendered face responds to the colour it logs.
        A private (always neutral) one when ``None``.
    realtime:
        True: ``read()`` paces to 30 fps and stamps frames with
        ``time.monotonic_ns()``. False: a virtual clock (start + index x 33.3 ms),
        rendering as fast as possible.

    Notes
    -----
    ``truth`` holds the last frame's ground truth (for tests and labels; the
    app's scoring must never look at it).
    """

    def __init__(self, species: str, params: dict[str, Any], *, screen: ScreenState | None = None, realtime: bool = True) -> None:
        super().__init__()
        self.species = species
        self.params = params
        self.screen = screen if screen is not None else ScreenState()
        self.realtime = realtime
        self.simulation: Simulation | None = None
        self.truth: FrameTruth | None = None
        self._lock = threading.Lock()
        self._index = -1
        self._t0 = 0
        self._last_stamp = 0
        self._pending_oval: Oval | None = None
        self.info = SourceInfo(kind="sim", name="simulated camera", width=WIDTH, height=HEIGHT, fps=FPS)

    # -- FrameSource -----------------------------------------------------------------

    def open(self) -> None:
        t0 = self.params.get("t0")
        self._t0 = int(t0) if t0 is not None else monotonic_ns()
        sim = make_simulation(self.species, self.params, screen=self.screen, t0_ns=self._t0)
        with self._lock:
            self.simulation = sim
            if self._pending_oval is not None:
                sim.set_oval(self._pending_oval, self._t0)
                self._pending_oval = None
        self._index = -1
        self._last_stamp = 0
        device = sim.device_info()
        self.info = SourceInfo(
            kind="sim",
            # The device name only: the species is ground truth and must not leak into recordings.
            name=f"{device['name']} (simulated)",
            width=WIDTH,
            height=HEIGHT,
            fps=FPS,
            device=device,
            controls=sim.controls(),
        )

    def read(self, timeout: float = 2.0) -> Frame:
        sim = self.simulation
        if sim is None:
            raise CameraError(f"sim:{self.species} is not open; call open() first")
        index = self._index + 1
        if self.realtime and int(self.params.get("realtime_skip", 1)):
            # Like a camera that keeps capturing: frames the reader was too slow for are gone.
            behind = (monotonic_ns() - self._t0) // FRAME_NS
            index = max(index, int(behind))
        due = self._t0 + index * FRAME_NS
        if self._stalled(due):
            if self.realtime:
                time.sleep(max(0.0, timeout) / 2)
            silent = (monotonic_ns() - self._last_stamp) / 1e9 if self._last_stamp else 0.0
            raise CameraStalled(
                f"sim:{self.species} stopped delivering frames (behaviour=stall after {self.params['stall_after']} s; "
                f"{silent:.1f} s without a frame); reconnect the camera and try again"
            )
        if self.realtime:
            delay = (due - monotonic_ns()) / 1e9
            if delay > 0:
                time.sleep(delay)
        t_ns = max(due + self._jitter(index), self._last_stamp + 1)
        with self._lock:
            image, truth = sim.render(index, t_ns)
        self._index = index
        self._last_stamp = t_ns
        self.truth = truth
        return self._note(Frame(image, t_ns, index))

    def close(self) -> None:
        with self._lock:
            self.simulation = None

    # -- simulator API ---------------------------------------------------------------

    def set_oval(self, oval: Oval) -> None:
        """Tell the simulated user which oval the app shows (a new session starts).

        The user aims at it: if already near, they step back, then approach again.
        Call once per session; safe from any thread.
        """
        with self._lock:
            if self.simulation is None:
                self._pending_oval = oval
                return
            now = monotonic_ns() if self.realtime else self._t0 + max(self._index, 0) * FRAME_NS
            self.simulation.set_oval(oval, now)

    @property
    def oval(self) -> Oval | None:
        return self.simulation.oval if self.simulation is not None else self._pending_oval

    # -- helpers ---------------------------------------------------------------------

    def _stalled(self, due: int) -> bool:
        if self.params.get("behaviour") != "stall":
            return False
        return (due - self._t0) / 1e9 >= float(self.params.get("stall_after", 3.0))

    def _jitter(self, index: int) -> int:
        sigma = self.simulation.jitter_ms if self.simulation is not None else 0.0
        if sigma <= 0:
            return 0
        rng = np.random.default_rng([int(self.params["seed"]), index, 99])
        return int(np.clip(rng.normal(0.0, sigma), -3 * sigma, 3 * sigma) * 1e6)
