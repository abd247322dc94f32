"""The stage registry: stages declared once, checked when the scorer is built, run in order by name."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.core.challenge import MOVEMENT_ONLY, Challenge
from app.core.enums import Verdict
from app.core.errors import ConfigError
from app.core.scoring.config import ScoringConfig, calibrated_threshold
from app.core.scoring.contract import CheckResult
from app.core.scoring.evidence import UNSET, Evidence
from app.core.scoring.pipeline import SessionScorer
from app.core.scoring.reasons import ReasonCode
from app.core.scoring.registry import STAGES, StageRegistry, StageSpec
from app.core.scoring.stages.base import SessionInput, result
from app.core.scoring.stages.light import LightEvidence
from app.devtools.synthetic_sessions import SynthSpec, make_session_input


# -- a throwaway stage: everything it needs lives here, nothing else is edited ----------------------------
class BlinkReason(ReasonCode):
    ENOUGH = "blinks.enough", "The face blinked {count} times."
    TOO_FEW = "blinks.too_few", "Too few frames ({count}) to count blinks."


@dataclass
class BlinkOptions:
    min_frames: int = 10


@dataclass
class BlinkEvidence(Evidence):
    frames: int = UNSET
    blinks: int = UNSET


class BlinkStage:
    name = "blinks"

    def __init__(self, options: BlinkOptions) -> None:
        self.options = options

    def evaluate(self, session: SessionInput) -> CheckResult:
        n = session.data.n
        if n < self.options.min_frames:
            return result(self.name, Verdict.ABSTAIN, None, BlinkReason.TOO_FEW, BlinkEvidence(frames=n), count=n)
        blinks = int((session.data.blink > 0.5).sum())
        return result(self.name, Verdict.PASS, 0.7, BlinkReason.ENOUGH, BlinkEvidence(frames=n, blinks=blinks), count=blinks)

    def close(self) -> None:
        pass


def registry_with_blinks() -> StageRegistry:
    reg = StageRegistry()
    for spec in STAGES:  # the shipped stages, plus the throwaway one between geometry and texture
        reg.register(spec)
    reg.register(StageSpec("blinks", BlinkStage, BlinkOptions, BlinkEvidence, order=35))
    return reg


def test_a_registered_stage_is_configured_built_and_run_in_order(tmp_path: Path) -> None:
    reg = registry_with_blinks()
    data = ScoringConfig.load().to_dict()
    data["stages"]["blinks"] = {"min_frames": 5}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    cfg = ScoringConfig.load(path, registry=reg)
    assert cfg.blinks == BlinkOptions(min_frames=5)
    scorer = SessionScorer(cfg, load_texture=False, registry=reg)
    try:
        checks, _ = scorer.run_stages(make_session_input(SynthSpec(kind="live")))
    finally:
        scorer.close()
    assert [c.name for c in checks] == ["quality", "light", "optics", "geometry", "blinks", "texture", "injection"]
    blinks = checks[4]
    assert blinks.code is BlinkReason.ENOUGH and blinks.verdict == Verdict.PASS
    assert blinks.reason == BlinkReason.ENOUGH.sentence(count=blinks.evidence.blinks)
    assert blinks.to_dict()["Evidence"] == {"frames": blinks.evidence.frames, "blinks": blinks.evidence.blinks}


def test_the_scorer_refuses_a_config_that_does_not_match_the_stages(tmp_path: Path) -> None:
    reg = registry_with_blinks()
    # The shipped config has no section for the new stage...
    shipped = ScoringConfig.load()
    with pytest.raises(ConfigError, match="no section for stage.*blinks"):
        SessionScorer(shipped, load_texture=False, registry=reg)
    # ...and a section that no stage declares (a renamed or removed stage) is an error too.
    data = shipped.to_dict()
    data["stages"]["ligth"] = {"decoys": 3}
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="stages.ligth"):
        SessionScorer(ScoringConfig.load(path), load_texture=False)


def test_declarations_are_checked() -> None:
    reg = StageRegistry()
    reg.register(StageSpec("blinks", BlinkStage, BlinkOptions, BlinkEvidence, order=1))
    with pytest.raises(ValueError, match="twice"):
        reg.register(StageSpec("blinks", BlinkStage, BlinkOptions, BlinkEvidence, order=2))
    with pytest.raises(TypeError, match="plots"):
        StageSpec("other", BlinkStage, BlinkOptions, BlinkEvidence, order=3, plots=True)
    with pytest.raises(TypeError, match="dataclass"):
        StageSpec("other", BlinkStage, dict, BlinkEvidence, order=3)


def test_the_shipped_stages_and_their_roles() -> None:
    assert STAGES.names() == ["quality", "light", "optics", "movement", "geometry", "texture", "injection"]
    light = STAGES.get("light")
    assert light is not None and light.needs_colours and light.capture_sensitive and light.plots
    assert set(ScoringConfig.load().stages) == set(STAGES.sections())
    movement = STAGES.get("movement")
    assert movement is not None and movement.needs_moves and not movement.needs_colours
    assert "movement" not in STAGES.sections()  # configured in movement_config.json, not fusion_config.json
    light_check = Challenge.new(640, 480, seed=1)
    movement_check = Challenge.new(640, 480, challenge_type=MOVEMENT_ONLY, seed=1)
    assert [s.name for s in STAGES.for_challenge(light_check)] == ["quality", "light", "optics", "geometry", "texture", "injection"]
    optics = STAGES.get("optics")
    assert optics is not None and optics.needs_colours and not optics.needs_moves
    assert [s.name for s in STAGES.for_challenge(movement_check)] == ["quality", "movement", "geometry", "texture", "injection"]
    with pytest.raises(TypeError, match="both"):
        StageSpec("other", BlinkStage, BlinkOptions, BlinkEvidence, order=3, needs_colours=True, needs_moves=True)


def test_evidence_keeps_the_document_keys_and_round_trips() -> None:
    ev = LightEvidence(frames_in_sequence=10, frames_with_face=9)
    assert ev.to_dict() == {"frames_in_sequence": 10, "frames_with_face": 9}  # unmeasured fields are left out
    again = LightEvidence.from_dict({**ev.to_dict(), "a_key_from_a_newer_version": 1})
    assert again == ev
    assert not ev.dark_room() and LightEvidence(screen_lit=True).dark_room()


def test_the_calibrated_threshold_is_the_default_everywhere() -> None:
    from app.core import defaults
    from app.core.scoring.contract import SessionContext
    from app.core.sessions.model import SessionSettings
    from app.core.settings import Settings

    # Calibration maps its operating point onto defaults.THRESHOLD; settings and sessions start from it.
    assert calibrated_threshold() == defaults.THRESHOLD
    assert Settings().threshold == SessionSettings().threshold == defaults.THRESHOLD
    assert SessionContext.__dataclass_fields__["threshold"].default is None  # None: the calibrated one
