"""The guidance screen's oval, text, arrows and fit bar come from one state and always agree."""

from __future__ import annotations

import pytest

from app.core.challenge import FitState
from app.core.guidance import Guidance, Hint
from app.gui.guidance_view import BAR_BEFORE_FIT, START_FAR_SCALE, guidance_view

pytestmark = pytest.mark.gui


def _fit(*, fits: bool = False, too_close: bool = False, offset: float = 0.0, size: float = 0.8) -> FitState:
    return FitState(iou=0.7 if fits else 0.4, size_ratio=size, offset=offset, edge_overhang=0.0, fits=fits,
                    far_enough=size < 0.6, too_close=too_close, progress=0.95 if fits else 0.5)


def _guidance(hint: Hint, fit: FitState | None, *, gate: bool = True, progress: float = 0.6) -> Guidance:
    return Guidance(hint, hint, 1 if fit else 0, fit, progress, gate, hint is Hint.HOLD_STILL)


@pytest.mark.parametrize("hint", [h for h in Hint if h is not Hint.HOLD_STILL])
def test_only_hold_still_is_green_and_full(qapp, hint: Hint) -> None:
    # The frame's own fit may say "fits" while the smoothed hint still asks for something: the screen follows the hint.
    view = guidance_view(_guidance(hint, _fit(fits=True), progress=1.0))
    assert not view.good and view.bar <= BAR_BEFORE_FIT and "%" not in view.step


def test_hold_still_is_green_with_a_full_bar(qapp) -> None:
    view = guidance_view(_guidance(Hint.HOLD_STILL, _fit(fits=True), progress=0.97))
    assert view.good and view.bar == 1.0 and view.cue == "" and view.text == "Hold still"


def test_the_first_step_is_a_small_oval_further_away(qapp) -> None:
    view = guidance_view(_guidance(Hint.MOVE_BACK, _fit(size=0.8), gate=False, progress=0.0))
    assert view.oval_scale == START_FAR_SCALE and view.cue == "back" and view.bar == 0.0
    assert "further away" in view.text and "Step 1" in view.step
    after = guidance_view(_guidance(Hint.MOVE_CLOSER, _fit(size=0.5), gate=True, progress=0.3))
    assert after.oval_scale == 1.0 and after.cue == "closer" and after.text == "Move closer" and "Step 2" in after.step


def test_too_close_says_move_back_with_inward_arrows(qapp) -> None:
    view = guidance_view(_guidance(Hint.MOVE_BACK, _fit(size=1.4, too_close=True), gate=False, progress=0.0))
    assert view.text == "Too close: move back" and view.cue == "back" and view.oval_scale == 1.0


def test_a_centred_face_is_not_told_to_centre(qapp) -> None:
    centred = guidance_view(_guidance(Hint.CENTRE, _fit(offset=0.02, size=0.95)))
    assert "centre" not in centred.text.lower()
    off = guidance_view(_guidance(Hint.CENTRE, _fit(offset=0.3, size=0.95)))
    assert "centre your face" in off.text
