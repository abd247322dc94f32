"""Quality: exactly one face, size and centring, exposure, blur, open eyes; and the GUI's hints.

Hard failures: no face in the frames that matter, or a second face in a
sizeable share of them ("multiple faces" is really detected: the landmark
stage searches for three). Everything else lowers the score and becomes a
hint, because a poorly lit genuine user should get advice, not an accusation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from app.core.challenge import Box, fit_state
from app.core.enums import Verdict
from app.core.scoring.contract import CheckResult
from app.core.scoring.display import DisplayTimeline
from app.core.scoring.evidence import UNSET, Evidence
from app.core.scoring.features import AROUND_REGIONS, SessionData, frame_quality
from app.core.scoring.reasons import ReasonCode
from app.core.scoring.registry import STAGES, StageSpec
from app.core.scoring.stages.base import SessionInput, nanmedian, result
from app.core.scoring.stages.light import group_signal

#: A hard failure with a face in fewer than this share of the frames checked means there was nothing to
#: judge: the session could not be scored (status FAILED) rather than scored and failed.
NO_RESPONSE_FACE_FRACTION = 0.5


class QualityReason(ReasonCode):
    NO_FRAMES = "quality.no_frames", "No frames were captured."
    NO_FACE = "quality.no_face", "No face was visible for most of the check."
    MULTIPLE_FACES = "quality.multiple_faces", "More than one face was in front of the camera."
    GOOD = "quality.good", "One face, well lit, sharp and inside the oval."
    POOR = "quality.poor", "Capture quality was poor: {issues}."


class QualityIssue(StrEnum):
    """A capture problem (the value is the phrase the reason and the evidence show)."""

    OUTSIDE_OVAL = "the face did not stay inside the oval"
    TOO_DARK = "the face was too dark"
    OVER_EXPOSED = "the face was over-exposed"
    BACKLIT = "the light came from behind"
    BLURRED = "the picture was blurred"
    EYES_CLOSED = "the eyes were closed"


#: Capture problems that can hide a real face's colour response, and what the customer can do about them.
LIGHT_ADVICE: dict[QualityIssue, str] = {
    QualityIssue.OVER_EXPOSED: "reduce the light falling on the face (move away from a window or lamp)",
    QualityIssue.TOO_DARK: "add some light in front of the face",
    QualityIssue.BACKLIT: "turn away from the window or lamp behind",
}


class Hint(StrEnum):
    """Advice for the user after the check (the value is the English text the GUI translates)."""

    FACE_MISSING = "Move face in front of camera"
    ONE_FACE = "Ensure only one face is in front of camera"
    MOVE_BACK = "Move back"
    MOVE_CLOSER = "Move closer"
    BRIGHTER = "Find a brighter place"
    NO_DIRECT_LIGHT = "Avoid direct light on the face"
    NO_BACK_LIGHT = "Avoid a bright window or lamp behind you"
    HOLD_STILL = "Hold still"
    EYES_OPEN = "Keep your eyes open"


@dataclass
class QualityEvidence(Evidence):
    """What the quality stage measured (fields in the result document's order)."""

    frames: int = UNSET
    frames_checked: int = UNSET
    face_fraction: float = UNSET
    multi_face_fraction: float = UNSET
    fit_fraction: float = UNSET
    size_ratio: float = UNSET
    face_luma: float = UNSET
    clipped_fraction: float = UNSET
    room_luma: float = UNSET
    sharpness: float = UNSET
    reference_blink: float = UNSET
    best_frame_quality: float = UNSET
    hints: list[str] = UNSET
    issues: list[str] = UNSET

    def no_response(self) -> bool:
        face = self.face_fraction if isinstance(self.face_fraction, (int, float)) else 0.0
        return (face or 0.0) < NO_RESPONSE_FACE_FRACTION

    def capture_advice(self) -> list[str]:
        return [LIGHT_ADVICE[i] for i in (self.issues or []) if i in LIGHT_ADVICE]

    def user_hints(self) -> list[str]:
        return list(self.hints or [])


@dataclass
class QualityOptions:
    """Thresholds of the quality stage.

    Attributes
    ----------
    min_face_fraction:
        Share of the relevant frames that must show a face.
    max_multi_fraction:
        Share of frames with two or more faces above which the session fails.
    min_fit_fraction:
        Share of challenge frames in which the face must fit the oval.
    dark_luma, bright_clip, backlit_ratio:
        Exposure limits: face grey level below ``dark_luma``, more than ``bright_clip`` clipped face
        pixels, background brighter than ``backlit_ratio`` x the face.
    min_sharpness:
        Laplacian variance of the face crop below which it is called blurred.
    max_blink:
        Eye-closure score above which eyes count as closed.
    """

    min_face_fraction: float = 0.5
    max_multi_fraction: float = 0.15
    min_fit_fraction: float = 0.5
    dark_luma: float = 40.0
    bright_clip: float = 0.25
    backlit_ratio: float = 2.5
    min_sharpness: float = 15.0
    max_blink: float = 0.5


def session_frame_quality(d: SessionData, i: int) -> float:
    """Quality of frame ``i`` of a session for reference/texture use (0 without a face)."""
    return frame_quality(int(d.n_faces[i]), float(d.iod[i]), float(d.sharpness[i]), float(d.luma[i]), float(d.blink[i]))


class QualityStage:
    """Session stage: ``evaluate(session) -> CheckResult`` named ``quality``."""

    name = "quality"

    def __init__(self, options: QualityOptions) -> None:
        self.options = options

    @classmethod
    def create(cls, options: QualityOptions | None = None) -> "QualityStage":
        return cls(options or QualityOptions())

    def close(self) -> None:
        """Nothing to release."""

    def evaluate(self, session: SessionInput) -> CheckResult:
        """Judge capture quality; the evidence's ``hints`` list advice for the user."""
        o = self.options
        d = session.data
        ch = session.challenge
        if d.n == 0:
            return result(self.name, Verdict.FAIL, 0.0, QualityReason.NO_FRAMES, QualityEvidence(frames=0), hard_fail=True)
        timeline = DisplayTimeline.from_challenge(ch)
        if timeline is not None:
            focus = (d.t_ns >= timeline.start_ns) & (d.t_ns <= timeline.end_ns)
            if focus.sum() < 3:
                focus = np.ones(d.n, bool)
        elif ch.cue_ns:
            # Movement-only check with head-turn cues: judge the hold before the first cue (the face frontal in
            # the oval); during the cues a turned head leaves the fit and may lose its landmarks, which the
            # movement stage judges.
            focus = (d.t_ns >= ch.cue_ns[0] - 1_500_000_000) & (d.t_ns <= ch.cue_ns[0])
            if focus.sum() < 3:
                focus = d.t_ns >= d.t_ns[0] + (d.t_ns[-1] - d.t_ns[0]) // 2
        else:
            # Movement only: judge the last half (the face should fit the oval there).
            focus = d.t_ns >= d.t_ns[0] + (d.t_ns[-1] - d.t_ns[0]) // 2
        n_focus = int(focus.sum())
        face_frac = float((d.n_faces[focus] >= 1).mean())
        multi_frac = float((d.n_faces >= 2).mean())
        multi_focus = float((d.n_faces[focus] >= 2).mean())
        fits = []
        sizes = []
        for i in np.flatnonzero(focus & (d.n_faces >= 1) & np.isfinite(d.fit_box[:, 0])):
            fs = fit_state(Box(*d.fit_box[i]), ch.oval)
            fits.append(fs.fits)
            sizes.append(fs.size_ratio)
        fit_frac = float(np.mean(fits)) if fits else 0.0
        face_luma = nanmedian(d.luma[focus])
        clip = nanmedian(d.clip_hi[focus])
        room = group_signal(d.regions, AROUND_REGIONS).mean(axis=1)
        room_level = nanmedian(room[focus])
        sharp = nanmedian(d.sharpness[focus])
        qualities = np.array([session_frame_quality(d, i) for i in range(d.n)])
        best = int(np.argmax(qualities)) if d.n else -1
        best_blink = float(d.blink[best]) if best >= 0 and math.isfinite(d.blink[best]) else math.nan
        hints: list[Hint] = []
        issues: list[QualityIssue] = []
        ev = QualityEvidence(
            frames=d.n,
            frames_checked=n_focus,
            face_fraction=face_frac,
            multi_face_fraction=multi_frac,
            fit_fraction=fit_frac,
            size_ratio=nanmedian(sizes),
            face_luma=face_luma,
            clipped_fraction=clip,
            room_luma=room_level,
            sharpness=sharp,
            reference_blink=best_blink,
            best_frame_quality=float(qualities[best]) if best >= 0 else 0.0,
        )
        if face_frac < o.min_face_fraction:
            ev.hints = [Hint.FACE_MISSING]
            return result(self.name, Verdict.FAIL, 0.0, QualityReason.NO_FACE, ev, hard_fail=True)
        if multi_frac > o.max_multi_fraction or multi_focus > o.max_multi_fraction:
            ev.hints = [Hint.ONE_FACE]
            return result(self.name, Verdict.FAIL, 0.0, QualityReason.MULTIPLE_FACES, ev, hard_fail=True)
        if fit_frac < o.min_fit_fraction:
            ratio = nanmedian(sizes)
            hints.append(Hint.MOVE_BACK if math.isfinite(ratio) and ratio > 1.0 else Hint.MOVE_CLOSER)
            issues.append(QualityIssue.OUTSIDE_OVAL)
        if math.isfinite(face_luma) and face_luma < o.dark_luma:
            hints.append(Hint.BRIGHTER)
            issues.append(QualityIssue.TOO_DARK)
        if math.isfinite(clip) and clip > o.bright_clip:
            hints.append(Hint.NO_DIRECT_LIGHT)
            issues.append(QualityIssue.OVER_EXPOSED)
        if math.isfinite(room_level) and math.isfinite(face_luma) and room_level > o.backlit_ratio * max(face_luma, 1.0):
            hints.append(Hint.NO_BACK_LIGHT)
            issues.append(QualityIssue.BACKLIT)
        if math.isfinite(sharp) and sharp < o.min_sharpness:
            hints.append(Hint.HOLD_STILL)
            issues.append(QualityIssue.BLURRED)
        if math.isfinite(best_blink) and best_blink > o.max_blink:
            hints.append(Hint.EYES_OPEN)
            issues.append(QualityIssue.EYES_CLOSED)
        ev.hints = list(hints)
        ev.issues = list(issues)
        score = max(0.0, 1.0 - 0.25 * len(issues))
        if not issues:
            return result(self.name, Verdict.PASS, score, QualityReason.GOOD, ev)
        return result(self.name, Verdict.FAIL, score, QualityReason.POOR, ev, issues="; ".join(issues))


STAGE = STAGES.register(StageSpec("quality", QualityStage, QualityOptions, QualityEvidence, order=10))
