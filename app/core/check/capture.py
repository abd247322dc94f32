"""One capture epoch: the source's capture thread, the newest-frame slot, the analysis thread and the sink.

Thread model (see ``docs/screenshots/README.md``):

* capture runs in its own thread: :class:`ThreadedSource` pumps any
  :class:`~app.core.capture.base.FrameSource` (camera, simulator, file) and
  keeps only the newest frame, which a preview pulls;
* the epoch's single analysis thread takes the newest frame it has not seen,
  runs the landmark stage and the image statistics, feeds the session's
  :class:`CaptureSink` (analyzer and recording), and publishes the
  :class:`~app.core.check.flow.FrameAnalysis`;
* the owner (the GUI thread, or ``livegate check``'s main loop) *pulls* both
  through :class:`LatestSlot` mailboxes that hold one item each: a slow
  consumer skips items, nothing queues without bound.

An epoch lives from opening the source to closing it. The flow may restart its
analysis within it (a face that left the oval): the owner then swaps the sink.
The epoch tells its owner what happens through plain callbacks, called in the
analysis thread; the owner hands them over to its own thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from app.core.capture.base import FrameSource, monotonic_ns
from app.core.capture.frame import Frame, SourceInfo
from app.core.check.flow import FrameAnalysis, Outcome, Problem
from app.core.errors import (
    CameraBusy,
    CameraError,
    CameraNotFound,
    CameraStalled,
    CameraTooWeak,
    LivegateError,
    ModelError,
    SourceEnded,
)
from app.core.guidance import measure_image
from app.core.landmarks import LandmarkResult
from app.core.memory import release_free_memory
from app.core.models.pool import model_pool, shared_session_scorer
from app.core.recording import RecordingWriter
from app.core.scoring.contract import Analyzer, SessionContext
from app.core.scoring.pipeline import AnalyzerDriver, LiveAnalyzer

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Builds the analyzer of one session epoch (tests inject fakes).
AnalyzerFactory = Callable[[SessionContext], Analyzer]


def default_analyzer_factory(context: SessionContext) -> Analyzer:
    """The real analyzer (:class:`~app.core.scoring.pipeline.LiveAnalyzer`), scoring with the process's shared models."""
    return LiveAnalyzer(context, scorer=shared_session_scorer())


class LandmarkStageLike(Protocol):
    """What the analysis needs of :class:`app.core.landmarks.LandmarkStage` (tests may inject fakes)."""

    def process(self, frame: Frame) -> LandmarkResult:
        """Landmarks of one frame."""
        ...

    def close(self) -> None:
        """Release the model."""
        ...


def default_landmarks_factory() -> LandmarkStageLike:
    """The process's MediaPipe landmark stage (video mode, up to three faces), lent for one capture."""
    return model_pool().landmarks()


