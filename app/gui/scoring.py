"""Scoring off the GUI thread, with the analyzer imported lazily.

The scoring implementation (``app.core.scoring.pipeline.LiveAnalyzer``) is
optional at run time: while it is missing, or when it raises, the session's
:class:`~app.core.flow.Outcome` carries the reason and the result screen says
"scoring unavailable". Nothing here ever invents a verdict.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.core.flow import Outcome
from app.core.scoring.contract import Analyzer, SessionContext

log = logging.getLogger(__name__)

AnalyzerFactory = Callable[[SessionContext], Analyzer]


def default_analyzer_factory(context: SessionContext) -> Analyzer:
    """The real analyzer, imported on first use, scoring with the process's shared models.

    Raises
    ------
    ImportError
        When the scoring pipeline is not part of this build.
    """
    from app.core.models.pool import shared_session_scorer
    from app.core.scoring.pipeline import LiveAnalyzer

    return LiveAnalyzer(context, scorer=shared_session_scorer())


def make_analyzer(factory: AnalyzerFactory, context: SessionContext) -> tuple[Analyzer | None, str]:
    """Build an analyzer; returns ``(None, reason)`` when scoring is unavailable."""
    try:
        return factory(context), ""
    except ImportError as exc:
        log.warning("scoring pipeline not available: %s", exc)
        return None, "the scoring module is not installed in this build"
    except Exception as exc:  # noqa: BLE001 - any failure means "unavailable", never a pass
        log.exception("the analyzer could not be created")
        return None, f"the scoring module could not start ({type(exc).__name__}: {exc})"


class ScoringRunner(QObject):
    """Runs one scoring job per session in its own daemon thread.

    A job that hangs never blocks the GUI: the flow's VERIFYING deadline turns
    it into an error screen, and a late answer is dropped by its token.

    Signals
    -------
    finished(object token, Outcome outcome):
        Emitted (queued to the GUI thread) when a job ends, with the token it was started with.
    """

    finished = Signal(object, object)

    def run(self, token: Any, job: Callable[[], Outcome]) -> None:
        """Start ``job`` in a new thread.

        Parameters
        ----------
        token:
            Identifies the session/epoch; echoed by ``finished``.
        job:
            Returns the session's outcome; an exception becomes "scoring unavailable" with its reason.
        """

        def target() -> None:
            try:
                outcome = job()
            except Exception as exc:  # noqa: BLE001 - reported as "scoring unavailable", never a pass
                log.exception("scoring failed")
                outcome = Outcome(None, f"scoring failed ({type(exc).__name__}: {exc})")
            self.finished.emit(token, outcome)

        threading.Thread(target=target, name="livegate-scoring", daemon=True).start()
