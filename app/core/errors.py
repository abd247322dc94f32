"""Livegate's error hierarchy.

Every error says what was expected, what was found and what to do. The CLI
turns them into one line on stderr and an exit code (see ``exit_code``).
"""

from __future__ import annotations


class LivegateError(Exception):
    """Base class of every error Livegate raises on purpose."""

    #: CLI exit code for this kind of error (2 = bad input, 3 = unavailable).
    exit_code: int = 2


class ConfigError(LivegateError):
    """A setting or command-line value is invalid."""


class ModelError(LivegateError):
    """A model file is missing, altered or cannot be loaded."""

    exit_code = 3


class CameraError(LivegateError):
    """A camera cannot be opened or stopped delivering usable frames."""

    exit_code = 3


class CameraNotFound(CameraError):
    """No camera matches the request (or the machine has none)."""


class CameraBusy(CameraError):
    """The camera exists but cannot be opened (busy or access denied)."""


class CameraStalled(CameraError):
    """The camera stopped delivering frames."""


class CameraTooWeak(CameraError):
    """The camera delivers less than the minimum resolution or frame rate."""


class SourceEnded(LivegateError):
    """A finite source (file, recording) has no more frames. Not a failure."""

    exit_code = 0


class RecordingError(LivegateError):
    """A recording file is truncated, corrupt or of an unknown version."""


class StoreError(LivegateError):
    """The session store cannot read or write durably."""

    exit_code = 3


class ApiError(LivegateError):
    """A request to the local integration API is invalid."""


class ScoringError(LivegateError):
    """Scoring could not produce a result."""

    exit_code = 3
