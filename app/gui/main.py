"""``livegate gui``: build the application, the controller and the window, and run the event loop."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from app import __version__
from app.core.settings import Settings, load_settings, replace
from app.gui.controller import CheckController
from app.gui.i18n import choose_language, install_translators
from app.gui.style import apply_style
from app.gui.window import MainWindow

log = logging.getLogger(__name__)


def make_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (created once; high-DPI scaling follows the screen exactly)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Livegate")
    app.setApplicationDisplayName("Livegate")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("Livegate")
    return app


def tune_interpreter() -> None:
    """Hand the GIL over more often (2 ms instead of 5 ms) so the GUI thread waits less for workers."""
    sys.setswitchinterval(0.002)


def effective_settings(settings: Settings, args: argparse.Namespace) -> Settings:
    """Settings for this run: ``--demo`` switches to demo mode, ``--kiosk`` to kiosk mode (not saved)."""
    if getattr(args, "demo", False):
        return replace(settings, mode="demo")
    if getattr(args, "kiosk", False):
        return replace(settings, mode="kiosk")
    return settings


def build_window(args: argparse.Namespace, *, settings: Settings | None = None, **controller_kwargs: Any) -> MainWindow:
    """Controller + window for ``args`` (``source``, ``kiosk``, ``demo``); used by ``run_gui`` and the tools."""
    settings = effective_settings(settings or load_settings(), args)
    controller = CheckController(settings=settings, source_spec=getattr(args, "source", None), **controller_kwargs)
    kiosk = bool(getattr(args, "kiosk", False)) or settings.mode == "kiosk"
    return MainWindow(controller=controller, kiosk=kiosk, demo=bool(getattr(args, "demo", False)) or settings.mode == "demo")


def run_gui(args: argparse.Namespace) -> int:
    """Run the app until the window closes. Returns the exit code."""
    app = make_application()
    tune_interpreter()
    settings = load_settings()
    translators = install_translators(app, choose_language(settings.language))
    apply_style(app)
    window = build_window(args, settings=settings)
    # Packaging smoke test: with LIVEGATE_SMOKE_CHECK=1 the app runs one simulated check and quits.
    from app.gui.smoke import attach_if_requested

    smoke = attach_if_requested(window)
    if settings.problems:
        log.warning("settings problems: %s", "; ".join(settings.problems))
    if window.kiosk:
        if not settings.kiosk_pin_hash:
            log.warning("kiosk mode without an operator PIN: anyone can open the operator menu (Ctrl+Alt+O); set a PIN in the settings")
        window.showFullScreen()
    else:
        window.resize(1100, 760)
        window.show()
    try:
        import qasync
    except ImportError:  # pragma: no cover - qasync is a dependency
        code = app.exec()
    else:
        # qasync's loop drives Qt and asyncio together (the local API can share it).
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        with loop:
            loop.run_forever()  # returns when the last window closes and Qt quits
        asyncio.set_event_loop(None)
        code = 0
    del translators, smoke
    QCoreApplication.processEvents()
    return code
