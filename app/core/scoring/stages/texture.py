"""Passive texture: MiniFASNet (Silent-Face-Anti-Spoofing) on frames that give it the context it was trained with.

The two ONNX models are resolved (and hash-checked) through the model store
as ``minifasnet_v2`` and ``minifasnet_v1se``. When they are missing the stage
abstains and says so; it never passes by default.

Which frames: the models were trained on the face box scaled by 2.7 and 4.0
with the scene around it. A face filling the oval leaves no such context (the
crop is shrunk and shifted to fit, and real faces then score anywhere from
0.01 to 0.999), and frames taken during the colours are tinted, which the
models never saw. So the stage scores only frames from the approach, in the
screen's plain light before the first colour, where both scaled boxes lie
wholly inside the frame (:func:`gives_texture_context`), best quality first.
A movement-only check shows no colours: any of its frames may qualify.

When no frame qualifies the stage ABSTAINS (``texture.no_context``; in a
movement-only check ``texture.no_context_movement``, whose sentence does not
speak of colours). Fusion
treats that like any abstention of a model that *is* installed: it is not a
required stage, so it cannot block a decision on its own, but its input is
filled as probability 0 (the strongest evidence against), so an abstaining
texture stage lowers the confidence and can never help a session pass. Only a
model that is not installed at all counts as neutral (a property of the
installation, reported in the result).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from app.core.enums import Verdict
from app.core.errors import ModelError
from app.core.scoring.contract import CheckResult
from app.core.scoring.evidence import UNSET, Evidence
from app.core.scoring.reasons import ReasonCode
from app.core.scoring.registry import STAGES, BuildContext, StageSpec
from app.core.scoring.stages.base import SessionInput, result

log = logging.getLogger(__name__)

MODEL_NAMES = ("minifasnet_v2", "minifasnet_v1se")


class TextureReason(ReasonCode):
    MODEL_MISSING = "texture.model_missing", "The passive texture model is not installed, so skin texture was not checked."
    #: Re-scoring a cached session that has no texture scores (calibration and the accuracy report).
    NOT_SCORED = "texture.not_scored", "The passive texture model is not installed."
    NO_FRAME = "texture.no_frame", "No frame was good enough for the texture check."
    #: The light check: only frames before the first colour are in plain light.
    NO_CONTEXT = "texture.no_context", (
        "No frame before the colours showed the face with enough room around it for the texture model, "
        "so skin texture was not checked (this lowers the confidence)."
    )
    #: The movement-only check: no colours are shown, every frame is in plain light.
    NO_CONTEXT_MOVEMENT = "texture.no_context_movement", (
        "No frame showed the face with enough room around it for the texture model, "
        "so skin texture was not checked (this lowers the confidence)."
    )
    LIVE = "texture.live", "The skin texture looked like a live face."
    FLAT = "texture.flat", "The skin texture looked like a photo or a screen."


@dataclass
class TextureEvidence(Evidence):
    """What the texture stage measured (fields in the result document's order)."""

    model_missing: bool = UNSET
    detail: str = UNSET
    scores: list[float] = UNSET
    frames: Any = UNSET  # the frames scored (list of indices), or 0 when none was usable
    median: float = UNSET
    #: Candidate frames offered / rejected because they were tinted or the model's context left the frame.
    candidates: int = UNSET
    rejected_tinted: int = UNSET
    rejected_context: int = UNSET

    @property
    def installation_missing(self) -> bool:
        return self.model_missing is True


class TextureModel(Protocol):
    """What the stage needs of a texture model (``PassiveTextureModel`` or a test double)."""

    def score(self, image_bgr: np.ndarray, box_xywh: Any) -> float:
        """Real-face probability 0..1."""

    def close(self) -> None:
        """Release the model."""


def load_texture_model() -> tuple[TextureModel | None, str, dict[str, str]]:
    """Load MiniFASNet through the model store.

    Returns
    -------
    tuple
        (model or None, why it is missing, model versions).
    """
    try:
        from app.core.models import ModelStore
        from app.core.models.minifasnet import PassiveTextureModel

        store = ModelStore()
        paths = [store.resolve(n) for n in MODEL_NAMES]
        versions = {n: store.entry(n).version for n in MODEL_NAMES}
        return PassiveTextureModel(paths[0], paths[1]), "", versions
    except (ModelError, ImportError) as exc:
        log.info("texture model unavailable: %s", exc)
        return None, str(exc), {}


def box_for(points: np.ndarray) -> tuple[int, int, int, int]:
    """Detector-like face box for MiniFASNet from landmarks."""
    from app.core.models.minifasnet import detector_box_from_landmarks

    return detector_box_from_landmarks(points)


def gives_texture_context(points: np.ndarray | None, frame_wh: tuple[int, int]) -> bool:
    """Whether a frame's face, boxed like the texture stage boxes it, leaves every model's scaled crop inside
    the frame (cheap: a min/max over the landmarks)."""
    from app.core.models.minifasnet import context_fits

    if points is None:
        return False
    try:
        box = box_for(points)
    except ValueError:
        return False
    return context_fits(frame_wh, box)


@dataclass
class TextureOptions:
    """Options of the texture stage.

    Attributes
    ----------
    frames:
        Candidate frames scored, best quality first (median taken); candidates are plain-light frames whose
        model context lies inside the frame.
    pass_score:
        Real-face probability needed to pass.
    """

    frames: int = 3
    pass_score: float = 0.5


class TextureStage:
    """Session stage: ``evaluate(session) -> CheckResult`` named ``texture``.

    Parameters
    ----------
    options:
        Stage options.
    model:
        A loaded texture model, or ``None`` (then the stage abstains).
    missing_reason:
        Why the model is missing (shown in the evidence).
    """

    name = "texture"

    def __init__(self, options: TextureOptions, model: TextureModel | None, missing_reason: str = "") -> None:
        self.options = options
        self.model = model
        self.missing_reason = missing_reason

    @classmethod
    def build(cls, options: TextureOptions, context: BuildContext) -> "TextureStage":
        """The registry's factory: the model offered in ``context`` (a test double), else MiniFASNet from the
        model store when models may be loaded, else none (the stage abstains)."""
        model = context.models.get("texture")
        missing = ""
        if model is None and context.load_models:
            model, missing, versions = load_texture_model()
            context.versions.update(versions)
        elif model is None:
            missing = "the texture model was not requested"
        else:
            context.versions["texture_model"] = type(model).__name__
        return cls(options, model, missing)

    @classmethod
    def create(cls, options: TextureOptions | None = None, model: TextureModel | None = None) -> "TextureStage":
        """Build the stage; without ``model`` MiniFASNet is loaded from the model store (or abstains)."""
        reason = ""
        if model is None:
            model, reason, _ = load_texture_model()
        return cls(options or TextureOptions(), model, reason)

    def close(self) -> None:
        if self.model is not None:
            self.model.close()
            self.model = None

    def evaluate(self, session: SessionInput) -> CheckResult:
        """Score the model's own kind of frames: plain light before the first colour, context inside the frame."""
        if self.model is None:
            return result(
                self.name,
                Verdict.ABSTAIN,
                None,
                TextureReason.MODEL_MISSING,
                TextureEvidence(model_missing=True, detail=self.missing_reason),
            )
        ch = session.challenge
        colours_from = int(ch.shown_ns[0]) if ch.colours and ch.shown_ns else None
        chosen = []
        tinted = no_context = 0
        for kept in session.texture_frames:
            if colours_from is not None and kept.t_ns >= colours_from:
                tinted += 1  # never a tinted frame, whoever offered it
                continue
            h, w = kept.image.shape[:2]
            if not gives_texture_context(kept.points, (w, h)):
                no_context += 1
                continue
            chosen.append(kept)
        chosen.sort(key=lambda k: -k.quality)
        scores = []
        used = []
        for kept in chosen[: self.options.frames]:
            try:
                s = float(self.model.score(kept.image, box_for(kept.points)))
            except (ValueError, ModelError) as exc:
                log.info("texture model failed on frame %d: %s", kept.index, exc)
                continue
            if math.isfinite(s):
                scores.append(s)
                used.append(kept.index)
        counts = {"candidates": len(session.texture_frames), "rejected_tinted": tinted, "rejected_context": no_context}
        if not chosen:
            reason = TextureReason.NO_CONTEXT if ch.colours else TextureReason.NO_CONTEXT_MOVEMENT
            return result(self.name, Verdict.ABSTAIN, None, reason, TextureEvidence(frames=0, **counts))
        return self.judge(scores, used, **counts)

    def judge(self, scores: list[float], frames: list[int], **counts: int) -> CheckResult:
        """The verdict from per-frame real-face probabilities (also used when re-scoring cached sessions)."""
        if not scores:
            return result(self.name, Verdict.ABSTAIN, None, TextureReason.NO_FRAME, TextureEvidence(frames=0, **counts))
        med = float(np.median(scores))
        ev = TextureEvidence(scores=list(scores), frames=list(frames), median=med, **counts)
        if med >= self.options.pass_score:
            return result(self.name, Verdict.PASS, med, TextureReason.LIVE, ev)
        return result(self.name, Verdict.FAIL, med, TextureReason.FLAT, ev)

    def not_scored(self) -> CheckResult:
        """The abstention of a re-scored cached session without texture scores (not neutral in fusion)."""
        return result(self.name, Verdict.ABSTAIN, None, TextureReason.NOT_SCORED)


STAGE = STAGES.register(StageSpec("texture", TextureStage, TextureOptions, TextureEvidence, order=40))
