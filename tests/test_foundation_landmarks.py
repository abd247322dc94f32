"""Landmark stage on a real face photograph (scikit-image's astronaut)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.core.capture.frame import Frame
from app.core.challenge import face_box
from app.core.landmarks import LandmarkOptions, LandmarkStage

skimage_data = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def astronaut_bgr() -> np.ndarray:
    return np.ascontiguousarray(skimage_data.astronaut()[:, :, ::-1])


@pytest.fixture(scope="module")
def stage():
    with LandmarkStage.create(LandmarkOptions(video_mode=False)) as st:
        yield st


def _canvas(*faces: np.ndarray, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    w, h = size
    canvas = np.full((h, w, 3), 120, np.uint8)
    slot = w // len(faces)
    for i, face in enumerate(faces):
        side = min(slot, h)
        canvas[(h - side) // 2 : (h - side) // 2 + side, i * slot : i * slot + side] = cv2.resize(face, (side, side))
    return canvas


def test_one_real_face(stage: LandmarkStage, astronaut_bgr: np.ndarray) -> None:
    result = stage.process(Frame(_canvas(astronaut_bgr), 0, 0))
    assert result.face_count == 1
    face = result.face
    assert face is not None and face.points.shape == (478, 2)
    # The astronaut's face sits in the upper middle of the photo.
    assert 150 < face.box.cx < 400 and 50 < face.box.cy < 300
    assert 30 < face.inter_ocular_px < 150
    assert 0.0 <= face.blink <= 1.0
    assert face.fit_box == face_box(face.points)


def test_two_faces_are_both_reported(stage: LandmarkStage, astronaut_bgr: np.ndarray) -> None:
    crop = astronaut_bgr[0:300, 100:400]  # the head and shoulders, so each face is large enough
    result = stage.process(Frame(_canvas(crop, crop), 0, 0))
    assert result.face_count == 2


def test_no_face(stage: LandmarkStage) -> None:
    blank = np.full((480, 640, 3), 128, np.uint8)
    assert stage.process(Frame(blank, 0, 0)).face_count == 0


def test_video_mode_tolerates_equal_timestamps(astronaut_bgr: np.ndarray) -> None:
    with LandmarkStage.create() as st:
        frame = Frame(_canvas(astronaut_bgr), 5_000_000, 0)
        counts = [st.process(frame).face_count for _ in range(3)]  # same timestamp thrice
    assert counts == [1, 1, 1]


def test_closed_stage_refuses_work(astronaut_bgr: np.ndarray) -> None:
    st = LandmarkStage.create(LandmarkOptions(video_mode=False))
    st.close()
    with pytest.raises(ValueError, match="closed"):
        st.process(Frame(_canvas(astronaut_bgr), 0, 0))
