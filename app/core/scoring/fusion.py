"""Fusion: hard failures first, then a calibrated combination of stage scores into confidence 0-100."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from app.core.challenge import Challenge
from app.core.enums import Decision as Outcome
from app.core.enums import Status, Verdict
from app.core.scoring.config import FusionOptions
from app.core.scoring.contract import CheckResult
from app.core.scoring.reasons import ReasonCode
from app.core.scoring.registry import STAGES, StageRegistry
from app.core.scoring.stages.base import sigmoid

STATUS_SCORED, STATUS_NO_RESPONSE = Status.SUCCEEDED, Status.FAILED


class FusionReason(ReasonCode):
    """The sentences fusion adds to a decision's reasons."""

    NOT_RUN = "fusion.not_run", "The {name} check did not run."
    NEVER_PASSES = "fusion.never_passes", "A check that could not be made never counts as passed."
    PASS_WITH_CONCERNS = (
        "fusion.pass_with_concerns",
        "The combined evidence (confidence {confidence:.0f}) is above the threshold {threshold:.0f}, but {count} "
        "check{plural} raised a concern worth a look at the audit images.",
    )
    ALL_PASSED = "fusion.all_passed", "All required checks passed."
    MUST_PASS = (
        "fusion.must_pass",
        "The {name} check must pass on its own when the colours were shown, and it did not; no other check "
        "can make up for it.",
    )
    CONCERN = "fusion.concern", "Concern: {reason}"
    BELOW_THRESHOLD = "fusion.below_threshold", "The overall confidence {confidence:.0f} is below the threshold {threshold:.0f}."
    CAPTURE_ADVICE = (
        "fusion.capture_advice",
        "The capture quality may have hidden the face's colour response: {tips}, then try again.",
    )
    DARK_ROOM = (
        "fusion.dark_room",
        "The room was dark (the screen was the main light on the face), where this check is least certain: "
        "turn on a room light in front of the person and try again.",
    )


#: One reason: its sentence, its code (``None`` for a stage result built without one) and the values it quotes.
Said = tuple[str, str | None, dict[str, Any]]


@dataclass(frozen=True)
class Decision:
    """Fusion's outcome."""

    confidence: float
    decision: Outcome
    status: Status  # SUCCEEDED (scored) / FAILED (no response: the check could not be made)
    reasons: list[str]
    logit: float
    #: Parallel to ``reasons``: (code, params) of each sentence.
    codes: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)


def _say(code: ReasonCode, **params: Any) -> Said:
    return code.sentence(**params), str(code), params


def _repeat(check: CheckResult) -> Said:
    """A stage's own reason, repeated among the session's reasons with its code."""
    return check.reason, None if check.code is None else str(check.code), dict(check.params)


def _decision(confidence: float, outcome: Outcome, status: Status, said: list[Said], z: float) -> Decision:
    return Decision(confidence, outcome, status, [s for s, _, _ in said], z, [(c, p) for _, c, p in said])


def required_stages(options: FusionOptions, challenge: Challenge, registry: StageRegistry = STAGES) -> tuple[str, ...]:
    """Stages that must judge (not abstain) for a pass: a stage declared ``needs_colours`` only when colours
    were shown, one declared ``needs_moves`` only in a movement-only check (the stages that run for it)."""
    out = []
    for n in options.required:
        spec = registry.get(n)
        if spec is not None and ((spec.needs_colours and not challenge.colours) or not spec.runs_for(challenge)):
            continue
        out.append(n)
    return tuple(out)


def must_pass_stages(challenge: Challenge, registry: StageRegistry = STAGES) -> tuple[str, ...]:
    """Stages that must PASS on their own before any score counts: the challenge's own stage, i.e. every stage
    declared ``needs_colours`` (the light challenge) when colours were shown, and every stage declared
    ``needs_moves`` (the head-turn cues) in a movement-only check. Their failure (hard or soft) or abstention
    decides the session; geometry, texture or injection can add confidence, never outvote them."""
    if challenge.colours:
        return tuple(spec.name for spec in registry if spec.needs_colours)
    return tuple(spec.name for spec in registry if spec.needs_moves and spec.runs_for(challenge))


#: Stage log-odds are clipped to +-this before they are combined (one stage can only do so much).
LOGIT_CLIP = 6.0


