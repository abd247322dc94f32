"""Recording format v1: round trip, size budget, and clear errors on damaged files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.core.capture.files import RecordingSource
from app.core.capture.frame import Frame
from app.core.challenge import Challenge
from app.core.errors import RecordingError, SourceEnded
from app.core.recording import Recording, RecordingWriter, read_labels, strip_labels


def _frames(n: int, w: int = 160, h: int = 120) -> list[Frame]:
    rng = np.random.default_rng(1)
    base = cv2.GaussianBlur(rng.integers(0, 255, (h, w, 3), dtype=np.uint8), (9, 9), 3)
    return [Frame(np.roll(base, i, axis=1), 1_000_000_000 + i * 33_333_333, i) for i in range(n)]


def _write(path: Path, n: int = 5, labels: dict | None = None) -> list[Frame]:
    frames = _frames(n)
    challenge = Challenge.new(160, 120, seed=3)
    challenge.shown_ns = [frames[0].t_ns + 10 * i for i in range(len(challenge.colours))]
    with RecordingWriter(path) as writer:
        for f in frames:
            writer.add_frame(f)
        writer.close(challenge=challenge.to_dict(), camera={"name": "test"}, display={"w": 1}, labels=labels)
    return frames


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "a.lgrec"
    frames = _write(path, labels={"species": "live"})
    with Recording(path) as rec:
        assert rec.meta.frame_count == 5
        assert rec.meta.timestamps_ns == [f.t_ns for f in frames]
        back = Challenge.from_dict(rec.meta.challenge)
        assert back.colours and len(back.shown_ns) == len(back.colours)
        for original, decoded in zip(frames, rec.frames()):
            # JPEG quality 95: visually lossless.
            assert np.abs(original.image.astype(int) - decoded.image.astype(int)).mean() < 3.0
    assert read_labels(path) == {"species": "live"}
    stripped = strip_labels(path, tmp_path / "b.lgrec")
    assert read_labels(stripped) is None


def test_recording_source_replays_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "a.lgrec"
    frames = _write(path)
    with RecordingSource(path, realtime=False) as src:
        got = [src.read().t_ns for _ in frames]
        with pytest.raises(SourceEnded):
            src.read()
    assert got == [f.t_ns for f in frames]


def test_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "a.lgrec"
    _write(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RecordingError, match="truncated"):
        Recording(path)


def test_corrupt_frame_is_named(tmp_path: Path) -> None:
    path = tmp_path / "a.lgrec"
    _write(path)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("frames/000002.jpg")
        offset = info.header_offset + 30 + len(info.filename) + 200
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0xFF
    path.write_bytes(bytes(raw))
    # Every frame member is streamed (CRC-checked) when the recording opens, before any frame is decoded.
    with pytest.raises(RecordingError, match="000002"):
        Recording(path)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda m: m.update(version=99), "version 99"),
        (lambda m: m.update(format="other"), "format"),
        (lambda m: m.update(frame_count=7), "says 7 frames"),
        (lambda m: m.update(timestamps_ns=list(reversed(m["timestamps_ns"]))), "back in time"),
        (lambda m: m.pop("width"), "missing or malformed"),
    ],
)
def test_bad_manifest(tmp_path: Path, mutate, message: str) -> None:
    path = tmp_path / "a.lgrec"
    _write(path)
    bad = tmp_path / "bad.lgrec"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            payload = zin.read(item.filename)
            if item.filename == "manifest.json":
                manifest = json.loads(payload)
                mutate(manifest)
                payload = json.dumps(manifest).encode()
            zout.writestr(item.filename, payload)
    with pytest.raises(RecordingError, match=message):
        Recording(bad)


def test_not_a_recording(tmp_path: Path) -> None:
    path = tmp_path / "x.lgrec"
    path.write_text("hello")
    with pytest.raises(RecordingError, match="not a readable recording"):
        Recording(path)
    with pytest.raises(RecordingError, match="does not exist"):
        Recording(tmp_path / "missing.lgrec")
    empty = tmp_path / "empty.lgrec"
    with zipfile.ZipFile(empty, "w"):
        pass
    with pytest.raises(RecordingError, match="manifest.json"):
        Recording(empty)


def test_crash_mid_write_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "a.lgrec"
    with pytest.raises(RuntimeError):
        with RecordingWriter(path) as writer:
            writer.add_frame(_frames(1)[0])
            raise RuntimeError("crash")
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_size_budget_for_ten_seconds(tmp_path: Path) -> None:
    """10 s of 640x480 at 30 fps of a webcam-like picture (face before a room, sensor noise) fits in 25 MB."""
    from skimage import data

    rng = np.random.default_rng(0)
    room = cv2.GaussianBlur(rng.integers(40, 200, (48, 64, 3), dtype=np.uint8), (5, 5), 2)
    base = cv2.resize(room, (640, 480), interpolation=cv2.INTER_CUBIC)
    face = cv2.resize(data.astronaut()[20:300, 120:380, ::-1], (260, 280))
    base[100:380, 190:450] = face
    path = tmp_path / "ten.lgrec"
    with RecordingWriter(path) as writer:
        for i in range(300):
            noise = rng.normal(0, 1.5, base.shape)  # sensor noise of a webcam in office light
            img = np.clip(base.astype(np.float32) + noise, 0, 255).astype(np.uint8)
            writer.add_frame(Frame(img, i * 33_333_333, i))
    size_mb = path.stat().st_size / 1e6
    assert size_mb <= 25.0, f"{size_mb:.1f} MB"
