"""Logging set-up: a rotating file in the data folder plus the console.

Biometric data (images, landmarks, scores tied to a person) is never logged;
sessions are referred to by id only.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from app.core import paths

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Rotating log whose every file (the first and each one after a rotation) is created 0600."""

    def _open(self):  # type: ignore[no-untyped-def]  # signature of the standard library's handler
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, paths.PRIVATE_FILE_MODE)
        if os.name == "posix":
            os.fchmod(fd, paths.PRIVATE_FILE_MODE)
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)


def setup_logging(level: int = logging.INFO, *, console: bool = True) -> None:
    """Attach the rotating file handler (and optionally a console handler) once."""
    root = logging.getLogger()
    if getattr(root, "_livegate_configured", False):
        return
    root.setLevel(level)
    try:
        log_dir = paths.log_dir()
        paths.make_private_dir(log_dir)
        file_handler = _PrivateRotatingFileHandler(
            log_dir / "livegate.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
        file_handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(file_handler)
    except OSError as exc:  # a read-only data folder must not stop the app
        logging.getLogger(__name__).warning("cannot write the log file: %s", exc)
    if console:
        stream = logging.StreamHandler()
        stream.setLevel(logging.WARNING)
        stream.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        root.addHandler(stream)
    root._livegate_configured = True  # type: ignore[attr-defined]


_NATIVE_LOCK = threading.Lock()


@contextmanager
def native_output_to_log(what: str, logger: logging.Logger | None = None) -> Iterator[None]:
    """Send what native libraries write to the process's stderr meanwhile to the log (not the terminal).

    MediaPipe, absl, TFLite and onnxruntime print their start-up notes
    straight to file descriptor 2 ("Logging before InitGoogle()", "Created
    TensorFlow Lite XNNPACK delegate", graph notes), which no Python logging
    setting reaches. While a model loads, descriptor 2 points at a temporary
    file; afterwards each line is logged at INFO as ``what: line``. Python
    output written in that short window lands in the log as well, never lost.
    Where descriptors cannot be redirected, nothing changes.
    """
    log = logger or logging.getLogger("livegate.native")
    with _NATIVE_LOCK:
        try:
            sys.stderr.flush()
        except (AttributeError, OSError, ValueError):
            pass
        try:
            saved = os.dup(2)
        except OSError:
            yield
            return
        try:
            capture = tempfile.TemporaryFile()
        except OSError:
            os.close(saved)
            yield
            return
        with capture:
            os.dup2(capture.fileno(), 2)
            try:
                yield
            finally:
                try:
                    sys.stderr.flush()
                except (AttributeError, OSError, ValueError):
                    pass
                os.dup2(saved, 2)
                os.close(saved)
                capture.seek(0)
                text = capture.read().decode("utf-8", errors="replace")
                for line in text.splitlines():
                    if line.strip():
                        log.info("%s: %s", what, line.rstrip())