class LatestSlot(Generic[T]):
    """A thread-safe mailbox holding only the newest item."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._item: T | None = None

    def put(self, item: T) -> None:
        """Replace the held item."""
        with self._lock:
            self._item = item

    def peek(self) -> T | None:
        """The held item (kept)."""
        with self._lock:
            return self._item

    def take(self) -> T | None:
        """The held item, removed."""
        with self._lock:
            item, self._item = self._item, None
            return item


class ThreadedSource(FrameSource):
    """Runs another source's ``read()`` loop in a capture thread and keeps only the newest frame.

    The simulator renders inside ``read()`` and a camera waits for its driver
    there; either way the capture thread absorbs that time, so capture and
    analysis overlap and the preview shows every captured frame.

    Parameters
    ----------
    inner:
        The source to pump (built, not opened).
    stall_timeout_s:
        ``read`` raises ``CameraStalled`` after this long without a new frame.
    newest:
        Mailbox that receives every captured frame (the preview pulls it).
    """

    def __init__(self, inner: FrameSource, *, stall_timeout_s: float = 1.0, newest: LatestSlot[Frame] | None = None) -> None:
        super().__init__()
        self.inner = inner
        self.info = inner.info
        self.stall_timeout_s = stall_timeout_s
        self.newest: LatestSlot[Frame] = newest if newest is not None else LatestSlot()
        self.first_index: int | None = None
        self.last_index: int | None = None
        self._cond = threading.Condition()
        self._latest: Frame | None = None
        self._returned = -1
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: Frames the inner source delivered (its index gaps are frames it dropped itself).
        self.captured = 0
        #: Monotonic time the newest frame arrived (0 before the first).
        self.last_arrival_ns = 0

    def open(self) -> None:
        """Open the inner source and start the capture thread."""
        self.inner.open()
        self.info = self.inner.info
        self._stop.clear()
        self._thread = threading.Thread(target=self._pump, name="livegate-capture", daemon=True)
        self._thread.start()

    def set_oval(self, oval: Any) -> None:
        """Forward the session's oval to a simulated source."""
        if hasattr(self.inner, "set_oval"):
            self.inner.set_oval(oval)

    def _pump(self) -> None:
        while not self._stop.is_set():
            try:
                frame = self.inner.read(timeout=self.stall_timeout_s)
            except (LivegateError, OSError) as exc:
                with self._cond:
                    self._error = exc
                    self._cond.notify_all()
                return
            except Exception as exc:  # noqa: BLE001 - any source failure ends capture, reported by read()
                log.exception("capture thread failed")
                with self._cond:
                    self._error = exc
                    self._cond.notify_all()
                return
            self.captured += 1
            self.last_arrival_ns = monotonic_ns()
            if self.first_index is None:
                self.first_index = frame.index
            self.last_index = frame.index
            self.newest.put(frame)
            with self._cond:
                self._latest = frame
                self._cond.notify_all()

    def read(self, timeout: float = 2.0) -> Frame:
        """The newest frame not returned before; raises the capture thread's error or ``CameraStalled``."""
        wait_s = min(timeout, self.stall_timeout_s)
        with self._cond:
            ok = self._cond.wait_for(
                lambda: self._error is not None or (self._latest is not None and self._latest.index > self._returned),
                timeout=wait_s,
            )
            if self._latest is not None and self._latest.index > self._returned:
                frame = self._latest
                self._returned = frame.index
                return self._note(frame)
            if self._error is not None:
                err = self._error
                if isinstance(err, LivegateError):
                    raise err
                raise CameraStalled(f"the camera failed: {type(err).__name__}: {err}") from err
            if not ok:
                raise CameraStalled(f"{self.info.name or 'the camera'} delivered no new frame for {wait_s:.1f} s")
            raise CameraStalled("no frame")  # pragma: no cover - wait_for returned True without a frame

    def close(self) -> None:
        """Stop the capture thread (joined), then close the inner source."""
        self._stop.set()
        thread = self._thread
        try:
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout=3.0)
        finally:
            self._thread = None
            self.inner.close()

    def release_frames(self) -> None:
        """Forget the newest frame and a stored error (after :meth:`close`; the counters stay)."""
        self.newest.take()
        with self._cond:
            self._latest = None
            self._error = None


class CaptureSink:
    """Where one flow epoch's frames go: the session's analyzer (through an :class:`AnalyzerDriver`) and
    optionally a recording.

    The analysis thread calls :meth:`add` for every analysed frame; the
    scoring thread calls :meth:`finish`, which seals the sink first so no
    ``add`` can overlap it. The analyzer is built on the first frame, in the
    analysis thread: building the real one may load models.
    """

    def __init__(
        self, epoch: int, factory: AnalyzerFactory, context: SessionContext, recorder: RecordingWriter | None = None
    ) -> None:
        self.epoch = epoch
        self.context = context
        self.driver = AnalyzerDriver(lambda: factory(context), tolerant=True)
        self.recorder = recorder
        self.lock = threading.Lock()
        self.sealed = False
        #: The finished recording (set by the thread that finished it), handed to the store.
        self.recording_path: Path | None = None

    @property
    def frames(self) -> int:
        """Frames fed so far."""
        return self.driver.frames

    @property
    def unavailable_reason(self) -> str:
        """Why the analyzer is missing or was dropped ("" while it works)."""
        return self.driver.unavailable_reason

    def add(self, frame: Frame, landmarks: LandmarkResult) -> None:
        """Feed one frame (analysis thread). Analyzer failures disable the analyzer, never the capture."""
        with self.lock:
            if self.sealed or not self.driver.add(frame, landmarks):
                return
            if self.recorder is not None:
                try:
                    self.recorder.add_frame(frame)
                except LivegateError as exc:
                    log.warning("recording dropped: %s", exc)
                    self.recorder.abort()
                    self.recorder = None

    def seal(self) -> None:
        """Refuse further frames (waits for an ``add`` in progress)."""
        with self.lock:
            self.sealed = True
            self.driver.seal()

    def finish(self) -> Outcome:
        """Seal and score (scoring thread). Never a pass without a result."""
        self.seal()
        result = self.driver.finish()
        if result is None:
            return Outcome(None, self.driver.unavailable_reason or "scoring is unavailable")
        return Outcome(result)


