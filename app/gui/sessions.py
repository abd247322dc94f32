"""The GUI's link to the session store: every ``SessionService`` call off the GUI thread, events as Qt signals.

``SessionService`` is thread-safe, but its writes ``fsync`` (SQLite in WAL mode
with ``synchronous=FULL``, encrypted image files) and ``create()`` may run the
hourly retention purge, so the GUI thread never calls it directly. A
:class:`StoreBridge` owns one worker thread that runs the calls *in the order
they were submitted* (a session is always created before it is started, and
started before it is completed) and hands each answer back to the GUI thread
through a queued signal.

Session events (``created``, ``started``, ``finished``, ``deleted``) arrive on
whatever thread caused them (an API request, this bridge's worker, a test);
the bridge's listener only emits a signal, which Qt queues to the GUI thread.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal

from app.core.sessions.service import SessionEvent, SessionService

log = logging.getLogger(__name__)

T = TypeVar("T")
Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class StoreBridge(QObject):
    """Runs ``SessionService`` calls in one background thread and relays session events.

    Parameters
    ----------
    service:
        The process's session service (the store is opened once per GUI process).
    kiosk:
        Subscribe as the kiosk screen: sessions started through the API are run
        by this GUI (``SessionService.start`` refuses starts while no kiosk listens).

    Signals
    -------
    eventReceived(SessionEvent):
        A session event, always delivered in the GUI thread (queued).
    idle():
        The last submitted call has been answered.
    """

    eventReceived = Signal(object)
    idle = Signal()
    _relay = Signal(object)
    _answer = Signal(int, object, object)

    def __init__(self, service: SessionService, *, kiosk: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self._executor: ThreadPoolExecutor | None = ThreadPoolExecutor(max_workers=1, thread_name_prefix="livegate-store")
        self._tickets = itertools.count(1)
        self._callbacks: dict[int, tuple[Done | None, Failed | None, str]] = {}
        self._relay.connect(self.eventReceived, Qt.ConnectionType.QueuedConnection)
        self._answer.connect(self._on_answer, Qt.ConnectionType.QueuedConnection)
        self._unsubscribe: Callable[[], None] | None = service.subscribe(self._on_event, kiosk=kiosk)

    # --- calls -------------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Calls submitted and not yet answered in the GUI thread."""
        return len(self._callbacks)

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._executor is None

    def submit(
        self,
        job: Callable[[SessionService], Any],
        *,
        done: Done | None = None,
        failed: Failed | None = None,
        what: str = "",
    ) -> Future[None] | None:
        """Run ``job(service)`` in the store thread; ``done(result)`` or ``failed(exc)`` follow in the GUI thread.

        Parameters
        ----------
        job:
            The call; it must not touch widgets.
        done, failed:
            GUI-thread callbacks. Without ``failed`` an exception is logged.
        what:
            Short description for the log.

        Returns
        -------
        Future | None
            ``None`` when the bridge is closed (the job does not run).
        """
        executor = self._executor
        if executor is None:
            log.warning("session store call %r dropped: the store link is closed", what or job)
            return None
        ticket = next(self._tickets)
        self._callbacks[ticket] = (done, failed, what)

        def run() -> None:
            try:
                result = job(self.service)
            except Exception as exc:  # noqa: BLE001 - answered to the GUI thread, which decides
                self._emit_answer(ticket, None, exc)
            else:
                self._emit_answer(ticket, result, None)

        return executor.submit(run)

    def _emit_answer(self, ticket: int, result: Any, exc: BaseException | None) -> None:
        try:
            self._answer.emit(ticket, result, exc)
        except RuntimeError:  # the bridge was deleted while a call ran (process shutting down)
            log.debug("store answer %d dropped: the bridge is gone", ticket)

    def _on_answer(self, ticket: int, result: Any, exc: BaseException | None) -> None:
        done, failed, what = self._callbacks.pop(ticket, (None, None, ""))
        try:
            if exc is None:
                if done is not None:
                    done(result)
            elif failed is not None:
                failed(exc)
            else:
                log.warning("session store call %s failed: %s", what or ticket, exc)
        finally:
            if not self._callbacks:
                self.idle.emit()

    def call(self, job: Callable[[SessionService], T], timeout_s: float = 10.0) -> T:
        """Run ``job`` in the store thread and wait for it (shutdown and tools only; never in a check)."""
        executor = self._executor
        if executor is None:
            return job(self.service)
        return executor.submit(job, self.service).result(timeout_s)

    # --- events ------------------------------------------------------------------------------

    def _on_event(self, event: SessionEvent) -> None:
        """Session listener (any thread): only relays the event to the GUI thread."""
        try:
            self._relay.emit(event)
        except RuntimeError:  # the bridge was deleted; the service logs and carries on
            log.debug("session event %s of %s dropped: the bridge is gone", event.kind, event.session_id)

    # --- lifetime ----------------------------------------------------------------------------

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop listening, let submitted calls finish (up to ``timeout_s``) and end the thread.

        Answers of calls still running are no longer delivered; the service
        itself stays open (its owner closes it).
        """
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        executor, self._executor = self._executor, None
        if executor is None:
            return
        try:
            executor.submit(lambda: None).result(timeout_s)
        except Exception as exc:  # noqa: BLE001 - a hung store must not hang the app's exit
            log.warning("the session store did not finish its work within %.0f s: %s", timeout_s, exc)
        executor.shutdown(wait=False)
        self._callbacks.clear()
