"""Light stage on hand-made colour responses with a known lag, order and shape."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.core.challenge import MOVEMENT_ONLY, Challenge
from app.core.scoring.contract import ABSTAIN, FAIL, PASS
from app.core.scoring.display import DisplayTimeline, decoy_sequences
from app.core.scoring.stages.light import (
    LightOptions,
    LightReason,
    LightStage,
    design,
    fit_lags,
    foreign_structure,
    response_delay,
    step_mismatch,
    trend_basis,
)
from app.devtools.synthetic_sessions import SynthSpec, make_session_input


def test_timeline_ramps_during_the_wipe() -> None:
    ch = Challenge.new(640, 480, seed=3)
    ch.shown_ns = [10**9 + i * 600_000_000 for i in range(len(ch.colours))]
    tl = DisplayTimeline.from_challenge(ch)
    assert tl is not None
    step = ch.colours[1]
    start = ch.shown_ns[1]
    mid = tl.colour_at(np.array([start + step.wipe_ms * 500_000]))[0]
    held = tl.colour_at(np.array([start + step.wipe_ms * 1_000_000 + 1]))[0]
    assert np.allclose(held, np.asarray(step.rgb) * step.level)  # the step's level scales its colour (linear light)
    assert np.allclose(mid, 0.5 * step.level * np.array(step.rgb) + 0.5 * np.array(ch.colours[0].rgb), atol=2)


def test_decoys_never_repeat_the_true_sequence_or_a_channel_permutation() -> None:
    ch = Challenge.new(640, 480, seed=1)
    ch.shown_ns = list(range(len(ch.colours)))
    true = [tuple(c.rgb) for c in ch.colours[1:]]
    for d in decoy_sequences(ch, 50, seed=1):
        seq = [tuple(int(v) for v in rgb) for rgb in d.colours[1:]]
        for perm in ((0, 1, 2), (1, 0, 2), (2, 1, 0), (0, 2, 1), (1, 2, 0), (2, 0, 1)):
            assert seq != [tuple(rgb[i] for i in perm) for rgb in true]


def test_fit_recovers_a_known_mixing() -> None:
    rng = np.random.default_rng(0)
    n = 120
    t = np.arange(n, dtype=np.int64) * 33_000_000
    x = rng.uniform(0, 1, (1, n, 3))
    m = np.array([[40.0, 5.0, 0.0], [3.0, 35.0, 4.0], [0.0, 6.0, 30.0]])
    y = x[0] @ m + 100.0 + rng.normal(0, 0.5, (n, 3))
    fit = fit_lags(y, x, trend_basis(t), np.array([0.0]))
    assert fit.r2[0] > 0.99
    assert np.allclose(fit.beta[0], m, atol=1.0)


def _seven_colour_timeline() -> tuple[Challenge, DisplayTimeline, np.ndarray, Any]:
    """Challenge seed 5 shown one colour every 700 ms from t = 1 s: the challenge, its timeline, 30 fps frame times and the
    displayed colours sampled around them."""
    ch = Challenge.new(640, 480, seed=5)
    ch.shown_ns = [10**9 + i * 700_000_000 for i in range(len(ch.colours))]
    tl = DisplayTimeline.from_challenge(ch)
    assert tl is not None
    t = np.arange(10**9, tl.end_ns, 33_333_333, dtype=np.int64)
    return ch, tl, t, tl.sampled(int(t.min()) - 10**9, int(t.max()) + 10**9, 33_333_333)


@pytest.mark.parametrize("delay_ms", [-25.0, 0.0, 12.0, 40.0])
def test_response_delay_recovers_a_known_shift_of_one_region(delay_ms: float) -> None:
    """A region that follows the wiping colours ``delay_ms`` after the fitted lag (a lower part of a face)."""
    ch, tl, t, sampled = _seven_colour_timeline()
    lag = 70.0
    m = np.array([[0.30, 0.04, 0.01], [0.03, 0.28, 0.05], [0.01, 0.05, 0.25]]) * 100
    rng = np.random.default_rng(1)
    y = design(sampled, t, np.array([lag + delay_ms]))[0] @ m + 120.0 + rng.normal(0, 0.3, (len(t), 3))
    x = design(sampled, t, np.array([lag - 6.0, lag, lag + 6.0]))
    got = response_delay(y, x[1], (x[2] - x[0]) / 12.0, trend_basis(t))
    assert got == pytest.approx(delay_ms, abs=4.0)
    # No response at all: no delay to speak of.
    assert not np.isfinite(response_delay(np.zeros_like(y), np.zeros_like(x[1]), np.zeros_like(x[1]), trend_basis(t)))


def test_a_face_reflecting_this_sequence_passes_with_the_right_lag() -> None:
    res = LightStage.create().evaluate(make_session_input(SynthSpec(kind="live", lag_ms=66.0)))
    assert res.verdict == PASS, res.evidence
    assert abs(res.evidence.lag_ms - 66.0) < 15.0
    assert res.evidence.gain_db > 10
    assert res.evidence.side_centre < 0.7  # the sides of a face respond less than its centre


@pytest.mark.parametrize("kind", ["replay", "shifted"])
def test_another_or_shifted_sequence_fails_hard(kind: str) -> None:
    res = LightStage.create().evaluate(make_session_input(SynthSpec(kind=kind)))
    assert res.verdict == FAIL
    assert res.hard_fail
    assert "sequence" in res.reason


def test_a_late_response_fails_on_timing() -> None:
    res = LightStage.create().evaluate(make_session_input(SynthSpec(kind="live", lag_ms=330.0)))
    assert res.verdict == FAIL and res.hard_fail
    assert res.evidence.best_lag_ms > 250
    assert "later" in res.reason


def test_a_flat_sheet_lights_up_evenly_and_with_its_surroundings() -> None:
    res = LightStage.create().evaluate(make_session_input(SynthSpec(kind="print", shape="flat")))
    assert res.evidence.side_centre > 0.9
    assert res.evidence.around_face > 0.5


def test_movement_only_and_missing_times_abstain() -> None:
    inp = make_session_input(SynthSpec())
    inp.challenge = Challenge(MOVEMENT_ONLY, inp.challenge.oval)
    assert LightStage.create().evaluate(inp).verdict == ABSTAIN
    inp2 = make_session_input(SynthSpec())
    inp2.challenge.shown_ns = []
    res = LightStage.create().evaluate(inp2)
    assert res.verdict == ABSTAIN and res.score is None


def test_same_input_same_answer() -> None:
    a = LightStage.create().evaluate(make_session_input(SynthSpec(seed=5)))
    b = LightStage.create().evaluate(make_session_input(SynthSpec(seed=5)))
    assert a.score == b.score and a.evidence == b.evidence


def test_foreign_structure_is_small_for_noise_and_large_for_unexplained_steps() -> None:
    rng = np.random.default_rng(4)
    explained = 100.0
    noise = rng.normal(0, 1.0, (150, 3))
    assert foreign_structure(noise, explained) < 0.02
    steps = np.repeat(rng.uniform(-8, 8, (10, 3)), 15, axis=0)  # another sequence's colour steps
    assert foreign_structure(noise + steps, explained) > 0.3
    assert np.isnan(foreign_structure(noise[:5], explained))
    assert np.isnan(foreign_structure(noise, 0.0))


def test_a_replay_whose_glass_mirrors_this_sequence_fails_on_its_own_colour_changes() -> None:
    """Glare of this session's colours lets a replay pass the sequence test; the replayed flashes remain."""
    # The mechanism in isolation: with trends only as the baseline, the sequence test alone would let it by.
    stage = LightStage(LightOptions(own_brightness=False))
    session = make_session_input(SynthSpec(kind="replay", seed=1, extra={"glare": 0.5}))
    # With the face's own brightness changes modelled (the default) it fails as well, already on the sequence.
    default = LightStage.create().evaluate(session)
    assert default.verdict == FAIL and default.hard_fail
    replay = stage.evaluate(session)
    assert replay.evidence.gain_db > stage.options.gain_fail_db  # the sequence test alone would let it by
    assert replay.verdict == FAIL and replay.hard_fail
    assert replay.evidence.foreign_structure >= stage.options.foreign_fail
    assert "pattern of its own" in replay.reason
    live = stage.evaluate(make_session_input(SynthSpec(kind="live", seed=1)))
    assert live.evidence.foreign_structure < 0.05


