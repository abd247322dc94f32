"""The scoring pipeline: one analyzer for live capture and for recordings.

``LiveAnalyzer.add(frame, landmarks)`` runs in the analysis worker for every
frame: it extracts a few hundred numbers (``features.py``) and keeps a bounded
number of full frames (reference/texture candidates and audit candidates).
``finish()`` runs the session stages (quality, light, geometry, texture,
injection; movement instead of light for a movement-only check) on those
numbers and fuses them into a :class:`LivenessResult`.
``score_recording(path)`` feeds a recording through the landmark stage and the
very same analyzer, so a re-scored recording reaches the same decision. Both
paths hand frames to the analyzer through one :class:`AnalyzerDriver` (the live
check in ``app.core.check`` and :func:`analyse_recording` alike).
"""

from __future__ import annotations

import heapq
import json
import logging
import statistics
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app import __version__
from app.core import defaults
from app.core.capture.frame import Frame, SourceInfo
from app.core.challenge import Box, Challenge
from app.core.enums import Verdict
from app.core.landmarks import LandmarkResult
from app.core.scoring.config import FusionOptions, ScoringConfig, calibrated_threshold
from app.core.scoring.contract import Analyzer, CheckResult, ImageOut, LivenessResult, SessionContext
from app.core.scoring.features import FeatureExtractor, FrameFeatures, SessionData, frame_quality
from app.core.scoring.fusion import combine
from app.core.scoring.movement_config import MovementConfig
from app.core.scoring.registry import STAGES, BuildContext, StageRegistry
from app.core.scoring.stages.base import KeptFrame, ScorerReason, SessionInput, StageErrorEvidence, result
from app.core.scoring.stages.texture import TextureModel, gives_texture_context

log = logging.getLogger(__name__)


@dataclass
class AnalyzerOptions:
    """Options of :class:`LiveAnalyzer`.

    Attributes
    ----------
    best_frames:
        Best-quality full frames kept (reference image and texture-model input).
    audit_candidates:
        Full frames kept, evenly thinned over time, to choose audit images from.
    config_path:
        Scoring config to load (default: the shipped ``fusion_config.json``).
    """

    best_frames: int = 3
    audit_candidates: int = 12
    config_path: Path | None = None


def _frame_quality(f: FrameFeatures) -> float:
    """Quality of one frame for reference/texture use (0 without exactly one face)."""
    return frame_quality(f.n_faces, f.iod, f.sharpness, f.luma, f.blink)


class FrameKeeper:
    """Bounded store of full frames: the best few, the best few in plain light, and audit candidates thinned
    evenly over time.

    The best frames are usually near ones taken during the colours (tinted); the reference image, which a face
    match or an age check will use, comes from frames in the screen's plain light when there are any. The texture
    model gets its own few: plain-light frames from the approach whose scaled face boxes fit in the frame (see
    :func:`app.core.scoring.stages.texture.gives_texture_context`). Memory is bounded by ``3 * best + audit``
    frames whatever the session length.
    """

    def __init__(self, best: int, audit: int) -> None:
        self._best_n = best
        self._audit_n = max(2, audit)
        self._best: list[tuple[float, int, KeptFrame]] = []  # min-heap on quality
        self._plain: list[tuple[float, int, KeptFrame]] = []  # the same, frames in plain light only
        self._texture: list[tuple[float, int, KeptFrame]] = []  # plain light, the texture model's context in frame
        self._audit: list[KeptFrame] = []
        self._stride = 1
        self._seen = 0

    def offer(self, frame: Frame, feats: FrameFeatures, *, plain_light: bool = True) -> None:
        """Consider one frame (copies the pixels once, only when it is kept); ``plain_light``: no colour shown yet."""
        q = _frame_quality(feats)
        if q > 0:
            kept: KeptFrame | None = None
            heaps = [self._best]
            if plain_light:
                heaps.append(self._plain)
                if gives_texture_context(feats.points, (frame.width, frame.height)):
                    heaps.append(self._texture)
            for heap in heaps:
                if len(heap) < self._best_n or q > heap[0][0]:
                    kept = kept or self._keep(frame, feats, q)
                    (heapq.heappush if len(heap) < self._best_n else heapq.heapreplace)(heap, (q, frame.index, kept))
        if feats.n_faces >= 1:
            if self._seen % self._stride == 0:
                self._audit.append(self._keep(frame, feats, q))
                if len(self._audit) > self._audit_n:
                    self._audit = self._audit[::2]
                    self._stride *= 2
            self._seen += 1

    @staticmethod
    def _keep(frame: Frame, feats: FrameFeatures, q: float) -> KeptFrame:
        return KeptFrame(frame.image.copy(), frame.index, frame.t_ns, None if feats.points is None else feats.points.copy(), q)

    def best(self) -> list[KeptFrame]:
        """Kept best frames, best first."""
        return [k for _, _, k in sorted(self._best, key=lambda e: -e[0])]

    def texture(self) -> list[KeptFrame]:
        """Texture-model candidates (plain light, context inside the frame), best first."""
        return [k for _, _, k in sorted(self._texture, key=lambda e: -e[0])]

    def reference(self, colours_from_ns: int | None) -> KeptFrame | None:
        """The best frame taken before ``colours_from_ns`` (the first colour; None: no colours), else the best."""
        plain = [k for _, _, k in sorted(self._plain, key=lambda e: -e[0]) if colours_from_ns is None or k.t_ns < colours_from_ns]
        if plain:
            return plain[0]
        best = self.best()
        return best[0] if best else None

    def audit(self, count: int, exclude: int | None) -> list[KeptFrame]:
        """Up to ``count`` audit frames spread evenly over the capture (not the reference frame)."""
        pool = [k for k in self._audit if k.index != exclude]
        if count <= 0 or not pool:
            return []
        if len(pool) <= count:
            return pool
        picks = np.linspace(0, len(pool) - 1, count).round().astype(int)
        return [pool[i] for i in sorted(set(picks.tolist()))]

    @property
    def frames_held(self) -> int:
        return len({id(k) for _, _, k in self._best + self._plain + self._texture} | {id(k) for k in self._audit})


