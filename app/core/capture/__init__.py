"""Frame sources: camera, video file, recording and simulator behind one interface."""

from app.core.capture.base import FrameSource, monotonic_ns
from app.core.capture.frame import Frame, SourceInfo
from app.core.capture.spec import SourceSpec, open_source, parse_spec

__all__ = ["Frame", "FrameSource", "SourceInfo", "SourceSpec", "monotonic_ns", "open_source", "parse_spec"]