def test_step_mismatch_is_small_when_every_colour_is_followed_and_large_when_some_are_not() -> None:
    rng = np.random.default_rng(2)
    starts = np.arange(8) * 500.0
    wipes, ends = np.full(8, 350.0), starts + 500.0
    t = np.arange(0, 4200, 33.0)
    levels = rng.uniform(-20, 20, (8, 3))
    step = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, 7)
    fitted = 100.0 + levels[step]
    noise = rng.normal(0, 1.0, fitted.shape)
    small, per_colour = step_mismatch(t, noise, fitted, starts, wipes, ends, 0.0)
    assert small < 0.15 and len(per_colour) == 8
    # The face stays put during three colours: the fit expected a change that did not come.
    missed = noise + np.where(np.isin(step, [2, 5, 6])[:, None], -levels[step], 0.0)
    large, _ = step_mismatch(t, missed, fitted, starts, wipes, ends, 0.0)
    assert large > 0.7
    assert np.isnan(step_mismatch(t[:3], noise[:3], fitted[:3], starts, wipes, ends, 0.0)[0])


def test_a_recording_sharing_some_of_the_colours_fails_colour_by_colour() -> None:
    """A replay whose recorded colours equal this session's in six of eight steps passes the overall tests."""
    # The mechanism in isolation (trends-only baseline); with the default baseline it fails as well.
    stage = LightStage(LightOptions(step_fail=0.5, own_brightness=False))
    session = make_session_input(SynthSpec(kind="partial", seed=5, extra={"shared": 6}))
    default = LightStage(LightOptions(step_fail=0.5)).evaluate(session)
    assert default.verdict == FAIL and default.hard_fail
    res = stage.evaluate(session)
    ev = res.evidence
    assert ev.gain_db > stage.options.gain_fail_db and ev.margin > 0  # the sequence test alone lets it by
    assert ev.foreign_structure < stage.options.foreign_fail
    assert res.verdict == FAIL and res.hard_fail
    assert "some of this session's colours" in res.reason
    live = stage.evaluate(make_session_input(SynthSpec(kind="live", seed=5)))
    assert live.evidence.step_mismatch < 0.05 and not live.hard_fail


