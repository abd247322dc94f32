"""Fusion rules: hard failures, abstentions, monotone confidence; the config loader."""

from __future__ import annotations

import json
import math
import logging
from pathlib import Path

import pytest

from app.core.challenge import MOVEMENT_ONLY, Challenge
from app.core.scoring.config import FusionOptions, ScoringConfig
from app.core.scoring.contract import ABSTAIN, FAIL, PASS, CheckResult
from app.core.scoring.fusion import combine
from app.core.scoring.stages.light import LightEvidence
from app.core.scoring.stages.quality import QualityEvidence
from app.core.scoring.stages.texture import TextureEvidence

STAGES = ("quality", "light", "optics", "geometry", "texture", "injection")


def checks(**overrides: tuple[str, float | None, bool]) -> list[CheckResult]:
    out = []
    for name in STAGES:
        verdict, score, hard = overrides.get(name, (PASS, 1.0, False))
        out.append(CheckResult(name, verdict, score, f"{name} says so", hard_fail=hard))
    return out


@pytest.fixture
def challenge() -> Challenge:
    ch = Challenge.new(640, 480, seed=1)
    ch.shown_ns = list(range(len(ch.colours)))
    return ch


def test_all_passing_passes(challenge: Challenge) -> None:
    d = combine(checks(), 60.0, FusionOptions(), challenge)
    assert d.decision == "pass" and d.confidence >= 60.0


@pytest.mark.parametrize("stage", ["light", "geometry", "quality", "injection"])
def test_an_abstaining_required_stage_cannot_make_a_session_pass(challenge: Challenge, stage: str) -> None:
    d = combine(checks(**{stage: (ABSTAIN, None, False)}), 0.0, FusionOptions(), challenge)
    assert d.decision == "fail"
    assert d.status == "FAILED"
    assert any("never counts as passed" in r for r in d.reasons)


def test_an_abstaining_optional_stage_only_lowers_confidence(challenge: Challenge) -> None:
    full = combine(checks(), 60.0, FusionOptions(), challenge)
    missing = combine(checks(texture=(ABSTAIN, None, False)), 60.0, FusionOptions(), challenge)
    assert missing.confidence <= full.confidence


def test_a_hard_failure_decides_alone(challenge: Challenge) -> None:
    opts = FusionOptions()
    d = combine(checks(light=(FAIL, 0.9, True)), 0.0, opts, challenge)
    assert d.decision == "fail"
    assert d.confidence <= opts.hard_fail_cap
    assert d.reasons[0] == "light says so"


def test_light_is_not_required_without_colours() -> None:
    ch = Challenge(MOVEMENT_ONLY, Challenge.new(640, 480, seed=1).oval)
    movement = CheckResult("movement", PASS, 0.95, "movement says so")
    d = combine([*checks(light=(ABSTAIN, None, False)), movement], 10.0, FusionOptions(), ch)
    assert d.decision == "pass"
    # Without colours the head-turn cues are the challenge: without their stage's pass there is no pass.
    d = combine(checks(light=(ABSTAIN, None, False)), 10.0, FusionOptions(), ch)
    assert d.decision == "fail" and d.status == "FAILED"
    failed = CheckResult("movement", FAIL, 0.4, "movement says no")
    assert combine([*checks(light=(ABSTAIN, None, False)), failed], 10.0, FusionOptions(), ch).decision == "fail"


def test_more_evidence_never_lowers_confidence(challenge: Challenge) -> None:
    low = combine(checks(geometry=(PASS, 0.6, False)), 60.0, FusionOptions(), challenge)
    high = combine(checks(geometry=(PASS, 0.9, False)), 60.0, FusionOptions(), challenge)
    assert high.confidence >= low.confidence


