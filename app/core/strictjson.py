"""Strict JSON for files other people give us (recordings, settings).

Python's ``json`` accepts ``NaN`` and ``Infinity``, turns ``1e400`` into an
infinite float, keeps the last of two duplicate keys and recurses once per
nesting level (a few thousand ``[`` end in ``RecursionError``). ``loads``
refuses all of these with a ``StrictJSONError`` (a ``ValueError``) whose
message is one line.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

#: Deepest nesting of arrays and objects accepted (our files use at most 4 levels).
MAX_DEPTH = 32
#: Longest integer literal accepted (an int64 has 19 digits; 30 leaves room and keeps floats finite).
MAX_INT_DIGITS = 30

# A string (its closing quote optional, so an unterminated one ends the scan in one linear pass) or a bracket.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


class StrictJSONError(ValueError):
    """The text is not JSON, or uses something strict JSON refuses."""


@dataclass(frozen=True)
class Invalid:
    """In lenient mode: a value strict JSON refuses, kept in place so the caller can report that one field."""

    reason: str

    def __repr__(self) -> str:
        return self.reason


def nesting_depth(text: str) -> int:
    """Deepest array/object nesting of ``text``, found without recursion (strings are skipped)."""
    depth = deepest = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token.startswith('"'):
            continue
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(0, depth - 1)
    return deepest


def _constant(name: str) -> Any:
    raise StrictJSONError(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise StrictJSONError(f"number {text[:40]} is out of range")
    return value


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise StrictJSONError(f"integer with {len(text.lstrip('-'))} digits is out of range")
    return int(text)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise StrictJSONError(f"duplicate key {key[:60]!r}")
        out[key] = value
    return out


def _lenient(strict: Any) -> Any:
    def hook(text: Any) -> Any:
        try:
            return strict(text)
        except StrictJSONError as exc:
            return Invalid(str(exc))

    return hook


def _lenient_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        out[key] = Invalid(f"duplicate key {key[:60]!r}") if key in out else value
    return out


def loads(text: str, *, max_depth: int = MAX_DEPTH, lenient: bool = False) -> Any:
    """Parse ``text`` strictly.

    With ``lenient``, a refused number or constant, and the value of a duplicate key, become an
    ``Invalid`` in place instead of failing the whole text (settings: one bad value costs only
    that setting). Nesting and syntax errors always fail.

    Raises
    ------
    StrictJSONError
        Not JSON; nested deeper than ``max_depth``; and unless ``lenient``: ``NaN``/``Infinity``;
        a number outside the float range or an integer longer than ``MAX_INT_DIGITS`` digits; a
        duplicate key in an object.
    """
    depth = nesting_depth(text)
    if depth > max_depth:
        raise StrictJSONError(f"nested {depth} levels deep (at most {max_depth} allowed)")
    hooks: dict[str, Any] = {
        "parse_constant": _constant, "parse_float": _float, "parse_int": _int, "object_pairs_hook": _pairs,
    }
    if lenient:
        hooks = {name: _lenient(hook) for name, hook in hooks.items() if name != "object_pairs_hook"}
        hooks["object_pairs_hook"] = _lenient_pairs
    try:
        return json.loads(text, **hooks)
    except StrictJSONError:
        raise
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError; its message is one line
        raise StrictJSONError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc


def decode_utf8(raw: bytes) -> str:
    """Bytes that must be UTF-8 (no byte-order mark, no UTF-16) as text.

    Raises
    ------
    StrictJSONError
        When ``raw`` is not valid UTF-8 or starts with a byte-order mark.
    """
    if raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        raise StrictJSONError("starts with a byte-order mark; UTF-8 without BOM is required")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StrictJSONError(f"is not UTF-8 (invalid byte at offset {exc.start})") from exc
