"""Fusion: hard failures first, then a calibrated combination of stage scores into confidence 0-100."""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.core.challenge import Challenge
from app.core.scoring.config import FusionOptions
from app.core.scoring.contract import ABSTAIN, FAIL, PASS, CheckResult
from app.core.scoring.stages.base import sigmoid

STATUS_SCORED, STATUS_NO_RESPONSE = "SUCCEEDED", "FAILED"


@dataclass(frozen=True)
class Decision:
    """Fusion's outcome."""

    confidence: float
    decision: str  # "pass" / "fail"
    status: str  # SUCCEEDED (scored) / FAILED (no response: the check could not be made)
    reasons: list[str]
    logit: float


def required_stages(options: FusionOptions, challenge: Challenge) -> tuple[str, ...]:
    """Stages that must judge (not abstain) for a pass; light only when colours were shown."""
    need = list(options.required)
    if not challenge.colours and "light" in need:
        need.remove("light")
    return tuple(need)


#: Stage log-odds are clipped to +-this before they are combined (one stage can only do so much).
LOGIT_CLIP = 6.0


def stage_evidence(check: CheckResult) -> float:
    """A stage's log-odds of liveness, clipped; what fusion combines.

    An abstaining stage counts as the strongest evidence *against* liveness (it can only lower the
    confidence), except the texture stage when its model is not installed at all: that is a property of
    the installation, not of the session, so it counts as neutral (0) and the result says the model is missing.
    """
    if check.verdict == ABSTAIN or check.score is None or not math.isfinite(check.score):
        if check.name == "texture" and check.evidence.get("model_missing"):
            return 0.0
        return -LOGIT_CLIP
    s = min(1.0 - 1e-6, max(1e-6, float(check.score)))
    return max(-LOGIT_CLIP, min(LOGIT_CLIP, math.log(s / (1.0 - s))))


def fusion_input(key: str, by_name: dict[str, CheckResult], fill: dict[str, float]) -> float:
    """The value fusion uses for one weight key.

    ``"light"`` (a stage name): the stage's clipped log-odds (:func:`stage_evidence`).
    ``"light.shade"``: a feature from the stage's ``evidence["features"]``; ``"texture.score"``: the texture
    stage's real-face probability, ``"texture.logit"`` its log-odds (clipped to +-LOGIT_CLIP). Missing values
    (abstaining stage, undefined feature) take ``fill[key]`` (default 0; for ``texture.logit`` -LOGIT_CLIP,
    like probability 0), except a texture model that is not installed, which counts as uninformative
    (probability 0.5, log-odds 0).
    """
    stage, _, feature = key.partition(".")
    check = by_name.get(stage)
    if not feature:
        return stage_evidence(check) if check is not None else -LOGIT_CLIP
    if check is None:
        return fill.get(key, 0.0)
    if feature in ("score", "logit"):
        if check.verdict != ABSTAIN and check.score is not None and math.isfinite(check.score):
            if feature == "score":
                return float(check.score)
            p = min(1.0 - 1e-6, max(1e-6, float(check.score)))
            return max(-LOGIT_CLIP, min(LOGIT_CLIP, math.log(p / (1.0 - p))))
        if check.evidence.get("model_missing"):
            return 0.5 if feature == "score" else 0.0
        # The model ran but could not judge (no usable frame): like any abstention, the strongest evidence against.
        return fill.get(key, 0.0 if feature == "score" else -LOGIT_CLIP)
    value = (check.evidence.get("features") or {}).get(feature)
    if isinstance(value, (int, float)) and value is not None and math.isfinite(float(value)):
        return float(value)
    return fill.get(key, 0.0)


def raw_confidence(checks: list[CheckResult], options: FusionOptions) -> tuple[float, float]:
    """(confidence 0..100, logit): ``sigmoid(bias + sum(weight[k] * input[k]))`` (see :func:`fusion_input`)."""
    by_name = {c.name: c for c in checks}
    z = options.bias
    for key, weight in options.weights.items():
        z += weight * fusion_input(key, by_name, options.fill)
    return 100.0 * sigmoid(z), z


