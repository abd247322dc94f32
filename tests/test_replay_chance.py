"""The replay chance-match estimate (app/devtools/replay_chance.py)."""

from __future__ import annotations

import pytest

from app.devtools import replay_chance


def test_direction_sequences_with_a_turn_and_a_nod() -> None:
    assert replay_chance.sequences(3) == 48 and replay_chance.sequences(4) == 224


def test_timing_chance_shrinks_with_a_narrower_window_and_more_cues() -> None:
    wide = replay_chance.timing_chance(3, 3000, (150.0, 1500.0), aligned=True)
    narrow = replay_chance.timing_chance(3, 3000, (300.0, 1200.0), aligned=True)
    assert 0.0 < narrow < wide < 1.0
    assert replay_chance.timing_chance(4, 3000, (150.0, 1500.0), aligned=True) < wide
    # A window no human answer reaches is never matched.
    assert replay_chance.timing_chance(3, 500, (5000.0, 6000.0), aligned=False) == 0.0


def test_bad_arguments_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert replay_chance.main(["--cues", "1"]) == 2
    assert "at least 2" in capsys.readouterr().err
