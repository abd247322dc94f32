"""One set of model sessions per process, reused by every check and released on exit.

Building a MediaPipe landmark graph or an onnxruntime session costs tens of
megabytes of native memory and a noticeable start-up time; building one per
check (and per retry) made a kiosk grow without bound. The pool keeps them:

* :meth:`ModelPool.landmarks` lends a video-mode :class:`~app.core.landmarks.LandmarkStage`
  for one check. Closing the lease gives the stage back (it stays loaded);
  the stage starts a new stream for the next borrower, so timestamps keep
  increasing and no tracking carries over. Two checks overlap only briefly
  (a retiring capture still finishing its last frame), so the pool holds as
  many stages as were ever in use at once: one, sometimes two.
* :meth:`ModelPool.shared` builds any other model holder once (the scoring
  stages with the MiniFASNet sessions) and closes it with the pool.

:func:`model_pool` is the process-wide pool; it is closed at interpreter exit
(MediaPipe task objects must be closed explicitly, never left to ``__del__``).
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from app.core.capture.frame import Frame

if TYPE_CHECKING:
    from app.core.landmarks import LandmarkResult, LandmarkStage

log = logging.getLogger(__name__)

T = TypeVar("T")


def _default_landmark_stage() -> "LandmarkStage":
    from app.core.landmarks import LandmarkStage

    return LandmarkStage.create()


class LandmarkLease:
    """One check's use of a pooled landmark stage (``process`` like the stage; ``close`` gives it back)."""

    def __init__(self, pool: "ModelPool", stage: "LandmarkStage") -> None:
        self._pool = pool
        self._stage: LandmarkStage | None = stage

    def process(self, frame: Frame) -> "LandmarkResult":
        """Landmarks of one frame.

        Raises
        ------
        ValueError
            After :meth:`close`.
        """
        stage = self._stage
        if stage is None:
            raise ValueError("this landmark lease was closed")
        return stage.process(frame)

    def close(self) -> None:
        """Give the stage back to the pool (idempotent)."""
        stage, self._stage = self._stage, None
        if stage is not None:
            self._pool._give_back(stage)

    def __enter__(self) -> "LandmarkLease":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ModelPool:
    """Model sessions shared by the checks of one process.

    Parameters
    ----------
    landmark_factory:
        Builds a landmark stage (default: the real MediaPipe one); tests pass fakes.
    """

    def __init__(self, landmark_factory: Callable[[], Any] | None = None) -> None:
        self._landmark_factory = landmark_factory or _default_landmark_stage
        self._lock = threading.Lock()
        self._idle: list[Any] = []
        self._leased = 0
        self._shared: dict[str, Any] = {}
        self._closed = False
        #: Landmark stages built over the pool's life (a soak run shows it stays at 1-2).
        self.landmark_stages_created = 0

    def landmarks(self) -> LandmarkLease:
        """Lend a landmark stage for one check (built on first use, in the caller's thread).

        Raises
        ------
        ModelError
            When the model is missing or altered.
        ValueError
            After :meth:`close`.
        """
        with self._lock:
            if self._closed:
                raise ValueError("the model pool is closed")
            stage = self._idle.pop() if self._idle else None
            self._leased += 1
        if stage is None:
            try:
                stage = self._landmark_factory()
            except BaseException:
                with self._lock:
                    self._leased -= 1
                raise
            with self._lock:
                self.landmark_stages_created += 1
            log.info("landmark stage %d loaded", self.landmark_stages_created)
        stage.new_stream()
        return LandmarkLease(self, stage)

    def _give_back(self, stage: Any) -> None:
        with self._lock:
            self._leased -= 1
            if not self._closed:
                self._idle.append(stage)
                return
        stage.close()  # the pool closed while this check ran

    def shared(self, key: str, factory: Callable[[], T]) -> T:
        """The object stored under ``key``, built by ``factory`` on first use and closed with the pool.

        The object must be safe to use from several threads at once (the
        scoring stages are: they keep no per-session state).
        """
        with self._lock:
            if self._closed:
                raise ValueError("the model pool is closed")
            if key in self._shared:
                return self._shared[key]  # type: ignore[no-any-return]
        built = factory()  # outside the lock: loading may take a while
        with self._lock:
            if key in self._shared:  # another thread won the race; keep its copy
                winner = self._shared[key]
            else:
                self._shared[key] = built
                return built
        _close(built)
        return winner  # type: ignore[no-any-return]

    @property
    def stages_in_use(self) -> int:
        """Landmark stages lent out now."""
        with self._lock:
            return self._leased

    def close(self) -> None:
        """Release every model (stages still lent out are closed when given back)."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            shared, self._shared = list(self._shared.values()), {}
        for obj in idle + shared:
            _close(obj)


def _close(obj: Any) -> None:
    closer = getattr(obj, "close", None)
    if closer is None:
        return
    try:
        closer()
    except Exception:  # noqa: BLE001 - releasing one model must not keep the others loaded
        log.exception("releasing %s failed", type(obj).__name__)


_POOL: ModelPool | None = None
_POOL_LOCK = threading.Lock()
_AT_EXIT = False


def model_pool() -> ModelPool:
    """The process-wide pool (closed at interpreter exit)."""
    global _POOL, _AT_EXIT
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ModelPool()
            if not _AT_EXIT:
                _register_exit()
                _AT_EXIT = True
        return _POOL


def _register_exit() -> None:
    """Close the pool at exit *before* thread pools shut down.

    MediaPipe closes a landmarker through a ``concurrent.futures`` executor,
    which refuses work once the interpreter has begun shutting down its
    thread pools (that happens before ``atexit`` handlers run). Handlers
    registered with ``threading`` run in reverse order, so registering after
    ``concurrent.futures.thread`` is imported runs ours first.
    """
    import concurrent.futures.thread  # noqa: F401 - registers its own exit handler first

    register = getattr(threading, "_register_atexit", None)
    if register is not None:
        register(close_model_pool)
    else:  # pragma: no cover - Python without the hook (it exists since 3.9)
        atexit.register(close_model_pool)


def close_model_pool() -> None:
    """Close the process-wide pool (a later :func:`model_pool` builds a new one)."""
    global _POOL
    with _POOL_LOCK:
        pool, _POOL = _POOL, None
    if pool is not None:
        pool.close()


def shared_session_scorer() -> Any:
    """The process's :class:`~app.core.scoring.pipeline.SessionScorer` (scoring stages and MiniFASNet sessions)."""
    from app.core.scoring.pipeline import SessionScorer

    return model_pool().shared("session_scorer", SessionScorer)
