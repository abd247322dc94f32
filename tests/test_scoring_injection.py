"""Injection stage: duplicated frames, virtual devices, missing sensor noise."""

from __future__ import annotations

from app.core.scoring.contract import FAIL
from app.core.scoring.stages.injection import InjectionStage
from app.devtools.synthetic_sessions import SynthSpec, make_session_input


def test_a_duplicated_frame_stream_trips_injection() -> None:
    res = InjectionStage.create().evaluate(make_session_input(SynthSpec(kind="injection", duplicate_every=5, noise=0.0)))
    assert res.verdict == FAIL and res.hard_fail
    assert res.evidence.dup_fraction > 0.15
    assert "copies" in res.reason


def test_a_virtual_device_fails_hard_with_its_reason() -> None:
    res = InjectionStage.create().evaluate(make_session_input(SynthSpec(virtual_device=True)))
    assert res.verdict == FAIL and res.hard_fail
    assert "virtual" in res.reason


def test_a_live_camera_stream_is_not_a_hard_failure() -> None:
    res = InjectionStage.create().evaluate(make_session_input(SynthSpec(noise=2.0)))
    assert not res.hard_fail
    assert res.evidence.dup_fraction == 0.0


def test_noiseless_frames_score_lower_than_noisy_ones() -> None:
    stage = InjectionStage.create()
    noisy = stage.evaluate(make_session_input(SynthSpec(noise=2.0)))
    clean = stage.evaluate(make_session_input(SynthSpec(noise=0.1)))
    assert noisy.score is not None and clean.score is not None
    assert clean.score < noisy.score
