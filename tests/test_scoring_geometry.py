"""Geometry stage on hand-made landmarks: a plane has no parallax, a 3D face does."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.scoring.contract import ABSTAIN, FAIL, PASS
from app.core.scoring.stages.geometry import GeometryStage, apply_homography, fit_homography, plane_parallax
from app.core.scoring.synthetic import SynthSpec, make_session_input, project, rotation, template_points


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
    assert live.evidence["nose_residual"] > 2 * flat.evidence["nose_residual"]


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
