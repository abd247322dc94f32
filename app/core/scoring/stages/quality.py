"""Quality: exactly one face, size and centring, exposure, blur, open eyes; and the GUI's hints.

Hard failures: no face in the frames that matter, or a second face in a
sizeable share of them ("multiple faces" is really detected: the landmark
stage searches for three). Everything else lowers the score and becomes a
hint, because a poorly lit genuine user should get advice, not an accusation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.core.challenge import Box, fit_state
from app.core.scoring.contract import FAIL, PASS, CheckResult
from app.core.scoring.display import DisplayTimeline
from app.core.scoring.features import AROUND_REGIONS, SessionData
from app.core.scoring.stages.base import SessionInput, nanmedian, result
from app.core.scoring.stages.light import group_signal


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


def frame_quality(d: SessionData, i: int) -> float:
    """Quality of one frame for reference/texture use (0 without a face)."""
    if d.n_faces[i] != 1 or not math.isfinite(d.iod[i]):
        return 0.0
    sharp = float(d.sharpness[i]) if math.isfinite(d.sharpness[i]) else 0.0
    luma = float(d.luma[i]) if math.isfinite(d.luma[i]) else 0.0
    blink = float(d.blink[i]) if math.isfinite(d.blink[i]) else 1.0
    expo = 1.0 - min(1.0, abs(luma - 130.0) / 130.0)
    return float(min(1.0, d.iod[i] / 120.0) * (0.5 + 0.5 * min(1.0, sharp / 200.0)) * expo * (1.0 - blink))


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
        """Judge capture quality; ``evidence['hints']`` lists advice for the user."""
        o = self.options
        d = session.data
        ch = session.challenge
        if d.n == 0:
            return result(self.name, FAIL, 0.0, "No frames were captured.", {"frames": 0}, hard_fail=True)
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
        qualities = np.array([frame_quality(d, i) for i in range(d.n)])
        best = int(np.argmax(qualities)) if d.n else -1
        best_blink = float(d.blink[best]) if best >= 0 and math.isfinite(d.blink[best]) else math.nan
        hints: list[str] = []
        issues: list[str] = []
        ev: dict[str, Any] = {
            "frames": d.n,
            "frames_checked": n_focus,
            "face_fraction": face_frac,
            "multi_face_fraction": multi_frac,
            "fit_fraction": fit_frac,
            "size_ratio": nanmedian(sizes),
            "face_luma": face_luma,
            "clipped_fraction": clip,
            "room_luma": room_level,
            "sharpness": sharp,
            "reference_blink": best_blink,
            "best_frame_quality": float(qualities[best]) if best >= 0 else 0.0,
        }
        if face_frac < o.min_face_fraction:
            ev["hints"] = ["Move face in front of camera"]
            return result(
                self.name, FAIL, 0.0, "No face was visible for most of the check.", ev, hard_fail=True
            )
        if multi_frac > o.max_multi_fraction or multi_focus > o.max_multi_fraction:
            ev["hints"] = ["Ensure only one face is in front of camera"]
            return result(self.name, FAIL, 0.0, "More than one face was in front of the camera.", ev, hard_fail=True)
        if fit_frac < o.min_fit_fraction:
            ratio = nanmedian(sizes)
            hints.append("Move back" if math.isfinite(ratio) and ratio > 1.0 else "Move closer")
            issues.append("the face did not stay inside the oval")
        if math.isfinite(face_luma) and face_luma < o.dark_luma:
            hints.append("Find a brighter place")
            issues.append("the face was too dark")
        if math.isfinite(clip) and clip > o.bright_clip:
            hints.append("Avoid direct light on the face")
            issues.append("the face was over-exposed")
        if math.isfinite(room_level) and math.isfinite(face_luma) and room_level > o.backlit_ratio * max(face_luma, 1.0):
            hints.append("Avoid a bright window or lamp behind you")
            issues.append("the light came from behind")
        if math.isfinite(sharp) and sharp < o.min_sharpness:
            hints.append("Hold still")
            issues.append("the picture was blurred")
        if math.isfinite(best_blink) and best_blink > o.max_blink:
            hints.append("Keep your eyes open")
            issues.append("the eyes were closed")
        ev["hints"] = hints
        ev["issues"] = issues
        score = max(0.0, 1.0 - 0.25 * len(issues))
        if not issues:
            return result(self.name, PASS, score, "One face, well lit, sharp and inside the oval.", ev)
        reason = "Capture quality was poor: " + "; ".join(issues) + "."
        return result(self.name, FAIL, score, reason, ev)
