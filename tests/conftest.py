"""Shared test set-up: Qt runs offscreen, and no test writes to the real user's settings or data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _private_user_folders(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the settings and data folders at a per-test temporary folder."""
    base = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("LIVEGATE_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("LIVEGATE_DATA_DIR", str(base / "data"))
    return base
