"""Challenge geometry and the colour nonce."""

from __future__ import annotations

import random

import pytest

from app.core.challenge import BLACK, Box, Challenge, fit_state, make_colour_sequence, make_oval


def test_oval_proportions_and_jitter() -> None:
    for seed in range(20):
        oval = make_oval(640, 480, random.Random(seed))
        assert oval.w == pytest.approx(0.8 * min(640, 0.75 * 480))
        assert oval.h == pytest.approx(1.618 * oval.w)
        assert 640 * 7 / 16 <= oval.cx <= 640 * 9 / 16


def test_colour_sequence_rules() -> None:
    for seed in range(200):
        seq = make_colour_sequence(random.Random(seed))
        assert len(seq) == 8 and seq[0].rgb == BLACK
        names = [s.name for s in seq[1:]]
        assert len(set(names)) >= 4
        assert all(a != b for a, b in zip(names, names[1:]))
        assert all(300 <= s.wipe_ms <= 475 and 75 <= s.hold_ms <= 100 for s in seq[1:])


def test_unseeded_challenges_differ() -> None:
    a, b = Challenge.new(640, 480), Challenge.new(640, 480)
    assert [c.name for c in a.colours] != [c.name for c in b.colours] or a.oval != b.oval


def test_fit_states() -> None:
    oval = make_oval(640, 480, random.Random(1))
    ob = oval.box
    exact = fit_state(ob, oval)
    assert exact.fits and exact.progress == 1.0 and not exact.too_close
    small = fit_state(Box(oval.cx - 60, oval.cy - 97, 120, 194), oval)
    assert small.far_enough and not small.fits and small.progress < 1.0
    huge = fit_state(Box(oval.cx - 200, oval.cy - 320, 400, 640), oval)
    assert huge.too_close and not huge.fits
    off = fit_state(Box(ob.x + 150, ob.y, ob.w, ob.h), oval)
    assert not off.fits and off.offset > 0.3


def test_movement_only_has_no_colours() -> None:
    ch = Challenge.new(640, 480, challenge_type="FaceMovementChallenge", seed=1)
    assert ch.colours == []
    again = Challenge.from_dict(ch.to_dict())
    assert again.type == ch.type and again.oval == ch.oval
