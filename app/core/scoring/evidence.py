"""Typed evidence: what a stage measured, as a dataclass per stage.

A stage's evidence class lists its fields in the order the result document shows them; ``to_dict()`` gives
that JSON object (``Checks[].Evidence`` in ``docs/result.md``). A field a stage did not reach (it abstained
early, or the measurement needs more frames) stays :data:`UNSET` and is left out of the JSON, so every
abstention path shows exactly the keys it measured.

Fusion and the pipeline read evidence through the hooks of :class:`Evidence` (``installation_missing``,
``no_response``, ``capture_advice``, ``dark_room``, ``user_hints``, ``feature``), never by a stage's name or a
dictionary key, so a new stage can take part by overriding a hook in its own evidence class.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

E = TypeVar("E", bound="Evidence")


class _Unset:
    """Marker of an evidence field that was not measured (left out of the JSON)."""

    _instance: "_Unset | None" = None

    def __new__(cls) -> "_Unset":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "UNSET"


#: The one "not measured" marker (typed ``Any`` so that fields keep their real annotations).
UNSET: Any = _Unset()


def clean(value: Any, digits: int = 4) -> Any:
    """JSON-friendly evidence: floats rounded, NaN/inf as None, numpy scalars unwrapped."""
    if isinstance(value, Evidence):
        return value.cleaned(digits)
    if isinstance(value, dict):
        return {str(k): clean(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v, digits) for v in value]
    if isinstance(value, np.ndarray):
        return clean(value.tolist(), digits)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return round(v, digits) if math.isfinite(v) else None
    return value


def number(value: Any) -> float:
    """An evidence value as a float, NaN when unset, missing or not finite (comparisons are then False)."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        v = float(value)
        return v if math.isfinite(v) else math.nan
    return math.nan


@dataclass
class Evidence:
    """Base of every stage's evidence (no fields of its own; an empty object in JSON)."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of the result document: measured fields in declaration order."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is not UNSET:
                out[f.name] = value.to_dict() if isinstance(value, Evidence) else value
        return out

    def cleaned(self: E, digits: int = 4) -> E:
        """A copy made JSON-friendly (see :func:`clean`): what a stage's result carries."""
        return dataclasses.replace(self, **{k: clean(v, digits) for k, v in self.measured().items()})

    def measured(self) -> dict[str, Any]:
        """The measured fields (not :data:`UNSET`) as they are, without converting nested values."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if getattr(self, f.name) is not UNSET}

    @classmethod
    def from_dict(cls: type[E], data: dict[str, Any] | None) -> E:
        """Rebuild from :meth:`to_dict` output (a cached or stored result); unknown keys are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in names})

    # -- hooks read by fusion and the pipeline (a stage overrides what applies to it) ------------------------

    @property
    def installation_missing(self) -> bool:
        """The stage abstained because something is not installed (a property of the machine, not the
        session): fusion then counts it as neutral instead of as evidence against liveness."""
        return False

    def feature(self, name: str) -> float | None:
        """A number of the stage's score features (``"light.shade"`` in the fusion weights), None if absent."""
        feats = getattr(self, "features", UNSET)
        if not isinstance(feats, dict):
            return None
        value = feats.get(name)
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def no_response(self) -> bool:
        """A hard failure of this stage means there was nothing to judge (no face): the session's status is
        then "could not be scored" rather than "scored and failed"."""
        return False

    def capture_advice(self) -> list[str]:
        """What to change about the capture conditions this stage found poor (over-exposed, too dark, ...)
        that can hide a real face's response; said after a failure of a ``capture_sensitive`` stage."""
        return []

    def dark_room(self) -> bool:
        """The screen was the main light on the face (a dark room), where the checks are least certain."""
        return False

    def user_hints(self) -> list[str]:
        """Advice for the user shown by the GUI after the check."""
        return []
