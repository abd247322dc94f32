"""The synthetic participant: live users and attacks rendered in front of the kiosk.

Entry points
------------
- :func:`open_sim_source` builds the ``sim:<species>`` frame source (GUI, tests, demos).
- :mod:`app.core.simulate.session` plays whole sessions and writes labelled recordings.
- :mod:`app.core.simulate.cli` is ``livegate simulate``.

See ``docs/simulator.md`` for the physics, the species and the parameter ranges.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core.simulate.params import SPECIES

if TYPE_CHECKING:
    from app.core.screen import ScreenState
    from app.core.simulate.source import SimSource

__all__ = ["SPECIES", "open_sim_source"]


def open_sim_source(species: str, params: dict[str, str] | None = None, *, screen: "ScreenState | None" = None, realtime: bool = True) -> "SimSource":
    """Build (not open) the simulated camera for ``sim:<species>?key=value&...``.

    Parameters
    ----------
    species:
        One of :data:`SPECIES`.
    params:
        String overrides from the spec (``seed``, ``behaviour``, ``oval``, any sampled parameter).
    screen:
        The GUI's :class:`~app.core.screen.ScreenState`; the simulated face reacts to it.
    realtime:
        Pace to 30 fps on ``time.monotonic_ns()``; otherwise a virtual clock.

    Raises
    ------
    ConfigError
        Unknown species, behaviour or parameter, or a malformed value.
    """
    from app.core.simulate.params import resolve_params
    from app.core.simulate.source import SimSource

    resolved = resolve_params(species, params or {})
    return SimSource(species, resolved, screen=screen, realtime=realtime)
