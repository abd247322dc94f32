"""Atomic, durable file writes and clean-up of what a crash leaves behind.

A file is written to a temporary name beside its target (prefix
``TEMP_PREFIX``), flushed and ``fsync``-ed, renamed over the target and the
folder is ``fsync``-ed so the rename itself survives a power cut. Readers never
see a half-written file under its final name; a crash leaves only temp files,
which ``clean_temp_files`` removes at the next start.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)

#: Prefix of every temporary file; nothing else in the store starts with it.
TEMP_PREFIX = ".tmp-"
#: Suffix of a recording's encrypted spool (``.<name>.<random>.part``, see ``app.core.recording``).
PART_SUFFIX = ".part"


def fsync_file(fh: BinaryIO) -> None:
    """Flush Python's buffer and ask the OS to put the file on disk."""
    fh.flush()
    os.fsync(fh.fileno())


def fsync_dir(path: Path) -> None:
    """Make a rename or creation inside ``path`` durable (no-op where folders cannot be opened)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_writer(path: Path, *, mode: int = 0o600) -> Iterator[BinaryIO]:
    """Write ``path`` atomically; the file appears only when the block ends without error.

    Parameters
    ----------
    path:
        Final file name; its folder must exist.
    mode:
        Permission bits of the new file (default owner-only).

    Raises
    ------
    OSError
        From the write, ``fsync`` or rename (disk full, permission); the
        temporary file is removed and the target is left as it was.
    """
    tmp = path.parent / f"{TEMP_PREFIX}{path.name}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fsync_file(fh)
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink(missing_ok=True)
        except OSError as exc:  # the original error matters more; recovery removes the rest
            log.warning("could not remove temporary file %s: %s", tmp.name, exc)
        raise
    fsync_dir(path.parent)


def clean_temp_files(root: Path) -> list[Path]:
    """Remove every temporary file under ``root`` left by an interrupted write; returns what was removed."""
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    for tmp in root.rglob(f"{TEMP_PREFIX}*"):
        try:
            if tmp.is_file():
                tmp.unlink()
                removed.append(tmp)
        except OSError as exc:
            log.warning("could not remove leftover temporary file %s: %s", tmp, exc)
    return removed


def clean_partial_files(data_dir: Path) -> list[Path]:
    """Remove what interrupted writes left anywhere under the data folder; returns what was removed.

    That is every temporary file (``TEMP_PREFIX``) and every recording spool
    (a hidden ``*.part`` file). Call it only while no other process writes
    there (the store's owner does, at start-up).
    """
    removed = clean_temp_files(data_dir)
    if not data_dir.is_dir():
        return removed
    for part in data_dir.rglob(f".*{PART_SUFFIX}"):
        try:
            if part.is_file():
                part.unlink()
                removed.append(part)
        except OSError as exc:
            log.warning("could not remove leftover partial file %s: %s", part, exc)
    return removed
