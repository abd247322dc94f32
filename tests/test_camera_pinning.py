"""A kiosk pinned to its own camera runs checks with that camera only (the answer to injectors that pixels cannot
stop, docs/accuracy.md "The forger that also paints the catchlights")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.core.capture.devices import CameraDevice, pin_refusal
from app.core.check.flow import Phase, Problem
from app.core.check.live import LiveCheck
from app.core.settings import Settings, load_settings

USB = CameraDevice(0, "HD Pro Webcam C920", "/dev/video0", "uvcvideo", "usb-0000:00:14.0-2")
# Software that copies the webcam's name: a loopback device cannot present the webcam's USB bus.
COPY = CameraDevice(1, "HD Pro Webcam C920", "/dev/video4", "v4l2 loopback", "platform:v4l2loopback-000", virtual=True,
                    virtual_reason="the device driver is 'v4l2 loopback'")
OTHER = CameraDevice(2, "Integrated Camera", "/dev/video2", "uvcvideo", "usb-0000:00:14.0-5")


def test_a_pin_names_one_physical_camera() -> None:
    pinned = USB.fingerprint
    assert pinned == "uvcvideo|usb-0000:00:14.0-2|HD Pro Webcam C920"
    assert pin_refusal(pinned, USB) == ""
    assert pin_refusal("", OTHER) == ""  # nothing pinned: any real camera
    # Same name, another driver and bus; another camera; the pinned one unplugged: each refused, saying which.
    assert "not the camera this kiosk is pinned to" in pin_refusal(pinned, COPY)
    assert "v4l2 loopback" in pin_refusal(pinned, COPY)
    assert "Integrated Camera" in pin_refusal(pinned, OTHER)
    assert "not among the connected cameras" in pin_refusal(pinned, None)


def _start(settings: Settings, spec: str | None, devices: list[CameraDevice]) -> LiveCheck:
    opened: list[str] = []

    def refuse_to_open(spec: str, screen: object) -> object:
        opened.append(spec)
        raise AssertionError(f"a refused source was opened: {spec}")

    check = LiveCheck(settings=settings, devices=devices, source_factory=refuse_to_open, post=lambda fn: fn())
    check.start_check(spec=spec)
    assert not opened
    return check


@pytest.mark.parametrize(("spec", "why"), [
    ("camera:2", "Integrated Camera"),           # another real camera
    ("sim:live", "only with its pinned camera"),  # a simulator, a file or a recording could feed anything
    ("file:/tmp/x.mp4", "only with its pinned camera"),
])
def test_a_pinned_kiosk_refuses_every_other_source(spec: str, why: str) -> None:
    check = _start(Settings(pinned_camera=USB.fingerprint), spec, [USB, OTHER])
    try:
        session = check.flow.session
        assert session is not None and check.flow.phase is Phase.ERROR
        assert session.problem.problem is Problem.CAMERA_NOT_PINNED and why in session.problem.detail
    finally:
        check.shutdown()


def test_a_pinned_kiosk_refuses_when_its_camera_is_unplugged_and_picks_it_when_present() -> None:
    check = _start(Settings(pinned_camera=USB.fingerprint), None, [OTHER])
    try:
        assert check.flow.session.problem.problem is Problem.CAMERA_NOT_PINNED
    finally:
        check.shutdown()
    # With both connected, the pinned one is the one to open: not the first in the list, and not the remembered
    # index, which now names another camera (indices change when cameras are replugged).
    moved = CameraDevice(3, USB.name, "/dev/video6", USB.driver, USB.bus_info)
    both = LiveCheck(settings=Settings(pinned_camera=USB.fingerprint, camera="camera:2"), devices=[OTHER, moved],
                     post=lambda fn: fn())
    try:
        assert both.resolve_spec() == "camera:3" and both.pin_refusal("camera:3") == ""
        assert both.resolve_spec("camera:2") == "camera:2" and both.pin_refusal("camera:2")  # an explicit choice is checked
    finally:
        both.shutdown()


def test_a_pin_that_is_not_a_fingerprint_is_reported_and_dropped() -> None:
    s = Settings(pinned_camera="just a name")
    s.validate()
    assert s.pinned_camera == "" and any("pinned_camera" in p for p in s.problems)


def test_devices_pin_and_unpin_from_the_command_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("app.core.capture.devices.list_cameras", lambda fallback=None: [USB, COPY, OTHER])
    monkeypatch.setattr("sys.platform", "linux")
    assert main(["devices", "--pin", "HD Pro"]) == 0
    assert load_settings().pinned_camera == USB.fingerprint
    assert "driver, bus and name" in capsys.readouterr().out
    # A virtual camera cannot be pinned; an unknown one is named; the pin stays as it was.
    assert main(["devices", "--pin", "camera:1"]) == 2
    assert main(["devices", "--pin", "no such camera"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "virtual camera" in err[0] and "no camera matches" in err[1]
    assert load_settings().pinned_camera == USB.fingerprint
    assert main(["devices", "--unpin"]) == 0
    assert load_settings().pinned_camera == "" and "No camera is pinned" in capsys.readouterr().out
    assert main(["devices", "--json"]) == 0  # listing is unchanged
    assert [c["name"] for c in json.loads(capsys.readouterr().out)] == [USB.name, COPY.name, OTHER.name]


def test_the_settings_file_keeps_the_pin(tmp_path: Path) -> None:
    from app.core.settings import save_settings

    path = save_settings(Settings(pinned_camera=OTHER.fingerprint), tmp_path / "settings.json")
    assert load_settings(path).pinned_camera == OTHER.fingerprint
