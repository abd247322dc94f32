"""What each audience is told about a check's outcome.

The person being checked sees a verdict, one sentence of what happens next
and, for TRY AGAIN only, generic capture tips: never a score, never which
check objected (that would coach an attacker). Staff see the evidence, a
review checklist for a PASS with a concern, what kind of attack is suspected
and when to fall back to a manual identity check.

Everything is derived from the session's outcome and the stages' verdicts
(``CheckResult.name``/``verdict``/``hard_fail``), never from the English
reason sentences, so every word here is translated.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication

from app.core.capture.frame import SourceInfo
from app.core.check.flow import Session
from app.core.scoring.contract import FAIL, LivenessResult

#: Attempts one customer gets at the counter before staff check the identity another way.
TRIES_PER_CUSTOMER = 3


class Outcome(str, enum.Enum):
    """The outcome classes the screens distinguish."""

    PASS = "pass"
    REVIEW = "review"  # pass, but a check raised a soft concern
    FAIL = "fail"
    TRY_AGAIN = "try_again"  # no decision could be made
    UNAVAILABLE = "unavailable"  # scoring did not run


def classify(result: LivenessResult | None) -> Outcome:
    """The outcome class of a result (``None``: scoring unavailable)."""
    if result is None:
        return Outcome.UNAVAILABLE
    if result.status != "SUCCEEDED":
        return Outcome.TRY_AGAIN
    if result.decision == "pass":
        return Outcome.REVIEW if any(c.verdict == FAIL for c in result.checks) else Outcome.PASS
    return Outcome.FAIL


def suspected(result: LivenessResult | None) -> list[str]:
    """Staff sentences naming the suspected attack, from the stages that failed (hard failures first)."""
    if result is None:
        return []
    failed = [c for c in result.checks if c.verdict == FAIL]
    failed.sort(key=lambda c: not c.hard_fail)
    out: list[str] = []
    for check in failed:
        text = _suspicion(check.name)
        if text and text not in out:
            out.append(text)
    return out


def _failed(result: LivenessResult | None) -> list[str]:
    """Names of the failed stages in the order :func:`suspected` reports them (one per distinct sentence)."""
    if result is None:
        return []
    failed = sorted((c for c in result.checks if c.verdict == FAIL), key=lambda c: not c.hard_fail)
    out: list[str] = []
    seen: set[str] = set()
    for check in failed:
        text = _suspicion(check.name)
        if text and text not in seen:
            seen.add(text)
            out.append(check.name)
    return out


def _suspicion(stage: str) -> str:
    if stage == "injection":
        return QCoreApplication.translate("Verdict", "Device suspected: the camera looks virtual or the video injected. Check the device and its camera.")
    if stage == "light":
        return QCoreApplication.translate("Verdict", "Screen or replay suspected: the face did not reflect this check's colours like a real face.")
    if stage == "geometry":
        return QCoreApplication.translate("Verdict", "Flat picture suspected (print or screen): the face did not change perspective like a real head.")
    if stage == "texture":
        return QCoreApplication.translate("Verdict", "Print or screen suspected: the skin texture looks reproduced.")
    if stage == "quality":
        return QCoreApplication.translate("Verdict", "The capture quality was too poor to judge (light, focus or a face out of view).")
    return ""


def timeout_suspicions(source: SourceInfo | None) -> list[str]:
    """Staff sentences for a check that stopped on a time-out before any scoring: what the capture already
    showed. Today that is the camera itself: a device the system flags as virtual (allowed by the settings)
    is what the injection stage would have failed the check for."""
    device = source.device if source is not None else {}
    if device.get("virtual"):
        return [_suspicion("injection")]
    return []


def review_checklist() -> list[str]:
    """What staff look at before accepting a PASS with a concern."""
    return [
        QCoreApplication.translate("Verdict", "Compare the reference image with the person at the counter and their document."),
        QCoreApplication.translate("Verdict", "Look at the audit images for paper edges, a screen frame, glare or a hand holding something."),
        QCoreApplication.translate("Verdict", "If in doubt, check the identity manually."),
    ]


def capture_tips() -> list[str]:
    """Generic capture tips for the person being checked (TRY AGAIN only; the same for every cause)."""
    return [
        QCoreApplication.translate("Verdict", "Face a soft light, out of direct sun; avoid a bright window behind you."),
        QCoreApplication.translate("Verdict", "Take off sunglasses, a hat or a mask."),
        QCoreApplication.translate("Verdict", "Keep the camera at eye level and hold still when asked."),
    ]


@dataclass(frozen=True)
class ResultView:
    """Everything the result screen shows, split by audience.

    Attributes
    ----------
    outcome:
        The outcome class.
    verdict, next_step, tips:
        The customer's part: big verdict, one sentence, generic tips (TRY AGAIN only).
    offer_try_again:
        Show the "Try again" button (never after a PASS, a suspected attack or when no tries are left).
    tries_left:
        Attempts this customer has left after this one.
    staff_verdict, staff_action, suspicions, checklist:
        The staff's part: verdict with review state, what to do, suspected attack, review checklist.
    """

    outcome: Outcome
    verdict: str
    next_step: str
    tips: list[str] = field(default_factory=list)
    offer_try_again: bool = False
    tries_left: int = 0
    staff_verdict: str = ""
    staff_action: str = ""
    suspicions: list[str] = field(default_factory=list)
    checklist: list[str] = field(default_factory=list)


def result_view(session: Session, *, attempts: int, max_tries: int = TRIES_PER_CUSTOMER, lockout_left: int | None = None) -> ResultView:
    """Derive both audiences' texts.

    Parameters
    ----------
    session:
        The finished session.
    attempts:
        Checks this customer has made so far, this one included.
    max_tries:
        Attempts per customer before the manual identity check.
    lockout_left:
        Failures the device may still count before its lock-out (``None``: no lock-out policy known).
    """
    outcome_obj = session.outcome
    result = outcome_obj.result if outcome_obj is not None else None
    outcome = classify(result)
    tries_left = max(0, max_tries - attempts)
    if lockout_left is not None:
        tries_left = min(tries_left, max(0, lockout_left))
    hard = result is not None and any(c.hard_fail and c.verdict == FAIL for c in result.checks)
    suspicions = suspected(result) if outcome in (Outcome.FAIL, Outcome.REVIEW) else []
    if outcome is Outcome.TRY_AGAIN:
        # No decision, but a check that did run may still have objected (a replay can end without a decision):
        # staff hear about it; the customer only gets the generic tips.
        suspicions = [s for c, s in zip(_failed(result), suspected(result)) if c != "quality"]
    manual = QCoreApplication.translate("Verdict", "Check the identity manually (document and face at the counter).")
    if outcome is Outcome.PASS:
        return ResultView(outcome, QCoreApplication.translate("Verdict", "PASS"), QCoreApplication.translate("Verdict", "Thank you. The check is complete; staff will continue with you."),
                          staff_verdict=QCoreApplication.translate("Verdict", "PASS"), staff_action=QCoreApplication.translate("Verdict", "A live person was confirmed. No action needed."))
    if outcome is Outcome.REVIEW:
        return ResultView(outcome, QCoreApplication.translate("Verdict", "PASS"), QCoreApplication.translate("Verdict", "Thank you. The check is complete; staff will continue with you."),
                          staff_verdict=QCoreApplication.translate("Verdict", "PASS - review"),
                          staff_action=QCoreApplication.translate("Verdict", "Passed, but one check raised a concern. Review before you continue."),
                          suspicions=suspicions, checklist=review_checklist())
    if outcome is Outcome.FAIL:
        if hard:
            # A suspected presentation or injection: retries only help an attacker tune the attack.
            return ResultView(outcome, QCoreApplication.translate("Verdict", "FAIL"), QCoreApplication.translate("Verdict", "Please speak to a member of staff."),
                              staff_verdict=QCoreApplication.translate("Verdict", "FAIL - attack suspected"),
                              staff_action=QCoreApplication.translate("Verdict", "Do not offer another try.") + " " + manual, suspicions=suspicions)
        if tries_left > 0:
            return ResultView(outcome, QCoreApplication.translate("Verdict", "FAIL"), QCoreApplication.translate("Verdict", "Please try once more, or speak to a member of staff."),
                              offer_try_again=True, tries_left=tries_left, staff_verdict=QCoreApplication.translate("Verdict", "FAIL"),
                              staff_action=_tries_text(tries_left) + " " + QCoreApplication.translate("Verdict", "After that:") + " " + manual,
                              suspicions=suspicions)
        return ResultView(outcome, QCoreApplication.translate("Verdict", "FAIL"), QCoreApplication.translate("Verdict", "Please speak to a member of staff."), staff_verdict=QCoreApplication.translate("Verdict", "FAIL"),
                          staff_action=QCoreApplication.translate("Verdict", "No tries left.") + " " + manual, suspicions=suspicions)
    if outcome is Outcome.TRY_AGAIN:
        if tries_left > 0:
            return ResultView(outcome, QCoreApplication.translate("Verdict", "TRY AGAIN"), QCoreApplication.translate("Verdict", "The check could not be completed. Please try again."),
                              tips=capture_tips(), offer_try_again=True, tries_left=tries_left,
                              staff_verdict=QCoreApplication.translate("Verdict", "No decision"),
                              staff_action=_tries_text(tries_left) + " " + QCoreApplication.translate("Verdict", "After that:") + " " + manual,
                              suspicions=suspicions)
        return ResultView(outcome, QCoreApplication.translate("Verdict", "NOT COMPLETED"), QCoreApplication.translate("Verdict", "Please speak to a member of staff."),
                          staff_verdict=QCoreApplication.translate("Verdict", "No decision"), staff_action=QCoreApplication.translate("Verdict", "No tries left.") + " " + manual,
                          suspicions=suspicions)
    # Scoring did not run (a missing model, a crash): another try on this device would end the same way.
    return ResultView(outcome, QCoreApplication.translate("Verdict", "NOT COMPLETED"), QCoreApplication.translate("Verdict", "Please speak to a member of staff."),
                      tries_left=tries_left,
                      staff_verdict=QCoreApplication.translate("Verdict", "Scoring unavailable"),
                      staff_action=QCoreApplication.translate("Verdict", "This device cannot decide right now (see the reason).") + " " + manual)


def _tries_text(tries_left: int) -> str:
    if tries_left == 1:
        return QCoreApplication.translate("Verdict", "1 more try.")
    return QCoreApplication.translate("Verdict", "%1 more tries.").replace("%1", str(tries_left))


__all__ = ["TRIES_PER_CUSTOMER", "Outcome", "ResultView", "capture_tips", "classify", "result_view", "review_checklist", "suspected", "timeout_suspicions"]
