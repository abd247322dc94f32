"""The GUI paints each colour's wipe in its direction, in the customer's frame (the widget's x runs from the
customer's left to their right), and each level as a code value of the assumed display gamma."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor

from app.core.challenge import DISPLAY_GAMMA, ColourStep, wipe_reach
from app.core.screen import ScreenState
from app.gui.preview import FlashPaint, flash_rects

NEW, OLD = QColor(255, 0, 0), QColor(0, 0, 255)


@pytest.mark.parametrize("direction", ["down", "up", "right", "left"])
def test_the_new_colour_covers_what_the_wipe_has_reached(direction: str) -> None:
    flash = FlashPaint(1, NEW, OLD, 0, 400, direction)
    rects = dict((c.name(), r) for c, r in flash_rects(flash, 200.0, 100.0, 100))  # a quarter of the wipe
    new, old = rects[NEW.name()], rects[OLD.name()]
    assert new.width() * new.height() == pytest.approx(0.25 * 200 * 100)
    assert old.width() * old.height() == pytest.approx(0.75 * 200 * 100)
    # Every point of the new colour's rectangle is reached by the wipe before every point of the old one's.
    def reach(r: QRectF, corner: str) -> float:
        x = (r.left() if corner == "min" else r.right()) / 200.0
        y = (r.top() if corner == "min" else r.bottom()) / 100.0
        return float(wipe_reach(direction, x, y))

    assert max(reach(new, "min"), reach(new, "max")) <= min(reach(old, "min"), reach(old, "max")) + 1e-9
    done = dict((c.name(), r) for c, r in flash_rects(flash, 200.0, 100.0, 400))
    assert done[NEW.name()] == QRectF(0, 0, 200, 100)


def test_a_right_wipe_starts_at_the_customers_left_which_is_the_widgets_left() -> None:
    flash = FlashPaint(1, NEW, OLD, 0, 400, "right")
    new = [r for c, r in flash_rects(flash, 200.0, 100.0, 200) if c == NEW][0]
    assert new.left() == 0 and new.right() == pytest.approx(100)


def test_the_flash_controller_paints_levels_in_linear_light(qtbot) -> None:
    from app.gui.flash import FlashController
    from app.gui.preview import make_canvas

    canvas = make_canvas(prefer_gl=False)
    qtbot.addWidget(canvas)
    ctl = FlashController(canvas=canvas, screen=ScreenState(), attenuation=0.0)
    colour = ctl._colour(ColourStep("red", (255, 0, 0), 300, 100, "up", 0.4))  # noqa: SLF001 - the paint rule itself
    assert colour.red() == round(255 * 0.4 ** (1 / DISPLAY_GAMMA)) and colour.green() == 0
