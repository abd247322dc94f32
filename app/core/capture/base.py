"""The frame-source seam: one interface for camera, file, recording and simulator."""

from __future__ import annotations

import abc
import time
from collections import deque
from types import TracebackType

from app.core.capture.frame import Frame, SourceInfo


class FrameSource(abc.ABC):
    """A stream of :class:`Frame` objects.

    Use as a context manager, or call ``open()`` and ``close()``. ``read()``
    returns the next frame (for live sources: the newest one not yet returned),
    raises :class:`~app.core.errors.SourceEnded` at the end of a finite source
    and :class:`~app.core.errors.CameraStalled` when a live source stops.
    """

    def __init__(self) -> None:
        self.info = SourceInfo(kind="unknown", name="")
        self._intervals: deque[int] = deque(maxlen=60)
        self._last_t: int | None = None

    @abc.abstractmethod
    def open(self) -> None:
        """Open the underlying device or file; fills ``self.info``."""

    @abc.abstractmethod
    def read(self, timeout: float = 2.0) -> Frame:
        """Return the next frame, waiting at most ``timeout`` seconds."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the device or file. Safe to call twice."""

    def measured_fps(self) -> float:
        """Frame rate measured over the last frames returned (0 if unknown)."""
        if not self._intervals:
            return 0.0
        ordered = sorted(self._intervals)
        median = ordered[len(ordered) // 2]
        return 1e9 / median if median > 0 else 0.0

    def _note(self, frame: Frame) -> Frame:
        """Record a returned frame's timestamp for ``measured_fps``."""
        if self._last_t is not None and frame.t_ns > self._last_t:
            self._intervals.append(frame.t_ns - self._last_t)
        self._last_t = frame.t_ns
        return frame

    def __enter__(self) -> "FrameSource":
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def monotonic_ns() -> int:
    """The one clock for frames and displayed colours."""
    return time.monotonic_ns()
