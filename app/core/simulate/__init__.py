"""The synthetic participant: live users and attacks rendered in front of the kiosk."""

from __future__ import annotations

from typing import Any


def open_sim_source(species: str, params: dict[str, str], *, screen: Any = None, realtime: bool = True) -> Any:
    """Build a simulated camera for ``sim:<species>`` (implemented by the simulator issue)."""
    from app.core.errors import ConfigError

    raise ConfigError(f"sim:{species}: the simulator is not built yet")
