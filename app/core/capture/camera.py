"""Live camera capture through OpenCV, in its own thread.

The reader thread keeps only the newest frame (never a queue that can grow);
``read()`` waits for a frame newer than the last one returned and reports a
stall when none arrives within ``stall_timeout_s``.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from typing import Any, Protocol

import cv2
import numpy as np

from app.core.capture.base import FrameSource, monotonic_ns
from app.core.capture.devices import CameraDevice
from app.core.capture.frame import Frame, SourceInfo
from app.core.errors import CameraBusy, CameraStalled, CameraTooWeak

log = logging.getLogger(__name__)

MIN_WIDTH, MIN_HEIGHT, MIN_FPS = 320, 240, 15.0


class VideoCaptureLike(Protocol):
    """The part of ``cv2.VideoCapture`` the camera source uses (tests inject fakes)."""

    def isOpened(self) -> bool: ...
    def read(self) -> tuple[bool, Any]: ...
    def set(self, prop: int, value: float) -> bool: ...
    def get(self, prop: int) -> float: ...
    def release(self) -> None: ...


def _default_factory(index: int) -> VideoCaptureLike:
    api = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
    return cv2.VideoCapture(index, api)


class CameraSource(FrameSource):
    """A physical (or virtual) camera.

    Parameters
    ----------
    device:
        The enumerated device to open.
    width, height, fps:
        Requested format (640x480 at 30 fps by default).
    stall_timeout_s:
        Seconds without a new frame before ``read`` raises ``CameraStalled``.
    capture_factory:
        Builds the OpenCV capture from an index; tests pass a fake.
    """

    def __init__(
        self,
        device: CameraDevice,
        *,
        width: int = 640,
        height: int = 480,
        fps: float = 30.0,
        stall_timeout_s: float = 2.0,
        capture_factory: Callable[[int], VideoCaptureLike] = _default_factory,
    ) -> None:
        super().__init__()
        self.device = device
        self._req = (width, height, fps)
        self.stall_timeout_s = stall_timeout_s
        self._factory = capture_factory
        self._cap: VideoCaptureLike | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._latest: Frame | None = None
        self._returned_index = -1
        self._reader_error: BaseException | None = None
        self._last_arrival_ns = 0
        self.info = SourceInfo(kind="camera", name=device.name, device=device.to_dict())

    def open(self) -> None:
        cap = self._factory(self.device.index)
        if not cap.isOpened():
            cap.release()
            raise CameraBusy(
                f"camera {self.device.name!r} ({self.device.path or self.device.index}) could not be opened: "
                "it may be in use by another program or access was denied; close other camera apps and try again"
            )
        width, height, fps = self._req
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        cap.set(cv2.CAP_PROP_FPS, fps)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self.info.controls = self._lock_controls(cap)
        self._cap = cap
        ok, first = cap.read()
        if not ok or first is None:
            self.close()
            raise CameraStalled(f"camera {self.device.name!r} opened but delivered no picture; reconnect it and try again")
        h, w = first.shape[:2]
        self.info.width, self.info.height = int(w), int(h)
        self.info.fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        if w < MIN_WIDTH or h < MIN_HEIGHT:
            self.close()
            raise CameraTooWeak(f"camera {self.device.name!r} gives {w}x{h}; at least {MIN_WIDTH}x{MIN_HEIGHT} is needed")
        self._stop.clear()
        self._last_arrival_ns = monotonic_ns()
        self._thread = threading.Thread(target=self._run, name=f"camera-{self.device.index}", daemon=True)
        self._thread.start()

    @staticmethod
    def _lock_controls(cap: VideoCaptureLike) -> dict[str, Any]:
        """Try to lock auto-exposure and white balance; report what the backend accepted."""
        report: dict[str, Any] = {}
        # V4L2 semantics: CAP_PROP_AUTO_EXPOSURE 1 = manual, 3 = aperture priority (auto).
        for name, prop, value in (
            ("auto_exposure_manual", cv2.CAP_PROP_AUTO_EXPOSURE, 1.0),
            ("auto_white_balance_off", cv2.CAP_PROP_AUTO_WB, 0.0),
        ):
            try:
                accepted = bool(cap.set(prop, value))
                readback = float(cap.get(prop))
            except cv2.error as exc:
                accepted, readback = False, float("nan")
                log.info("camera control %s not supported: %s", name, exc)
            report[name] = {"requested": value, "accepted": accepted, "readback": readback}
        report["locked"] = all(v["accepted"] for v in report.values() if isinstance(v, dict))
        return report

    def _run(self) -> None:
        index = 0
        cap = self._cap
        assert cap is not None
        while not self._stop.is_set():
            try:
                ok, image = cap.read()
            except Exception as exc:  # noqa: BLE001 - any backend failure ends the stream, reported in read()
                with self._cond:
                    self._reader_error = exc
                    self._cond.notify_all()
                return
            t_ns = monotonic_ns()
            if not ok or image is None:
                if self._stop.wait(0.01):
                    return
                continue
            if image.ndim == 2:
                image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
            frame = Frame(np.ascontiguousarray(image, dtype=np.uint8), t_ns, index)
            index += 1
            with self._cond:
                self._latest = frame
                self._last_arrival_ns = t_ns
                self._cond.notify_all()

    def read(self, timeout: float = 2.0) -> Frame:
        wait_s = min(timeout, self.stall_timeout_s)
        with self._cond:
            got = self._cond.wait_for(
                lambda: self._reader_error is not None
                or (self._latest is not None and self._latest.index > self._returned_index),
                timeout=wait_s,
            )
            if self._reader_error is not None:
                raise CameraStalled(f"camera {self.device.name!r} failed: {self._reader_error}") from self._reader_error
            if not got or self._latest is None:
                silent_s = (monotonic_ns() - self._last_arrival_ns) / 1e9
                raise CameraStalled(
                    f"camera {self.device.name!r} stopped delivering frames ({silent_s:.1f} s without a frame); "
                    "check the cable and try again"
                )
            frame = self._latest
            self._returned_index = frame.index
        return self._note(frame)

    def check_rate(self) -> None:
        """Raise ``CameraTooWeak`` when the measured rate is below the minimum (call after ~1 s)."""
        fps = self.measured_fps()
        if 0 < fps < MIN_FPS:
            raise CameraTooWeak(f"camera {self.device.name!r} delivers {fps:.1f} fps; at least {MIN_FPS:.0f} fps is needed")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=3.0)
        self._thread = None
        if self._cap is not None:
            self._cap.release()
            self._cap = None
