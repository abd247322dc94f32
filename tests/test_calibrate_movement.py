"""The movement-only check's calibration tool: exact intervals, training seeds kept out of evaluations, the table."""

from __future__ import annotations

import pytest

from app.core.scoring.movement_config import MovementConfig
from app.devtools.calibrate_movement import exact_interval, summary, training_overlap


def test_exact_interval_matches_known_values() -> None:
    lo, hi = exact_interval(0, 100)
    assert lo == 0.0 and hi == pytest.approx(0.0362, abs=1e-4)  # the "rule of three" bound, exactly
    lo, hi = exact_interval(1, 27)
    assert lo == pytest.approx(0.00094, abs=1e-4) and hi == pytest.approx(0.190, abs=1e-3)
    assert exact_interval(30, 30) == (pytest.approx(0.8843, abs=1e-4), 1.0)
    lo, hi = exact_interval(0, 0)
    assert lo != lo and hi != hi  # NaN: no sessions, no rate


def _item(species: str, seed: int) -> dict:
    return {"path": f"{species}-movement-{seed:06d}.lgrec", "record": {"species": species, "labels": {"seed": seed}}}


def test_sessions_on_training_seeds_are_named() -> None:
    cfg = MovementConfig()
    cfg.obtained = {"training_seeds": {"live": [51000, 51023], "print": [51000, 51005]}}
    items = [_item("live", 51010), _item("live", 52000), _item("print", 51006), _item("injection", 51000)]
    assert training_overlap(items, cfg) == ["live-movement-051010.lgrec"]


def test_summary_counts_rejections_for_genuine_and_acceptances_for_attacks() -> None:
    rows = [
        {"species": "live", "seed": 52000, "status": "SUCCEEDED", "decision": "pass"},
        {"species": "live", "seed": 52001, "status": "SUCCEEDED", "decision": "fail"},
        {"species": "live", "seed": 52002, "status": "FAILED", "decision": "fail"},  # no decision: not a rate
        {"species": "print", "seed": 52000, "status": "SUCCEEDED", "decision": "fail"},
        {"species": "print", "seed": 52001, "status": "SUCCEEDED", "decision": "pass"},
    ]
    lines = summary(rows).splitlines()
    live = next(line for line in lines if line.startswith("| live |"))
    printed = next(line for line in lines if line.startswith("| print |"))
    assert live.split(" | ")[1:8] == ["3", "52000-52002", "1", "1", "1", "-", "50.0 %"]
    assert printed.split(" | ")[1:8] == ["2", "52000-52001", "0", "1", "1", "50.0 %", "-"]
    assert lines.index(live) < lines.index(printed)  # genuine species first
