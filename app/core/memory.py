"""Native memory upkeep for a process that runs for months (glibc only; a no-op elsewhere).

Every check starts short-lived threads (capture, analysis, scoring) that
allocate 640x480 frames of about 0.9 MB. glibc gives each new thread one of
up to ``8 x cores`` malloc arenas and, after the first large block is freed,
raises its mmap threshold so later frames come from those arenas. Freed
frames then stay as holes in many arenas: the resident size crept up by a few
megabytes per check with no plateau in sight. Two arenas, and a trim of the
free pages after each check, keep it flat (measured by
``livegate bench --only kiosk-soak``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
from typing import Any

log = logging.getLogger(__name__)

#: ``mallopt`` parameter number of ``M_ARENA_MAX`` (glibc ``malloc.h``).
_M_ARENA_MAX = -8
_libc: Any = None
_looked_up = False


def _glibc() -> Any:
    global _libc, _looked_up
    if _looked_up:
        return _libc
    _looked_up = True
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        _libc = libc
    except (OSError, AttributeError):  # musl and others have no mallopt/malloc_trim
        _libc = None
    return _libc


def limit_malloc_arenas(count: int = 2) -> bool:
    """Let threads share at most ``count`` malloc arenas (call early, before the worker threads start)."""
    libc = _glibc()
    if libc is None:
        return False
    ok = bool(libc.mallopt(_M_ARENA_MAX, int(count)))
    if not ok:
        log.info("mallopt(M_ARENA_MAX) was refused")
    return ok


def release_free_memory() -> bool:
    """Hand free heap pages back to the system (after a check ended; takes a few milliseconds)."""
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.malloc_trim(0))
