"""The landmark stage: MediaPipe FaceLandmarker in video mode.

Up to three faces are searched for, so that "more than one face" is really
detected. The result carries 2D landmarks in pixels only: the model's z values
and pose matrix are learned priors, never depth evidence, so they are not
exposed.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.core.capture.frame import Frame
from app.core.challenge import Box, face_box
from app.core.errors import ModelError
from app.core.facemesh import (  # noqa: F401 - the landmark names live with the landmark stage's users
    BETWEEN_EYES,
    BROWS,
    EYE_CORNERS,
    FOREHEAD,
    LEFT_EYE,
    MOUTH,
    MOUTH_CORNERS,
    NOSE_BRIDGE,
    NOSE_RIDGE,
    NOSE_TIP,
    RIGHT_EYE,
    UNDER_NOSE,
    UNDER_NOSE_TIP,
    eye_centres,
    inter_ocular,
)
from app.core.logs import native_output_to_log

log = logging.getLogger(__name__)

#: Blendshapes kept per face (blinks and jaw; the rest is not used).
KEPT_BLENDSHAPES = ("eyeBlinkLeft", "eyeBlinkRight", "jawOpen")
#: Gap (ms of model time) put between two streams sharing one video-mode landmarker.
STREAM_GAP_MS = 1000


@dataclass(frozen=True)
class FaceLandmarks:
    """One face found in a frame."""

    points: np.ndarray  # (478, 2) float32, pixels
    box: Box  # tight box around all landmarks
    fit_box: Box  # reference-product face box (eye distance and eye-to-mouth rule)
    inter_ocular_px: float
    blendshapes: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.points.ndim != 2 or self.points.shape[1] != 2 or self.points.shape[0] < 468:
            raise ValueError(f"landmarks must be (478, 2); got {self.points.shape}")

    @property
    def blink(self) -> float:
        """Mean eye-closure score 0 (open) .. 1 (closed)."""
        return 0.5 * (self.blendshapes.get("eyeBlinkLeft", 0.0) + self.blendshapes.get("eyeBlinkRight", 0.0))

    @classmethod
    def from_points(cls, points: np.ndarray, blendshapes: dict[str, float] | None = None) -> "FaceLandmarks":
        pts = np.asarray(points, dtype=np.float32)[:, :2]
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        return cls(pts, Box(float(x0), float(y0), float(x1 - x0), float(y1 - y0)), face_box(pts), inter_ocular(pts), dict(blendshapes or {}))


#: A detection whose box lies at least this much (fraction of its own area) inside a larger face's box is
#: part of that face (e.g. nostrils taken for eyes in a close face), not another person.
NESTED_OVERLAP = 0.5
#: A detection whose eye distance is below this fraction of the main face's is far too small to be a person
#: beside the user (a face 4x smaller stands 4x farther away, or is a picture: a logo, a poster).
MIN_IOD_RATIO = 0.25


def _overlap_of_first(a: Box, b: Box) -> float:
    """Fraction of box ``a``'s area that lies inside box ``b``."""
    iw = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    ih = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    area = a.w * a.h
    return float(max(0.0, iw) * max(0.0, ih) / area) if area > 0 else 1.0


def people(faces: tuple[FaceLandmarks, ...] | list[FaceLandmarks]) -> tuple[FaceLandmarks, ...]:
    """The detections that can be people: false faces dropped.

    The largest face is the main face. Another detection is dropped when it lies mostly inside a kept face's
    box (:data:`NESTED_OVERLAP`), or when its eye distance is below :data:`MIN_IOD_RATIO` of the main face's
    (too small to stand beside the user). A second person beside or behind the user keeps a comparable eye
    distance and their own box, so they are still counted.

    Parameters
    ----------
    faces:
        The landmarker's detections, any order.

    Returns
    -------
    tuple of FaceLandmarks
        Largest first.
    """
    ordered = sorted(faces, key=lambda f: -(f.box.w * f.box.h))
    if len(ordered) <= 1:
        return tuple(ordered)
    main = ordered[0]
    kept = [main]
    for face in ordered[1:]:
        if any(_overlap_of_first(face.box, k.box) >= NESTED_OVERLAP for k in kept):
            continue
        if main.inter_ocular_px > 0 and face.inter_ocular_px < MIN_IOD_RATIO * main.inter_ocular_px:
            continue
        kept.append(face)
    return tuple(kept)


@dataclass(frozen=True)
class LandmarkResult:
    """Landmarks of one frame.

    ``faces`` holds every detection; ``face_count`` and ``face`` count only those that can be people
    (:func:`people`), so a false face inside a close face, or a tiny one in a logo behind the user, never
    reads as "more than one face".
    """

    frame_index: int
    t_ns: int
    faces: tuple[FaceLandmarks, ...]
    elapsed_ms: float

    @property
    def people(self) -> tuple[FaceLandmarks, ...]:
        """The detections that can be people, largest first."""
        return people(self.faces)

    @property
    def face_count(self) -> int:
        """Faces that can be people (false faces not counted)."""
        return len(self.people)

    @property
    def false_faces(self) -> int:
        """Detections dropped as not a person (nested in a face, or far too small)."""
        return len(self.faces) - len(self.people)

    @property
    def face(self) -> FaceLandmarks | None:
        """The largest face, or None."""
        if not self.faces:
            return None
        return max(self.faces, key=lambda f: f.box.w * f.box.h)


