"""The scoring contract: what capture code hands in and what comes out.

Kept small and stable so that the GUI, the store, the API and the CLI can be
written against it while the stages evolve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from app.core import defaults
from app.core.capture.frame import Frame, SourceInfo
from app.core.challenge import Box, Challenge
from app.core.enums import Decision, Status, Verdict
from app.core.landmarks import LandmarkResult
from app.core.scoring.evidence import Evidence
from app.core.scoring.reasons import ReasonCode

#: Stage verdicts (members of :class:`~app.core.enums.Verdict`). ``abstain`` never counts as a pass.
PASS, FAIL, ABSTAIN = Verdict.PASS, Verdict.FAIL, Verdict.ABSTAIN


def reason_params(params: dict[str, Any] | None) -> dict[str, Any]:
    """The values a reason sentence quotes, as JSON (numbers as plain numbers, anything else as text), so a
    reader can render the sentence from its code in another language."""
    out: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if isinstance(value, bool) or value is None:
            out[key] = value
        elif isinstance(value, (int, float, np.integer, np.floating)):
            number = float(value) if isinstance(value, (float, np.floating)) else int(value)
            out[key] = number if not isinstance(number, float) or math.isfinite(number) else None
        else:
            out[key] = str(value)
    return out


@dataclass
class CheckResult:
    """One stage's judgement, with the evidence behind it."""

    name: str  # the stage's registered name ("quality", "light", ...)
    verdict: Verdict
    score: float | None  # 0..1 liveness evidence, None when abstaining
    reason: str  # one sentence a clerk understands (``code.sentence(...)``)
    evidence: Evidence = field(default_factory=Evidence)  # the stage's typed evidence
    hard_fail: bool = False  # a failure that decides the session on its own
    elapsed_ms: float = 0.0
    code: ReasonCode | None = None  # why: the sentence's code (``ReasonCode`` in the result document)
    params: dict[str, Any] = field(default_factory=dict)  # the values the sentence quotes (``ReasonParams``)

    def to_dict(self) -> dict[str, Any]:
        return {
            "Name": self.name,
            "Verdict": self.verdict,
            "Score": None if self.score is None else round(float(self.score), 4),
            "Reason": self.reason,
            "ReasonCode": None if self.code is None else str(self.code),
            "ReasonParams": reason_params(self.params),
            "HardFail": self.hard_fail,
            "Evidence": self.evidence.to_dict(),
            "ElapsedMs": round(self.elapsed_ms, 2),
        }


@dataclass
class ImageOut:
    """A reference or audit image: BGR pixels plus the face box (frame pixels)."""

    image: np.ndarray
    box: Box | None
    frame_index: int
    t_ns: int


@dataclass
class LivenessResult:
    """A session's outcome in the shape integrators know, plus Livegate's reasons.

    ``to_dict`` gives the JSON documented in ``docs/result.md`` (images are
    referenced or base64-encoded by the caller: the store and API decide).
    """

    session_id: str
    status: Status  # SUCCEEDED (scored) or FAILED (could not be scored)
    confidence: float  # 0..100
    decision: Decision
    threshold: float
    checks: list[CheckResult]
    reasons: list[str]
    challenge: Challenge
    reference: ImageOut | None = None
    audit: list[ImageOut] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    frame_size: tuple[int, int] = (0, 0)
    #: Per-check series for the operator plots (displayed vs measured colour, landmark drift).
    plots: dict[str, Any] = field(default_factory=dict)
    #: Parallel to ``reasons``: each sentence's code (``None`` where unknown) and the values it quotes.
    reason_codes: list[str | None] = field(default_factory=list)
    reason_params: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, images: dict[str, Any] | None = None, *, plots: bool = False) -> dict[str, Any]:
        """JSON-able dict (schema in ``docs/result.md``).

        ``images`` optionally supplies ``ReferenceImage``/``AuditImages`` payloads
        (bytes or paths, added by the caller); ``plots=True`` adds the operator
        plot series under ``Plots``.
        """
        w, h = self.frame_size
        ref: dict[str, Any] | None = None
        if self.reference is not None:
            ref = {
                "BoundingBox": self.reference.box.to_fractions(w, h) if self.reference.box and w and h else None,
                "FrameIndex": self.reference.frame_index,
            }
        out: dict[str, Any] = {
            "SessionId": self.session_id,
            "Status": self.status,
            "Confidence": round(float(self.confidence), 2),
            "Decision": self.decision,
            "Threshold": self.threshold,
            "ReferenceImage": ref,
            "AuditImages": [
                {"BoundingBox": a.box.to_fractions(w, h) if a.box and w and h else None, "FrameIndex": a.frame_index}
                for a in self.audit
            ],
            # Assurance: "standard" (light + movement) or "reduced" (movement only), see docs/result.md.
            "Challenge": challenge_document(self.challenge),
            "Checks": [c.to_dict() for c in self.checks],
            "Reasons": list(self.reasons),
            "ReasonCodes": [self.reason_codes[i] if i < len(self.reason_codes) else None for i in range(len(self.reasons))],
            "ReasonParams": [
                reason_params(self.reason_params[i]) if i < len(self.reason_params) else {} for i in range(len(self.reasons))
            ],
            "Timings": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "Versions": dict(self.versions),
            "Hints": list(self.plots.get("hints", [])) if isinstance(self.plots, dict) else [],
        }
        if plots:
            out["Plots"] = {k: v for k, v in self.plots.items() if k != "hints"}
        if images:
            if out["ReferenceImage"] is not None and "ReferenceImage" in images:
                out["ReferenceImage"].update(images["ReferenceImage"])
            for entry, extra in zip(out["AuditImages"], images.get("AuditImages", [])):
                entry.update(extra)
        return out


class Analyzer(Protocol):
    """Per-session analyzer (implemented by ``app.core.scoring.pipeline.LiveAnalyzer``)."""

    def add(self, frame: Frame, landmarks: LandmarkResult) -> None:
        """Take one frame and its landmarks (called in the analysis worker, must be cheap)."""

    def finish(self) -> LivenessResult:
        """Score the session after the last frame."""


@dataclass
class SessionContext:
    """What the analyzer needs besides frames."""

    session_id: str
    challenge: Challenge
    source: SourceInfo
    #: Decision threshold; None = the calibrated threshold of the scoring config.
    threshold: float | None = None
    audit_images: int = defaults.AUDIT_IMAGES


def challenge_document(challenge: Any) -> dict[str, Any]:
    """The result's ``Challenge`` object: type, version, assurance and, for the light check, each colour's name,
    wipe direction (the customer's frame) and brightness level, in display order."""
    out: dict[str, Any] = {"Type": challenge.type, "Version": challenge.version, "Assurance": challenge.assurance}
    if challenge.colours:
        out["Colours"] = [{"Name": c.name, "Direction": c.direction, "Level": c.level} for c in challenge.colours]
    return out

