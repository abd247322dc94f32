"""``livegate redteam``: the search explores the documented ranges, refines around the best, and reports it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.core.simulate.params import ATTACK_RANGES, sample_params
from app.devtools.redteam import Attempt, Runner, report_text, search, summary


@pytest.fixture(autouse=True)
def _face_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEGATE_SIM_CACHE", str(tmp_path_factory.getbasetemp() / "sim-faces"))


def _stand_in(attempt: Attempt) -> Attempt:
    """A scorer stand-in for the search logic: an earlier, stronger tint scores higher."""
    conf = 100.0 - float(attempt.params["forge_delay_ms"]) / 4 - 20 * abs(float(attempt.params["forge_strength"]) - 0.6)
    attempt.confidence = round(conf, 2)
    attempt.status = "SUCCEEDED"
    attempt.decision = "pass" if conf >= 60 else "fail"
    attempt.reasons = [f"stand-in confidence {conf:.1f}"]
    attempt.checks = {"light": {"verdict": "pass" if conf >= 60 else "fail", "score": conf / 100, "reason": "stand-in"}}
    return attempt


def test_search_explores_the_ranges_then_refines_the_best() -> None:
    species = "injection-forged-inwindow"
    runner = Runner(1, None, evaluate=_stand_in)
    attempts = search(species, 4, 7, runner)
    assert [a.phase for a in attempts] == ["random", "random", "random", "refine"]
    assert len({a.seed for a in attempts[:3]}) == 3  # random search: new scenes
    best_random = max(attempts[:3], key=lambda a: a.rank())
    assert attempts[3].seed == best_random.seed  # refinement keeps the best scene and moves the parameters
    assert attempts[3].params != best_random.params
    for a in attempts:
        for name, r in ATTACK_RANGES[species].items():
            assert r.contains(a.params[name]), (name, a.params[name])
    again = search(species, 4, 7, Runner(1, None, evaluate=_stand_in))
    assert [(a.seed, a.params, a.confidence) for a in again] == [(a.seed, a.params, a.confidence) for a in attempts]
    s = summary(species, 4, 7, attempts, {"scoring_config": "test"}, 1, 1.0)
    assert s["best"][0]["confidence"] == max(a.confidence for a in attempts)
    text = report_text(s)
    assert "forge_delay_ms=" in text and "strongest attacks" in text


def test_fixed_parameters_are_not_searched() -> None:
    attempts = search("injection-forged-blind", 3, 1, Runner(1, None, evaluate=_stand_in),
                      fixed={"forge_wipe": "left", "forge_delay_ms": "50"})
    assert {a.params["forge_wipe"] for a in attempts} == {"left"}
    assert {str(a.params["forge_delay_ms"]) for a in attempts} == {"50"}


def test_redteam_command_scores_a_real_session_and_reports_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["redteam", "--species", "injection-forged-inwindow", "--budget", "1", "--seed", "3",
                 "--out", str(tmp_path), "--no-best-recording"])
    assert code == 0
    out = capsys.readouterr().out
    assert "strongest attacks" in out and "s per evaluation" in out
    report = json.loads((tmp_path / "redteam-injection-forged-inwindow-seed3.json").read_text())
    best = report["best"][0]
    assert best["status"] in ("SUCCEEDED", "FAILED") and not best["error"]
    assert best["decision"] in ("pass", "fail") and 0 <= best["confidence"] <= 100
    assert best["reasons"] and set(best["checks"]) >= {"light", "geometry", "injection"}
    assert set(best["params"]) == set(ATTACK_RANGES["injection-forged-inwindow"])
    assert best["frames"] > 150  # a whole session: approach, hold, eight colours


@pytest.mark.parametrize("argv", [
    ["redteam", "--species", "live"],
    ["redteam", "--species", "injection-forged-shaded", "--budget", "0"],
    ["redteam", "--species", "print", "--sweep", "lag"],
    ["redteam", "--species", "injection-zoom", "--set", "no_such_parameter=1"],
])
def test_bad_redteam_input_exits_2_with_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("livegate: ") and "\n" not in err


def test_the_mask_search_reaches_beyond_the_simulators_own_draws_and_leaves_the_suites_alone() -> None:
    """A mask's wearer who has read Livegate cuts the eye holes as large as it takes (up to the brows), which the
    simulator's own masks never do; the red team must try that, while ``livegate simulate`` keeps its draws."""
    from app.core.simulate.params import MASK_HOLE_SCALE

    def larger_holes_score_higher(attempt: Attempt) -> Attempt:
        attempt.confidence = 40.0 + 10.0 * float(attempt.params["mask_hole_scale"]) * int(attempt.params["mask_eye_holes"])
        attempt.status, attempt.decision = "SUCCEEDED", "fail"
        return attempt

    attempts = search("mask", 40, 3, Runner(1, None, evaluate=larger_holes_score_higher))
    space = ATTACK_RANGES["mask"]
    for a in attempts:
        assert set(a.params) == set(space)
        assert all(r.contains(a.params[k]) for k, r in space.items()), a.params
    scales = [a.params["mask_hole_scale"] for a in attempts]
    assert max(scales) > 1.6 > MASK_HOLE_SCALE[1]  # holes no simulated mask has
    assert {a.params["mask_eye_holes"] for a in attempts} == {0, 1}
    drawn = [sample_params("mask", s).get("mask_hole_scale", 1.0) for s in range(40)]
    assert max(drawn) <= MASK_HOLE_SCALE[1]  # the suites' masks are as before
