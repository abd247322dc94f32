"""Where Livegate keeps its settings, data, logs and models.

One resolver for a source checkout, an installed package and a frozen build.
Each location can be overridden by an environment variable, which tests and
kiosk installers use.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from pathlib import Path

import platformdirs

APP_NAME = "livegate"


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def source_root() -> Path | None:
    """The checkout's top folder when running from source, else ``None``."""
    if getattr(sys, "frozen", False):
        return None
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "app").is_dir():
        return root
    return None


def bundle_root() -> Path:
    """Folder holding read-only resources (``resources/``, ``models/manifest.toml``)."""
    frozen_dir = getattr(sys, "_MEIPASS", None)
    if frozen_dir:
        return Path(frozen_dir)
    return Path(__file__).resolve().parents[2]


def config_dir() -> Path:
    """Settings folder (``LIVEGATE_CONFIG_DIR`` overrides)."""
    return _env_path("LIVEGATE_CONFIG_DIR") or Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """Data folder: sessions, recordings, logs, keys (``LIVEGATE_DATA_DIR`` overrides)."""
    return _env_path("LIVEGATE_DATA_DIR") or Path(platformdirs.user_data_dir(APP_NAME))


def log_dir() -> Path:
    """Folder of the rotating log file."""
    return data_dir() / "logs"


def models_dir() -> Path:
    """Models cache: the checkout's ``models/`` for a source install, else the user cache.

    ``LIVEGATE_MODELS_DIR`` overrides both.
    """
    override = _env_path("LIVEGATE_MODELS_DIR")
    if override:
        return override
    frozen_dir = getattr(sys, "_MEIPASS", None)
    if frozen_dir and any((Path(frozen_dir) / "models").glob("*.task")):
        return Path(frozen_dir) / "models"  # offline bundle: models shipped inside, hash-checked on load
    root = source_root()
    if root is not None:
        return root / "models"
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "models"


def manifest_path() -> Path:
    """The model manifest shipped with the code."""
    return bundle_root() / "models" / "manifest.toml"


def resources_dir() -> Path:
    """Icons, styles and translations."""
    return bundle_root() / "resources"


# --- private files and folders ------------------------------------------------------------------
# Everything under the data and config folders is the user's own: face recordings, session
# records, keys, logs. On POSIX folders are 0700 and files 0600, set explicitly on creation (the
# process umask can be anything) and repaired at every start (`repair_permissions`).

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
#: Entries of the data folder that Livegate creates; `repair_permissions` touches only these
#: (so a data folder pointed at a shared place never has other people's files changed).
DATA_ENTRIES = ("sessions", "logs", "keys", "recordings", "cache", "i18n")
#: Entries of the config folder that Livegate creates.
CONFIG_ENTRIES = ("settings.json",)


def _posix() -> bool:
    return os.name == "posix"


def make_private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents, each created folder 0700 whatever the umask.

    Folders that already exist are left as they are (a parent such as ``~/.local/share`` is not
    ours to change; ``repair_permissions`` fixes our own).
    """
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:  # created by another process meanwhile
            continue
        if _posix():
            os.chmod(folder, PRIVATE_DIR_MODE)
    if not path.is_dir():
        raise NotADirectoryError(f"{path} is not a folder")
    return path


def make_private_file(path: Path) -> Path:
    """Create ``path`` empty if missing and make it 0600 (before a library such as SQLite opens it)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0), PRIVATE_FILE_MODE)
    try:
        if _posix():
            os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)
    return path


def set_private(path: Path) -> None:
    """Make an existing file 0600 or folder 0700 (POSIX; symbolic links are left alone)."""
    if not _posix():
        return
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        return
    want = PRIVATE_DIR_MODE if stat.S_ISDIR(st.st_mode) else PRIVATE_FILE_MODE
    if stat.S_IMODE(st.st_mode) != want:
        os.chmod(path, want)


def _repair_tree(top: Path, repaired: list[Path], *, recurse: bool = True) -> None:
    for item in [top, *(_walk(top) if recurse else [])]:
        try:
            before = stat.S_IMODE(os.lstat(item).st_mode)
            set_private(item)
            if stat.S_IMODE(os.lstat(item).st_mode) != before:
                repaired.append(item)
        except OSError as exc:  # not ours (another user's file) or gone: report, carry on
            logging.getLogger(__name__).warning("cannot make %s private: %s", item, exc.strerror or exc)


def _walk(top: Path) -> list[Path]:
    if top.is_symlink() or not top.is_dir():
        return []
    found: list[Path] = []
    for root, dirs, files in os.walk(top, followlinks=False):
        found.extend(Path(root) / d for d in dirs)
        found.extend(Path(root) / f for f in files)
    return found


def repair_permissions() -> list[Path]:
    """Make the data and config folders and everything Livegate keeps in them private again.

    Returns the paths whose mode was changed (logged). Never raises: a file that cannot be
    changed is logged and skipped. Does nothing outside POSIX.
    """
    repaired: list[Path] = []
    if not _posix():
        return repaired
    for root, entries in ((data_dir(), DATA_ENTRIES), (config_dir(), CONFIG_ENTRIES)):
        if not root.is_dir():
            continue
        _repair_tree(root, repaired, recurse=False)
        for name in entries:
            if (root / name).exists():
                _repair_tree(root / name, repaired)
        for temp in root.glob(".settings-*"):  # a settings write interrupted before its rename
            _repair_tree(temp, repaired)
    if repaired:
        logging.getLogger(__name__).warning(
            "made %d file(s) and folder(s) private again (0600/0700), e.g. %s", len(repaired), repaired[0]
        )
    return repaired
