"""Camera enumeration with names and a virtual-camera verdict.

On Linux the V4L2 device nodes are read directly (sysfs name plus the
``VIDIOC_QUERYCAP`` driver and bus info). Elsewhere the caller passes a
``fallback`` lister (the GUI supplies Qt Multimedia's device list), because
core knows no Qt.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import struct
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)

#: Substrings (lower case) of names that virtual-camera products give their devices.
VIRTUAL_NAME_MARKERS: tuple[str, ...] = (
    "virtual",
    "obs ",
    "obs-",
    "manycam",
    "xsplit",
    "vcam",
    "snap camera",
    "splitcam",
    "altercam",
    "vmix",
    "camtwist",
    "droidcam",
    "dummy video device",
    "v4l2loopback",
    "loopback",
    "e2esoft",
    "iriun",
    "epoccam",
    "ndi",
)

_VIDIOC_QUERYCAP = 0x80685600
_V4L2_CAP_VIDEO_CAPTURE = 0x00000001
_V4L2_CAP_DEVICE_CAPS = 0x80000000


@dataclass(frozen=True)
class CameraDevice:
    """One camera the machine offers."""

    index: int
    name: str
    path: str = ""
    driver: str = ""
    bus_info: str = ""
    virtual: bool = False
    virtual_reason: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @property
    def spec(self) -> str:
        """Source spec string selecting this device."""
        return f"camera:{self.index}"

    @property
    def fingerprint(self) -> str:
        """What identifies this physical camera for pinning (``driver|bus|name``).

        On Linux the driver and bus come from V4L2 (a loopback device cannot present a USB camera's bus without a
        kernel module of its own); elsewhere only the name is known, which software can copy.
        """
        return "|".join(part.replace("|", "/") for part in (self.driver, self.bus_info, self.name))


def pin_refusal(pinned: str, device: CameraDevice | None) -> str:
    """Why ``device`` may not run checks on a kiosk pinned to the camera ``pinned`` (a :attr:`CameraDevice.fingerprint`),
    or ``""`` when it may (or nothing is pinned)."""
    if not pinned:
        return ""
    driver, bus, name = ([""] * (2 - pinned.count("|")) + pinned.split("|", 2))[-3:]
    if device is None:
        return f"this kiosk is pinned to the camera {name or '?'!r}, which is not among the connected cameras"
    if device.fingerprint != pinned:
        return (f"{device.name!r} ({device.driver or '?'} {device.bus_info or '?'}) is not the camera this kiosk is pinned "
                f"to ({name or '?'!r}, {driver or '?'} {bus or '?'})")
    return ""


def virtual_verdict(name: str, driver: str = "", bus_info: str = "", *, linux_bus_known: bool = False) -> tuple[bool, str]:
    """Decide whether a device looks virtual, and say why.

    Parameters
    ----------
    name, driver, bus_info:
        What the OS reports. Names can be forged, so a clean verdict is not proof
        of a physical camera: the scoring pipeline adds behavioural checks.
    linux_bus_known:
        True when ``bus_info`` came from V4L2 QUERYCAP (so a missing USB bus means something).
    """
    lowered = name.lower()
    for marker in VIRTUAL_NAME_MARKERS:
        if marker in lowered:
            return True, f"the device name {name!r} matches the virtual-camera product marker {marker.strip()!r}"
    if "loopback" in driver.lower():
        return True, f"the device driver is {driver!r} (a virtual loopback device)"
    if bus_info.lower().startswith("platform:v4l2loopback"):
        return True, f"the device bus is {bus_info!r} (v4l2loopback)"
    if linux_bus_known and bus_info and not bus_info.lower().startswith(("usb-", "pci-")):
        return True, f"the device is not on a USB or PCI bus (bus {bus_info!r})"
    return False, ""


def _querycap(dev_path: Path) -> tuple[str, str, str, int] | None:
    """Return (driver, card, bus_info, capabilities) from VIDIOC_QUERYCAP, or None."""
    try:
        fd = os.open(dev_path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        log.info("cannot open %s for QUERYCAP: %s", dev_path, exc)
        return None
    try:
        buf = bytearray(104)
        fcntl.ioctl(fd, _VIDIOC_QUERYCAP, buf)
    except OSError as exc:
        log.info("QUERYCAP failed on %s: %s", dev_path, exc)
        return None
    finally:
        os.close(fd)
    driver, card, bus = (bytes(buf[a:b]).split(b"\0", 1)[0].decode(errors="replace") for a, b in ((0, 16), (16, 48), (48, 80)))
    caps, device_caps = struct.unpack_from("<II", buf, 84)
    effective = device_caps if caps & _V4L2_CAP_DEVICE_CAPS else caps
    return driver, card, bus, effective


def list_v4l2(sys_root: Path = Path("/sys/class/video4linux"), dev_root: Path = Path("/dev")) -> list[CameraDevice]:
    """Capture-capable V4L2 devices, in index order."""
    devices: list[CameraDevice] = []
    if not sys_root.is_dir():
        return devices
    for entry in sorted(sys_root.iterdir(), key=lambda p: int(re.sub(r"\D", "", p.name) or 0)):
        match = re.fullmatch(r"video(\d+)", entry.name)
        if not match:
            continue
        index = int(match.group(1))
        try:
            name = (entry / "name").read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            name = entry.name
        dev_path = dev_root / entry.name
        cap = _querycap(dev_path)
        driver = bus = ""
        if cap is not None:
            driver, card, bus, caps = cap
            if not caps & _V4L2_CAP_VIDEO_CAPTURE:
                continue  # metadata node of a UVC camera, not a picture source
            name = name or card
        virtual, reason = virtual_verdict(name, driver, bus, linux_bus_known=cap is not None)
        devices.append(CameraDevice(index, name, str(dev_path), driver, bus, virtual, reason))
    return devices


def list_cameras(fallback: Callable[[], Iterable[str]] | None = None) -> list[CameraDevice]:
    """All cameras with their virtual verdict.

    Parameters
    ----------
    fallback:
        Lister of device names for platforms without V4L2 (the GUI passes Qt's).
    """
    if sys.platform.startswith("linux"):
        return list_v4l2()
    if fallback is None:
        return []
    result = []
    for i, name in enumerate(fallback()):
        virtual, reason = virtual_verdict(name)
        result.append(CameraDevice(i, name, virtual=virtual, virtual_reason=reason))
    return result


def find_camera(selector: str, devices: list[CameraDevice]) -> CameraDevice | None:
    """Find a device by index (``"0"``) or by (case-insensitive, partial) name."""
    if selector.isdigit():
        idx = int(selector)
        return next((d for d in devices if d.index == idx), None)
    lowered = selector.lower()
    exact = [d for d in devices if d.name.lower() == lowered]
    if exact:
        return exact[0]
    return next((d for d in devices if lowered in d.name.lower()), None)
