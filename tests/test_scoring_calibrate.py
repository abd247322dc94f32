"""Calibration on hand-made sessions: signs follow the physics, the operating point keeps training attacks out."""

from __future__ import annotations

import math

import pytest

from app.devtools.calibrate import FUSION_INPUTS, CachedSession, calibrate, fit_logistic
from app.core.scoring.config import ScoringConfig
from app.devtools.synthetic_sessions import SynthSpec, make_session_input


def _session(kind: str, shape: str, seed: int, texture: float) -> CachedSession:
    spec = SynthSpec(kind=kind, shape=shape, seed=seed)
    species = {"live": "live", "print": "print" if shape == "flat" else "curved-print", "replay": "screen-replay"}[kind]
    return CachedSession(f"/synthetic/{species}-{seed}.lgrec", species, {"seed": seed}, make_session_input(spec), [texture])


@pytest.fixture(scope="module")
def fitted() -> tuple[ScoringConfig, dict]:
    train = [_session("live", "face", s, 0.9) for s in range(1, 7)]
    train += [_session("print", "flat", s, 0.3) for s in range(11, 15)]
    train += [_session("print", "cylinder", s, 0.3) for s in range(21, 25)]
    train += [_session("replay", "face", s, 0.5) for s in range(31, 33)]
    val = [_session("live", "face", 101, 0.9), _session("print", "flat", 111, 0.3), _session("replay", "face", 131, 0.5)]
    return calibrate(train, val, ScoringConfig())


def test_fusion_weights_keep_the_signs_physics_prescribes(fitted: tuple[ScoringConfig, dict]) -> None:
    cfg, _ = fitted
    assert set(cfg.fusion.weights) == set(FUSION_INPUTS)
    for key, sign in FUSION_INPUTS.items():
        assert cfg.fusion.weights[key] * sign >= 0, key


def test_operating_point_rejects_training_attacks_and_passes_held_out_faces(fitted: tuple[ScoringConfig, dict]) -> None:
    cfg, out = fitted
    assert cfg.threshold == 60.0
    assert cfg.light.foreign_fail >= 0.3  # never tighter than the floors
    assert cfg.light.step_fail >= 0.4
    genuine_steps = out["notes"]["genuine_step_mismatch"]
    assert cfg.light.step_fail >= 1.25 * genuine_steps[1] - 1e-3  # headroom over every genuine training face
    train = {r.path: r for r in out["train"]}
    assert all(r.decision == "fail" for p, r in train.items() if "live" not in p)
    val = {r.species: r for r in out["val"]}
    assert val["live"].decision == "pass", val["live"].checks
    assert val["print"].decision == "fail"
    assert val["screen-replay"].decision == "fail"
    assert "operating_point" in out["notes"]


def test_logistic_fit_respects_sign_constraints() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    y = (x[:, 0] - x[:, 1] + rng.normal(0, 0.3, 200) > 0).astype(float)
    coef, _ = fit_logistic(x, y, l2=0.1)
    assert coef[0] > 0 > coef[1]
    coef, _ = fit_logistic(x, y, l2=0.1, signs=[1, 1])  # the second input may only count for liveness
    assert coef[0] > 0 and math.isclose(coef[1], 0.0, abs_tol=1e-6)
