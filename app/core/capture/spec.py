"""Source spec strings shared by CLI and GUI.

``camera:0``, ``camera:<name>``, ``file:<path>``, ``recording:<path>`` and
``sim:<species>[?seed=N&key=value...]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from app.core.capture.base import FrameSource
from app.core.capture.camera import CameraSource
from app.core.capture.devices import CameraDevice, find_camera, list_cameras
from app.core.capture.files import RecordingSource, VideoFileSource
from app.core.errors import CameraNotFound, ConfigError
from app.core.simulate import open_sim_source

KINDS = ("camera", "file", "recording", "sim")


@dataclass(frozen=True)
class SourceSpec:
    """A parsed source spec."""

    kind: str
    target: str
    params: dict[str, str]

    def __str__(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.kind}:{self.target}" + (f"?{query}" if query else "")


def parse_spec(text: str) -> SourceSpec:
    """Parse a spec string; raises ``ConfigError`` naming the accepted forms."""
    text = (text or "").strip()
    kind, sep, rest = text.partition(":")
    if not sep or kind not in KINDS or not rest:
        raise ConfigError(
            f"bad source {text!r}: use camera:0, camera:<name>, file:<path>, recording:<path> or sim:<species>"
        )
    params: dict[str, str] = {}
    if kind == "sim" and "?" in rest:
        rest, query = rest.split("?", 1)
        params = dict(parse_qsl(query, keep_blank_values=True))
    return SourceSpec(kind, rest, params)


def open_source(spec: str | SourceSpec, *, screen: Any = None, realtime: bool = True, devices: list[CameraDevice] | None = None, **kwargs: Any) -> FrameSource:
    """Build (not open) the frame source a spec names.

    Parameters
    ----------
    screen:
        The GUI's ``ScreenState`` (simulated sources read the displayed colour from it).
    realtime:
        Pace file and recording sources to their timestamps.
    devices:
        Enumerated cameras (default: enumerate now).
    """
    parsed = parse_spec(spec) if isinstance(spec, str) else spec
    if parsed.kind == "camera":
        cams = list_cameras() if devices is None else devices
        if not cams:
            raise CameraNotFound("no camera was found on this machine; connect one, or use a sim: or recording: source")
        device = find_camera(parsed.target, cams)
        if device is None:
            names = ", ".join(f"{d.index}: {d.name}" for d in cams)
            raise CameraNotFound(f"no camera matches {parsed.target!r}; available: {names}")
        return CameraSource(device, **kwargs)
    if parsed.kind == "file":
        return VideoFileSource(Path(parsed.target), realtime=realtime)
    if parsed.kind == "recording":
        return RecordingSource(Path(parsed.target), realtime=realtime)
    return open_sim_source(parsed.target, parsed.params, screen=screen, realtime=realtime)