def test_an_over_exposed_face_abstains_and_says_what_to_change() -> None:
    inp = make_session_input(SynthSpec(kind="live", seed=3))
    inp.data.clip_hi[:] = 0.6
    res = LightStage.create().evaluate(inp)
    assert res.verdict == ABSTAIN and res.score is None and not res.hard_fail
    assert "over-exposed" in res.reason and "reduce the light" in res.reason


def test_a_recording_matching_this_sequence_in_two_channels_fails_on_the_third() -> None:
    """A replay whose colours equal this session's in red and green but follow another sequence in blue:
    overall it follows the sequence well, but its blue channel changes clearly without following it."""
    stage = LightStage.create()
    res = stage.evaluate(make_session_input(SynthSpec(kind="channel", seed=12)))
    ev = res.evidence
    assert ev.gain_db > stage.options.gain_fail_db and ev.margin > 0  # the sequence test alone lets it by
    assert ev.foreign_structure < stage.options.foreign_fail and ev.step_mismatch < stage.options.step_fail
    assert ev.channel_gain_db[2] < 0.0 < min(ev.channel_gain_db[:2])
    assert res.verdict == FAIL and res.hard_fail
    assert "one colour channel" in res.reason
    live = stage.evaluate(make_session_input(SynthSpec(kind="live", seed=12)))
    assert live.evidence.weakest_channel_gain_db > 3.0 and not live.hard_fail


def _with_own_brightness_changes(session, *, ae_step: float, sway_px: float, sway_gain: float):
    """A genuine hand-made session plus what real cameras add: two auto-exposure steps (the whole picture
    brightens then darkens by ``ae_step``) and a slow sideways sway that moves the face in the room's light."""
    import copy

    from app.core.scoring.features import AROUND_REGIONS, RING_REGIONS, R

    d = copy.copy(session.data)
    t = (d.t_ns - d.t_ns[0]) / 1e9
    span = float(t[-1]) or 1.0
    exposure = np.where((t > 0.35 * span) & (t < 0.7 * span), 1.0 + ae_step, 1.0)
    phase = np.sin(2 * np.pi * 0.35 * t)
    regions = d.regions * exposure[:, None, None]
    face_rows = [k for name, k in R.items() if name not in AROUND_REGIONS + RING_REGIONS + ("frame",)]
    regions[:, face_rows] *= (1.0 + sway_gain * phase)[:, None, None]
    d.regions = regions
    d.grid = d.grid * (exposure * (1.0 + sway_gain * phase))[:, None, None, None]
    d.points = d.points + np.stack([sway_px * phase, np.zeros_like(phase)], axis=1)[:, None, :].astype(np.float32)
    out = copy.copy(session)
    out.data = d
    return out