def session_seed(challenge: Challenge) -> int:
    """Deterministic seed from the challenge (same data, same decoys, same decision)."""
    text = json.dumps({"c": [c.rgb for c in challenge.colours], "t": challenge.shown_ns}, sort_keys=True)
    return zlib.crc32(text.encode())


class SessionScorer:
    """The session stages and fusion, built once and reusable over many sessions.

    Every stage declared in ``registry`` is built from its configuration section (a section missing from
    ``config``, or one no stage declares, is a :class:`~app.core.errors.ConfigError` here, not a surprise
    later) and run in the declared order.

    Parameters
    ----------
    config:
        Calibrated numbers (default: the shipped config).
    texture_model:
        A texture model to use; default: MiniFASNet from the model store (or the texture stage abstains).
    load_texture:
        False to skip loading models (a stage that needs one then abstains as "not installed").
    registry:
        The stage declarations (default: the shipped stages; tests pass their own).
    movement_config:
        The movement-only check's calibration (default: the shipped ``movement_config.json``).
    """

    def __init__(
        self,
        config: ScoringConfig | None = None,
        *,
        texture_model: TextureModel | None = None,
        load_texture: bool = True,
        registry: StageRegistry = STAGES,
        movement_config: MovementConfig | None = None,
    ) -> None:
        self.config = config or ScoringConfig.load(registry=registry)
        self.registry = registry
        self.config.check(registry)
        # The movement-only check's own calibration: the options of the stages declared ``needs_moves``, and
        # that check's fusion and threshold.
        self.movement_config = movement_config or MovementConfig.load()
        self.versions: dict[str, str] = {
            "app": __version__, "scoring_config": self.config.version, "movement_config": self.movement_config.version,
        }
        context = BuildContext(models={"texture": texture_model} if texture_model is not None else {}, load_models=load_texture)
        self.stages: dict[str, Any] = {}
        try:
            for spec in registry:
                options = self.movement_config.stage if spec.needs_moves else self.config.stages[spec.section]
                self.stages[spec.name] = spec.build(options, context)
        except BaseException:
            self.close()
            raise
        self.versions.update(context.versions)
        try:
            from app.core.models import ModelStore

            self.versions["face_landmarker"] = ModelStore().entry("face_landmarker").version
        except Exception:  # noqa: BLE001 - a version label must never stop scoring
            pass

    def stage(self, name: str) -> Any:
        """The built stage ``name``."""
        return self.stages[name]

    def __getattr__(self, name: str) -> Any:
        # Only for names that are not real attributes: ``scorer.light`` is ``scorer.stage("light")``.
        stages = self.__dict__.get("stages")
        if stages is not None and name in stages:
            return stages[name]
        raise AttributeError(f"{type(self).__name__} has no attribute or stage {name!r}")

    def specs_for(self, challenge: Challenge) -> list[Any]:
        """The declared stages that judge ``challenge``'s check: the light check runs no stage declared
        ``needs_moves``, the movement-only check none declared ``needs_colours`` (movement instead of light)."""
        return self.registry.for_challenge(challenge)

    def fusion_for(self, challenge: Challenge) -> tuple[FusionOptions, float]:
        """(fusion options, default threshold) of the check ``challenge`` belongs to: the movement-only check
        has its own calibration (``movement_config.json``), the light check the scoring config's."""
        if challenge.movement_only:
            return self.movement_config.fusion, self.movement_config.threshold
        return self.config.fusion, calibrated_threshold(self.config)

    def run_stages(self, inp: SessionInput) -> tuple[list[CheckResult], dict[str, Any]]:
        """Run every stage; a stage that raises abstains with the error (the session still gets a result)."""
        checks: list[CheckResult] = []
        plots: dict[str, Any] = {}
        for spec in self.specs_for(inp.challenge):
            stage = self.stages[spec.name]
            start = time.perf_counter()
            try:
                if spec.plots:
                    check, p = stage.evaluate_with_plots(inp)
                    if p:
                        plots[spec.name] = p
                else:
                    check = stage.evaluate(inp)
            except (ValueError, ArithmeticError, np.linalg.LinAlgError, IndexError) as exc:
                log.warning("stage %s failed: %s", spec.name, exc)
                check = result(spec.name, Verdict.ABSTAIN, None, ScorerReason.STAGE_ERROR, StageErrorEvidence(error=str(exc)), name=spec.name)
            check.elapsed_ms = (time.perf_counter() - start) * 1000
            checks.append(check)
        return checks, plots

    def close(self) -> None:
        for stage in self.__dict__.get("stages", {}).values():
            stage.close()


