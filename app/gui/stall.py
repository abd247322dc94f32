"""A heartbeat that measures how late the GUI event loop runs its timers (its worst stall)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, QTimer

from app.core.capture.base import monotonic_ns

log = logging.getLogger(__name__)


class StallMonitor(QObject):
    """Fires a precise timer every ``interval_ms`` and records how late each firing was.

    The lateness of a heartbeat is the time the event loop was busy elsewhere:
    a paint, a slot, a blocking call. ``worst_ms`` is the longest such stall.

    Parameters
    ----------
    interval_ms:
        Heartbeat period.
    warn_ms:
        Stalls longer than this are logged (the product limit is 50 ms).
    """

    def __init__(self, *, interval_ms: int = 10, warn_ms: float = 50.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.warn_ms = warn_ms
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_beat)
        self._last: int | None = None
        self.lateness_ms: list[float] = []
        self.worst_ms = 0.0

    def start(self) -> None:
        """Begin (or restart) measuring."""
        self.reset()
        self._timer.start()

    def stop(self) -> None:
        """Stop measuring (the numbers are kept)."""
        self._timer.stop()
        self._last = None

    def reset(self) -> None:
        """Forget what was measured so far."""
        self._last = None
        self.lateness_ms = []
        self.worst_ms = 0.0

    def percentile(self, q: float) -> float:
        """The ``q`` quantile (0..1) of the measured lateness, in ms."""
        if not self.lateness_ms:
            return 0.0
        ordered = sorted(self.lateness_ms)
        return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1)))]

    def _on_beat(self) -> None:
        now = monotonic_ns()
        if self._last is not None:
            late = max(0.0, (now - self._last) / 1e6 - self.interval_ms)
            self.lateness_ms.append(late)
            if len(self.lateness_ms) > 100_000:
                del self.lateness_ms[:50_000]
            if late > self.worst_ms:
                self.worst_ms = late
            if late > self.warn_ms:
                log.debug("GUI event loop stalled %.0f ms", late)
        self._last = now
