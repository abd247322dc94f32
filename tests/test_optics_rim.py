"""The rigid rim around a mask's eye holes (issue 16): does the skin above the eyes follow a blink?"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app.core.enums import Verdict
from app.core.scoring.config import ScoringConfig
from app.core.scoring.features import BROW_ROWS, BROW_STEP
from app.core.scoring.stages.optics import OpticsOptions, OpticsReason, OpticsStage, band_shift, rim_shifts
from app.devtools.synthetic_sessions import SynthSpec, make_session_input

H = np.arange(BROW_ROWS) * BROW_STEP  # eye distances above the eye's centre
JUDGED = replace(OpticsOptions(), rim_judged=True)
FAILS = replace(JUDGED, rim_rigid_fails=True)


def _strip(shift: np.ndarray | float = 0.0, slip: float = 0.0, gain: float = 1.0) -> np.ndarray:
    """A strip above an eye: the lid's fold, skin texture and the brow; ``shift`` (eye distances, per row or
    one value) moves the content towards the eye, ``slip`` moves all of it (landmark slip), ``gain`` brightens."""
    h = H + shift + slip
    fold = -30.0 * np.exp(-0.5 * ((h - 0.2) / 0.03) ** 2)
    texture = 8.0 * np.sin(h * 70.0) + 5.0 * np.sin(h * 123.0 + 1.0)
    brow = -40.0 / (1.0 + np.exp(-(h - 0.42) / 0.015))
    return (gain * (150.0 + fold + texture + brow)).astype(np.float32)


def _face_follows(r: float = 2.0) -> np.ndarray:
    """How far a face's skin moves down at a full blink: tapering from the lid to ``r`` x 0.15 eye distances."""
    return np.clip(0.07 + r * 0.15 - H, 0.0, None) / (r + 1.0)


def test_band_shift_reads_the_bands_motion_and_cancels_a_slip_of_the_whole_strip() -> None:
    o = OpticsOptions()
    band = (H >= o.rim_band[0]) & (H <= o.rim_band[1])
    brow = (H >= o.rim_brow[0]) & (H <= o.rim_brow[1])
    ref = _strip()
    moved = np.where(band | (H < o.rim_band[0]), 0.02, 0.0)  # the band moved 0.02 eye distances, the brow not
    assert band_shift(_strip(moved), ref, band, brow) * BROW_STEP == pytest.approx(0.02, abs=0.004)
    # The whole strip slipping with the landmarks, brighter in a flash: no motion of the band against the brow.
    assert abs(band_shift(_strip(0.0, slip=0.01, gain=1.2), ref, band, brow) * BROW_STEP) < 0.003
    flat = np.full(BROW_ROWS, 120.0, np.float32)
    assert np.isnan(band_shift(flat, flat, band, brow))  # nothing to follow


def _session(moves: bool, blinks: bool = True, seed: int = 3):
    """A synthetic live session whose strips above the eyes are replaced: blinks every ~2 s, with the skin
    following them (a face) or not (a rigid surround), and landmark noise on every frame."""
    inp = make_session_input(SynthSpec(kind="live", seed=seed))
    d = inp.data
    rng = np.random.default_rng(seed)
    t = (d.t_ns - d.t_ns[0]) / 1e9
    closure = np.full(d.n, 0.05)
    if blinks:
        for t0 in np.arange(1.0, t.max() - 0.5, 2.1):
            closure = np.maximum(closure, np.clip(1.0 - np.abs(t - t0) / 0.09, 0.0, 1.0))
    d.blink = closure
    follow = _face_follows()
    brows = np.empty((d.n, 2, BROW_ROWS), np.float32)
    for i in range(d.n):
        level = closure[i] if closure[i] > 0.2 else 0.0
        for eye in range(2):
            shift = follow * level if moves else np.where(H < 0.17, follow * level, 0.0)
            brows[i, eye] = _strip(shift, slip=float(rng.normal(0, 0.004))) + rng.normal(0, 1.0, BROW_ROWS)
    d.brows = brows
    return inp


def test_a_face_moves_above_the_eyes_at_a_blink_and_a_rigid_surround_does_not() -> None:
    stage = OpticsStage(OpticsOptions())
    face = stage.evaluate(_session(moves=True)).evidence
    mask = stage.evaluate(_session(moves=False)).evidence
    assert face.rim_events >= 4 and mask.rim_events == face.rim_events
    assert face.rim_shift > 2 * OpticsOptions().rim_min_shift
    assert abs(mask.rim_shift) < OpticsOptions().rim_min_shift
    assert len(face.rim_noise) == face.rim_events and max(face.rim_noise) < 0.01
    # Measured and reported only by default: the rigid surround is not judged.
    assert stage.evaluate(_session(moves=False)).code is not OpticsReason.RIGID_RIM