class LiveAnalyzer:
    """Per-session analyzer (implements :class:`~app.core.scoring.contract.Analyzer`).

    Parameters
    ----------
    context:
        Session id, challenge, source facts, threshold, audit image count.
    texture_model:
        Optional texture model (tests pass a double); default: loaded from the model store.
    options:
        Analyzer options.
    scorer:
        A shared :class:`SessionScorer` (evaluation reuses one); default: built here.
    """

    def __init__(
        self,
        context: SessionContext,
        *,
        texture_model: TextureModel | None = None,
        options: AnalyzerOptions | None = None,
        scorer: SessionScorer | None = None,
    ) -> None:
        self.context = context
        self.options = options or AnalyzerOptions()
        self._own_scorer = scorer is None
        self.scorer = scorer or SessionScorer(
            ScoringConfig.load(self.options.config_path) if self.options.config_path else None, texture_model=texture_model
        )
        self._extractor = FeatureExtractor()
        self._features: list[FrameFeatures] = []
        self._keeper = FrameKeeper(self.options.best_frames, self.options.audit_candidates)
        self._frame_size = (0, 0)
        self._per_frame_ms: list[float] = []
        self._last_t: int | None = None
        self._finished = False

    def add(self, frame: Frame, landmarks: LandmarkResult) -> None:
        """Take one frame and its landmarks (cheap: a few milliseconds).

        Raises
        ------
        ValueError
            When frames go back in time, or the analyzer already finished.
        """
        if self._finished:
            raise ValueError("LiveAnalyzer.add() after finish(): start a new analyzer for a new session")
        if self._last_t is not None and frame.t_ns < self._last_t:
            raise ValueError(f"frame {frame.index} goes back in time ({frame.t_ns} < {self._last_t}); timestamps must increase")
        start = time.perf_counter()
        self._last_t = frame.t_ns
        self._frame_size = (frame.width, frame.height)
        feats = self._extractor.extract(frame, landmarks)
        self._features.append(feats)
        colours_from = self._colours_from_ns()
        self._keeper.offer(frame, feats, plain_light=colours_from is None or frame.t_ns < colours_from)
        self._per_frame_ms.append((time.perf_counter() - start) * 1000)

    def _colours_from_ns(self) -> int | None:
        """When the first colour of the challenge was shown (None: none shown yet, or a movement-only check)."""
        ch = self.context.challenge
        return int(ch.shown_ns[0]) if ch.colours and ch.shown_ns else None

    @property
    def frame_count(self) -> int:
        return len(self._features)

    def session_input(self) -> SessionInput:
        """The stages' input built from the frames so far."""
        data = SessionData.from_frames(self._features, self._frame_size)
        return SessionInput(
            data=data,
            challenge=self.context.challenge,
            source=self.context.source,
            best_frames=self._keeper.best(),
            texture_frames=self._keeper.texture(),
            seed=session_seed(self.context.challenge),
        )

    def finish(self) -> LivenessResult:
        """Score the session after the last frame."""
        start = time.perf_counter()
        self._finished = True
        inp = self.session_input()
        checks, plots = self.scorer.run_stages(inp)
        res = self.build_result(inp, checks, plots)
        res.timings_ms["decision"] = (time.perf_counter() - start) * 1000
        if self._own_scorer:
            self.scorer.close()
        return res

    def build_result(self, inp: SessionInput, checks: list[CheckResult], plots: dict[str, Any]) -> LivenessResult:
        """Fuse the checks and attach images, timings and versions."""
        ctx = self.context
        fusion, default_threshold = self.scorer.fusion_for(ctx.challenge)
        threshold = ctx.threshold if ctx.threshold is not None else default_threshold
        dec = combine(checks, threshold, fusion, ctx.challenge, self.scorer.registry)
        reference = None
        k = self._keeper.reference(self._colours_from_ns())
        if k is not None:
            reference = ImageOut(k.image, _box_of(k.points), k.index, k.t_ns)
        audit = [
            ImageOut(k.image, _box_of(k.points), k.index, k.t_ns)
            for k in self._keeper.audit(max(0, min(defaults.MAX_AUDIT_IMAGES, ctx.audit_images)), reference.frame_index if reference else None)
        ]
        timings = {f"{c.name}": c.elapsed_ms for c in checks}
        if self._per_frame_ms:
            timings["per_frame_median"] = statistics.median(self._per_frame_ms)
            timings["per_frame_max"] = max(self._per_frame_ms)
        plots["hints"] = [h for c in checks for h in c.evidence.user_hints()]
        return LivenessResult(
            session_id=ctx.session_id,
            status=dec.status,
            confidence=dec.confidence,
            decision=dec.decision,
            threshold=threshold,
            checks=checks,
            reasons=dec.reasons,
            reason_codes=[code for code, _ in dec.codes],
            reason_params=[params for _, params in dec.codes],
            challenge=ctx.challenge,
            reference=reference,
            audit=audit,
            timings_ms=timings,
            versions=dict(self.scorer.versions),
            frame_size=self._frame_size,
            plots=plots,
        )

    def close(self) -> None:
        """Release the texture model if this analyzer loaded it."""
        if self._own_scorer:
            self.scorer.close()

    def __enter__(self) -> "LiveAnalyzer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AnalyzerDriver:
    """The one way frames and landmarks reach an analyzer, live or recorded.

    The live check's analysis thread calls :meth:`add` for every analysed frame
    and its scoring thread calls :meth:`finish`; a recording is fed the same way
    in one thread. ``add`` and ``finish`` never overlap (``finish`` seals first).

    Parameters
    ----------
    build:
        Makes the analyzer; called on the first frame (in the feeding thread: building may load models)
        or at ``finish`` when no frame came.
    tolerant:
        Live capture (True): an analyzer that cannot be built or fails on a frame is dropped with a reason
        (the check then ends "scoring unavailable", never a pass) while the capture goes on. Recordings (False):
        the error propagates to the caller.
    """

    def __init__(self, build: Callable[[], Analyzer], *, tolerant: bool) -> None:
        self._build = build
        self.tolerant = tolerant
        self.analyzer: Analyzer | None = None
        #: Why the analyzer is missing or was dropped ("" while it works).
        self.unavailable_reason = ""
        #: Frames accepted (fed, or offered to an analyzer that was dropped).
        self.frames = 0
        self.sealed = False
        self.lock = threading.Lock()
        self._built = False

    def _ensure(self) -> None:
        """Build the analyzer once (caller holds the lock)."""
        if self._built:
            return
        self._built = True
        if not self.tolerant:
            self.analyzer = self._build()
            return
        try:
            self.analyzer = self._build()
        except ImportError as exc:
            log.warning("scoring pipeline not available: %s", exc)
            self.unavailable_reason = "the scoring module is not installed in this build"
        except Exception as exc:  # noqa: BLE001 - any failure means "unavailable", never a pass
            log.exception("the analyzer could not be created")
            self.unavailable_reason = f"the scoring module could not start ({type(exc).__name__}: {exc})"

    def add(self, frame: Frame, landmarks: LandmarkResult) -> bool:
        """Feed one frame; False once sealed (the frame is ignored)."""
        with self.lock:
            if self.sealed:
                return False
            self._ensure()
            self.frames += 1
            if self.analyzer is None:
                return True
            try:
                self.analyzer.add(frame, landmarks)
            except Exception as exc:
                if not self.tolerant:
                    raise
                log.exception("analyzer.add failed; scoring disabled for this session")
                self.analyzer = None
                self.unavailable_reason = f"scoring failed while analysing a frame ({type(exc).__name__}: {exc})"
            return True

    def feed(self, frames: Iterable[Frame], stage: Any) -> None:
        """Run ``stage.process`` (landmarks) on every frame and feed both in (the recording path)."""
        for frame in frames:
            self.add(frame, stage.process(frame))

    def seal(self) -> None:
        """Refuse further frames (waits for an ``add`` in progress)."""
        with self.lock:
            self.sealed = True

    def finish(self) -> LivenessResult | None:
        """Seal and score. ``None`` (tolerant only, with :attr:`unavailable_reason` set) when there is nothing to score."""
        self.seal()
        with self.lock:
            self._ensure()
            analyzer = self.analyzer
        if analyzer is None:
            self.unavailable_reason = self.unavailable_reason or "scoring is unavailable"
            return None
        if self.frames == 0 and self.tolerant:  # a live check that saw no frame has nothing to score
            self.unavailable_reason = "no frame was analysed"
            return None
        return analyzer.finish()