def stage_evidence(check: CheckResult) -> float:
    """A stage's log-odds of liveness, clipped; what fusion combines.

    An abstaining stage counts as the strongest evidence *against* liveness (it can only lower the
    confidence), except the texture stage when its model is not installed at all: that is a property of
    the installation, not of the session, so it counts as neutral (0) and the result says the model is missing.
    """
    if check.verdict == Verdict.ABSTAIN or check.score is None or not math.isfinite(check.score):
        if check.evidence.installation_missing:
            return 0.0
        return -LOGIT_CLIP
    s = min(1.0 - 1e-6, max(1e-6, float(check.score)))
    return max(-LOGIT_CLIP, min(LOGIT_CLIP, math.log(s / (1.0 - s))))


def fusion_input(key: str, by_name: dict[str, CheckResult], fill: dict[str, float], registry: StageRegistry = STAGES) -> float:
    """The value fusion uses for one weight key.

    ``"light"`` (a stage name): the stage's clipped log-odds (:func:`stage_evidence`).
    ``"light.shade"``: a feature from the stage's ``evidence["features"]``; ``"texture.score"``: the texture
    stage's real-face probability, ``"texture.logit"`` its log-odds (clipped to +-LOGIT_CLIP). Missing values
    (abstaining stage, undefined feature) take ``fill[key]`` (default 0; for ``texture.logit`` -LOGIT_CLIP,
    like probability 0), except a texture model that is not installed, which counts as uninformative
    (probability 0.5, log-odds 0). Features are clipped to their stage's declared ``feature_ranges``.
    """
    stage, _, feature = key.partition(".")
    check = by_name.get(stage)
    if not feature:
        return stage_evidence(check) if check is not None else -LOGIT_CLIP
    if check is None:
        return fill.get(key, 0.0)
    if feature in ("score", "logit"):
        if check.verdict != Verdict.ABSTAIN and check.score is not None and math.isfinite(check.score):
            if feature == "score":
                return float(check.score)
            p = min(1.0 - 1e-6, max(1e-6, float(check.score)))
            return max(-LOGIT_CLIP, min(LOGIT_CLIP, math.log(p / (1.0 - p))))
        if check.evidence.installation_missing:
            return 0.5 if feature == "score" else 0.0
        # The model ran but could not judge (no usable frame): like any abstention, the strongest evidence against.
        return fill.get(key, 0.0 if feature == "score" else -LOGIT_CLIP)
    value = check.evidence.feature(feature)
    if value is not None and math.isfinite(float(value)):
        # Clipped to the range a genuine face produces (also for evidence rebuilt from a cache or a store).
        spec = registry.get(stage)
        lo, hi = spec.feature_ranges.get(feature, (-math.inf, math.inf)) if spec is not None else (-math.inf, math.inf)
        return min(hi, max(lo, float(value)))
    return fill.get(key, 0.0)


def raw_confidence(checks: list[CheckResult], options: FusionOptions, registry: StageRegistry = STAGES) -> tuple[float, float]:
    """(confidence 0..100, logit): ``sigmoid(bias + sum(weight[k] * input[k]))`` (see :func:`fusion_input`)."""
    by_name = {c.name: c for c in checks}
    z = options.bias
    for key, weight in options.weights.items():
        z += weight * fusion_input(key, by_name, options.fill, registry)
    return 100.0 * sigmoid(z), z


#: Said after any failure in a room so dark that the screen was the main light on the face.
DARK_ROOM_ADVICE = FusionReason.DARK_ROOM.sentence()


def capture_advice(checks: list[CheckResult], hard: list[CheckResult], registry: StageRegistry = STAGES) -> list[str]:
    """Sentences for a failure that the capture conditions may explain (the decision stays a failure).

    A genuine face that is over-exposed, too dark or lit from behind can fail the colour test; the clerk
    should hear that alongside a hard failure of a stage declared ``capture_sensitive``, with what to change
    before trying again. In a dark room, where the screen lights face and picture alike and only timing and
    perspective tell them apart, every failure also says that a room light helps (it never helps a picture:
    the room light is what makes a flat sheet's even response stand out).
    """
    return [sentence for sentence, _, _ in _capture_advice(checks, hard, registry)]


def _capture_advice(checks: list[CheckResult], hard: list[CheckResult], registry: StageRegistry) -> list[Said]:
    out: list[Said] = []
    tips = [tip for c in checks for tip in c.evidence.capture_advice()]
    sensitive = any((spec := registry.get(c.name)) is not None and spec.capture_sensitive for c in hard)
    if tips and sensitive:
        out.append(_say(FusionReason.CAPTURE_ADVICE, tips="; ".join(tips)))
    if any(c.evidence.dark_room() for c in checks):
        out.append(_say(FusionReason.DARK_ROOM))
    return out


