"""One face means one face: a false face nested in the user's face, or far too small to stand beside them,
is not a second person; a real second person still is."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.landmarks import MIN_IOD_RATIO, FaceLandmarks, LandmarkResult, people
from app.core.scoring.contract import SessionContext
from app.core.scoring.pipeline import LiveAnalyzer, SessionScorer
from app.core.scoring.stages.quality import QualityReason
from app.devtools.synthetic_sessions import SynthSpec, make_session, project, template_points


def face_at(cx: float, cy: float, distance_cm: float) -> FaceLandmarks:
    """Landmarks of a face centred at (cx, cy) at ``distance_cm`` from the camera."""
    return FaceLandmarks.from_points(project(template_points(), distance_cm, centre=(cx, cy)))


MAIN = face_at(320, 240, 35)


def test_nested_and_tiny_faces_are_not_people_but_a_neighbour_is() -> None:
    nested = face_at(MAIN.box.x + MAIN.box.w / 2, MAIN.box.y + 0.65 * MAIN.box.h, 80)  # nostrils taken for eyes
    assert nested.inter_ocular_px >= MIN_IOD_RATIO * MAIN.inter_ocular_px  # only the nesting rule drops it
    logo = face_at(60, 60, 35 / (0.8 * MIN_IOD_RATIO))  # a face in a logo on the wall behind
    assert logo.inter_ocular_px < MIN_IOD_RATIO * MAIN.inter_ocular_px
    neighbour = face_at(560, 220, 55)  # someone standing beside and a little behind the user
    assert people([nested, MAIN]) == (MAIN,)
    assert people([logo, MAIN]) == (MAIN,)
    assert people([MAIN, neighbour, nested, logo]) == (MAIN, neighbour)
    r = LandmarkResult(0, 0, (nested, MAIN, logo), 1.0)
    assert r.face_count == 1 and r.false_faces == 2 and r.face is MAIN
    assert LandmarkResult(0, 0, (MAIN, neighbour), 1.0).face_count == 2
    assert LandmarkResult(0, 0, (), 1.0).face_count == 0


@pytest.fixture(scope="module")
def scorer() -> SessionScorer:
    s = SessionScorer(load_texture=False)
    yield s
    s.close()


def _run(scorer: SessionScorer, mode: str):
    """A genuine hand-made session; ``mode``: ``plain``, ``false`` (a nested false face and a logo face in every
    frame) or ``beside`` (a second person beside the user in every frame)."""
    session = make_session(SynthSpec(kind="live", seed=4), width=320, height=240)
    width = session.source.width
    a = LiveAnalyzer(SessionContext("s", session.challenge, session.source), scorer=scorer)
    for frame, lm in zip(session.frames, session.landmarks):
        main = lm.face
        faces = lm.faces
        if main is not None and mode == "beside":
            b = main.box
            faces = faces + (face_at(width - 30 if b.x + b.w / 2 < width / 2 else 30, b.y + b.h / 2, 90),)
        elif main is not None and mode == "false":
            b = main.box
            # Sizes relative to the user's face: the nested one 0.44x (nostrils taken for eyes), the logo 0.15x.
            nested = face_at(b.x + b.w / 2, b.y + 0.65 * b.h, 35.0 * MAIN.box.w / (0.44 * max(b.w, 1.0)))
            logo = face_at(12, 12, 35.0 * MAIN.box.w / (0.15 * max(b.w, 1.0)))
            faces = (nested,) + faces + (logo,)
            assert LandmarkResult(0, 0, faces, 0.0).face_count == 1
        a.add(frame, LandmarkResult(lm.frame_index, lm.t_ns, faces, 0.0))
    return a.finish()


def test_a_nested_false_face_does_not_fail_a_genuine_user(scorer: SessionScorer) -> None:
    plain = _run(scorer, "plain")
    noisy = _run(scorer, "false")
    q = next(c for c in noisy.checks if c.name == "quality")
    assert q.code != QualityReason.MULTIPLE_FACES and not q.hard_fail, q.reason
    assert [(c.name, c.verdict, c.code) for c in noisy.checks] == [(c.name, c.verdict, c.code) for c in plain.checks]
    assert noisy.decision == plain.decision and noisy.confidence == pytest.approx(plain.confidence)


def test_a_real_second_person_still_fails(scorer: SessionScorer) -> None:
    res = _run(scorer, "beside")
    q = next(c for c in res.checks if c.name == "quality")
    assert q.code == QualityReason.MULTIPLE_FACES and q.hard_fail
    assert res.decision == "fail"