def _box_of(points: np.ndarray | None) -> Box | None:
    if points is None:
        return None
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return Box(float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def source_from_manifest(path: Path, meta: Any) -> SourceInfo:
    """The capture source's facts as the recording's camera section states them."""
    cam = meta.camera if isinstance(meta.camera, dict) else {}
    device = cam.get("device") if isinstance(cam.get("device"), dict) else {}
    span = (meta.timestamps_ns[-1] - meta.timestamps_ns[0]) / 1e9 if meta.frame_count > 1 else 0.0
    fps = float(cam.get("fps") or ((meta.frame_count - 1) / span if span > 0 else 0.0))
    return SourceInfo(
        kind=str(cam.get("kind", "recording")),
        name=str(cam.get("name", path.name)),
        width=meta.width,
        height=meta.height,
        fps=fps,
        device=dict(device),
        controls=dict(cam.get("controls") or {}),
    )


def context_from_recording(path: Path, meta: Any, threshold: float | None) -> SessionContext:
    """Session context rebuilt from a recording's manifest (never from its labels)."""
    challenge = Challenge.from_dict(meta.challenge)
    extra = meta.extra if isinstance(meta.extra, dict) else {}
    session_id = str(extra.get("session_id") or path.stem)
    ctx = SessionContext(session_id, challenge, source_from_manifest(path, meta))
    ctx.threshold = threshold  # type: ignore[assignment]  # None -> the config's default
    return ctx


def analyse_recording(
    path: str | Path,
    *,
    threshold: float | None = None,
    scorer: SessionScorer | None = None,
    landmark_stage: Any = None,
) -> tuple[LiveAnalyzer, LivenessResult]:
    """Run landmarks and the analyzer over a recording; returns the analyzer (for its data) and the result.

    Raises
    ------
    RecordingError
        When the recording is unreadable.
    ValueError
        When its challenge is malformed.
    """
    from app.core.landmarks import LandmarkStage
    from app.core.recording import Recording

    path = Path(path)
    own_stage = landmark_stage is None
    with Recording(path) as rec:
        ctx = context_from_recording(path, rec.meta, threshold)
        # A video-mode landmark stage needs increasing timestamps, so each recording gets its own
        # unless the caller passes one (tests pass a double).
        stage = landmark_stage or LandmarkStage.create()
        analyzer = LiveAnalyzer(ctx, scorer=scorer)
        driver = AnalyzerDriver(lambda: analyzer, tolerant=False)
        try:
            driver.feed(rec.frames(), stage)
        finally:
            if own_stage:
                stage.close()
        res = driver.finish()
    assert res is not None  # a strict driver raises instead of dropping its analyzer
    return analyzer, res


def score_recording(path: str | Path, threshold: float | None = None) -> LivenessResult:
    """Score a recording with the landmark stage and the same analyzer as live capture.

    Parameters
    ----------
    path:
        A ``.lgrec`` recording.
    threshold:
        Confidence needed to pass; default: the config's.

    Returns
    -------
    LivenessResult

    Raises
    ------
    RecordingError
        When the recording is unreadable.
    ModelError
        When the landmark model is missing.
    """
    scorer = SessionScorer()
    try:
        _, res = analyse_recording(path, threshold=threshold, scorer=scorer)
    finally:
        scorer.close()
    return res
