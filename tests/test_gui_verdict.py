"""What the customer and the staff are told about an outcome (app/gui/verdict.py)."""

from __future__ import annotations

import dataclasses
import re

import pytest

from app.core.check.flow import Outcome as FlowOutcome
from app.core.check.flow import Session
from app.core.scoring.contract import FAIL, PASS, CheckResult
from app.devtools.synthetic_results import synthetic_result
from app.gui.verdict import Outcome, ResultView, result_view

pytestmark = pytest.mark.gui


def _session(result=None, reason: str = "") -> Session:
    session = Session(id="s1", number=1, challenge_type="movement_and_light", started_ns=0)
    session.outcome = FlowOutcome(result, reason)
    return session


def _with_checks(decision: str, *checks: CheckResult, status: str = "SUCCEEDED"):
    return dataclasses.replace(synthetic_result("s1", decision=decision, status=status), checks=list(checks))


def _customer_texts(view: ResultView) -> list[str]:
    return [view.verdict, view.next_step, *view.tips]


def _assert_nothing_coaches(view: ResultView) -> None:
    for text in _customer_texts(view):
        assert not re.search(r"\d|%|confiden|score", text, re.I), text
    # The verdict and next step never name a check (the tips are generic and the same for every cause).
    for text in (view.verdict, view.next_step):
        assert not re.search(r"light|colour|texture|perspective|screen|print|virtual", text, re.I), text


def test_pass_never_offers_a_try_and_says_nothing_of_the_evidence(qapp) -> None:
    view = result_view(_session(_with_checks("pass", CheckResult("light", PASS, 0.9, "ok"))), attempts=1)
    assert view.outcome is Outcome.PASS and view.verdict == "PASS" and not view.offer_try_again
    assert view.staff_verdict == "PASS" and not view.checklist
    _assert_nothing_coaches(view)


def test_a_soft_concern_is_an_amber_review_for_staff_only(qapp) -> None:
    result = _with_checks("pass", CheckResult("light", PASS, 0.9, "ok"), CheckResult("geometry", FAIL, 0.2, "flat"))
    view = result_view(_session(result), attempts=1)
    assert view.outcome is Outcome.REVIEW
    assert view.verdict == "PASS" and view.staff_verdict == "PASS - review"
    assert len(view.checklist) == 3 and any("Flat picture suspected" in s for s in view.suspicions)
    assert not view.offer_try_again
    _assert_nothing_coaches(view)


def test_a_hard_failure_names_the_suspected_attack_to_staff_and_offers_no_retry(qapp) -> None:
    result = _with_checks("fail", CheckResult("light", FAIL, 0.0, "replayed colours", hard_fail=True),
                          CheckResult("injection", FAIL, 0.1, "virtual"))
    view = result_view(_session(result), attempts=1)
    assert view.outcome is Outcome.FAIL and not view.offer_try_again
    assert view.staff_verdict == "FAIL - attack suspected"
    assert view.suspicions[0].startswith("Screen or replay suspected") and view.suspicions[1].startswith("Device suspected")
    assert "Do not offer another try" in view.staff_action and "manually" in view.staff_action
    _assert_nothing_coaches(view)


def test_tries_count_down_to_the_manual_identity_check(qapp) -> None:
    soft_fail = _with_checks("fail", CheckResult("texture", FAIL, 0.2, "low"))
    first = result_view(_session(soft_fail), attempts=1)
    assert first.offer_try_again and first.tries_left == 2 and "2 more tries" in first.staff_action
    last = result_view(_session(soft_fail), attempts=3)
    assert not last.offer_try_again and "No tries left" in last.staff_action and "manually" in last.staff_action
    locked = result_view(_session(soft_fail), attempts=1, lockout_left=0)
    assert not locked.offer_try_again


def test_no_decision_gives_generic_tips_and_unavailable_gives_none(qapp) -> None:
    result = _with_checks("fail", CheckResult("quality", FAIL, 0.0, "over-exposed", hard_fail=True), status="FAILED")
    view = result_view(_session(result), attempts=1)
    assert view.outcome is Outcome.TRY_AGAIN and view.verdict == "TRY AGAIN" and view.offer_try_again
    assert len(view.tips) == 3 and not view.suspicions
    # The tips are the same whatever the cause: they must not reveal which check objected.
    other = result_view(_session(_with_checks("fail", status="FAILED")), attempts=1)
    assert other.tips == view.tips
    unavailable = result_view(_session(None, "the model is not installed"), attempts=1)
    assert unavailable.outcome is Outcome.UNAVAILABLE and not unavailable.tips and unavailable.staff_verdict == "Scoring unavailable"
    for v in (view, unavailable):
        _assert_nothing_coaches(v)


def test_a_replay_without_a_decision_is_named_to_staff_not_to_the_customer(qapp) -> None:
    result = _with_checks("fail", CheckResult("quality", FAIL, 0.0, "clipped", hard_fail=True),
                          CheckResult("light", FAIL, 0.1, "colours did not match"), status="FAILED")
    view = result_view(_session(result), attempts=1)
    assert view.outcome is Outcome.TRY_AGAIN
    assert [s.split(":")[0] for s in view.suspicions] == ["Screen or replay suspected"]
    _assert_nothing_coaches(view)
