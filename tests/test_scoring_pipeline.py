"""The analyzer end to end on a hand-made session: result shape, bounded memory, recordings, labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.core.capture.frame import Frame
from app.core.landmarks import LandmarkResult
from app.core.recording import RecordingWriter, strip_labels
from app.core.scoring.contract import LivenessResult, SessionContext
from app.core.scoring.pipeline import FrameKeeper, LiveAnalyzer, SessionScorer, analyse_recording
from app.devtools.synthetic_sessions import SynthSession, SynthSpec, make_session


@pytest.fixture(scope="module")
def session() -> SynthSession:
    return make_session(SynthSpec(kind="live", seed=2), width=320, height=240)


@pytest.fixture(scope="module")
def scorer() -> SessionScorer:
    s = SessionScorer(load_texture=False)
    yield s
    s.close()


def run(session: SynthSession, scorer: SessionScorer) -> tuple[LiveAnalyzer, LivenessResult]:
    a = LiveAnalyzer(SessionContext("s1", session.challenge, session.source), scorer=scorer)
    for f, l in zip(session.frames, session.landmarks):
        a.add(f, l)
    return a, a.finish()


def test_result_has_the_documented_shape(session: SynthSession, scorer: SessionScorer) -> None:
    analyzer, res = run(session, scorer)
    d = res.to_dict(plots=True)
    for key in ("SessionId", "Status", "Confidence", "Decision", "Threshold", "ReferenceImage", "AuditImages",
                "Challenge", "Checks", "Reasons", "Timings", "Versions", "Hints", "Plots"):
        assert key in d
    json.dumps(d)  # JSON-able
    assert [c["Name"] for c in d["Checks"]] == ["quality", "light", "optics", "geometry", "texture", "injection"]
    assert all(c["Reason"] for c in d["Checks"])
    assert res.reference is not None and res.reference.box is not None
    assert 0 <= len(res.audit) <= 4
    assert len({a.frame_index for a in res.audit} | {res.reference.frame_index}) == len(res.audit) + 1
    box = d["ReferenceImage"]["BoundingBox"]
    assert 0 <= box["Left"] <= 1 and 0 < box["Width"] <= 1
    assert "light" in d["Plots"] and len(d["Plots"]["light"]["t_ms"]) == len(d["Plots"]["light"]["face_rgb"])
    assert "decision" in res.timings_ms and "per_frame_median" in res.timings_ms
    # The texture stage abstains without the model and says so.
    tex = next(c for c in res.checks if c.name == "texture")
    assert tex.verdict == "abstain" and "not installed" in tex.reason
    # Bounded memory: a handful of full frames whatever the length.
    assert analyzer._keeper.frames_held <= 3 * analyzer.options.best_frames + analyzer.options.audit_candidates + 1
    # The reference image (for a face match) is taken in the screen's plain light, before the first colour.
    assert res.reference.t_ns < session.challenge.shown_ns[0]


def test_frame_keeper_stays_bounded() -> None:
    from app.core.scoring.features import FrameFeatures

    keeper = FrameKeeper(3, 8)
    img = np.zeros((8, 8, 3), np.uint8)
    for i in range(1000):
        f = FrameFeatures(i, i, 1, np.zeros((478, 2), np.float32), (0, 0, 1, 1), (0, 0, 1, 1), 50.0 + i % 7, 0.0,
                          np.zeros((19, 3)), np.zeros((8, 8, 3)), np.zeros((12, 2)), np.zeros(12), 1.0, 0, 1.0, 100.0, 120.0, 0, 0)
        keeper.offer(Frame(img, i, i), f)
        assert keeper.frames_held <= 2 * 3 + 9
    audit = keeper.audit(4, exclude=None)
    assert len(audit) == 4
    assert audit[0].index < 200 and audit[-1].index > 800  # spread over the capture


def test_reference_frame_is_the_best_one_in_plain_light() -> None:
    from app.core.scoring.features import FrameFeatures

    def feats(i: int, iod: float) -> FrameFeatures:
        return FrameFeatures(i, i * 10, 1, np.zeros((478, 2), np.float32), (0, 0, 1, 1), (0, 0, 1, 1), iod, 0.0,
                             np.zeros((19, 3)), np.zeros((8, 8, 3)), np.zeros((12, 2)), np.zeros(12), 1.0, 0, 1.0, 100.0, 120.0, 0, 0)

    keeper = FrameKeeper(3, 8)
    img = np.zeros((8, 8, 3), np.uint8)
    # Frames 0-9 before the colours (the face still approaching: smaller), 10-29 during them (nearer, sharper).
    for i in range(30):
        keeper.offer(Frame(img, i * 10, i), feats(i, 20.0 + 3 * i), plain_light=i < 10)
    assert keeper.best()[0].index == 29
    assert keeper.reference(100).index == 9  # the nearest face before the first colour, not a tinted one
    assert keeper.reference(None).index == 9
    # A frame judged plain while the first colour's time was not yet known is still refused afterwards.
    assert keeper.reference(75).index == 7
    # No frame before the colours: the best frame is all there is.
    empty = FrameKeeper(3, 8)
    empty.offer(Frame(img, 50, 5), feats(5, 60.0), plain_light=False)
    assert empty.reference(10).index == 5


def test_misuse_raises_clear_errors(session: SynthSession, scorer: SessionScorer) -> None:
    a = LiveAnalyzer(SessionContext("s", session.challenge, session.source), scorer=scorer)
    a.add(session.frames[5], session.landmarks[5])
    with pytest.raises(ValueError, match="back in time"):
        a.add(session.frames[2], session.landmarks[2])
    a.finish()
    with pytest.raises(ValueError, match="after finish"):
        a.add(session.frames[6], session.landmarks[6])


class _KnownLandmarks:
    """Landmark stage double: returns the session's landmarks by frame index."""

    def __init__(self, lms: list[LandmarkResult]) -> None:
        self._lms = lms

    def process(self, frame: Frame) -> LandmarkResult:
        lm = self._lms[frame.index]
        return LandmarkResult(frame.index, frame.t_ns, lm.faces, 0.0)


