"""``livegate gui``: build the application, the controller and the window, and run the event loop.

The GUI process opens the session store once (``SessionService.open``; only one
process may own it) and hands it to the controller; every check is a stored
session. With ``--api`` (default on in kiosk mode) the local integration API
runs as a task on the same qasync event loop, so integrators can create and
start sessions that this screen then runs.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from app import __version__
from app.core.errors import LivegateError
from app.core.memory import limit_malloc_arenas
from app.core.models.pool import close_model_pool
from app.core.sessions.service import SessionService
from app.core.settings import Settings, load_settings, replace
from app.gui.controller import CheckController
from app.gui.appearance import Appearance
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
    """Hand the GIL over more often (2 ms instead of 5 ms) so the GUI thread waits less for workers;
    share two malloc arenas between threads so a kiosk's memory stays flat (``app.core.memory``)."""
    sys.setswitchinterval(0.002)
    limit_malloc_arenas()


def effective_settings(settings: Settings, args: argparse.Namespace) -> Settings:
    """Settings for this run: ``--demo`` switches to demo mode, ``--kiosk`` to kiosk mode (not saved)."""
    if getattr(args, "demo", False):
        return replace(settings, mode="demo")
    if getattr(args, "kiosk", False):
        return replace(settings, mode="kiosk")
    return settings


#: Environment switch for the local API when ``--api``/``--no-api`` is not given (``1``/``0``).
API_ENV = "LIVEGATE_API"


def api_requested(args: argparse.Namespace, *, kiosk: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Whether the GUI serves the local API: ``--api``/``--no-api``, else ``LIVEGATE_API``, else on in kiosk mode."""
    flag = getattr(args, "api", None)
    if flag is not None:
        return bool(flag)
    raw = (os.environ if environ is None else environ).get(API_ENV, "").strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    return kiosk


class ApiHost:
    """The local API served as one task on the running (qasync) event loop.

    Parameters
    ----------
    service:
        The GUI's session service (the API and the screen share it).
    port:
        TCP port on 127.0.0.1 (0 = any free port).
    token:
        Bearer token (default: the installation's, as ``livegate token`` prints it).

    Raises
    ------
    LivegateError
        When the port cannot be bound (``ApiError``).
    """

    def __init__(self, service: SessionService, *, port: int, token: str | None = None) -> None:
        from app.core.api.server import ApiServer
        from app.core.api.sigv4 import stored_credentials

        keys = service.store.keys
        # The service-protocol surface (docs/migrating.md) too: the kiosk is what runs its sessions.
        self.server = ApiServer(service, token=token or keys.api_token(), port=port, aws_credentials=lambda: stored_credentials(keys))
        self.task: asyncio.Future[None] | None = None

    @property
    def url(self) -> str:
        """Base URL of the API."""
        return self.server.url

    def start(self) -> None:
        """Schedule the server on the current event loop."""
        self.task = asyncio.ensure_future(self.server.serve())
        log.info("local API listening on %s", self.url)

    async def stop(self, timeout_s: float = 5.0) -> None:
        """Ask the server to finish and wait for it (open requests complete first)."""
        self.server.stop()
        if self.task is None:
            return
        try:
            await asyncio.wait_for(self.task, timeout_s)
        except asyncio.TimeoutError:
            log.warning("the local API did not stop within %.0f s", timeout_s)
        except Exception:  # noqa: BLE001 - shutting down: log and carry on
            log.exception("the local API ended with an error")


def build_window(
    args: argparse.Namespace,
    *,
    settings: Settings | None = None,
    sessions: SessionService | None = None,
    appearance: Appearance | None = None,
    **controller_kwargs: Any,
) -> MainWindow:
    """Controller + window for ``args`` (``source``, ``kiosk``, ``demo``); used by ``run_gui`` and the tools.

    ``sessions``: the process's session service (every check becomes a stored session).
    """
    settings = effective_settings(settings or load_settings(), args)
    controller = CheckController(settings=settings, source_spec=getattr(args, "source", None), sessions=sessions, **controller_kwargs)
    kiosk = bool(getattr(args, "kiosk", False)) or settings.mode == "kiosk"
    return MainWindow(
        controller=controller,
        kiosk=kiosk,
        demo=bool(getattr(args, "demo", False)) or settings.mode == "demo",
        appearance=appearance,
    )


def run_gui(args: argparse.Namespace) -> int:
    """Run the app until the window closes. Returns the exit code."""
    app = make_application()
    tune_interpreter()
    settings = load_settings()
    appearance = Appearance(app)
    appearance.apply(settings)  # language, contrast and text size; the settings dialog changes them live
    try:
        sessions = SessionService.open(settings=effective_settings(settings, args))
    except LivegateError as exc:
        log.error("the session store cannot be opened: %s", exc)
        QMessageBox.critical(
            None,
            QCoreApplication.translate("Main", "Livegate cannot start"),
            QCoreApplication.translate("Main", "The session store cannot be opened, so no check could be recorded:\n%1").replace("%1", str(exc)),
        )
        return 3
    if sessions.store.recovery.interrupted:
        log.warning("%d session(s) interrupted by the last exit were marked ERROR", len(sessions.store.recovery.interrupted))
    window = build_window(args, settings=settings, sessions=sessions, appearance=appearance)
    api: ApiHost | None = None
    if api_requested(args, kiosk=window.kiosk):
        try:
            api = ApiHost(sessions, port=settings.api_port)
        except LivegateError as exc:
            log.error("the local API is not available: %s", exc)
    # Packaging smoke test: with LIVEGATE_SMOKE_CHECK=1 the app runs one simulated check and quits.
    from app.gui.smoke import attach_if_requested

    smoke = attach_if_requested(window)
    if settings.problems:
        log.warning("settings problems: %s", "; ".join(settings.problems))
    if window.kiosk and not window.settings.kiosk_pin_hash:
        # A kiosk without an operator PIN could never end a lock-out pause: set one first, or do not start.
        from app.gui.pin_setup import PinSetupDialog

        setup = PinSetupDialog(window.settings, window.settings_path)
        if setup.exec() != PinSetupDialog.DialogCode.Accepted or setup.result_settings is None:
            log.error("kiosk mode refused: no operator PIN was set")
            window.controller.shutdown()
            sessions.close()
            return 2
        window.apply_settings(setup.result_settings)
    if window.kiosk:
        if not settings.kiosk_pin_hash:
            log.warning("kiosk mode without an operator PIN: anyone can open the operator menu (Ctrl+Alt+O); set a PIN in the settings")
        window.show_kiosk()
    else:
        window.show_fitted()
    try:
        try:
            import qasync
        except ImportError:  # pragma: no cover - qasync is a dependency
            if api is not None:
                log.error("the local API needs qasync; it is not started")
            code = app.exec()
        else:
            # qasync's loop drives Qt and asyncio together; the local API is one task on it.
            loop = qasync.QEventLoop(app)
            asyncio.set_event_loop(loop)
            with loop:
                if api is not None:
                    api.start()
                loop.run_forever()  # returns when the last window closes and Qt quits
                if api is not None:
                    loop.run_until_complete(api.stop())
            asyncio.set_event_loop(None)
            code = 0
    finally:
        window.controller.shutdown()  # ends an open session and drains the store thread (no-op after closeEvent)
        sessions.close()
        close_model_pool()  # the landmark graph and onnxruntime sessions, while their runtimes still run
    appearance.close()
    del smoke
    QCoreApplication.processEvents()
    return code
