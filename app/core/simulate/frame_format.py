"""The simulated camera's frame format (size and rate), shared by the simulation and the species' props."""

from __future__ import annotations

WIDTH, HEIGHT, FPS = 640, 480, 30.0
FRAME_NS = int(round(1e9 / FPS))
