"""The versioned scoring configuration (``fusion_config.json`` beside this module).

It holds the fitted numbers: the default threshold, the fusion weights, and
the stages' calibrated options (lag window, score coefficients), together with
how they were obtained (training and validation seeds, counts, date, method).
A missing or partly bad file never stops scoring: bad keys are dropped with a
warning and the code defaults are used for them. Its stage sections are those of the
declared stages (``registry.py``): a section for a stage that is not declared is kept
aside and makes building a scorer fail with a clear error (a renamed or removed stage).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core import defaults
from app.core.scoring.registry import STAGES, StageRegistry

log = logging.getLogger(__name__)

CONFIG_PATH = Path(__file__).with_name("fusion_config.json")
SCHEMA_VERSION = 1


@dataclass
class FusionOptions:
    """How the stages' evidence becomes a confidence.

    ``confidence = 100 * sigmoid(bias + sum(weights[k] * input[k]))``. A key is
    a stage name (its clipped log-odds, an abstention counting as the most
    negative) or ``stage.feature`` (a number from that stage's evidence, e.g.
    ``light.shade``; ``texture.score`` is MiniFASNet's probability, ``texture.logit`` its log-odds); missing
    inputs take ``fill[k]`` (default 0). The calibration constrains each
    weight's sign to what the physics says, so more liveness evidence never
    lowers the confidence. Stages in ``required`` must not abstain for a pass.
    """

    bias: float = 1.0
    weights: dict[str, float] = field(
        default_factory=lambda: {"light": 0.6, "geometry": 0.4, "texture": 0.2, "injection": 0.2, "quality": 0.1}
    )
    fill: dict[str, float] = field(default_factory=dict)
    required: tuple[str, ...] = ("quality", "light", "geometry", "injection")
    hard_fail_cap: float = 5.0


@dataclass
class ScoringConfig:
    """All calibrated numbers of the scoring pipeline.

    ``stages`` holds each declared stage's options by configuration section; they are also attributes
    (``config.light`` is ``config.stages["light"]``).
    """

    threshold: float = defaults.THRESHOLD
    version: str = "defaults"
    fusion: FusionOptions = field(default_factory=FusionOptions)
    stages: dict[str, Any] = field(default_factory=STAGES.default_options)
    obtained: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    #: Sections of the file that no declared stage claims (an error when a scorer is built).
    unknown_sections: tuple[str, ...] = ()

    def __getattr__(self, name: str) -> Any:
        # Only called for names that are not real attributes: a stage's options by its section name.
        stages = self.__dict__.get("stages")
        if stages is not None and name in stages:
            return stages[name]
        raise AttributeError(f"{type(self).__name__} has no attribute or stage section {name!r}")

    @classmethod
    def load(cls, path: Path | None = None, *, registry: StageRegistry = STAGES) -> "ScoringConfig":
        """Read the config; tolerant of a missing file and of bad keys (warned and dropped)."""
        path = path or CONFIG_PATH
        cfg = cls(stages=registry.default_options())
        data = read_config_object(path, "scoring config")
        if data is None:
            return cfg
        if data.get("schema_version") != SCHEMA_VERSION:
            log.warning("scoring config %s has schema %r (expected %d); reading what matches", path, data.get("schema_version"), SCHEMA_VERSION)
        cfg.raw = data
        cfg.threshold = read_threshold(data, cfg.threshold, "scoring config")
        cfg.version = str(data.get("config_version", cfg.version))
        cfg.obtained = dict(data.get("obtained") or {})
        cfg.fusion = _apply(cfg.fusion, data.get("fusion"), "fusion")
        sections = data.get("stages") or {}
        if not isinstance(sections, dict):
            log.warning("scoring config: stages is not an object; using the stages' defaults")
            sections = {}
        cfg.unknown_sections = tuple(str(k) for k in sections if k not in cfg.stages)
        for name in cfg.unknown_sections:
            log.warning("scoring config: section stages.%s belongs to no declared stage", name)
        for name, options in cfg.stages.items():
            cfg.stages[name] = _apply(options, sections.get(name), name)
        return cfg

    def check(self, registry: StageRegistry = STAGES) -> None:
        """Raise :class:`~app.core.errors.ConfigError` unless the sections match the declared stages."""
        registry.check(self.stages, self.unknown_sections)

    def to_dict(self) -> dict[str, Any]:
        """The config as written to ``fusion_config.json`` (stage sections in the file's order, new ones last)."""

        def opts(o: Any) -> dict[str, Any]:
            return {f.name: _jsonable(getattr(o, f.name)) for f in dataclasses.fields(o)}

        known = self.raw.get("stages") if isinstance(self.raw.get("stages"), dict) else {}
        order = [n for n in known if n in self.stages] + [n for n in self.stages if n not in known]
        return {
            "schema_version": SCHEMA_VERSION,
            "config_version": self.version,
            "threshold": self.threshold,
            "fusion": opts(self.fusion),
            "stages": {n: opts(self.stages[n]) for n in order},
            "obtained": self.obtained,
        }

    def save(self, path: Path | None = None) -> Path:
        path = path or CONFIG_PATH
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n", encoding="utf-8")
        return path


@functools.lru_cache(maxsize=4)
def _calibrated(path: Path) -> float:
    return ScoringConfig.load(path).threshold


def calibrated_threshold(config: ScoringConfig | None = None) -> float:
    """The decision threshold the scoring configuration was calibrated for.

    The one way every caller (GUI, API, ``livegate verify``, ``livegate eval``, the accuracy report) learns
    the default threshold: from ``config`` when given, else from the shipped configuration (read once).
    """
    if config is not None:
        return float(config.threshold)
    return _calibrated(CONFIG_PATH)


def read_config_object(path: Path, what: str) -> dict[str, Any] | None:
    """The JSON object in ``path``, or ``None`` (warned) when it is missing, unreadable or not an object:
    a calibration file never stops scoring; the built-in defaults apply instead."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        log.warning("%s %s is missing; using built-in defaults", what, path)
        return None
    except (OSError, ValueError) as exc:
        log.warning("%s %s is unreadable (%s); using built-in defaults", what, path, exc)
        return None
    if not isinstance(data, dict):
        log.warning("%s %s is not an object; using built-in defaults", what, path)
        return None
    return data


def read_threshold(data: dict[str, Any], default: float, what: str) -> float:
    """``data["threshold"]`` as a number, else ``default`` (a bad value is warned and dropped)."""
    try:
        return float(data.get("threshold", default))
    except (TypeError, ValueError):
        log.warning("%s: bad threshold %r dropped", what, data.get("threshold"))
        return default


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple):
        return list(v)
    return v


def _apply(options: Any, data: Any, section: str) -> Any:
    """Copy of ``options`` with the matching keys of ``data`` applied (bad ones warned and dropped)."""
    if not isinstance(data, dict):
        return options
    known = {f.name: f for f in dataclasses.fields(options)}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            log.warning("scoring config [%s]: unknown key %r dropped", section, key)
            continue
        current = getattr(options, key)
        try:
            if isinstance(current, tuple):
                value = tuple(type(current[0])(v) for v in value) if current else tuple(value)
                if len(value) != len(current) and key.endswith("_ms"):
                    raise ValueError("wrong length")
            elif isinstance(current, dict):
                value = {str(k): float(v) for k, v in dict(value).items()}
            elif isinstance(current, bool):
                value = bool(value)
            elif isinstance(current, int):
                value = int(value)
            elif isinstance(current, float):
                value = float(value)
        except (TypeError, ValueError) as exc:
            log.warning("scoring config [%s]: bad value for %r (%s) dropped", section, key, exc)
            continue
        changes[key] = value
    return dataclasses.replace(options, **changes)