def test_head_sway_and_exposure_steps_do_not_hard_fail_a_genuine_face() -> None:
    """Real skin's own brightness changes (issue 16: 11-15 grey levels from head motion and auto-exposure) are
    modelled before the colour fit; with trends alone they read as colour changes of the face's own.

    The sway here (+-20 % of the face level) is larger than seen on real footage, so that the trends-only
    baseline fails for certain; the exposure step alone is already compensated by the face/background ratio."""
    genuine = _with_own_brightness_changes(make_session_input(SynthSpec(kind="live", seed=3)), ae_step=0.1,
                                           sway_px=12.0, sway_gain=0.2)
    trends_only = LightStage(LightOptions(own_brightness=False)).evaluate(genuine)
    assert trends_only.hard_fail, trends_only.reason  # what happened to genuine users before
    modelled = LightStage.create().evaluate(genuine)
    assert not modelled.hard_fail and modelled.verdict == PASS, modelled.reason
    # The same changes do not rescue a replay of another sequence.
    replay = _with_own_brightness_changes(make_session_input(SynthSpec(kind="replay", seed=3)), ae_step=0.1,
                                          sway_px=12.0, sway_gain=0.2)
    assert LightStage.create().evaluate(replay).hard_fail


# -- Lateness judged continuously (issue 15) ---------------------------------------------------------------------


def test_late_share_splits_the_response_between_now_and_later() -> None:
    """The share is ~0 for a response at the in-window lag, ~1 for one entirely later, in between for a mix."""
    from app.core.scoring.stages.light import late_share, trend_basis

    rng = np.random.default_rng(3)
    n = 120
    t = np.arange(n, dtype=np.int64) * 33_000_000
    steps = rng.uniform(0, 1, (12, 3))
    now = np.repeat(steps, 10, axis=0)
    late = np.roll(now, 3, axis=0)  # the same sequence 3 frames (~100 ms) later
    q = trend_basis(t)
    mixing = np.array([[30.0, 2.0, 1.0], [3.0, 25.0, 2.0], [1.0, 4.0, 20.0]])
    noise = rng.normal(0, 0.3, (n, 3))
    share_now, _, se_now = late_share(now @ mixing + noise, now, late, q)
    share_late, _, se_late = late_share(late @ mixing + noise, now, late, q)
    share_mix, r2, se_mix = late_share((0.5 * now + 0.5 * late) @ mixing + noise, now, late, q)
    assert share_now < 0.05 and share_late > 0.95
    assert 0.3 < share_mix < 0.7 and r2 > 0.9
    # The block-jackknife error: small where every stretch tells the same story...
    assert max(se_now, se_late, se_mix) < 0.05
    # ...and several times larger when one stretch carries a colour change of the face's own (a sway into the
    # key light while the colours change), which decides the share there.
    own = np.zeros((n, 3))
    own[40:60] = np.sin(np.linspace(0, np.pi, 20))[:, None] * np.array([24.0, 12.0, 6.0])  # into the light and back
    share_own, _, se_own = late_share((0.5 * now + 0.5 * late) @ mixing + noise + own, now, late, q)
    assert se_own > 3 * se_mix, (se_own, se_mix)


