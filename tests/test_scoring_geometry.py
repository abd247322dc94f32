"""Geometry stage on hand-made landmarks: a plane has no parallax, a 3D face does."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.scoring.contract import ABSTAIN, FAIL, PASS
from app.core.challenge import inter_ocular
from app.core.scoring.stages.geometry import (
    ASSUMED_HFOV_DEG,
    GeometryStage,
    apply_homography,
    approach_depths,
    fit_homography,
    nose_growth,
    plane_parallax,
)
from app.devtools.synthetic_sessions import SynthSpec, make_session_input, project, rotation, template_points


def test_homography_is_recovered_exactly_on_a_plane() -> None:
    rng = np.random.default_rng(0)
    h_true = np.array([[1.3, 0.1, 12.0], [-0.05, 1.25, -7.0], [1e-4, -2e-4, 1.0]])
    src = rng.uniform(100, 400, (20, 2))
    dst = apply_homography(h_true, src)
    h = fit_homography(src, dst)
    assert np.allclose(apply_homography(h, src), dst, atol=1e-6)


def test_homography_needs_four_points() -> None:
    with pytest.raises(ValueError, match="at least 4"):
        fit_homography(np.zeros((3, 2)), np.zeros((3, 2)))


@pytest.mark.parametrize("yaw", [0.0, 8.0])
def test_flat_plane_under_perspective_has_no_residual(yaw: float) -> None:
    flat = template_points("flat")
    far = project(flat, 60.0, rot=rotation(yaw, 3.0))
    near = project(flat, 26.0, rot=rotation(-yaw, -2.0), offset_cm=(1.0, -0.5))
    iod = float(np.linalg.norm(near[263] - near[33]))
    out = plane_parallax(far.astype(np.float64), near.astype(np.float64), iod)
    assert out["plane_rms"] < 1e-4
    assert out["nose"] < 1e-4
    assert out["contour"] < 1e-4


def test_3d_face_under_perspective_has_residual() -> None:
    face = template_points("face")
    far = project(face, 60.0, rot=rotation(3.0, 2.0))
    near = project(face, 26.0, rot=rotation(-2.0, -1.0))
    iod = float(np.linalg.norm(near[263] - near[33]))
    out = plane_parallax(far.astype(np.float64), near.astype(np.float64), iod)
    # Several pixels at this size: far above landmark jitter.
    assert out["nose"] > 0.01
    assert out["contour"] > 0.03
    # The nose protrudes from the midline: positive relative depth once the contour is put behind.
    assert out["gamma_nose"] > out["gamma_midline"]


def test_bent_sheet_moves_its_contour_but_not_its_nose_off_the_midline() -> None:
    bent = template_points("cylinder")
    far = project(bent, 60.0, rot=rotation(3.0, 2.0))
    near = project(bent, 26.0, rot=rotation(-2.0, -1.0))
    iod = float(np.linalg.norm(near[263] - near[33]))
    out = plane_parallax(far.astype(np.float64), near.astype(np.float64), iod)
    face = template_points("face")
    f_out = plane_parallax(project(face, 60.0, rot=rotation(3.0, 2.0)).astype(np.float64),
                           project(face, 26.0, rot=rotation(-2.0, -1.0)).astype(np.float64), iod)
    assert out["contour"] > 0.01
    depth_bent = (out["gamma_nose"] - out["gamma_midline"]) / abs(out["gamma_contour"])
    depth_face = (f_out["gamma_nose"] - f_out["gamma_midline"]) / abs(f_out["gamma_contour"])
    assert depth_face > depth_bent + 0.2


def test_stage_passes_a_face_and_fails_a_flat_print() -> None:
    stage = GeometryStage.create()
    live = stage.evaluate(make_session_input(SynthSpec(kind="live", shape="face")))
    flat = stage.evaluate(make_session_input(SynthSpec(kind="print", shape="flat")))
    assert live.verdict == PASS, live.evidence
    assert flat.verdict == FAIL, flat.evidence
    assert live.score is not None and flat.score is not None and live.score > flat.score
    assert live.evidence.nose_residual > 2 * flat.evidence.nose_residual


def test_too_little_motion_abstains_and_never_passes() -> None:
    inp = make_session_input(SynthSpec(kind="live", shape="face", far_cm=30.0, near_cm=28.0))
    res = GeometryStage.create().evaluate(inp)
    assert res.verdict == ABSTAIN
    assert res.score is None
    assert "close" in res.reason


def test_stage_never_reads_landmark_depth() -> None:
    """The session data carries 2D points only: there is no z to read."""
    inp = make_session_input(SynthSpec())
    assert inp.data.points.shape[-1] == 2


def _approach(shape: str) -> tuple[np.ndarray, np.ndarray]:
    """40 frames of an object coming from 60 to 28 cm, a little off-axis and swaying, seen with the assumed lens."""
    f = 320 / np.tan(np.radians(ASSUMED_HFOV_DEG / 2))
    tpl = template_points(shape)
    pts = np.stack([
        project(tpl, d, f_px=f, rot=rotation(2 * np.sin(i / 5), 1.5 * np.cos(i / 7)), offset_cm=(2.0, 1.0))
        for i, d in enumerate(np.linspace(60, 28, 40))
    ]).astype(np.float64)
    return pts, np.array([inter_ocular(p) for p in pts])


def test_approach_depths_are_zero_for_a_plane_and_face_shaped_for_a_face() -> None:
    flat = approach_depths(*_approach("flat"), (640, 480))
    assert abs(flat["nose_depth_cm"]) < 0.1 and abs(flat["contour_depth_cm"]) < 0.1
    face = approach_depths(*_approach("face"), (640, 480))
    # Template: nose ~1.7 cm before the midline, contour ~4.5 cm behind the plane (rotation only shrinks them).
    assert 1.0 < face["nose_depth_cm"] < 3.0, face
    assert 2.0 < face["contour_depth_cm"] < 5.0, face
    bent = approach_depths(*_approach("cylinder"), (640, 480))
    assert bent["contour_depth_cm"] > 1.0  # its sides recede...
    assert abs(bent["nose_depth_cm"]) < 0.3  # ...but its nose lies on its midline
    assert np.isnan(approach_depths(np.zeros((3, 478, 2)), np.ones(3), (640, 480))["nose_depth_cm"])


def test_the_contour_depth_error_allows_for_an_outline_that_wanders_slowly() -> None:
    """Landmarks on a face's outline wander together over stretches of frames (a dim room, the outline sliding
    as the head turns), not independently per frame. The block error (jackknife over stretches; taken here
    as never below the frame-independent one) then covers the true depth at two errors far more often, so an outline that merely
    wandered is not called "in front of the eyes"; with independent noise it stays well under the 2-5 cm that
    separate a face's outline from a picture's, so a clean approach keeps its precision (it is larger than the
    frame-independent error there because the swaying head's rotation is itself fitted imperfectly, an error
    shared by neighbouring frames)."""
    from app.core.scoring.stages import geometry

    pts, iod = _approach("face")
    truth = approach_depths(pts, iod, (640, 480))["contour_depth_cm"]
    contour = list(geometry.CONTOUR)

    def coverage(jackknife: bool, wander_px: float) -> tuple[int, float]:
        covered, errors = 0, []
        for seed in range(40):
            rng = np.random.default_rng(seed)
            noisy = pts + rng.normal(0, 0.5, pts.shape)
            noisy[:, contour] += np.cumsum(rng.normal(0, wander_px, (len(pts), 2)), axis=0)[:, None, :]
            d = approach_depths(noisy, iod, (640, 480))
            se = max(d["contour_depth_se_cm"], d["contour_depth_block_se_cm"]) if jackknife else d["contour_depth_se_cm"]
            errors.append(se)
            covered += abs(d["contour_depth_cm"] - truth) < 2 * se
        return covered, float(np.median(errors))

    independent, independent_se = coverage(False, 0.6)
    blocks, blocks_se = coverage(True, 0.6)
    assert blocks >= independent + 8 and blocks_se > 1.4 * independent_se, (independent, blocks)
    # Independent per-frame noise only: the error stays near the frame-independent one.
    clean, clean_se = coverage(True, 0.0)
    assert clean_se < 1.0 and clean >= 36, (clean, clean_se)


def test_nose_grows_faster_than_the_eye_span_only_on_a_3d_object() -> None:
    assert abs(nose_growth(*_approach("flat"))["nose_growth"]) < 0.005
    face = nose_growth(*_approach("face"))["nose_growth"]
    bent = nose_growth(*_approach("cylinder"))["nose_growth"]
    assert face > 0.05
    assert face > 1.5 * bent  # a bent sheet brings its centre forward, far less than a nose stands out
    pts, iod = _approach("face")
    assert np.isnan(nose_growth(pts[:, :, :], np.full(len(iod), 100.0))["nose_growth"])  # no change of size


# -- Values no human face can produce count against liveness (issue 15) -----------------------------------------


def test_geometry_no_face_can_have_fails_hard_with_a_reason() -> None:
    """A head whose outline comes out in front of its eyes (the depths of a face reversed) is not a face: the
    stage fails hard saying the shape is physically impossible, and the impossible value counts against."""
    from app.core.scoring.stages.geometry import FEATURE_RANGES, GeometryReason

    stage = GeometryStage.create()
    hollow = stage.evaluate(make_session_input(SynthSpec(kind="live", shape="hollow")))
    assert hollow.verdict == FAIL and hollow.hard_fail, hollow.evidence
    assert hollow.code == GeometryReason.IMPOSSIBLE
    assert "physically impossible for a human face" in hollow.reason and "outline" in hollow.reason
    assert hollow.evidence.contour_depth_cm < 0  # measured in front of the eye plane
    assert hollow.evidence.features["contour_depth_cm"] == FEATURE_RANGES["contour_depth_cm"][0]
    assert hollow.score is not None and hollow.score <= 0.02


def test_impossible_values_never_raise_the_score() -> None:
    """Beyond a human range a value adds nothing (nose depth clipped) or counts against (outline in front,
    nose growing too fast), judged with the value's standard error."""
    from app.core.scoring.config import ScoringConfig
    from app.core.scoring.stages.geometry import GeometryEvidence, impossible_geometry

    stage = GeometryStage.create(ScoringConfig.load().stages["geometry"])  # the shipped coefficients
    o = stage.options
    base = dict(nose_depth_cm=2.5, nose_depth_se_cm=0.3, contour_depth_cm=2.0, contour_depth_se_cm=0.2,
                nose_growth=0.15, nose_growth_se=0.01, nose_excess=3.0, contour_excess=3.0, depth_nose=0.5)

    def score(**kw: float) -> float:
        from app.core.scoring.stages.base import logistic_score

        ev = GeometryEvidence(**{**base, **kw})
        return logistic_score(stage.features(ev), o.coef, o.bias)

    assert not impossible_geometry(GeometryEvidence(**base), o)
    from app.core.scoring.stages.geometry import FEATURE_RANGES

    hi = FEATURE_RANGES["nose_depth_cm"][1]
    assert score(nose_depth_cm=hi + 4.0) == score(nose_depth_cm=hi) > score(nose_depth_cm=2.5)  # nothing more beyond
    assert score(contour_depth_cm=-1.5) < score(contour_depth_cm=0.0) <= score(contour_depth_cm=2.0)
    growth = {g: stage.features(GeometryEvidence(**{**base, "nose_growth": g}))["nose_growth"] for g in (0.15, 2.0)}
    assert growth[2.0] < growth[0.15]  # the fusion input (weighted there) counts against
    # Within noise of the limit it is not called impossible (genuine landmark noise must not fail a face).
    assert not impossible_geometry(GeometryEvidence(**{**base, "contour_depth_cm": -0.3, "contour_depth_se_cm": 0.2}), o)
    assert "contour_depth_cm" in impossible_geometry(GeometryEvidence(**{**base, "contour_depth_cm": -0.5, "contour_depth_se_cm": 0.2}), o)
    assert "nose_growth" in impossible_geometry(GeometryEvidence(**{**base, "nose_growth": 0.9}), o)