def problem_of(exc: BaseException) -> Problem:
    """Map a capture-side exception to the flow's problem kind."""
    if isinstance(exc, CameraNotFound):
        return Problem.CAMERA_NOT_FOUND
    if isinstance(exc, CameraBusy):
        return Problem.CAMERA_BUSY
    if isinstance(exc, CameraTooWeak):
        return Problem.CAMERA_LOW_FPS if "fps" in str(exc) else Problem.CAMERA_LOW_RESOLUTION
    if isinstance(exc, (CameraStalled, SourceEnded)):
        return Problem.CAMERA_STALLED
    if isinstance(exc, ModelError):
        return Problem.MODEL_MISSING
    if isinstance(exc, CameraError):
        return Problem.CAMERA_BUSY
    return Problem.RUNTIME


def _ignore(*_args: Any) -> None:
    return None


class CaptureEpoch:
    """Opens the source and runs the per-frame analysis in one thread, from ``start`` to ``close``.

    Parameters
    ----------
    source_factory:
        Builds (does not open) the frame source; called in the analysis thread.
    landmarks_factory:
        Builds the landmark stage; called in the analysis thread.
    read_timeout_s:
        Longest wait for one frame before the source counts as stalled.
    on_opened(SourceInfo), on_analysed(), on_failed(Problem, str), on_stopped():
        Called in the analysis thread: the source is open; a new :class:`FrameAnalysis` is in
        :attr:`analyses` (called again only after the owner took the previous one with
        :meth:`take_analysis`); the source or the model failed (the thread ends); the thread has
        closed the source and the stage and is about to end (always, last).
    """

    def __init__(
        self,
        *,
        source_factory: Callable[[], FrameSource],
        landmarks_factory: Callable[[], LandmarkStageLike],
        read_timeout_s: float = 0.5,
        on_opened: Callable[[SourceInfo], None] = _ignore,
        on_analysed: Callable[[], None] = _ignore,
        on_failed: Callable[[Problem, str], None] = _ignore,
        on_stopped: Callable[[], None] = _ignore,
    ) -> None:
        self._source_factory = source_factory
        self._landmarks_factory = landmarks_factory
        self._read_timeout_s = read_timeout_s
        self._on_opened = on_opened
        self._on_analysed = on_analysed
        self._on_failed = on_failed
        self._on_stopped = on_stopped
        self.frames: LatestSlot[Frame] = LatestSlot()
        self.analyses: LatestSlot[FrameAnalysis] = LatestSlot()
        self._sink_lock = threading.Lock()
        self._sink: CaptureSink | None = None
        self._stop = threading.Event()
        self._signal_pending = threading.Event()
        self._thread: threading.Thread | None = None
        self._source: FrameSource | None = None
        self.capture: ThreadedSource | None = None
        self._pending_oval: Any = None
        #: Frames analysed and the index span they cover (for the dropped-frame ratio).
        self.frames_read = 0
        self.first_index: int | None = None
        self.last_index: int | None = None
        self.analysis_ms: list[float] = []

    # --- control (owner thread) ----------------------------------------------------------

    def start(self) -> None:
        """Start the analysis thread (once)."""
        if self._thread is not None:
            raise RuntimeError("CaptureEpoch.start() called twice; create a new epoch per capture")
        self._thread = threading.Thread(target=self._run, name="livegate-analysis", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end; returns at once (``on_stopped`` follows)."""
        self._stop.set()

    def join(self, timeout: float = 3.0) -> bool:
        """Wait for the thread. Returns True when it ended."""
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def close(self, timeout: float = 3.0) -> bool:
        """Stop and join the analysis thread; its ``finally`` closes the stage and the source, joining the
        capture thread. Returns True when everything ended within ``timeout``."""
        try:
            self.stop()
        finally:
            ended = self.join(timeout)
        return ended

    @property
    def running(self) -> bool:
        """True while the analysis thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def set_sink(self, sink: CaptureSink | None) -> CaptureSink | None:
        """Route frames to ``sink`` from the next frame on; returns the previous sink."""
        with self._sink_lock:
            previous, self._sink = self._sink, sink
        return previous

    def set_oval(self, oval: Any) -> None:
        """Tell a simulated source the session's oval (ignored by real cameras)."""
        self._pending_oval = oval
        source = self._source
        if source is not None and hasattr(source, "set_oval"):
            source.set_oval(oval)

    def take_analysis(self) -> FrameAnalysis | None:
        """The newest analysis; re-arms ``on_analysed``."""
        self._signal_pending.clear()
        return self.analyses.take()

    # --- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        source: FrameSource | None = None
        stage: LandmarkStageLike | None = None
        try:
            try:
                source = ThreadedSource(self._source_factory(), stall_timeout_s=self._read_timeout_s, newest=self.frames)
                self.capture = source
                source.open()
                if self._pending_oval is not None and hasattr(source, "set_oval"):
                    source.set_oval(self._pending_oval)
                self._source = source
                if self._stop.is_set():
                    return
                self._on_opened(source.info)
                stage = self._landmarks_factory()
            except (LivegateError, OSError) as exc:
                log.warning("capture could not start: %s", exc)
                self._on_failed(problem_of(exc), str(exc))
                return
            self._loop(source, stage)
        except Exception as exc:  # noqa: BLE001 - reported to the owner, which shows an error screen
            log.exception("analysis thread crashed")
            self._on_failed(Problem.RUNTIME, f"{type(exc).__name__}: {exc}")
        finally:
            self._source = None
            if stage is not None:
                try:
                    stage.close()  # a pooled stage goes back to the pool, still loaded
                except Exception:  # noqa: BLE001 - releasing must not hide the original problem
                    log.exception("releasing the landmark stage failed")
            if source is not None:
                try:
                    source.close()  # joins the capture thread
                except Exception:  # noqa: BLE001 - closing must not hide the original problem
                    log.exception("closing the source failed")
            self._release()
            release_free_memory()
            self._on_stopped()

    def _release(self) -> None:
        """Drop every frame and buffer this capture held; only its counters stay (for the benchmark)."""
        self.frames.take()
        self.analyses.take()
        with self._sink_lock:
            self._sink = None
        self._pending_oval = None
        if self.capture is not None:
            self.capture.release_frames()

    def _loop(self, source: FrameSource, stage: LandmarkStageLike) -> None:
        while not self._stop.is_set():
            try:
                frame = source.read(timeout=self._read_timeout_s)
            except (CameraError, SourceEnded) as exc:
                if not self._stop.is_set():
                    self._on_failed(problem_of(exc), str(exc))
                return
            self.frames_read += 1
            if self.first_index is None:
                self.first_index = frame.index
            self.last_index = frame.index
            t0 = monotonic_ns()
            result = stage.process(frame)
            face = result.face.box if result.face_count == 1 and result.face is not None else None
            stats = measure_image(frame.image, face)
            with self._sink_lock:
                sink = self._sink
            if sink is not None:
                sink.add(frame, result)
            self.analysis_ms.append((monotonic_ns() - t0) / 1e6)
            if len(self.analysis_ms) > 600:
                del self.analysis_ms[:300]
            self.analyses.put(FrameAnalysis(frame.index, frame.t_ns, frame.width, frame.height, result, stats))
            if not self._signal_pending.is_set():
                self._signal_pending.set()
                self._on_analysed()