def test_lateness_has_no_gap_between_on_time_and_too_late() -> None:
    """Hand-made faces reflecting the sequence later and later: the late share grows with the lag, and every
    response clearly after the window fails hard on timing by one rule or the other."""
    from app.core.scoring.config import ScoringConfig

    stage = LightStage(ScoringConfig.load().stages["light"])
    shares = []
    # 180 ms, not 170 as before the wipe directions: a hand-made 3D face now takes each colour over a spread of
    # times (the sweep, about +-40 ms between forehead and chin or the two cheeks), and at 170 ms (best lag
    # 152-157 ms, late share 0.20-0.23) it sits on the timing rules' edge: caught for seed 2, not for 1 and 3
    # (those now abstain, ``light.lag_edge``: test_a_response_just_beyond_the_window_is_never_on_time).
    for lag in (66.0, 180.0, 200.0, 250.0):
        res = stage.evaluate(make_session_input(SynthSpec(kind="live", lag_ms=lag)))
        shares.append(res.evidence.late_share)
        if lag >= 180.0:
            assert res.hard_fail and res.code in (LightReason.LATE, LightReason.MOSTLY_LATE), (lag, res.reason)
        else:
            assert res.code not in (LightReason.LATE, LightReason.MOSTLY_LATE)
    assert shares[0] < 0.1
    assert shares == sorted(shares) and shares[-1] > 0.9



@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_response_just_beyond_the_window_is_never_on_time(seed: int) -> None:
    """Between "on time" and the timing rules' hard failures (a hand-made face 150-170 ms late: best lag 133-157 ms,
    just past the window's 130, late share 0.02-0.24, under its limit) the stage used to pass; there it now
    abstains (``light.lag_edge``) or fails, and a response inside the window still passes."""
    from app.core.scoring.config import ScoringConfig

    stage = LightStage(ScoringConfig.load().stages["light"])
    edge = stage.options.lag_window_ms[1]
    for lag in (150.0, 160.0, 170.0):
        res = stage.evaluate(make_session_input(SynthSpec(kind="live", lag_ms=lag, seed=seed)))
        assert res.verdict != PASS, (lag, res.reason)
        if not res.hard_fail:
            assert res.verdict == ABSTAIN and res.code == LightReason.LAG_EDGE, (lag, res.reason)
            assert res.evidence.best_lag_ms > edge
            assert res.params["lag"] == pytest.approx(res.evidence.best_lag_ms, abs=1e-3) and res.params["edge"] == edge
    res = stage.evaluate(make_session_input(SynthSpec(kind="live", lag_ms=90.0, seed=seed)))
    assert res.verdict == PASS, res.reason


# --- the sweep order (issue 15, item 3) ---------------------------------------------------------


def _sweep_stage() -> LightStage:
    from app.core.scoring.config import ScoringConfig

    return LightStage(ScoringConfig.load().stages["light"])


def test_a_face_lit_in_the_order_each_wipe_sweeps_passes_and_says_so() -> None:
    res = _sweep_stage().evaluate(make_session_input(SynthSpec(kind="live", seed=1)))
    assert res.verdict == PASS and res.code == LightReason.FACE, res.reason
    ev = res.evidence
    assert ev.sweep_usable == 7 and ev.sweep_agree >= 6 and ev.sweep_disagree == 0
    steps = ev.sweep_steps
    assert {s["direction"] for s in steps} <= {"down", "up", "left", "right"} and len({s["direction"] for s in steps}) > 1
    assert all(s["lead_ms"] > 0 for s in steps)  # the part the wipe reaches first always led


@pytest.mark.parametrize("extra", [{"sweep_opposite": 1.0}, {"sweep_spread": 0.0}])
def test_light_crossing_the_face_the_other_way_or_all_at_once_fails_hard(extra: dict) -> None:
    # A tint painted without knowing each colour's direction: the wrong way round, or the whole face at once.
    # Everything else about it is perfect (on time, this sequence, the shading of a face).
    res = _sweep_stage().evaluate(make_session_input(SynthSpec(kind="live", seed=2, extra=extra)))
    assert res.verdict == FAIL and res.hard_fail and res.code == LightReason.SWEEP_ORDER, res.reason
    assert res.evidence.gain_db > 10 and res.evidence.sweep_agree == 0
    assert "another order than this session's screen" in res.reason