#: Capture problems that can hide a real face's colour response, and what the customer can do about them.
_LIGHT_ADVICE = {
    "the face was over-exposed": "reduce the light falling on the face (move away from a window or lamp)",
    "the face was too dark": "add some light in front of the face",
    "the light came from behind": "turn away from the window or lamp behind",
}


#: Said after any failure in a room so dark that the screen was the main light on the face.
DARK_ROOM_ADVICE = (
    "The room was dark (the screen was the main light on the face), where this check is least certain: "
    "turn on a room light in front of the person and try again."
)


def capture_advice(by_name: dict[str, CheckResult], hard: list[CheckResult]) -> list[str]:
    """Sentences for a failure that the capture conditions may explain (the decision stays a failure).

    A genuine face that is over-exposed, too dark or lit from behind can fail the colour test; the clerk
    should hear that alongside a light failure, with what to change before trying again. In a dark room,
    where the screen lights face and picture alike and only timing and perspective tell them apart, every
    failure also says that a room light helps (it never helps a picture: the room light is what makes a
    flat sheet's even response stand out).
    """
    out = []
    quality = by_name.get("quality")
    issues = list((quality.evidence.get("issues") or []) if quality is not None else [])
    tips = [_LIGHT_ADVICE[i] for i in issues if i in _LIGHT_ADVICE]
    if tips and any(c.name == "light" for c in hard):
        out.append("The capture quality may have hidden the face's colour response: " + "; ".join(tips)
                   + ", then try again.")
    light = by_name.get("light")
    if light is not None and light.evidence.get("screen_lit") is True:
        out.append(DARK_ROOM_ADVICE)
    return out


def combine(checks: list[CheckResult], threshold: float, options: FusionOptions, challenge: Challenge) -> Decision:
    """Decide a session.

    Parameters
    ----------
    checks:
        All stages' results.
    threshold:
        Confidence needed to pass (0..100).
    options:
        Fusion weights and rules.
    challenge:
        The session's challenge (decides whether light is required).

    Returns
    -------
    Decision
    """
    confidence, z = raw_confidence(checks, options)
    by_name = {c.name: c for c in checks}
    reasons: list[str] = []
    hard = [c for c in checks if c.hard_fail and c.verdict == FAIL]
    missing = [n for n in required_stages(options, challenge) if n not in by_name or by_name[n].verdict == ABSTAIN]
    status = STATUS_SCORED
    quality = by_name.get("quality")
    if quality is not None and quality.hard_fail and (quality.evidence.get("face_fraction") or 0.0) < 0.5:
        status = STATUS_NO_RESPONSE
    if hard:
        reasons.extend(c.reason for c in hard)
        reasons.extend(capture_advice(by_name, hard))
        confidence = min(confidence, options.hard_fail_cap)
        return Decision(confidence, "fail", status, reasons, z)
    if missing:
        status = STATUS_NO_RESPONSE
        reasons.extend(by_name[n].reason if n in by_name else f"The {n} check did not run." for n in missing)
        reasons.append("A check that could not be made never counts as passed.")
        confidence = min(confidence, max(0.0, threshold - 1.0))
        return Decision(confidence, "fail", status, reasons, z)
    if confidence >= threshold:
        concerns = [c for c in checks if c.verdict == FAIL]
        if concerns:
            # A soft failure outweighed by the other evidence: say so plainly, never "all passed".
            reasons.append(
                f"The combined evidence (confidence {confidence:.0f}) is above the threshold {threshold:.0f}, "
                f"but {len(concerns)} check{'s' if len(concerns) > 1 else ''} raised a concern worth a look at the audit images."
            )
        else:
            reasons.append("All required checks passed.")
        reasons.extend(c.reason for c in checks if c.verdict == PASS)
        reasons.extend(f"Concern: {c.reason}" for c in concerns)
        return Decision(confidence, "pass", status, reasons, z)
    failed = [c for c in checks if c.verdict == FAIL]
    reasons.append(f"The overall confidence {confidence:.0f} is below the threshold {threshold:.0f}.")
    reasons.extend(c.reason for c in failed)
    reasons.extend(capture_advice(by_name, []))
    return Decision(confidence, "fail", status, reasons, z)
