"""The frame type every source produces and every stage consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Frame:
    """One captured image.

    Attributes
    ----------
    image:
        BGR ``uint8`` array of shape (height, width, 3), OpenCV's native order.
    t_ns:
        Capture time on the monotonic clock (``time.monotonic_ns()``), the same
        clock the GUI uses to stamp displayed colours.
    index:
        0-based position in the source's stream.
    """

    image: np.ndarray
    t_ns: int
    index: int

    def __post_init__(self) -> None:
        img = self.image
        if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            shape = getattr(img, "shape", None)
            dtype = getattr(img, "dtype", None)
            raise ValueError(f"Frame.image must be a BGR uint8 array (H, W, 3); got shape {shape} dtype {dtype}")

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


@dataclass
class SourceInfo:
    """What a frame source reports about itself once opened."""

    kind: str  # "camera", "file", "recording", "sim"
    name: str
    width: int = 0
    height: int = 0
    #: Nominal (requested/declared) frame rate.
    fps: float = 0.0
    #: Device facts (camera sources): driver, bus, virtual verdict; empty otherwise.
    device: dict[str, Any] = field(default_factory=dict)
    #: Exposure / white-balance locks requested and what the backend achieved.
    controls: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "device": dict(self.device),
            "controls": dict(self.controls),
        }