def test_a_sweep_too_faint_to_confirm_is_no_decision_never_a_pass() -> None:
    stage = _sweep_stage()
    res = stage.evaluate(make_session_input(SynthSpec(kind="live", seed=1, noise=60.0)))
    assert res.verdict == ABSTAIN and res.code == LightReason.SWEEP_WEAK, res.reason
    assert res.evidence.sweep_disagree == 0 and res.evidence.sweep_agree < stage.options.sweep_min_agree
    # Too few usable colours at all: the same (an old recording without colours wiping is not judged here).
    ev = stage.analyse(make_session_input(SynthSpec(kind="live", seed=1))).evidence
    ev.sweep_usable = stage.options.sweep_min_usable - 1
    assert stage.sweep_verdict(ev) == "weak"
    # A version 1 challenge (every colour a down wipe at full brightness, known to any forger): measured, no rule.
    ev.sweep_applied = False
    assert stage.sweep_verdict(ev) == "pass"


@pytest.mark.parametrize(
    ("agree", "disagree", "pooled", "verdict"),
    [
        (1, 0, 6.0, "weak"),  # the app's genuine case: 1 of 6 clearly in order, the colours together lean right
        (2, 1, 4.0, "weak"),  # one colour against, outnumbered: faint, not contradicted
        (3, 0, 1.5, "fail"),  # the colours pooled barely lean this way: painted all at once or guessed
        (2, 2, 3.0, "fail"),  # two colours clearly the other way, as many as agreed
        (1, 3, -2.0, "fail"),
        (5, 1, 9.0, "pass"),  # 5 of 7 usable agree (71 %)
        (4, 0, 9.0, "weak"),  # 4 of 7 (57 %) is short of the share; not against either
    ],
)
def test_the_sweep_rule_fails_only_on_evidence_against_this_sessions_order(agree: int, disagree: int, pooled: float, verdict: str) -> None:
    stage = _sweep_stage()
    ev = stage.analyse(make_session_input(SynthSpec(kind="live", seed=1))).evidence
    ev.sweep_applied, ev.sweep_usable = True, 7
    ev.sweep_agree, ev.sweep_disagree, ev.sweep_pooled_z = agree, disagree, pooled
    ev.sweep_agreement = agree / 7
    assert stage.sweep_verdict(ev) == verdict


def test_step_delays_recover_each_colours_own_shift() -> None:
    """A region whose response to each colour comes a different number of ms after the fitted lag (as the part
    of a face a wipe reaches late does): one joint fit returns every colour's shift, with a standard error."""
    from app.core.scoring.stages.light import step_delays

    ch, tl, t, sampled = _seven_colour_timeline()
    lag = 70.0
    shifts = np.array([0.0, 30.0, -20.0, 45.0, 10.0, -35.0, 25.0, 0.0])  # per step (black first: no wipe)
    m = np.array([[0.30, 0.04, 0.01], [0.03, 0.28, 0.05], [0.01, 0.05, 0.25]]) * 100
    t_ms = (t - tl.start_ns) / 1e6 - lag
    starts = (tl.starts_ns - tl.start_ns) / 1e6
    step_of = np.clip(np.searchsorted(starts, t_ms, side="right") - 1, 0, len(starts) - 1)
    shifted = np.array([design(sampled, t[i : i + 1], np.array([lag + shifts[step_of[i]]]))[0, 0] for i in range(len(t))])
    rng = np.random.default_rng(2)
    y = shifted @ m + 120.0 + rng.normal(0, 0.3, (len(t), 3))
    x = design(sampled, t, np.array([lag - 6.0, lag, lag + 6.0]))
    slope = (x[2] - x[0]) / 12.0
    judged = list(range(1, len(ch.colours)))
    slopes = np.zeros((len(judged), *slope.shape))
    for j, i in enumerate(judged):
        sel = (t_ms >= starts[i] - 33) & (t_ms < starts[i] + ch.colours[i].wipe_ms + 66)
        slopes[j, sel] = slope[sel]
    delays, errors = step_delays(y, x[1], slopes, trend_basis(t))
    assert np.allclose(delays, shifts[1:], atol=8.0), (delays, shifts[1:])
    assert np.all(errors > 0) and np.all(errors < 8.0)


