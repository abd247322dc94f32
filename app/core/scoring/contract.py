"""The scoring contract: what capture code hands in and what comes out.

Kept small and stable so that the GUI, the store, the API and the CLI can be
written against it while the stages evolve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from app.core.capture.frame import Frame, SourceInfo
from app.core.challenge import Box, Challenge
from app.core.landmarks import LandmarkResult

#: Stage verdicts. ``abstain`` never counts as a pass.
PASS, FAIL, ABSTAIN = "pass", "fail", "abstain"


@dataclass
class CheckResult:
    """One stage's judgement, with the evidence behind it."""

    name: str  # "quality", "light", "geometry", "texture", "injection"
    verdict: str  # PASS / FAIL / ABSTAIN
    score: float | None  # 0..1 liveness evidence, None when abstaining
    reason: str  # one sentence a clerk understands
    evidence: dict[str, Any] = field(default_factory=dict)
    hard_fail: bool = False  # a failure that decides the session on its own
    elapsed_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "Name": self.name,
            "Verdict": self.verdict,
            "Score": None if self.score is None else round(float(self.score), 4),
            "Reason": self.reason,
            "HardFail": self.hard_fail,
            "Evidence": self.evidence,
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
    status: str  # "SUCCEEDED" (scored) or "FAILED" (could not be scored)
    confidence: float  # 0..100
    decision: str  # "pass" / "fail"
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
            "Challenge": {"Type": self.challenge.type, "Version": self.challenge.version, "Assurance": self.challenge.assurance},
            "Checks": [c.to_dict() for c in self.checks],
            "Reasons": list(self.reasons),
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
    threshold: float = 60.0
    audit_images: int = 4
