"""The movement-only check's own calibrated numbers (``movement_config.json`` beside this module).

Kept apart from ``fusion_config.json`` (the light check's) because the two
checks have different evidence and different fits: the movement stage's
thresholds and the fusion of movement, approach geometry, texture and
injection evidence into a confidence. A missing or bad file never stops
scoring: the code defaults are used (with a warning), as for the main config.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.scoring.config import FusionOptions, _apply, _jsonable, read_config_object, read_threshold
from app.core.scoring.stages.movement import MovementOptions

log = logging.getLogger(__name__)

MOVEMENT_CONFIG_PATH = Path(__file__).with_name("movement_config.json")


def _default_fusion() -> FusionOptions:
    return FusionOptions(
        bias=-4.0,
        weights={"movement": 0.5, "geometry.nose_depth_cm": 0.7846, "geometry.contour_depth_cm": 0.54257,
                 "geometry.nose_growth": 18.18944, "texture.logit": 0.19035},
        required=("quality", "movement", "geometry", "injection"),
    )


@dataclass
class MovementConfig:
    """Threshold, stage options and fusion of the movement-only check."""

    threshold: float = 60.0
    version: str = "defaults"
    stage: MovementOptions = field(default_factory=MovementOptions)
    fusion: FusionOptions = field(default_factory=_default_fusion)
    obtained: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> "MovementConfig":
        """Read the config; tolerant of a missing file and of bad keys (warned and dropped)."""
        path = path or MOVEMENT_CONFIG_PATH
        cfg = cls()
        data = read_config_object(path, "movement config")
        if data is None:
            return cfg
        cfg.threshold = read_threshold(data, cfg.threshold, "movement config")
        cfg.version = str(data.get("config_version", cfg.version))
        cfg.obtained = dict(data.get("obtained") or {})
        cfg.stage = _apply(cfg.stage, data.get("stage"), "movement.stage")
        cfg.fusion = _apply(cfg.fusion, data.get("fusion"), "movement.fusion")
        return cfg

    def to_dict(self) -> dict[str, Any]:
        def opts(o: Any) -> dict[str, Any]:
            return {f.name: _jsonable(getattr(o, f.name)) for f in dataclasses.fields(o)}

        return {"config_version": self.version, "threshold": self.threshold, "stage": opts(self.stage),
                "fusion": opts(self.fusion), "obtained": self.obtained}

    def save(self, path: Path | None = None) -> Path:
        path = path or MOVEMENT_CONFIG_PATH
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path
