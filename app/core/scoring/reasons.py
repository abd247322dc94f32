"""Reason codes: why a stage judged or abstained as it did, and the one sentence a clerk reads for it.

Every stage declares its codes in its own file as a subclass of :class:`ReasonCode`; each member is a stable
code (``"light.late"``) together with its sentence template. The sentence is produced in exactly one place,
:meth:`ReasonCode.sentence`, so code paths hand around codes (and the numbers a sentence quotes), never
sentences. The result document keeps carrying the sentence (``Checks[].Reason``), unchanged.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ReasonCode(StrEnum):
    """Base of the stages' reason codes: ``MEMBER = "stage.code", "Sentence with {placeholders}."``."""

    template: str

    def __new__(cls, value: str, template: str) -> "ReasonCode":
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.template = template
        return obj

    def sentence(self, **params: Any) -> str:
        """The clerk's sentence for this code, with the numbers it quotes filled in."""
        return self.template.format(**params)