def test_movement_only_check_measures_the_approach_not_the_head_turns() -> None:
    """The frames from the first head-turn cue on never enter the shape measurement of a movement-only check."""
    import dataclasses

    from app.core.challenge import MOVEMENT_ONLY, Challenge

    inp = make_session_input(SynthSpec(kind="live", shape="face"))
    d = inp.data
    cue = int(d.t_ns[int(0.8 * len(d.t_ns))])
    after = d.t_ns >= cue
    # After the cue the outline swings across the eyes (as a turning head's does in the landmarks).
    turned = d.points.copy()
    contour = [p for p in range(turned.shape[1]) if p not in (33, 133, 362, 263, 70, 300, 61, 291, 1, 4)]
    turned[np.ix_(after, contour)] += np.array([25.0, 0.0], np.float32)
    moves = Challenge.new(640, 480, challenge_type=MOVEMENT_ONLY, seed=5)
    moves.cue_ns = [cue + 2_000_000_000 * i for i in range(len(moves.moves))]
    stage = GeometryStage.create()
    light_view = stage.evaluate(dataclasses.replace(inp, data=dataclasses.replace(d, points=turned)))
    assert light_view.evidence.frames_used == int((d.n_faces == 1).sum())  # the light check measures every frame
    # Measured with them, the swing drags the outline in front of the eyes, by far more than the frames'
    # independent errors (the stretch-to-stretch error is what keeps it from reading "impossible").
    ev = light_view.evidence
    assert -ev.contour_depth_cm - 2 * ev.contour_depth_se_cm > 0 and ev.contour_depth_block_se_cm > -ev.contour_depth_cm
    measured = stage.evaluate(dataclasses.replace(inp, data=dataclasses.replace(d, points=turned), challenge=moves))
    # The same as a session whose face was gone from the cue on: the turn frames carry no weight at all.
    gone = stage.evaluate(dataclasses.replace(inp, data=dataclasses.replace(d, n_faces=np.where(after, 0, d.n_faces)),
                                              challenge=moves))
    assert measured.evidence.frames_used == gone.evidence.frames_used == int((~after & (d.n_faces == 1)).sum())
    assert measured.verdict == gone.verdict == PASS and not measured.hard_fail
    assert measured.score == pytest.approx(gone.score)
    assert measured.evidence.contour_depth_cm == pytest.approx(gone.evidence.contour_depth_cm)
