"""Smoke mode: with ``LIVEGATE_SMOKE_CHECK=1`` the app runs one simulated check by itself and quits.

``packaging/smoke.py`` starts the frozen build this way to prove that the
bundle is complete: Qt and its platform plugin, MediaPipe's graphs and model,
the simulator's portrait, the scoring stages and onnxruntime all have to work
for a check to reach the result screen. The driver uses the window exactly as a
person would: it picks ``sim:live`` in the start screen's camera selector and
presses "Start check"; everything after that is the app's own flow.

On stdout it prints (one line each, parsed by ``packaging/smoke.py``)::

    smoke: first-preview-s=<seconds from process start to the first painted preview frame>
    smoke: result=<pass|fail|unavailable>

and, to see where start-up time goes, ``smoke: window-s=`` (the window is up
and the event loop runs), ``smoke: source-opened-s=`` (the camera source
is open; the landmark model loads next), ``smoke: detail=`` and
``smoke: result-s=``.

When the result screen is reached, the window is closed the normal way (threads
stopped and joined) and the app exits with code 0. Anything else — an error or
time-out screen, or no result within ``LIVEGATE_SMOKE_TIMEOUT_S`` (default 180)
seconds — prints ``smoke: error=...`` and ends the process with exit code 1
right away, because a smoke run that went wrong must not look like a clean quit.

Activated from :func:`app.gui.main.run_gui` with :func:`attach_if_requested`.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from PySide6.QtCore import QEvent, QObject, QTimer

if TYPE_CHECKING:
    from app.gui.window import MainWindow

log = logging.getLogger(__name__)

#: Environment variable that switches smoke mode on (value ``1``).
SMOKE_ENV = "LIVEGATE_SMOKE_CHECK"
#: Environment variable with the overall limit in seconds.
TIMEOUT_ENV = "LIVEGATE_SMOKE_TIMEOUT_S"
#: The source the smoke check uses.
SMOKE_SOURCE = "sim:live"
DEFAULT_TIMEOUT_S = 180.0
EXIT_FAILED = 1


def smoke_requested(environ: dict[str, str] | None = None) -> bool:
    """Whether ``LIVEGATE_SMOKE_CHECK=1`` is set."""
    return (environ if environ is not None else os.environ).get(SMOKE_ENV, "").strip() == "1"


def process_age_s() -> float | None:
    """Seconds since this process was created, or ``None`` where the OS does not tell.

    Linux only (``/proc/self/stat`` start time against ``CLOCK_BOOTTIME``, 10 ms
    resolution). It includes everything before Python ran: the frozen app's
    bootloader, library loading and unpacking of the archive.
    """
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            stat = fh.read()
        # Field 22 (starttime, clock ticks after boot); the command name (field 2) may hold spaces.
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
        ticks = os.sysconf("SC_CLK_TCK")
        return time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / ticks
    except (OSError, ValueError, IndexError, AttributeError):
        return None


#: Reference point when the process start time is unknown (macOS, Windows): this module's import.
_IMPORTED_AT = time.monotonic()
_AGE_AT_IMPORT = process_age_s()


def seconds_since_start() -> float:
    """Seconds since the process started (since this module was imported where that is unknown)."""
    elapsed = time.monotonic() - _IMPORTED_AT
    return elapsed + (_AGE_AT_IMPORT or 0.0)


class SmokeDriver(QObject):
    """Drives one check in ``window`` and quits.

    Parameters
    ----------
    window:
        The app's main window, built but not necessarily shown yet.
    source:
        Frame source to choose on the start screen.
    timeout_s:
        Limit for the whole run; after it the process ends with exit code 1.
    out:
        Where the ``smoke:`` lines go (default: stdout).
    hard_exit:
        Ends the process on failure (default ``os._exit``; tests pass a recorder).
    """

    def __init__(
        self,
        window: MainWindow,
        *,
        source: str = SMOKE_SOURCE,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        out: TextIO | None = None,
        hard_exit: Callable[[int], object] = os._exit,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.source = source
        self.out = out or sys.stdout
        self._hard_exit = hard_exit
        self.first_preview_s: float | None = None
        self.result: str | None = None
        self.finished = False
        self._lock = threading.Lock()
        window.canvas.installEventFilter(self)
        window.pageShown.connect(self._on_page_shown)
        window.controller.sourceOpened.connect(self._on_source_opened)
        self._watchdog = threading.Timer(timeout_s, self._on_watchdog)
        self._watchdog.daemon = True
        self._watchdog.start()
        # Start once the event loop runs, i.e. after the window has been shown.
        QTimer.singleShot(0, self._on_loop_started)

    # --- driving ---------------------------------------------------------------------------------

    def _on_loop_started(self) -> None:
        if not self.window.isVisible():  # run_gui shows the window right after building it
            QTimer.singleShot(50, self._on_loop_started)
            return
        if self.window.page_name != "start":
            self._fail(f"the app did not open on the start screen (page {self.window.page_name!r})")
            return
        self._print(f"smoke: window-s={seconds_since_start():.2f}")
        page = self.window.start_page
        index = page.camera.findData(self.source)
        if index < 0:  # started without --source: list the simulated source like a command-line source
            self.window.controller.source_spec = self.source
            self.window.refresh_cameras()
            index = page.camera.findData(self.source)
        if index < 0:
            self._fail(f"the start screen does not offer {self.source}")
            return
        page.camera.setCurrentIndex(index)
        if not page.start.isEnabled():
            self._fail("the start button is disabled")
            return
        log.info("smoke: starting one check with %s", self.source)
        page.start.click()
        ready = self.window.get_ready_page
        if self.window.page_name == "get_ready":  # the get-ready screen asks for consent first
            ready.consent.setChecked(True)
            ready.begin.click()

    def _on_source_opened(self, info: object) -> None:
        if self.first_preview_s is None:
            self._print(f"smoke: source-opened-s={seconds_since_start():.2f}")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        # The first paint of the preview canvas that has a camera frame to draw.
        if (
            self.first_preview_s is None
            and event.type() == QEvent.Type.Paint
            and watched is self.window.canvas
            and self.window.canvas.renderer.frame is not None
        ):
            self.first_preview_s = seconds_since_start()
            self._print(f"smoke: first-preview-s={self.first_preview_s:.2f}")
        return False

    def _on_page_shown(self, name: str) -> None:
        if self.finished:
            return
        if name == "result":
            self._on_result()
        elif name in ("timeout", "error"):
            session = self.window.controller.session
            problem = session.problem if session is not None else None
            self._fail(f"the check ended on the {name} screen: {problem}")

    def _on_result(self) -> None:
        session = self.window.controller.session
        outcome = session.outcome if session is not None else None
        if outcome is None or outcome.result is None:
            self.result = "unavailable"
            reason = outcome.unavailable_reason if outcome is not None else "no outcome"
        else:
            self.result = outcome.result.decision
            reasons = "; ".join(outcome.result.reasons[:3])
            reason = f"confidence {outcome.result.confidence:.1f}" + (f"; {reasons}" if reasons else "")
        if self.first_preview_s is None:
            self._fail("the result screen was reached without a preview frame ever being painted")
            return
        self._print(f"smoke: result={self.result}")
        self._print(f"smoke: detail={reason}")
        self._print(f"smoke: result-s={seconds_since_start():.2f}")
        self.finished = True
        self._watchdog.cancel()
        # Quit like a person would (the window's close stops and joins the workers); exit code 0.
        QTimer.singleShot(0, self._close)

    def _close(self) -> None:
        self.window.allow_close()
        self.window.close()

    # --- failure -------------------------------------------------------------------------------

    def _on_watchdog(self) -> None:
        # Runs in the timer thread: works even when the GUI thread is stuck.
        if not self.finished:
            self._fail(f"no result after the time limit (last screen {self.window.page_name!r})")

    def _fail(self, why: str) -> None:
        with self._lock:
            if self.finished:
                return
            self.finished = True
        self._watchdog.cancel()
        self._print(f"smoke: error={why}")
        log.error("smoke check failed: %s", why)
        logging.shutdown()
        self._hard_exit(EXIT_FAILED)

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)


def attach_if_requested(window: MainWindow) -> SmokeDriver | None:
    """Attach a :class:`SmokeDriver` when ``LIVEGATE_SMOKE_CHECK=1`` (else do nothing).

    The driver is a child of ``window`` and lives as long as it.
    """
    if not smoke_requested():
        return None
    try:
        timeout_s = float(os.environ.get(TIMEOUT_ENV, "") or DEFAULT_TIMEOUT_S)
    except ValueError:
        timeout_s = DEFAULT_TIMEOUT_S
    # A simulated source given on the command line (``--source "sim:live?seed=3"``) is the one to use.
    given = window.controller.source_spec or ""
    return SmokeDriver(window, source=given if given.startswith("sim:") else SMOKE_SOURCE, timeout_s=timeout_s)
