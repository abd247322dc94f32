"""Where Livegate keeps its settings, data, logs and models.

One resolver for a source checkout, an installed package and a frozen build.
Each location can be overridden by an environment variable, which tests and
kiosk installers use.
"""

from __future__ import annotations

import os
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