def _write(session: SynthSession, path: Path) -> Path:
    with RecordingWriter(path) as w:
        for f in session.frames:
            w.add_frame(f)
        w.close(challenge=session.challenge.to_dict(), camera={**session.source.to_dict()},
                labels={"species": "live", "params": {"seed": 2}}, extra={"session_id": "rec-1"})
    return path


def test_stripped_labels_give_the_same_result_and_live_matches_rescored(session: SynthSession, scorer: SessionScorer, tmp_path: Path) -> None:
    rec = _write(session, tmp_path / "s.lgrec")
    bare = strip_labels(rec, tmp_path / "bare.lgrec")
    _, with_labels = analyse_recording(rec, scorer=scorer, landmark_stage=_KnownLandmarks(session.landmarks))
    _, without = analyse_recording(bare, scorer=scorer, landmark_stage=_KnownLandmarks(session.landmarks))
    a, b = with_labels.to_dict(), without.to_dict()
    for d in (a, b):
        d.pop("Timings")
        for c in d["Checks"]:
            c.pop("ElapsedMs")
    assert a == b
    assert with_labels.session_id == "rec-1"
    _, live = run(session, scorer)
    assert live.decision == with_labels.decision
    assert abs(live.confidence - with_labels.confidence) < 10.0


def test_a_session_with_impossible_geometry_fails_with_that_reason(scorer: SessionScorer) -> None:
    """The whole scorer (as ``livegate verify`` runs it, landmarks given): a face whose outline is measured in
    front of its eyes fails hard, and the decision says the geometry is physically impossible."""
    hollow = make_session(SynthSpec(kind="live", shape="hollow", seed=2), width=320, height=240)
    _, res = run(hollow, scorer)
    assert res.decision == "fail" and res.status == "SUCCEEDED"
    assert res.confidence <= 5.0
    assert any("physically impossible for a human face" in r for r in res.reasons), res.reasons
    geometry = next(c for c in res.checks if c.name == "geometry")
    assert geometry.hard_fail