def test_when_judged_to_fail_a_rigid_surround_fails_a_moving_one_is_named_and_no_blink_leaves_the_eyes_to_decide() -> None:
    stage = OpticsStage(FAILS)
    res = stage.evaluate(_session(moves=False))
    assert res.verdict == Verdict.FAIL and res.code is OpticsReason.RIGID_RIM and res.score == pytest.approx(0.05)
    assert res.reason == OpticsReason.RIGID_RIM.sentence(events=res.evidence.rim_events)
    ok = stage.evaluate(_session(moves=True))
    assert ok.verdict == Verdict.PASS and ok.code is OpticsReason.EYES_MIRROR_SKIN_MOVED
    none = stage.evaluate(_session(moves=False, blinks=False))
    assert none.evidence.rim_events == 0 and none.code is OpticsReason.EYES_MIRROR


def test_rim_shifts_needs_open_frames_around_a_blink() -> None:
    o = OpticsOptions()
    t = np.arange(12) * 33_000_000
    closure = np.array([0.5, 0.9, 0.6] + [0.05] * 9)  # a blink at the start, open frames only after it
    brows = np.stack([np.stack([_strip(), _strip()])] * 12)
    shifts, noise = rim_shifts(t, closure, brows, o, BROW_STEP)
    assert len(shifts) == 2 and len(noise) == 2  # 9 open frames within 0.5 s after it
    shifts, _ = rim_shifts(t, closure, brows, replace(o, rim_ref_s=0.05), BROW_STEP)
    assert shifts == []  # none close enough


def test_blink_peaks_finds_the_weak_peaks_a_mask_leaves_and_ignores_a_bump() -> None:
    from app.core.scoring.stages.optics import blink_peaks

    o = OpticsOptions()
    t = np.arange(60) * 33_000_000
    closure = np.full(60, 0.05)
    closure[14:17] = [0.12, 0.22, 0.14]  # a blink behind a mask's rim: scored far below the counter's 0.3
    closure[44:46] = [0.11, 0.12]  # a bump, not a blink
    assert blink_peaks(t, closure, o) == [15]


def test_a_step_in_the_motion_above_the_eyes_is_a_rim_and_without_a_blink_the_rim_can_be_required() -> None:
    """A rim cut high above the eye: the skin inside the hole moves as a face's would, above the rim nothing;
    the band above still moves a little, but the fall from one band to the next gives the edge away."""
    inp = _session(moves=True)
    follow = _face_follows()
    rng = np.random.default_rng(5)
    d = inp.data
    for i in range(d.n):
        level = d.blink[i] if d.blink[i] > 0.2 else 0.0
        for eye in range(2):
            shift = np.where(H < 0.25, follow * level, 0.0)
            d.brows[i, eye] = _strip(shift, slip=float(rng.normal(0, 0.004))) + rng.normal(0, 1.0, BROW_ROWS)
    res = OpticsStage(FAILS).evaluate(inp)
    assert res.evidence.rim_step > OpticsOptions().rim_max_step and res.code is OpticsReason.RIGID_RIM
    face = OpticsStage(JUDGED).evaluate(_session(moves=True)).evidence
    assert face.rim_step < OpticsOptions().rim_max_step  # the face's own fall-off is gradual
    needs = OpticsStage(replace(JUDGED, rim_needs_blink=True)).evaluate(_session(moves=True, blinks=False))
    assert needs.verdict == Verdict.ABSTAIN and needs.code is OpticsReason.NO_BLINK_MEASURED


def test_judged_a_rigid_surround_is_no_decision_naming_glasses_or_a_mask_and_never_a_pass() -> None:
    """A glasses frame and a mask's rim both stay still when the lids blink: judged, the rule cannot say which,
    so it neither passes (the mask) nor rejects (the glasses wearer). The shipped configuration does not judge
    it: how far real skin above the eyes follows a blink is the simulator's estimate, and with a shorter reach
    genuine faces read rigid too (docs/accuracy.md, "a rigid surround is no decision")."""
    shipped = ScoringConfig.load().optics
    assert not shipped.rim_judged and not shipped.rim_needs_blink and not shipped.rim_rigid_fails
    stage = OpticsStage(replace(shipped, rim_judged=True, rim_needs_blink=True))
    rigid = stage.evaluate(_session(moves=False))
    assert rigid.verdict == Verdict.ABSTAIN and rigid.code is OpticsReason.RIGID_SURROUND and rigid.score is None
    assert "glasses" in rigid.reason and str(rigid.evidence.rim_events) in rigid.reason
    moved = stage.evaluate(_session(moves=True))
    assert moved.verdict == Verdict.PASS and moved.code is OpticsReason.EYES_MIRROR_SKIN_MOVED
    # An attacker who knows the rule and does not blink: nothing to read, so no decision either.
    still = stage.evaluate(_session(moves=False, blinks=False))
    assert still.verdict == Verdict.ABSTAIN and still.code is OpticsReason.NO_BLINK_MEASURED


