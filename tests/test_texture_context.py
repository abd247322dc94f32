"""The texture stage gives MiniFASNet the input it was trained on: plain light, the face box with its context.

Also: upstream's real samples (a live face and two printed photos) keep their order through Livegate's own
landmark stage, face box and crop code.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.core.capture.frame import Frame, SourceInfo
from app.core.challenge import MOVEMENT_ONLY, Challenge
from app.core.enums import Verdict
from app.core.models.minifasnet import CROP_SCALES, context_fits
from app.core.scoring.features import FrameFeatures
from app.core.scoring.fusion import LOGIT_CLIP, fusion_input, stage_evidence
from app.core.scoring.pipeline import FrameKeeper
from app.core.scoring.stages.base import KeptFrame, SessionInput
from app.core.scoring.stages.texture import TextureOptions, TextureReason, TextureStage, box_for, gives_texture_context

W, H = 640, 480


def face_points(cx: float, cy: float, half: float) -> np.ndarray:
    """478 landmark-like points filling a square face of side ``2 * half`` centred at (cx, cy)."""
    rng = np.random.default_rng(0)
    pts = rng.uniform(-1, 1, (478, 2)) * half + (cx, cy)
    pts[:4] = [(cx - half, cy - half), (cx + half, cy - half), (cx - half, cy + half), (cx + half, cy + half)]
    return pts.astype(np.float32)


class RecordingModel:
    """A texture-model double that records which frames and boxes it was given."""

    def __init__(self, value: float = 0.9) -> None:
        self.calls: list[tuple[int, tuple[int, ...]]] = []
        self.value = value

    def score(self, image_bgr: np.ndarray, box_xywh: Any) -> float:
        self.calls.append((int(image_bgr[0, 0, 0]), tuple(int(v) for v in box_xywh)))
        return self.value

    def close(self) -> None:
        pass


def kept(index: int, t_ns: int, points: np.ndarray, quality: float) -> KeptFrame:
    image = np.full((H, W, 3), index, np.uint8)  # the frame's index in its pixels, to see which one was scored
    return KeptFrame(image, index, t_ns, points, quality)


def session_with(frames: list[KeptFrame], colours_from_ns: int = 1_000) -> SessionInput:
    ch = Challenge.new(W, H, seed=3)
    ch.shown_ns = [colours_from_ns + 100 * i for i in range(len(ch.colours))]
    return SessionInput(data=None, challenge=ch, source=SourceInfo("test", "test"), texture_frames=frames)  # type: ignore[arg-type]


def test_context_fits_is_the_whole_scaled_box_inside_the_frame() -> None:
    # A 60 px box in the middle of 640x480: 4.0x = 240 px, inside.
    assert context_fits((W, H), (290, 210, 60, 60))
    # The same box near the left edge: 4.0x leaves the frame (2.7x alone still fits).
    assert not context_fits((W, H), (60, 210, 60, 60))
    assert context_fits((W, H), (60, 210, 60, 60), scales=[2.7])
    # A face filling the oval (200 px): even 2.7x is taller than the frame.
    assert not context_fits((W, H), (220, 140, 200, 200))
    assert not context_fits((W, H), (0, 0, 0, 10))  # degenerate
    assert max(CROP_SCALES.values()) == 4.0
    assert not gives_texture_context(None, (W, H))
    assert gives_texture_context(face_points(320, 250, 25), (W, H))
    assert not gives_texture_context(face_points(320, 250, 90), (W, H))


def test_only_plain_light_frames_with_context_are_scored() -> None:
    far = face_points(320, 250, 25)  # small face in the middle: context inside the frame
    near = face_points(320, 240, 90)  # face filling the oval: no context
    frames = [
        kept(1, 500, near, 0.99),  # best quality, but no context
        kept(2, 1_200, far, 0.95),  # context, but tinted (after the first colour)
        kept(3, 400, far, 0.60),  # plain light with context
        kept(4, 300, far, 0.70),  # plain light with context, better
    ]
    model = RecordingModel(0.9)
    res = TextureStage(TextureOptions(frames=3), model).evaluate(session_with(frames))
    assert [c[0] for c in model.calls] == [4, 3]  # best quality first, never frames 1 or 2
    assert all(c[1] == box_for(far) for c in model.calls)
    assert res.verdict == Verdict.PASS and res.score == pytest.approx(0.9)
    assert res.evidence.rejected_tinted == 1 and res.evidence.rejected_context == 1 and res.evidence.candidates == 4
    assert res.evidence.frames == [4, 3]


def test_no_context_abstains_and_lowers_confidence() -> None:
    near = face_points(320, 240, 90)
    model = RecordingModel(0.99)
    res = TextureStage(TextureOptions(), model).evaluate(session_with([kept(1, 500, near, 0.99)]))
    assert model.calls == []  # never guesses on a crop it was not trained on
    assert res.verdict == Verdict.ABSTAIN and res.score is None
    assert res.code == TextureReason.NO_CONTEXT and "room around it" in res.reason
    # In fusion an installed model that abstains is evidence against, not neutral.
    assert not res.evidence.installation_missing
    assert stage_evidence(res) == -LOGIT_CLIP
    assert fusion_input("texture.logit", {"texture": res}, {}) == -LOGIT_CLIP
    assert fusion_input("texture.score", {"texture": res}, {}) == 0.0


def test_no_context_sentence_fits_the_check() -> None:
    # A movement-only check shows no colours: its sentence must not speak of them.
    near = face_points(320, 240, 90)
    ch = Challenge.new(W, H, challenge_type=MOVEMENT_ONLY, seed=3)
    ch.cue_ns = [1_000 + 2_000 * i for i in range(len(ch.moves))]
    inp = SessionInput(data=None, challenge=ch, source=SourceInfo("test", "test"), texture_frames=[kept(1, 500, near, 0.99)])  # type: ignore[arg-type]
    res = TextureStage(TextureOptions(), RecordingModel(0.99)).evaluate(inp)
    assert res.verdict == Verdict.ABSTAIN and res.code == TextureReason.NO_CONTEXT_MOVEMENT
    assert "room around it" in res.reason and "colour" not in res.reason
    light = TextureStage(TextureOptions(), RecordingModel(0.99)).evaluate(session_with([kept(1, 500, near, 0.99)]))
    assert light.code == TextureReason.NO_CONTEXT and "before the colours" in light.reason
    # Every texture sentence speaks of colours only where the code is the light check's own.
    for member in TextureReason:
        assert ("colour" in member.template) == (member is TextureReason.NO_CONTEXT), member


def test_keeper_offers_texture_candidates_from_the_approach_only() -> None:
    keeper = FrameKeeper(3, 8)
    img = np.zeros((H, W, 3), np.uint8)

    def feats(i: int, points: np.ndarray, iod: float) -> FrameFeatures:
        return FrameFeatures(i, i * 10, 1, points, (0, 0, 1, 1), (0, 0, 1, 1), iod, 0.0,
                             np.zeros((19, 3)), np.zeros((8, 8, 3)), np.zeros((12, 2)), np.zeros(12), 1.0, 0, 1.0,
                             100.0, 120.0, 0, 0)

    # 0-9: approaching in plain light (10 faces small enough, then larger); 10-19: colours, far face.
    for i in range(20):
        half = 20 + 8 * i if i < 10 else 25
        keeper.offer(Frame(img, i * 10, i), feats(i, face_points(320, 250, half), 10.0 + 2 * i), plain_light=i < 10)
    picks = keeper.texture()
    assert picks, "the approach had frames with context"
    assert all(k.index < 10 for k in picks)
    assert all(gives_texture_context(k.points, (W, H)) for k in picks)
    assert picks[0].quality >= picks[-1].quality
    assert keeper.frames_held <= 3 * 3 + 9


# --------------------------------------------------------------------------- upstream's real samples

REPO_ROOT = Path(__file__).resolve().parents[1]
MIRROR = Path(os.environ.get("LIVEGATE_MODEL_MIRROR") or REPO_ROOT.parent / "shared" / "models-mirror")
SAMPLES = MIRROR / "silent-face-anti-spoofing" / "samples"


def test_real_samples_keep_upstreams_order_through_livegates_box_and_crop() -> None:
    """T1 (a live face) scores above F1 and F2 (printed photos) with Livegate's landmark stage, face box and
    crop code (the box is not upstream's detector box)."""
    cv2 = pytest.importorskip("cv2")
    from app.core.errors import ModelError
    from app.core.landmarks import LandmarkOptions, LandmarkStage
    from app.core.scoring.stages.texture import load_texture_model

    images = {n: cv2.imread(str(SAMPLES / n)) for n in ("image_T1.jpg", "image_F1.jpg", "image_F2.jpg")}
    if any(v is None for v in images.values()):
        pytest.skip(f"upstream's samples not found under {SAMPLES} (set LIVEGATE_MODEL_MIRROR)")
    model, missing, _ = load_texture_model()
    if model is None:
        pytest.skip(f"texture model not installed: {missing}")
    try:
        stage = LandmarkStage.create(LandmarkOptions(video_mode=False))
    except ModelError as exc:
        model.close()
        pytest.skip(f"landmark model not installed: {exc}")
    scores = {}
    try:
        for i, (name, image) in enumerate(images.items()):
            found = stage.process(Frame(image, i * 1_000_000, i))
            assert found.face is not None, f"Livegate's landmark stage found no face in {name}"
            scores[name] = model.score(image, box_for(found.face.points))
    finally:
        stage.close()
        model.close()
    assert all(math.isfinite(v) for v in scores.values())
    assert scores["image_T1.jpg"] > 0.9, scores
    assert scores["image_T1.jpg"] > max(scores["image_F1.jpg"], scores["image_F2.jpg"]) + 0.4, scores
