"""One model session per process: the pool lends one landmark stage to every check and keeps timestamps increasing."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.core.capture.frame import Frame
from app.core.landmarks import STREAM_GAP_MS, LandmarkOptions, LandmarkStage
from app.core.models.pool import ModelPool


class _Raw:
    face_landmarks: list = []
    face_blendshapes: list = []


class RecordingLandmarker:
    """A stand-in for MediaPipe's FaceLandmarker that insists on increasing timestamps, like the real one."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, bool]] = []  # (timestamp ms, image was blank)
        self.closed = False

    def detect_for_video(self, image, ts_ms: int) -> _Raw:
        if self.calls and ts_ms <= self.calls[-1][0]:
            raise ValueError(f"timestamp {ts_ms} is not after {self.calls[-1][0]}")
        self.calls.append((ts_ms, not image.numpy_view().any()))
        return _Raw()

    def close(self) -> None:
        self.closed = True


def _frames(start_ms: int, count: int, step_ms: int = 33) -> list[Frame]:
    image = np.full((48, 64, 3), 128, np.uint8)
    return [Frame(image, (start_ms + i * step_ms) * 1_000_000, i) for i in range(count)]


def _fake_stage() -> LandmarkStage:
    return LandmarkStage(LandmarkOptions(), RecordingLandmarker())


def test_streams_on_one_landmarker_keep_timestamps_increasing_and_their_spacing() -> None:
    pool = ModelPool(landmark_factory=_fake_stage)
    with pool.landmarks() as first:
        for frame in _frames(50_000, 5):  # a camera clock at 50 s
            first.process(frame)
    with pool.landmarks() as second:
        for frame in _frames(0, 5):  # the next camera restarts its clock at zero
            second.process(frame)
    assert pool.landmark_stages_created == 1
    landmarker = pool._idle[0]._lm
    calls = landmarker.calls
    stamps = [t for t, _ in calls]
    assert stamps == sorted(set(stamps)), stamps
    # The first stream is fed as it came (a fresh landmarker scores a recording exactly as before).
    assert stamps[:5] == [50_000 + 33 * i for i in range(5)]
    # Then one blank frame (no face tracked across checks), then the second stream with its own spacing.
    assert calls[5] == (stamps[4] + STREAM_GAP_MS, True)
    second_stream = stamps[6:]
    assert np.diff(second_stream).tolist() == [33] * 4
    assert second_stream[0] == stamps[5] + STREAM_GAP_MS
    pool.close()
    assert landmarker.closed


def test_overlapping_checks_get_two_stages_then_reuse_them() -> None:
    pool = ModelPool(landmark_factory=_fake_stage)
    a = pool.landmarks()
    b = pool.landmarks()  # a retiring capture still holds the first
    assert pool.landmark_stages_created == 2 and pool.stages_in_use == 2
    a.close()
    a.close()  # idempotent
    b.close()
    for _ in range(20):
        with pool.landmarks() as lease:
            lease.process(_frames(0, 1)[0])
    assert pool.landmark_stages_created == 2 and pool.stages_in_use == 0
    with pytest.raises(ValueError, match="closed"):
        lease.process(_frames(0, 1)[0])


def test_a_stage_lent_when_the_pool_closes_is_closed_when_given_back() -> None:
    pool = ModelPool(landmark_factory=_fake_stage)
    lease = pool.landmarks()
    landmarker = lease._stage._lm
    pool.close()
    assert not landmarker.closed
    lease.close()
    assert landmarker.closed
    with pytest.raises(ValueError, match="closed"):
        pool.landmarks()


def test_a_failing_model_load_leaves_nothing_lent() -> None:
    def broken() -> LandmarkStage:
        raise RuntimeError("model missing")

    pool = ModelPool(landmark_factory=broken)
    with pytest.raises(RuntimeError):
        pool.landmarks()
    assert pool.stages_in_use == 0 and pool.landmark_stages_created == 0


def test_shared_objects_are_built_once_across_threads_and_closed_with_the_pool() -> None:
    built: list[object] = []

    class Holder:
        closed = False

        def close(self) -> None:
            self.closed = True

    def factory() -> Holder:
        holder = Holder()
        built.append(holder)
        return holder

    pool = ModelPool(landmark_factory=_fake_stage)
    got: list[Holder] = []
    threads = [threading.Thread(target=lambda: got.append(pool.shared("scorer", factory))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(h) for h in got}) == 1
    winner = got[0]
    assert all(h.closed for h in built if h is not winner)  # a copy built in a race is released at once
    pool.close()
    assert winner.closed


def test_a_reused_real_landmarker_finds_the_same_face_as_a_fresh_one() -> None:
    skimage_data = pytest.importorskip("skimage.data")
    import cv2

    face = cv2.resize(np.ascontiguousarray(skimage_data.astronaut()[:, :, ::-1]), (400, 400))
    canvas = np.full((480, 640, 3), 120, np.uint8)
    canvas[40:440, 120:520] = face
    elsewhere = np.full((480, 640, 3), 120, np.uint8)
    elsewhere[40:440, 0:400] = face  # the previous check's face sat elsewhere
    frames = [Frame(canvas, i * 33_000_000, i) for i in range(4)]
    with LandmarkStage.create() as fresh:
        expected = [fresh.process(f).face for f in frames]
    pool = ModelPool()
    try:
        with pool.landmarks() as lease:
            for i in range(4):
                lease.process(Frame(elsewhere, 9_000_000_000 + i * 33_000_000, i))
        with pool.landmarks() as lease:
            got = [lease.process(f).face for f in frames]
    finally:
        pool.close()
    assert pool.landmark_stages_created == 1
    for e, g in zip(expected, got):
        assert e is not None and g is not None
        assert np.allclose(e.points, g.points, atol=0.5)


def test_the_process_pool_is_released_cleanly_at_exit(tmp_path) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "use_pool.py"
    script.write_text(
        "from app.devtools.bench import sample_face_frame\n"
        "from app.core.capture.frame import Frame\n"
        "import threading\n"
        "from app.core.models.pool import model_pool\n"
        "def check():\n"
        "    with model_pool().landmarks() as lease:\n"
        "        lease.process(Frame(sample_face_frame(), 0, 0))\n"
        "worker = threading.Thread(target=check)  # as in the app: a capture's worker thread\n"
        "worker.start()\n"
        "worker.join()\n"
        "print('checked')\n"
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root), "LIVEGATE_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=root, timeout=120)
    assert done.returncode == 0 and done.stdout == "checked\n"
    # Neither MediaPipe's start-up notes nor a landmarker closed too late at exit reach the terminal.
    assert done.stderr == ""