def test_a_failure_of_the_eyes_still_fails_when_the_surround_is_also_rigid() -> None:
    """The rigid surround's abstention must not soften a harder finding: eyes that do not mirror the screen fail."""
    inp = _session(moves=False)
    base = OpticsStage(JUDGED)
    ev, judged = base.measure(inp)
    assert judged and base.rim_verdict(ev) == "rigid" and ev.screen_lit is False  # a room with light of its own
    strict = replace(JUDGED, catch_min=float(ev.catch_log) + 1.0, catch_unclear_share=1.0)  # too weak a catchlight
    res = OpticsStage(strict).evaluate(inp)
    assert res.verdict == Verdict.FAIL and res.code is OpticsReason.NO_CATCHLIGHT


def test_with_both_the_material_and_the_rim_judged_a_pass_names_one_of_them_with_its_own_numbers() -> None:
    both = replace(JUDGED, material_judged=True, material_se_max=10.0, material_pass_max=10.0)
    res = OpticsStage(both).evaluate(_session(moves=True))
    assert res.verdict == Verdict.PASS and res.code is OpticsReason.ONE_MATERIAL
    assert res.reason == OpticsReason.ONE_MATERIAL.sentence(blinks=res.evidence.blinks)


def _nodding_session(slope: float, n: int = 120, noise: float = 0.0) -> tuple[np.ndarray, ...]:
    """Frames of a head nodding a little (the nod proxy spreading by ~0.02) with no blink; the band 0.24-0.34
    above each eye slides against the brow by ``slope`` x the proxy (a frame standing off the face), or keeps
    its place (``slope`` 0: a contour on the face). Landmarks: eyes 100 px apart, the nose tip below them."""
    rng = np.random.default_rng(4)
    t = np.arange(n, dtype=np.int64) * 33_000_000
    nod = 0.3 + 0.02 * np.sin(np.arange(n) / 9.0)
    points = np.zeros((n, 478, 2), np.float64)
    points[:, [33, 133]] = [[90.0, 100.0], [110.0, 100.0]]
    points[:, [362, 263]] = [[190.0, 100.0], [210.0, 100.0]]
    points[:, 1, 0] = 150.0
    points[:, 1, 1] = 100.0 + 100.0 * nod
    rim = (H >= 0.2) & (H <= 0.36)
    brows = np.stack([np.stack([_strip(np.where(rim, slope * (v - 0.3), 0.0)) + rng.normal(0, noise, BROW_ROWS)] * 2)
                      for v in nod]).astype(np.float32)
    return t, np.zeros(n), brows, points, np.full(n, 100.0)


def test_rim_parallax_reads_a_band_sliding_with_the_nod_and_nothing_on_a_contour_on_the_face() -> None:
    from app.core.scoring.stages.optics import nod_proxy, rim_parallax

    o = OpticsOptions()
    t, closure, brows, points, iod = _nodding_session(0.3)
    nod = nod_proxy(points)
    assert nod == pytest.approx(0.3 + 0.02 * np.sin(np.arange(len(t)) / 9.0), abs=1e-9)
    slope, se, frames, spread = rim_parallax(t, closure, brows, nod, iod, o, BROW_STEP)
    assert frames == len(t) and spread == pytest.approx(0.014, abs=0.002)
    assert slope == pytest.approx(0.3, abs=0.05) and se < 0.05
    t, closure, brows, points, iod = _nodding_session(0.0, noise=0.3)
    still, se0, _, _ = rim_parallax(t, closure, brows, nod_proxy(points), iod, o, BROW_STEP)
    assert abs(still) < 3 * se0 + 0.02
    short = rim_parallax(t[:20], closure[:20], brows[:20], nod_proxy(points[:20]), iod[:20], o, BROW_STEP)
    assert np.isnan(short[0]) and short[2] == 20