def test_config_loader_tolerates_bad_files(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = tmp_path / "c.json"
    bad.write_text(json.dumps({"schema_version": 1, "threshold": "x", "fusion": {"bias": 1.5, "nonsense": 3},
                               "stages": {"light": {"lag_window_ms": [10, 150], "decoys": "many"}}}))
    with caplog.at_level(logging.WARNING):
        cfg = ScoringConfig.load(bad)
    assert cfg.fusion.bias == 1.5
    assert cfg.light.lag_window_ms == (10.0, 150.0)
    assert cfg.light.decoys == ScoringConfig().light.decoys
    assert cfg.threshold == ScoringConfig().threshold
    assert "nonsense" in caplog.text
    (tmp_path / "broken.json").write_text("{")
    with caplog.at_level(logging.WARNING):
        assert ScoringConfig.load(tmp_path / "broken.json").threshold == ScoringConfig().threshold


def test_shipped_config_loads_and_round_trips(tmp_path: Path) -> None:
    cfg = ScoringConfig.load()
    path = cfg.save(tmp_path / "again.json")
    again = ScoringConfig.load(path)
    assert again.to_dict() == cfg.to_dict()
    assert 0.0 < cfg.threshold < 100.0


def test_feature_inputs_and_missing_texture_model(challenge: Challenge) -> None:
    from app.core.scoring.fusion import fusion_input

    cs = checks()
    by = {c.name: c for c in cs}
    by["light"].evidence = LightEvidence(features={"shade": 0.3, "surround": float("nan")})
    assert fusion_input("light.shade", by, {}) == 0.3
    assert fusion_input("light.surround", by, {"light.surround": 0.7}) == 0.7
    assert fusion_input("texture.score", by, {}) == 1.0
    missing = CheckResult("texture", ABSTAIN, None, "not installed", TextureEvidence(model_missing=True))
    no_frame = CheckResult("texture", ABSTAIN, None, "no good frame", TextureEvidence())
    assert fusion_input("texture.score", {"texture": missing}, {}) == 0.5
    assert fusion_input("texture.score", {"texture": no_frame}, {}) == 0.0
    # Log-odds: clipped at +-6, uninformative 0 without the model; without a usable frame the strongest
    # evidence against (like probability 0), unless a fill value is configured.
    assert fusion_input("texture.logit", by, {}) == 6.0
    half = CheckResult("texture", PASS, 0.8, "ok", TextureEvidence())
    assert abs(fusion_input("texture.logit", {"texture": half}, {}) - math.log(4.0)) < 1e-9
    assert fusion_input("texture.logit", {"texture": missing}, {}) == 0.0
    assert fusion_input("texture.logit", {"texture": no_frame}, {}) == -6.0
    assert fusion_input("texture.logit", {"texture": no_frame}, {"texture.logit": -3.0}) == -3.0
    assert fusion_input("light", {"light": CheckResult("light", ABSTAIN, None, "x")}, {}) == -6.0


def test_feature_weighted_fusion_is_monotone(challenge: Challenge) -> None:
    opts = FusionOptions(bias=-1.0, weights={"light.shade": 5.0, "light.surround": -4.0, "texture.score": 2.0})

    def conf(shade: float, surround: float) -> float:
        cs = checks()
        cs[1].evidence = LightEvidence(features={"shade": shade, "surround": surround})
        return combine(cs, 60.0, opts, challenge).confidence

    assert conf(0.3, 0.0) > conf(0.1, 0.0)
    assert conf(0.3, 0.0) > conf(0.3, 0.4)


def test_a_pass_with_a_soft_failure_says_so(challenge: Challenge) -> None:
    """A soft failure outweighed by the rest is reported as a concern, never as "all passed"."""
    d = combine(checks(injection=(FAIL, 0.45, False)), 0.0, FusionOptions(), challenge)
    assert d.decision == "pass"
    assert not any("All required checks passed" in r for r in d.reasons)
    assert "raised a concern" in d.reasons[0]
    assert "Concern: injection says so" in d.reasons
    clean = combine(checks(), 0.0, FusionOptions(), challenge)
    assert clean.reasons[0] == "All required checks passed."


def test_light_failure_under_a_capture_problem_says_what_to_change(challenge: Challenge) -> None:
    cs = checks()
    by = {c.name: c for c in cs}
    light = CheckResult("light", FAIL, 0.05, "The face did not change colour with this session's light sequence.", LightEvidence(), hard_fail=True)
    quality = CheckResult("quality", FAIL, 0.75, "Capture quality was poor: the face was over-exposed.",
                          QualityEvidence(issues=["the face was over-exposed"], face_fraction=1.0))
    by.update({"light": light, "quality": quality})
    dec = combine(list(by.values()), 60.0, FusionOptions(), challenge)
    assert dec.decision == "fail"  # advice never turns a failure into a pass
    assert any("reduce the light" in r for r in dec.reasons), dec.reasons
    # Without a capture problem there is nothing to advise.
    by["quality"] = CheckResult("quality", PASS, 1.0, "ok", QualityEvidence(issues=[], face_fraction=1.0))
    dec = combine(list(by.values()), 60.0, FusionOptions(), challenge)
    assert not any("try again" in r for r in dec.reasons)


def test_a_failure_in_a_dark_room_says_that_a_room_light_helps(challenge: Challenge) -> None:
    """The screen as the main light (a dark room) is where the check is least certain: any failure there says
    so with what to change; a pass, or a failure in a lit room, does not."""
    from app.core.scoring.fusion import DARK_ROOM_ADVICE

    def with_light(verdict: str, screen_lit: bool, hard: bool = False) -> list[CheckResult]:
        by = {c.name: c for c in checks()}
        by["light"] = CheckResult("light", verdict, 0.2 if verdict == FAIL else 0.9, "light says so",
                                  LightEvidence(screen_lit=screen_lit, rel_amplitude=0.7 if screen_lit else 0.2), hard_fail=hard)
        return list(by.values())

    low = FusionOptions()
    low.bias = -30.0  # every session below the threshold
    soft = combine(with_light(FAIL, True), 60.0, low, challenge)
    assert soft.decision == "fail" and soft.reasons[-1] == DARK_ROOM_ADVICE
    hard = combine(with_light(FAIL, True, hard=True), 0.0, FusionOptions(), challenge)
    assert hard.decision == "fail" and DARK_ROOM_ADVICE in hard.reasons
    assert DARK_ROOM_ADVICE not in combine(with_light(FAIL, False), 60.0, low, challenge).reasons
    passed = combine(with_light(PASS, True), 0.0, FusionOptions(), challenge)
    assert passed.decision == "pass" and DARK_ROOM_ADVICE not in passed.reasons


# -- Required invariant: the light stage passes on its own when colours were shown (issue 15) ------------------

#: Every state a stage can end in, for the exhaustive test: (verdict, score, hard failure).
STAGE_STATES: tuple[tuple[str, float | None, bool], ...] = (
    (PASS, 0.99, False),
    (PASS, 0.51, False),
    (FAIL, 0.95, False),  # a soft failure with a high score: nothing in fusion may read the score as a pass
    (FAIL, 0.05, False),
    (FAIL, 0.95, True),
    (FAIL, 0.01, True),
    (ABSTAIN, None, False),
)


def _stage_result(name: str, state: tuple[str, float | None, bool], feature_value: float) -> CheckResult:
    """A stage's result whose evidence carries every fusion feature at ``feature_value`` (very strong for
    liveness when large)."""
    from app.core.scoring.registry import STAGES as REGISTRY

    verdict, score, hard = state
    spec = REGISTRY.get(name)
    assert spec is not None
    evidence = spec.evidence()
    if hasattr(evidence, "features"):
        keys = ("gain_db", "shade", "side_centre", "surround", "response_spread", "wipe_lead_ms", "foreign_excess",
                "nose_excess", "contour_excess", "nose_depth_cm", "contour_depth_cm", "nose_growth", "jitter")
        evidence.features = {k: feature_value for k in keys}
    return CheckResult(name, verdict, score, f"{name} says so", evidence, hard_fail=hard)


def _outvoting_options() -> list[FusionOptions]:
    """Fusion settings in which the other stages could easily outvote light if the rule let them."""
    shipped = ScoringConfig.load().fusion
    heavy = FusionOptions(
        bias=20.0,
        weights={"light": 0.0, "geometry": 10.0, "texture": 10.0, "injection": 10.0, "quality": 10.0,
                 "geometry.nose_depth_cm": 5.0, "light.response_spread": 5.0},
        required=(),  # not even declared required: the invariant must hold anyway
    )
    return [FusionOptions(), heavy, shipped]


def test_no_stage_can_outvote_the_light_stage(challenge: Challenge) -> None:
    """Every combination of every stage's verdict (pass / soft or hard fail / abstain, high or low score):
    with colours shown there is no pass unless the light stage itself passed; its abstention is "no decision"
    (status FAILED), never a pass; and the test is not vacuous (combinations with light passing do pass)."""
    import itertools

    names = ("quality", "light", "geometry", "texture", "injection")
    passes_with_light = 0
    tried = 0
    # The optics stage (the other stage of the colours, itself a must-pass) passes here; its own rule is tested
    # below with the same combinations.
    optics = _stage_result("optics", (PASS, 0.95, False), 50.0)
    for options in _outvoting_options():
        for threshold in (0.0, 60.0):
            for feature_value in (50.0,):
                for states in itertools.product(STAGE_STATES, repeat=len(names)):
                    cs = [_stage_result(n, s, feature_value) for n, s in zip(names, states)] + [optics]
                    d = combine(cs, threshold, options, challenge)
                    light = states[names.index("light")]
                    tried += 1
                    if light[0] != PASS:
                        assert d.decision == "fail", (options, threshold, states, d)
                        if threshold > 0.0:
                            assert d.confidence < threshold, (states, d)
                        if light[0] == ABSTAIN and not any(st[0] == FAIL and st[2] for st in states):
                            assert d.status == "FAILED", states  # no decision (another's hard failure decides)
                        assert not any("All required checks passed" in r or r.startswith("Concern: light") for r in d.reasons)
                    elif d.decision == "pass":
                        passes_with_light += 1
    assert tried == 3 * 2 * len(STAGE_STATES) ** len(names)
    assert passes_with_light > 500


def test_no_stage_can_outvote_the_optics_stage(challenge: Challenge) -> None:
    """The optics stage (eyes' mirror, skin's response) reads the colours too, so it must pass on its own:
    whatever every other stage says, an optics failure (soft or hard) or abstention is no pass."""
    import itertools

    names = ("quality", "light", "geometry", "texture", "injection")
    passes = 0
    for optics_state in STAGE_STATES:
        optics = _stage_result("optics", optics_state, 50.0)
        for states in itertools.product([s for s in STAGE_STATES if s[0] == PASS], repeat=len(names)):
            cs = [_stage_result(n, s, 50.0) for n, s in zip(names, states)] + [optics]
            d = combine(cs, 0.0, FusionOptions(), challenge)
            if optics_state[0] != PASS:
                assert d.decision == "fail", (optics_state, states)
                assert any("optics" in r and "must pass on its own" in r for r in d.reasons) or optics_state[2]
                if optics_state[0] == ABSTAIN:
                    assert d.status == "FAILED"
            else:
                passes += d.decision == "pass"
    assert passes > 0


def test_a_soft_light_failure_fails_with_its_reason(challenge: Challenge) -> None:
    """The old path "pass with a concern about light" is gone: a soft light failure outweighed by everything
    else is a failure that says why."""
    d = combine(checks(light=(FAIL, 0.45, False)), 0.0, FusionOptions(), challenge)
    assert d.decision == "fail" and d.status == "SUCCEEDED"
    assert d.reasons[0] == "light says so"
    assert any("must pass on its own" in r for r in d.reasons)
    assert not any(r.startswith("Concern:") for r in d.reasons)


def test_fusion_inputs_are_clipped_to_what_a_face_produces() -> None:
    """A feature beyond the range a genuine face produces adds nothing more, even when a stored or cached
    result carries it unclipped."""
    from app.core.scoring.fusion import fusion_input
    from app.core.scoring.stages.geometry import FEATURE_RANGES, GeometryEvidence

    def nose(value: float) -> float:
        ev = GeometryEvidence(features={"nose_depth_cm": value})
        return fusion_input("geometry.nose_depth_cm", {"geometry": CheckResult("geometry", PASS, 0.9, "ok", ev)}, {})

    hi = FEATURE_RANGES["nose_depth_cm"][1]
    assert nose(8.7) == nose(hi) == hi
    assert nose(2.0) == 2.0


@pytest.mark.parametrize(("failing", "abstaining"), [("optics", "light"), ("light", "optics"), ("optics", "geometry")])
def test_a_failing_must_pass_stage_decides_though_another_stage_abstained(
    challenge: Challenge, failing: str, abstaining: str
) -> None:
    """A must-pass stage that failed fails the session whatever an abstaining stage would have said: a decision
    (status SUCCEEDED), not "no decision", with both stages' reasons. Without the failure the abstention is
    still no decision."""
    d = combine(checks(**{failing: (FAIL, 0.05, False), abstaining: (ABSTAIN, None, False)}), 60.0, FusionOptions(), challenge)
    assert d.decision == "fail" and d.status == "SUCCEEDED" and d.confidence < 60.0
    assert d.reasons[0] == f"{failing} says so"
    assert any(failing in r and "must pass on its own" in r for r in d.reasons)
    assert f"{abstaining} says so" in d.reasons
    undecided = combine(checks(**{abstaining: (ABSTAIN, None, False)}), 0.0, FusionOptions(), challenge)
    assert undecided.decision == "fail" and undecided.status == "FAILED"