@dataclass
class LandmarkOptions:
    """Options of the landmark stage.

    Attributes
    ----------
    model_path:
        ``face_landmarker.task``; default: resolved (and hash-checked) through the model store.
    num_faces:
        Faces searched for; 3 so that a second face is reported.
    video_mode:
        True for streams (timestamps must increase), False for single images.
    """

    model_path: Path | None = None
    num_faces: int = 3
    video_mode: bool = True
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5


class LandmarkStage:
    """Per-frame stage: ``process(frame) -> LandmarkResult``. Close it (or use ``with``)."""

    def __init__(self, options: LandmarkOptions, landmarker: Any) -> None:
        self.options = options
        self._lm = landmarker
        self._last_ms = -1
        #: Added to a frame's own milliseconds so that a later stream continues the model's timeline.
        self._offset_ms = 0
        self._stream_pending = False

    def new_stream(self) -> None:
        """The next frame starts a new stream (another check) on this reused landmarker.

        MediaPipe's video mode needs timestamps that increase over the
        landmarker's whole life, but each check's source starts its own clock
        (a camera may restart at zero). The next frame's time is therefore
        shifted to follow the previous stream with a gap, keeping the spacing
        between the stream's own frames. A blank frame is shown first so that
        no face tracked in the previous check carries over into this one:
        a check's landmarks do not depend on the check before it.
        """
        self._stream_pending = True

    @classmethod
    def create(cls, options: LandmarkOptions | None = None) -> "LandmarkStage":
        """Build the stage; raises ``ModelError`` when the model is missing or altered."""
        options = options or LandmarkOptions()
        model_path = options.model_path
        if model_path is None:
            from app.core.models import ModelStore

            model_path = ModelStore().resolve("face_landmarker")
        # MediaPipe's C++ logging is noisy on stderr; keep warnings and errors only.
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        try:
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as exc:
            raise ModelError(f"mediapipe is not installed ({exc}); run the set-up again") from exc
        mode = vision.RunningMode.VIDEO if options.video_mode else vision.RunningMode.IMAGE
        task_options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model_path)),
            running_mode=mode,
            num_faces=options.num_faces,
            min_face_detection_confidence=options.min_detection_confidence,
            min_face_presence_confidence=options.min_presence_confidence,
            min_tracking_confidence=options.min_tracking_confidence,
            output_face_blendshapes=True,
        )
        try:
            # The graph's start-up notes (absl, TFLite) go to the log, not the user's terminal.
            with native_output_to_log("face landmarker start-up"):
                landmarker = vision.FaceLandmarker.create_from_options(task_options)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"the face landmark model {model_path} could not be loaded: {exc}") from exc
        return cls(options, landmarker)

    def process(self, frame: Frame) -> LandmarkResult:
        """Find faces in one BGR frame."""
        import mediapipe as mp

        if self._lm is None:
            raise ValueError("LandmarkStage is closed")
        start = time.perf_counter()
        rgb = np.ascontiguousarray(frame.image[:, :, ::-1])
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
        if self.options.video_mode:
            frame_ms = frame.t_ns // 1_000_000
            if self._stream_pending:
                self._stream_pending = False
                if self._last_ms >= 0:
                    blank_ms = self._last_ms + STREAM_GAP_MS
                    blank = np.zeros_like(rgb)
                    self._lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=blank), int(blank_ms))
                    self._last_ms = blank_ms
                    self._offset_ms = blank_ms + STREAM_GAP_MS - frame_ms
            ts_ms = frame_ms + self._offset_ms
            if ts_ms <= self._last_ms:
                ts_ms = self._last_ms + 1  # MediaPipe needs strictly increasing timestamps
            self._last_ms = ts_ms
            raw = self._lm.detect_for_video(image, int(ts_ms))
        else:
            raw = self._lm.detect(image)
        h, w = frame.image.shape[:2]
        faces = []
        for i, lms in enumerate(raw.face_landmarks or []):
            pts = np.array([(p.x * w, p.y * h) for p in lms], dtype=np.float32)
            shapes: dict[str, float] = {}
            if raw.face_blendshapes and i < len(raw.face_blendshapes):
                shapes = {c.category_name: float(c.score) for c in raw.face_blendshapes[i] if c.category_name in KEPT_BLENDSHAPES}
            faces.append(FaceLandmarks.from_points(pts, shapes))
        elapsed = (time.perf_counter() - start) * 1000
        return LandmarkResult(frame.index, frame.t_ns, tuple(faces), elapsed)

    def close(self) -> None:
        if self._lm is not None:
            self._lm.close()
            self._lm = None

    def __enter__(self) -> "LandmarkStage":
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.close()
