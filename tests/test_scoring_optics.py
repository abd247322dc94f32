"""The optics stage (issue 16): catchlights that follow the flashes, one material around the eyes, skin's
softening under red light, blinks."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from app.core.enums import Verdict
from app.core.scoring.stages.optics import (
    OpticsOptions,
    OpticsReason,
    OpticsStage,
    count_blinks,
    detail_slope,
    material_index,
    relative_response,
    response_ratio,
)
from app.devtools.synthetic_sessions import SynthSpec, make_session_input


#: The optics options with the one-material comparison judging (off by default: docs/accuracy.md).
JUDGED = replace(OpticsOptions(), material_judged=True)


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
    assert abs(ev.material_index) < 0.06  # measured and reported: lids and cheeks are one material
    one = OpticsStage(JUDGED).evaluate(_judge("live")[1])
    assert one.verdict == Verdict.PASS and one.code is OpticsReason.ONE_MATERIAL


def test_a_print_has_no_catchlight_and_a_replay_shows_its_recorded_ones() -> None:
    printed, _ = _judge("print", "flat")
    assert printed.verdict == Verdict.FAIL and printed.code is OpticsReason.NO_CATCHLIGHT
    # A replayed video shows a recorded person's catchlights, which follow the recorded colours as its face does:
    # the eyes pass; the light stage is what finds that those are not this session's colours.
    replay, inp = _judge("replay")
    assert replay.verdict == Verdict.PASS and replay.code is OpticsReason.EYES_MIRROR
    # Where the material comparison judges, its face, not answering this session's colours, cannot be compared:
    # the stage abstains (never a pass).
    judged = OpticsStage(JUDGED).evaluate(inp)
    assert judged.verdict == Verdict.ABSTAIN and judged.code is OpticsReason.MATERIAL_UNCLEAR


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


def test_a_weak_catchlight_measured_unsteadily_is_no_decision_and_painted_eyes_still_fail() -> None:
    """"No catchlight" needs every readable eye clearly below the limit (``catch_se_k`` block errors): a glint
    that only one stretch of the colours shows (a bright room's few grey levels, a sway, a landmark slip) reads
    weak with a large error and is no decision; painted eyes, steady through the session, still fail."""
    _, inp = _judge("live")
    d = inp.data
    real = d.eyes[:, :2, :].copy()
    skin = d.regions[:, 9, :]
    d.eyes[:, :2, :] = real.mean() * skin[:, None, :] / skin.mean(axis=0)  # painted: follows the face's fraction
    seen = np.flatnonzero(np.isfinite(d.eyes[:, 0, 0]))
    last = int(seen[0] + 0.85 * (seen[-1] - seen[0]))
    d.eyes[last:, :2, :] = real[last:]  # the real glint shows in the last stretch only
    judged_here = replace(OpticsOptions(), catch_unclear_share=1.0)  # judged as in a room not mostly screen-lit
    res = OpticsStage(judged_here).evaluate(inp)
    ev = res.evidence
    assert ev.catch_log < OpticsOptions().catch_min
    assert max(v + 2 * e for v, e in zip(ev.catch_per_eye, ev.catch_se_per_eye)) >= OpticsOptions().catch_min
    assert res.verdict == Verdict.ABSTAIN and res.code is OpticsReason.CATCH_UNSTEADY and res.score is None
    assert f"{ev.catch_per_eye[0]:.2f}" in res.reason
    # Judged on the values alone (no error allowed) the same eyes are "no catchlight".
    alone = OpticsStage(replace(judged_here, catch_se_k=0.0)).evaluate(inp)
    assert alone.verdict == Verdict.FAIL and alone.code is OpticsReason.NO_CATCHLIGHT
    # Painted eyes throughout: steady, clearly below, still a failure with the allowance.
    _, inp = _judge("live")
    d = inp.data
    skin = d.regions[:, 9, :]
    d.eyes[:, :2, :] = d.eyes[:, :2, :].mean() * skin[:, None, :] / skin.mean(axis=0)
    painted = OpticsStage(judged_here).evaluate(inp)
    assert painted.verdict == Verdict.FAIL and painted.code is OpticsReason.NO_CATCHLIGHT
    assert max(painted.evidence.catch_se_per_eye) < 0.1


def test_eyes_never_seen_open_make_it_abstain_and_a_stricter_limit_fails() -> None:
    _, inp = _judge("live")
    inp.data.blink[:] = 0.9
    res = OpticsStage(OpticsOptions()).evaluate(inp)
    assert res.verdict == Verdict.ABSTAIN and res.code is OpticsReason.EYES_NOT_SEEN and res.score is None
    _, inp = _judge("live")
    strict = OpticsStage(replace(OpticsOptions(), catch_min=50.0, catch_unclear_share=1.0)).evaluate(inp)
    assert strict.verdict == Verdict.FAIL and strict.code is OpticsReason.NO_CATCHLIGHT


def test_mostly_screen_lit_a_weak_catchlight_is_no_decision_but_eyes_answering_like_paint_still_fail() -> None:
    """Where the screen gives most of the face's light a real eye's mirror excess shrinks: short of the limit it
    is no decision there; a pupil answering like the white beside it (paint) is still a failure."""
    res, inp = _judge("live")
    share = res.evidence.screen_share
    assert 0.5 <= share < OpticsOptions().screen_lit_share  # this hand-made room is mostly lit by the screen
    unclear = OpticsStage(replace(OpticsOptions(), catch_min=50.0)).evaluate(inp)
    assert unclear.verdict == Verdict.ABSTAIN and unclear.code is OpticsReason.CATCH_UNCLEAR and unclear.score is None
    assert f"{share:.0%}" in unclear.reason
    printed, _ = _judge("print", "flat")
    assert printed.evidence.screen_share >= 0.5 and printed.evidence.catch_log < OpticsOptions().catch_floor
    assert printed.verdict == Verdict.FAIL and printed.code is OpticsReason.NO_CATCHLIGHT


def test_eyes_whose_whites_do_not_answer_the_colours_cannot_be_read_and_never_fail() -> None:
    """In a bright room the whites of the eyes may not answer the screen measurably (or the pupil reads darker
    under more light, which no surface does): the catchlight is unread, no decision, not "no catchlight"."""
    _, inp = _judge("live")
    d = inp.data
    d.eyes[:, 2:, :] = d.eyes[:, 2:, :].mean(axis=0, keepdims=True)  # the whites stay still
    res = OpticsStage(OpticsOptions()).evaluate(inp)
    unread = [res.evidence.catch_log, *res.evidence.catch_per_eye]
    assert all(v is None or math.isnan(v) for v in unread)  # NaN, written as null in the evidence
    assert res.verdict == Verdict.ABSTAIN and res.code is OpticsReason.CATCH_UNREAD


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
    judged = OpticsStage(replace(dark, material_judged=True)).evaluate(inp)
    assert judged.verdict == Verdict.PASS and judged.code is OpticsReason.BLINKED_ONE_MATERIAL
    lit = OpticsStage(OpticsOptions()).evaluate(inp)  # the same eyes in a room with light of its own
    assert lit.verdict == Verdict.FAIL and lit.code is OpticsReason.NO_CATCHLIGHT


def test_material_index_is_zero_for_one_material_and_reads_a_second_ones_red_gain() -> None:
    """Two patches of one material answer the screen alike whatever their albedo, their geometry and a common
    multiplicative drift (auto-exposure); a patch whose red gain is 15 % higher reads about log(1.15)."""
    rng = np.random.default_rng(5)
    n = 150
    t = np.linspace(-1, 1, n)
    q = np.stack([np.ones_like(t), t, t * t], axis=1)
    x = rng.random((n, 3))  # the screen's colour per frame
    drift = 1.0 + 0.2 * (np.arange(n) > 70)  # an exposure step, common to every channel and patch
    room = np.array([0.5, 0.45, 0.4])

    def patch(albedo: np.ndarray, geometry: float, gain: np.ndarray) -> np.ndarray:
        return drift[:, None] * albedo * (room + geometry * gain * 0.3 * x)

    cheeks = patch(np.array([0.6, 0.45, 0.4]), 1.0, np.ones(3))
    lids = patch(np.array([0.4, 0.3, 0.28]), 0.6, np.ones(3))
    index, resp = material_index(lids, cheeks, x, q)
    assert index == pytest.approx(0.0, abs=0.005) and all(v > 0 for v in resp)
    mask_lids = patch(np.array([0.4, 0.3, 0.28]), 0.6, np.array([1.15, 1.0, 1.0]))
    # The log-chromaticity fit is linear in the screen's light to first order: where the screen gives a large
    # share of the light (here up to 40 %) it reads somewhat less than the full difference, never more.
    assert 0.75 * math.log(1.15) < material_index(mask_lids, cheeks, x, q)[0] <= math.log(1.15)
    r, g = relative_response(cheeks, x, q)
    # Relative to the patch's level at the screen's mean light (0.5 here).
    assert r == pytest.approx(0.3 / (room[0] + 0.15), rel=0.05) and g == pytest.approx(0.3 / (room[1] + 0.15), rel=0.05)


def test_a_face_of_two_materials_fails_though_its_eyes_are_real() -> None:
    """A mask with eye holes: the wearer's real eyes mirror the screen, but the skin under them answers red
    unlike the mask's cheeks. Without the material rule this session would pass (its eyes mirror)."""
    inp = make_session_input(SynthSpec(kind="live", seed=3, extra={"lid_red_gain": 1.3}))
    assert OpticsStage(OpticsOptions()).evaluate(inp).code is OpticsReason.EYES_MIRROR  # not judged by default
    res = OpticsStage(JUDGED).evaluate(inp)
    ev = res.evidence
    assert ev.catch_log > OpticsOptions().catch_min  # real eyes
    assert res.verdict == Verdict.FAIL and res.code is OpticsReason.TWO_MATERIALS and res.score == pytest.approx(0.05)
    assert ev.material_index == pytest.approx(math.log(1.3), abs=0.08)
    assert res.reason == OpticsReason.TWO_MATERIALS.sentence(index=ev.material_index)
    # The same with a looser natural spread is no longer a clear contradiction.
    loose = OpticsStage(replace(JUDGED, material_natural=1.0)).evaluate(inp)
    assert loose.code is not OpticsReason.TWO_MATERIALS


def test_an_unclear_material_comparison_abstains_and_never_passes() -> None:
    inp = make_session_input(SynthSpec(kind="live", seed=3, extra={"lid_noise": 25.0}))
    res = OpticsStage(JUDGED).evaluate(inp)
    assert res.evidence.material_se > OpticsOptions().material_se_max
    assert res.verdict == Verdict.ABSTAIN and res.code is OpticsReason.MATERIAL_UNCLEAR and res.score is None
    # No skin under the eyes seen at all (older recordings' features): unclear as well.
    _, inp = _judge("live")
    inp.data.lids[:] = np.nan
    res = OpticsStage(JUDGED).evaluate(inp)
    assert res.verdict == Verdict.ABSTAIN and res.code is OpticsReason.MATERIAL_UNCLEAR
