"""Frame sources: camera hand-off and failure modes, enumeration, spec strings."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.core.capture.camera import CameraSource
from app.core.capture.devices import CameraDevice, find_camera, list_v4l2, virtual_verdict
from app.core.capture.files import VideoFileSource
from app.core.capture.frame import Frame
from app.core.capture.spec import open_source, parse_spec
from app.core.errors import CameraBusy, CameraNotFound, CameraStalled, CameraTooWeak, ConfigError, RecordingError, SourceEnded

DEVICE = CameraDevice(0, "Test Cam", "/dev/video0", "uvcvideo", "usb-0000:00:14.0-1")


class FakeCapture:
    """A cv2.VideoCapture stand-in: delivers ``frames`` pictures, then stalls (blocks) or fails."""

    def __init__(self, *, frames: int = 10_000, size: tuple[int, int] = (640, 480), opened: bool = True, interval: float = 0.005) -> None:
        self.frames, self.size, self.opened, self.interval = frames, size, opened, interval
        self.count = 0
        self.props: dict[int, float] = {}
        self.released = threading.Event()

    def isOpened(self) -> bool:
        return self.opened

    def read(self):
        if self.count >= self.frames:
            self.released.wait(10)  # a stalled driver blocks until released
            return False, None
        time.sleep(self.interval)
        self.count += 1
        w, h = self.size
        return True, np.full((h, w, 3), self.count % 255, np.uint8)

    def set(self, prop: int, value: float) -> bool:
        self.props[prop] = value
        return prop != cv2.CAP_PROP_AUTO_WB  # this fake camera cannot lock white balance

    def get(self, prop: int) -> float:
        return self.props.get(prop, 30.0)

    def release(self) -> None:
        self.released.set()


def test_camera_delivers_newest_frames_and_reports_controls() -> None:
    fake = FakeCapture()
    with CameraSource(DEVICE, capture_factory=lambda i: fake) as cam:
        a = cam.read()
        time.sleep(0.05)  # let several frames arrive: only the newest is handed over
        b = cam.read()
        assert b.index > a.index + 1
        assert cam.info.width == 640 and cam.info.height == 480
        controls = cam.info.controls
        assert controls["auto_exposure_manual"]["accepted"] is True
        assert controls["auto_white_balance_off"]["accepted"] is False
        assert controls["locked"] is False
    assert fake.released.is_set()


def test_camera_that_stops_delivering_is_reported_quickly() -> None:
    fake = FakeCapture(frames=5)
    cam = CameraSource(DEVICE, stall_timeout_s=0.5, capture_factory=lambda i: fake)
    cam.open()
    try:
        start = time.monotonic()
        with pytest.raises(CameraStalled, match="stopped delivering"):
            for _ in range(100):
                cam.read()
        assert time.monotonic() - start < 5.0  # bounded: no hang
    finally:
        cam.close()


def test_busy_camera() -> None:
    with pytest.raises(CameraBusy, match="in use"):
        CameraSource(DEVICE, capture_factory=lambda i: FakeCapture(opened=False)).open()


def test_too_small_camera() -> None:
    with pytest.raises(CameraTooWeak, match="320x240"):
        CameraSource(DEVICE, capture_factory=lambda i: FakeCapture(size=(160, 120))).open()


def test_too_slow_camera_is_detected() -> None:
    fake = FakeCapture(interval=0.1)  # 10 fps
    with CameraSource(DEVICE, capture_factory=lambda i: fake) as cam:
        for _ in range(4):
            cam.read()
        with pytest.raises(CameraTooWeak, match="fps"):
            cam.check_rate()


@pytest.mark.parametrize(
    ("name", "driver", "bus", "virtual"),
    [
        ("Integrated Camera: Integrated C", "uvcvideo", "usb-0000:00:14.0-8", False),
        ("OBS Virtual Camera", "v4l2 loopback", "platform:v4l2loopback-000", True),
        ("Dummy video device (0x0000)", "v4l2 loopback", "platform:v4l2loopback-000", True),
        ("HD Webcam", "v4l2 loopback", "platform:v4l2loopback-001", True),
        ("ManyCam Video Source", "", "", True),
        ("Logi C920", "uvcvideo", "platform:something", True),
    ],
)
def test_virtual_verdict(name: str, driver: str, bus: str, virtual: bool) -> None:
    verdict, reason = virtual_verdict(name, driver, bus, linux_bus_known=bool(driver))
    assert verdict is virtual
    assert bool(reason) is virtual


def test_v4l2_listing_from_sysfs(tmp_path: Path) -> None:
    sys_root = tmp_path / "sys"
    for idx, name in ((0, "Integrated Camera"), (2, "OBS Virtual Camera")):
        (sys_root / f"video{idx}").mkdir(parents=True)
        (sys_root / f"video{idx}" / "name").write_text(name + "\n")
    devices = list_v4l2(sys_root, tmp_path / "dev")
    assert [d.index for d in devices] == [0, 2]
    assert devices[1].virtual and "OBS Virtual Camera" in devices[1].virtual_reason
    assert find_camera("obs", devices) is devices[1]
    assert find_camera("0", devices) is devices[0]
    assert find_camera("nothing", devices) is None


def test_this_machine_lists_without_error() -> None:
    assert isinstance(list_v4l2(), list)


@pytest.mark.parametrize(
    ("text", "kind", "target", "params"),
    [
        ("camera:0", "camera", "0", {}),
        ("camera:HD Webcam", "camera", "HD Webcam", {}),
        ("file:/tmp/x.mp4", "file", "/tmp/x.mp4", {}),
        ("recording:a.lgrec", "recording", "a.lgrec", {}),
        ("sim:live?seed=3&behaviour=stall", "sim", "live", {"seed": "3", "behaviour": "stall"}),
    ],
)
def test_parse_spec(text: str, kind: str, target: str, params: dict) -> None:
    spec = parse_spec(text)
    assert (spec.kind, spec.target, spec.params) == (kind, target, params)


@pytest.mark.parametrize("bad", ["", "camera", "camera:", "webcam:0", "http://x"])
def test_bad_spec(bad: str) -> None:
    with pytest.raises(ConfigError, match="camera:0"):
        parse_spec(bad)


def test_no_camera_is_a_clear_error() -> None:
    with pytest.raises(CameraNotFound, match="no camera"):
        open_source("camera:0", devices=[])
    with pytest.raises(CameraNotFound, match="available: 0: Test Cam"):
        open_source("camera:9", devices=[DEVICE])


def test_video_file_source(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (320, 240))
    for i in range(6):
        writer.write(np.full((240, 320, 3), i * 40, np.uint8))
    writer.release()
    with VideoFileSource(path) as src:
        frames = []
        with pytest.raises(SourceEnded):
            while True:
                frames.append(src.read())
    assert len(frames) == 6
    assert frames[1].t_ns - frames[0].t_ns == pytest.approx(33_333_333, abs=2)
    with pytest.raises(RecordingError, match="does not exist"):
        VideoFileSource(tmp_path / "nope.mp4").open()
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"junk")
    with pytest.raises(RecordingError):
        VideoFileSource(junk).open()


def test_frame_validates_its_image() -> None:
    with pytest.raises(ValueError, match="BGR uint8"):
        Frame(np.zeros((4, 4), np.uint8), 0, 0)
    with pytest.raises(ValueError):
        Frame(np.zeros((4, 4, 3), np.float32), 0, 0)