def combine(
    checks: list[CheckResult], threshold: float, options: FusionOptions, challenge: Challenge, registry: StageRegistry = STAGES
) -> Decision:
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
        The session's challenge (decides whether stages that need colours are required).
    registry:
        The stage declarations (roles: needs colours, capture sensitive).

    Returns
    -------
    Decision
    """
    confidence, z = raw_confidence(checks, options, registry)
    by_name = {c.name: c for c in checks}
    said: list[Said] = []
    hard = [c for c in checks if c.hard_fail and c.verdict == Verdict.FAIL]
    missing = [n for n in required_stages(options, challenge, registry) if n not in by_name or by_name[n].verdict == Verdict.ABSTAIN]
    status = STATUS_SCORED
    if any(c.hard_fail and c.evidence.no_response() for c in checks):
        status = STATUS_NO_RESPONSE
    if hard:
        said.extend(_repeat(c) for c in hard)
        said.extend(_capture_advice(checks, hard, registry))
        confidence = min(confidence, options.hard_fail_cap)
        return _decision(confidence, Outcome.FAIL, status, said, z)
    must_pass = must_pass_stages(challenge, registry)
    failed = [n for n in must_pass if n in by_name and by_name[n].verdict == Verdict.FAIL]
    if failed:
        # A must-pass stage failed: the session fails whatever an abstaining stage would have said, so this is
        # a decision, not "no decision". The abstaining stages are named too, so staff see the whole picture.
        undecided = [n for n in dict.fromkeys([*missing, *must_pass]) if n in by_name and by_name[n].verdict == Verdict.ABSTAIN]
        said.extend(_repeat(by_name[n]) for n in failed)
        said.extend(_say(FusionReason.MUST_PASS, name=n) for n in failed)
        said.extend(_repeat(by_name[n]) for n in undecided)
        said.extend(_capture_advice(checks, [by_name[n] for n in failed], registry))
        confidence = min(confidence, max(0.0, threshold - 1.0))
        return _decision(confidence, Outcome.FAIL, status, said, z)
    if missing:
        status = STATUS_NO_RESPONSE
        said.extend(_repeat(by_name[n]) if n in by_name else _say(FusionReason.NOT_RUN, name=n) for n in missing)
        said.append(_say(FusionReason.NEVER_PASSES))
        confidence = min(confidence, max(0.0, threshold - 1.0))
        return _decision(confidence, Outcome.FAIL, status, said, z)
    # Required invariant: the colour challenge's stages pass on their own (a failure, soft or hard, was decided
    # above whatever the other stages say; what is left here is an abstention or a stage that did not run).
    unmet = [n for n in must_pass if n not in by_name or by_name[n].verdict != Verdict.PASS]
    if unmet:
        if any(n not in by_name or by_name[n].verdict == Verdict.ABSTAIN for n in unmet):
            status = STATUS_NO_RESPONSE  # no decision (TRY AGAIN), never a pass
        said.extend(_repeat(by_name[n]) if n in by_name else _say(FusionReason.NOT_RUN, name=n) for n in unmet)
        said.extend(_say(FusionReason.MUST_PASS, name=n) for n in unmet)
        said.extend(_capture_advice(checks, [by_name[n] for n in unmet if n in by_name], registry))
        confidence = min(confidence, max(0.0, threshold - 1.0))
        return _decision(confidence, Outcome.FAIL, status, said, z)
    if confidence >= threshold:
        concerns = [c for c in checks if c.verdict == Verdict.FAIL]
        if concerns:
            # A soft failure outweighed by the other evidence: say so plainly, never "all passed".
            said.append(_say(
                FusionReason.PASS_WITH_CONCERNS,
                confidence=confidence, threshold=threshold, count=len(concerns), plural="s" if len(concerns) > 1 else "",
            ))
        else:
            said.append(_say(FusionReason.ALL_PASSED))
        said.extend(_repeat(c) for c in checks if c.verdict == Verdict.PASS)
        # The concern's params name the stage whose reason it quotes, so a reader can translate that one too.
        said.extend(
            (FusionReason.CONCERN.sentence(reason=c.reason), str(FusionReason.CONCERN), {"stage": c.name, "reason": c.reason})
            for c in concerns
        )
        return _decision(confidence, Outcome.PASS, status, said, z)
    failed = [c for c in checks if c.verdict == Verdict.FAIL]
    said.append(_say(FusionReason.BELOW_THRESHOLD, confidence=confidence, threshold=threshold))
    said.extend(_repeat(c) for c in failed)
    said.extend(_capture_advice(checks, [], registry))
    return _decision(confidence, Outcome.FAIL, status, said, z)
