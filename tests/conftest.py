"""Shared test set-up: Qt runs offscreen, and no test writes to the real user's settings or data."""

from __future__ import annotations

import gc
import os
import sys
import threading
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


@pytest.fixture(autouse=True)
def _no_window_outlives_its_test() -> object:
    """After each test, close and really delete every top-level widget it left behind.

    pytest-qt closes the widgets a test registered and calls ``deleteLater``, but
    ``processEvents`` never runs deferred deletions: closed windows (and a kiosk
    window, which refuses a plain close) would otherwise live on with their timers
    until some later test happens to run an event loop, and fire into objects that
    test never made. Deleting here keeps each test's Qt objects inside that test.
    """
    yield
    widgets = sys.modules.get("PySide6.QtWidgets")
    if widgets is None:
        return
    app = widgets.QApplication.instance()
    if app is None:
        return
    from PySide6.QtCore import QCoreApplication, QEvent

    for window in app.topLevelWidgets():
        allow_close = getattr(window, "allow_close", None)
        if callable(allow_close):
            allow_close()
        window.close()
        window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()
    gc.collect()
    # A window's store thread ends when its controller shuts down; one still running now belongs to a
    # controller nobody closed, whose queued answers would reach Qt objects of later tests.
    leaked = []
    for thread in threading.enumerate():
        if thread.name.startswith("livegate-store"):
            thread.join(5.0)
            if thread.is_alive():
                leaked.append(thread.name)
    assert not leaked, f"store threads still running after the test: {leaked} (a CheckController was not shut down)"


@pytest.fixture
def show_window(qtbot):  # type: ignore[no-untyped-def]
    """Show a MainWindow for a test and close it (joining its threads) afterwards.

    Returns a function ``show(window, width, height) -> window``.
    """
    shown = []

    def show(window, width: int = 900, height: int = 640):  # type: ignore[no-untyped-def]
        qtbot.addWidget(window)
        window.resize(width, height)
        window.show()
        shown.append(window)
        return window

    def close_all() -> None:
        while shown:
            window = shown.pop()
            window.allow_close()
            window.close()

    show.close_all = close_all  # type: ignore[attr-defined]  # for fixtures that must close windows first
    yield show
    close_all()
