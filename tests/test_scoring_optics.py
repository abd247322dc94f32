"""The optics stage (issue 16): catchlights that follow the flashes, skin's softening under red light, blinks."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app.core.enums import Verdict
from app.core.scoring.stages.optics import OpticsOptions, OpticsReason, OpticsStage, count_blinks, detail_slope, response_ratio
from app.devtools.synthetic_sessions import SynthSpec, make_session_input


def _judge(kind: str, shape: str = "face", seed: int = 3) -> tuple[object, object]:
    inp = make_session_input(SynthSpec(kind=kind, shape=shape, seed=seed))
    return OpticsStage(OpticsOptions()).evaluate(inp), inp


def test_response_ratio_tells_a_mirror_from_a_diffuse_or_static_patch() -> None:
    rng = np.random.default_rng(0)
    t = np.linspace(-1, 1, 120)
    q = np.stack([np.ones_like(t), t, t * t], axis=1)
    skin = 0.3 + 0.1 * (rng.random(120) > 0.5)  # the face's own changes under the flashes
    diffuse = 0.5 * skin  # another surface, lit alike: same fraction of its level
    mirror = 0.05 + 0.4 * (skin - 0.3)  # a dark pupil plus a glint that follows the screen
    static = np.full(120, 0.2) + rng.normal(0, 1e-4, 120)
    assert response_ratio(diffuse, skin, q) == pytest.approx(1.0, abs=1e-6)
    assert response_ratio(mirror, skin, q) > 1.5
    assert abs(response_ratio(static, skin, q)) < 0.05


def test_detail_slope_is_zero_for_a_surface_and_negative_when_added_light_is_smoother() -> None:
    t = np.linspace(-1, 1, 80)
    q = np.stack([np.ones_like(t), t, t * t], axis=1)
    level = 1.0 + 0.5 * (np.arange(80) % 7 > 3)
    assert detail_slope(np.full(80, 0.05), level, q) == pytest.approx(0.0, abs=1e-9)
    # Detail of the ambient part only: contrast falls as the (smooth) screen light grows.
    assert detail_slope(0.05 / level, level, q) == pytest.approx(-1.0, abs=1e-6)


def test_blinks_are_closures_after_open_eyes() -> None:
    closure = np.array([0.05, 0.1, 0.6, 0.7, 0.1, 0.05, 0.4, 0.1, np.nan, 0.8, 0.9, 0.1])
    assert count_blinks(closure, open_max=0.2, closed=0.3) == 3
    assert count_blinks(np.full(10, 0.9), open_max=0.2, closed=0.3) == 0  # never open: no blink


def test_a_live_face_passes_with_its_own_reason() -> None:
    res, _ = _judge("live")
    ev = res.evidence
    assert res.verdict == Verdict.PASS and res.code is OpticsReason.EYES_MIRROR
    assert ev.catch_log > OpticsOptions().catch_min
    assert ev.detail_index < 0  # reported: the hand-made skin softens its detail under its own red light
    assert res.reason == OpticsReason.EYES_MIRROR.sentence(blinks=ev.blinks)


def test_a_print_has_no_catchlight_and_a_replay_shows_its_recorded_ones() -> None:
    printed, _ = _judge("print", "flat")
    assert printed.verdict == Verdict.FAIL and printed.code is OpticsReason.NO_CATCHLIGHT
    # A replayed video shows a recorded person's catchlights, which follow the recorded colours as its face does:
    # this stage passes it; the light stage is what finds that those are not this session's colours.
    replay, _ = _judge("replay")
    assert replay.verdict == Verdict.PASS


def test_painted_eyes_fail_as_no_catchlight() -> None:
    """A mask without eye holes: its eyes are painted and lit like the rest of it (a dark diffuse patch)."""
    _, inp = _judge("live")
    d = inp.data
    pupils = d.eyes[:, :2, :].copy()
    brows = d.eyes[:, 2:, :]
    level = pupils.mean()
    skin = d.regions[:, 9, :]  # the face's centre
    d.eyes[:, :2, :] = level * skin[:, None, :] / skin.mean(axis=0)  # follows the face by the same fraction
    d.eyes[:, 2:, :] = brows
    res = OpticsStage(OpticsOptions()).evaluate(inp)
    assert res.verdict == Verdict.FAIL and res.code is OpticsReason.NO_CATCHLIGHT
    assert res.evidence.catch_log == pytest.approx(0.0, abs=0.1)


def test_eyes_never_seen_open_make_it_abstain_and_a_stricter_limit_fails() -> None:
    _, inp = _judge("live")
    inp.data.blink[:] = 0.9
    res = OpticsStage(OpticsOptions()).evaluate(inp)
    assert res.verdict == Verdict.ABSTAIN and res.code is OpticsReason.EYES_NOT_SEEN and res.score is None
    _, inp = _judge("live")
    strict = OpticsStage(replace(OpticsOptions(), catch_min=50.0)).evaluate(inp)
    assert strict.verdict == Verdict.FAIL and strict.code is OpticsReason.NO_CATCHLIGHT


def test_in_a_dark_room_missing_catchlights_are_not_judged_and_only_a_blink_shows_real_eyes() -> None:
    """Lit by the screen alone a mirror and a diffuse eye brighten alike: painted-looking eyes then abstain (no
    decision, with a dark-room hint), unless the eyes blinked."""
    _, inp = _judge("live")
    d = inp.data
    skin = d.regions[:, 9, :]
    d.eyes[:, :2, :] = d.eyes[:, :2, :].mean() * skin[:, None, :] / skin.mean(axis=0)  # no mirror to read
    dark = replace(OpticsOptions(), screen_lit_share=0.0)  # every room counts as screen-lit
    res = OpticsStage(dark).evaluate(inp)
    assert res.verdict == Verdict.ABSTAIN and res.code is OpticsReason.DARK_ROOM and res.evidence.dark_room()
    d.blink[40:44] = [0.5, 0.8, 0.6, 0.1]  # one blink
    res = OpticsStage(dark).evaluate(inp)
    assert res.verdict == Verdict.PASS and res.code is OpticsReason.BLINKED and res.evidence.blinks == 1
    lit = OpticsStage(OpticsOptions()).evaluate(inp)  # the same eyes in a room with light of its own
    assert lit.verdict == Verdict.FAIL and lit.code is OpticsReason.NO_CATCHLIGHT
