"""Finite sources: any video file OpenCV reads, and Livegate recordings."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from app.core.capture.base import FrameSource, monotonic_ns
from app.core.capture.frame import Frame, SourceInfo
from app.core.errors import RecordingError, SourceEnded
from app.core.recording import Recording


class VideoFileSource(FrameSource):
    """Frames of a video file, time-stamped from the file's own frame rate.

    Parameters
    ----------
    path:
        Any file OpenCV can decode.
    realtime:
        Pace ``read()`` to the file's frame rate (for the live GUI preview).
    """

    def __init__(self, path: str | Path, *, realtime: bool = False) -> None:
        super().__init__()
        self.path = Path(path)
        self.realtime = realtime
        self._cap: cv2.VideoCapture | None = None
        self._index = 0
        self._t0 = 0
        self.info = SourceInfo(kind="file", name=str(self.path))

    def open(self) -> None:
        if not self.path.is_file():
            raise RecordingError(f"video file {self.path} does not exist")
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            raise RecordingError(f"{self.path} is not a video file OpenCV can read")
        self._cap = cap
        self.info.width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.info.height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.info.fps = float(cap.get(cv2.CAP_PROP_FPS) or 30.0) or 30.0
        self._t0 = monotonic_ns()
        self._index = 0

    def read(self, timeout: float = 2.0) -> Frame:
        if self._cap is None:
            raise RecordingError("source is not open")
        ok, image = self._cap.read()
        if not ok or image is None:
            raise SourceEnded(f"end of {self.path.name}")
        t_ns = self._t0 + int(self._index * 1e9 / self.info.fps)
        if self.realtime:
            delay = (t_ns - monotonic_ns()) / 1e9
            if delay > 0:
                time.sleep(delay)
        frame = Frame(np.ascontiguousarray(image), t_ns, self._index)
        self._index += 1
        return self._note(frame)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class RecordingSource(FrameSource):
    """Replays a Livegate recording with its original timestamps.

    ``recording`` exposes the manifest (challenge, camera, display) once open.
    With ``realtime`` the frames are paced by their recorded intervals.
    """

    def __init__(self, path: str | Path, *, realtime: bool = False) -> None:
        super().__init__()
        self.path = Path(path)
        self.realtime = realtime
        self.recording: Recording | None = None
        self._index = 0
        self._wall0 = 0
        self.info = SourceInfo(kind="recording", name=str(self.path))

    def open(self) -> None:
        self.recording = Recording(self.path)
        meta = self.recording.meta
        self.info.width, self.info.height = meta.width, meta.height
        span = (meta.timestamps_ns[-1] - meta.timestamps_ns[0]) / 1e9
        self.info.fps = (meta.frame_count - 1) / span if span > 0 else 0.0
        self.info.device = dict(meta.camera.get("device", {})) if isinstance(meta.camera.get("device"), dict) else {}
        self._index = 0
        self._wall0 = monotonic_ns()

    def read(self, timeout: float = 2.0) -> Frame:
        if self.recording is None:
            raise RecordingError("source is not open")
        if self._index >= self.recording.meta.frame_count:
            raise SourceEnded(f"end of {self.path.name}")
        frame = self.recording.read_frame(self._index)
        if self.realtime:
            offset = frame.t_ns - self.recording.meta.timestamps_ns[0]
            delay = (self._wall0 + offset - monotonic_ns()) / 1e9
            if delay > 0:
                time.sleep(delay)
        self._index += 1
        return self._note(frame)

    def close(self) -> None:
        if self.recording is not None:
            self.recording.close()
            self.recording = None