def test_a_rule_firing_on_a_response_too_faint_to_judge_is_no_decision_never_a_pass() -> None:
    """In a bright room the screen changes the face's colour by a percent or so, and the timing, colour-by-colour
    and sweep rules then read noise: a rule that fires there makes the stage abstain (``light.too_faint``)."""
    from dataclasses import replace

    from app.core.scoring.stages.light import LightOptions, LightReason

    late = make_session_input(SynthSpec(kind="live", lag_ms=330.0))
    strong = LightStage.create().evaluate(late)
    assert strong.verdict == FAIL and strong.hard_fail and strong.evidence.colour_change > LightOptions().faint_change
    # The same evidence, with the faint limit above this session's colour change: no decision, naming the change.
    faint = LightStage(replace(LightOptions(), faint_change=1.0)).evaluate(late)
    assert faint.verdict.value == "abstain" and faint.code is LightReason.TOO_FAINT and faint.score is None
    assert faint.evidence.faint_rule == "light.late" and not faint.hard_fail
    assert f"{faint.evidence.colour_change:.1%}" in faint.reason
    # A face that passes is unaffected: the limit only turns failures into no decision.
    live = make_session_input(SynthSpec(kind="live", seed=3))
    assert LightStage(replace(LightOptions(), faint_change=1.0)).evaluate(live).verdict == LightStage.create().evaluate(live).verdict


def test_a_late_share_within_its_own_error_is_no_decision_never_a_pass() -> None:
    """"Mostly late" says "forged" only when the late share lies ``late_share_se_k`` standard errors beyond its
    limit; above the limit but within the error of the face's own changes, the stage abstains
    (``light.late_unclear``). A clearly late response still fails."""
    from dataclasses import replace

    from app.core.scoring.stages.light import LightOptions, LightReason

    # A genuine face swaying in the room's light: its own changes give the late share an error of a few percent.
    sway = _with_own_brightness_changes(make_session_input(SynthSpec(kind="live", seed=1)), ae_step=0.1,
                                        sway_px=12.0, sway_gain=0.2)
    ev = LightStage.create().evaluate(sway).evidence
    assert ev.late_share_se > 0.01
    # A limit just under this session's share makes the rule fire: judged within its error, no decision...
    limit = replace(LightOptions(), late_share_fail=max(ev.late_share - 0.5 * ev.late_share_se, 0.0))
    unclear = LightStage(limit).evaluate(sway)
    assert unclear.verdict == ABSTAIN and unclear.code is LightReason.LATE_UNCLEAR, unclear.reason
    assert not unclear.hard_fail and unclear.score is None
    assert f"{ev.late_share:.0%}" in unclear.reason
    # ...and judged on the share alone (no error allowed), the same evidence is "mostly late".
    alone = LightStage(replace(limit, late_share_se_k=0.0)).evaluate(sway)
    assert alone.verdict == FAIL and alone.hard_fail and alone.code is LightReason.MOSTLY_LATE
    # A response clearly after the window is not helped by the allowance: its share's error is small.
    late = LightStage.create().evaluate(make_session_input(SynthSpec(kind="live", lag_ms=200.0, seed=2)))
    assert late.verdict == FAIL and late.hard_fail, late.reason
    assert late.evidence.late_share - 2 * late.evidence.late_share_se > LightOptions().late_share_fail


def test_another_sequence_contradicted_by_this_sessions_sweep_order_is_no_decision() -> None:
    """"Another sequence" (the fit no better than never-shown sequences) while the light crossed the face in this
    session's random order is contradictory evidence: no decision (``light.sequence_unclear``), never a pass. A
    replay of another check, whose wipes went other ways, still fails."""
    from dataclasses import replace

    from app.core.scoring.stages.light import LightOptions, LightReason

    # A margin no fit can reach makes the rule fire on a genuine face, whose sweep follows this session.
    strict = LightStage(replace(LightOptions(), margin_fail=1.0))
    live = strict.evaluate(make_session_input(SynthSpec(kind="live", seed=3)))
    assert strict.sweep_verdict(live.evidence) == "pass"
    assert live.verdict == ABSTAIN and live.code is LightReason.SEQUENCE_UNCLEAR and live.score is None, live.reason
    assert not live.hard_fail and f"{live.evidence.sweep_agree} of {live.evidence.sweep_usable}" in live.reason
    replay = strict.evaluate(make_session_input(SynthSpec(kind="replay", seed=3)))
    assert strict.sweep_verdict(replay.evidence) != "pass"
    assert replay.verdict == FAIL and replay.hard_fail and replay.code is LightReason.OTHER_SEQUENCE
