"""One state behind everything the guidance screen shows: oval colour and size, text, arrows, fit bar.

The oval, the instruction, the arrows and the fit bar used to be driven from
different values (the oval from this frame's fit, the text from the smoothed
hint), so they could disagree ("Move back" on a green oval). Here they all
follow the hint on screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from app.core.guidance import Guidance, GuidanceThresholds, Hint
from app.gui.texts import hint_text

#: Size of the oval before the start-far gate: a face that fills it is far enough away.
START_FAR_SCALE = 0.6
#: The fit bar never looks full until the screen says "Hold still".
BAR_BEFORE_FIT = 0.9


@dataclass(frozen=True)
class GuidanceView:
    """What the guidance screen shows for one hint.

    Attributes
    ----------
    hint:
        The hint on screen.
    text:
        The instruction.
    good:
        The oval is green ("Hold still" only).
    oval_scale:
        1.0, or :data:`START_FAR_SCALE` for the first step ("start further away").
    cue:
        Arrows beside the oval: ``"closer"``, ``"back"`` or ``""``.
    bar:
        0..1 fill of the fit bar (full only when ``good``).
    step:
        Short label of the step the user is in (replaces the old "x % face fit").
    """

    hint: Hint
    text: str
    good: bool
    oval_scale: float
    cue: str
    bar: float
    step: str


def guidance_view(guidance: Guidance, *, hold_progress: float = 0.0) -> GuidanceView:
    """Derive the whole screen state from one assessed frame's smoothed hint."""
    hint = guidance.hint
    fit = guidance.fit
    too_close = fit is not None and fit.too_close
    start_far = not guidance.far_gate_passed and hint is Hint.MOVE_BACK and not too_close
    good = hint is Hint.HOLD_STILL
    if start_far:
        text = QCoreApplication.translate("Guidance", "Start further away: fit your face in the small oval")
    elif hint is Hint.CENTRE and fit is not None and fit.offset <= GuidanceThresholds().centre_offset:
        # Centred but not filling the oval's shape (tilted or turned): "centre your face" would be wrong.
        text = QCoreApplication.translate("Guidance", "Look straight at the camera and keep your face inside the oval")
    else:
        text = hint_text(hint, too_close=too_close)
    if hint is Hint.MOVE_CLOSER:
        cue = "closer"
    elif hint is Hint.MOVE_BACK:
        cue = "back"
    else:
        cue = ""
    if start_far or not guidance.far_gate_passed:
        bar = 0.0
    elif good:
        bar = 1.0
    else:
        bar = min(BAR_BEFORE_FIT, guidance.progress)
    if start_far:
        step = QCoreApplication.translate("Guidance", "Step 1 of 2: start further away")
    elif good:
        step = QCoreApplication.translate("Guidance", "Good fit: hold still")
    else:
        step = QCoreApplication.translate("Guidance", "Step 2 of 2: fill the oval")
    return GuidanceView(hint, text, good, START_FAR_SCALE if start_far else 1.0, cue, bar, step)


__all__ = ["BAR_BEFORE_FIT", "START_FAR_SCALE", "GuidanceView", "guidance_view"]
