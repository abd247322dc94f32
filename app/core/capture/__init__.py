"""Frame sources: camera, video file, recording and simulator behind one interface.

The package's own namespace holds the frame types only; opening a source by its spec string
(``app.core.capture.spec.open_source``) sits above the recording reader and the simulator, which both
build on these types (see the layers contract in ``pyproject.toml``).
"""

from app.core.capture.base import FrameSource, monotonic_ns
from app.core.capture.frame import Frame, SourceInfo

__all__ = ["Frame", "FrameSource", "SourceInfo", "monotonic_ns"]
