"""Every screen fits a 1366x768 laptop screen with a taskbar at 160 % text; kiosk touch targets; live appearance."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QAbstractButton

from app.core.settings import Settings, replace
from app.gui.appearance import Appearance
from app.devtools.catalogue import layout_problems, staged_screens, variant
from app.gui.controller import CheckController
from app.gui.pages import TOUCH_PX
from app.gui.preview import RasterCanvas
from app.gui.settings_dialog import SettingsDialog
from app.gui.style import apply_style
from app.gui.window import MainWindow

pytestmark = pytest.mark.gui

#: The free area of a 1366x768 screen under a 40 px taskbar.
AREA = (1366, 728)


@pytest.fixture(autouse=True)
def styled(qapp) -> None:
    """The app's own style sheet, as ``livegate gui`` applies it (its padding makes every screen taller)."""
    apply_style(qapp, high_contrast=False)


def _window(qtbot, *, kiosk: bool = False, **kwargs) -> MainWindow:
    controller = CheckController(settings=Settings(mode="kiosk" if kiosk else "operator"), source_spec=None)
    window = MainWindow(controller=controller, canvas=RasterCanvas(), camera_lister=list, kiosk=kiosk, **kwargs)
    qtbot.addWidget(window)
    return window


def _close(window: MainWindow) -> None:
    window.allow_close()
    window.close()
    window.controller.shutdown()


@pytest.mark.parametrize("languages", [("large-text",), ("large-text", "es")])
def test_every_screen_fits_1366x768_at_160_percent_text(qapp, qtbot, languages: tuple[str, ...]) -> None:
    problems: list[str] = []
    with variant(qapp, languages[0]):
        if len(languages) > 1:
            context = variant(qapp, languages[1])
            context.__enter__()
        try:
            window = _window(qtbot)
            window.resize(*AREA)
            window.show()
            min_hint = window.minimumSizeHint()
            assert min_hint.width() <= AREA[0] and min_hint.height() <= AREA[1], min_hint
            for staged in staged_screens():
                staged.stage(window)
                qapp.processEvents()
                assert (window.width(), window.height()) == AREA, f"{staged.screen} grew the window to {window.size()}"
                problems += [f"{staged.screen}: {p}" for p in layout_problems(window)]
            _close(window)
        finally:
            if len(languages) > 1:
                context.__exit__(None, None, None)
    assert problems == []


def test_the_layout_check_finds_a_cut_label(qapp, qtbot) -> None:
    window = _window(qtbot)
    window.resize(*AREA)
    window.show()
    staged = {s.screen: s for s in staged_screens()}
    staged["result-fail"].stage(window)
    qapp.processEvents()
    assert layout_problems(window) == []
    label = window.result_page.explanation
    label.setWordWrap(False)
    label.setText("a sentence far too long for any window " * 20)
    qapp.processEvents()
    assert any("What happens next" in p for p in layout_problems(window))
    _close(window)


def test_kiosk_touch_targets_are_at_least_44_px(qapp, qtbot) -> None:
    window = _window(qtbot, kiosk=True)
    window.resize(*AREA)
    window.show()
    small = []
    for staged in staged_screens():
        if staged.audience != "customer":
            continue
        staged.stage(window)
        qapp.processEvents()
        page = window.stack.currentWidget()
        for button in page.findChildren(QAbstractButton):
            if button.isVisibleTo(window) and (button.height() < TOUCH_PX or button.width() < TOUCH_PX):
                small.append(f"{staged.screen}: {button.accessibleName() or button.text()} {button.width()}x{button.height()}")
    _close(window)
    assert small == []


def test_the_window_fits_the_free_screen_area(qapp, qtbot) -> None:
    window = _window(qtbot)
    window.show_fitted((5000, 5000))
    area = window.screen().availableGeometry()
    assert area.contains(window.frameGeometry())
    _close(window)


def test_language_contrast_and_text_size_apply_without_a_restart(qapp, qtbot, tmp_path: Path) -> None:
    appearance = Appearance(qapp)
    base = qapp.font().pointSizeF()
    try:
        appearance.apply(Settings())
        window = _window(qtbot, appearance=appearance, settings_path=tmp_path / "settings.json")
        window.show()
        assert window.start_page.start.text().replace("&", "") == "Start check"
        old_page = window.start_page
        window.apply_settings(replace(window.settings, language="es", high_contrast=True, text_size=160))
        assert window.start_page is not old_page and window.page_name == "start"
        assert window.start_page.start.text().replace("&", "") != "Start check"
        assert qapp.font().pointSizeF() == pytest.approx(base * 1.6)
        assert qapp.palette().window().color().name() == "#000000"  # the high-contrast palette
        assert window.guidance_page.canvas is window.canvas  # the preview survives the rebuild
        dialog = SettingsDialog(window.settings, devices=[], extra_spec=None, path=tmp_path / "settings.json", parent=window)
        assert dialog.high_contrast.isChecked() and dialog.text_size.currentData() == 160
        dialog.deleteLater()
        window.apply_settings(replace(window.settings, language="en", high_contrast=False, text_size=100))
        assert window.start_page.start.text().replace("&", "") == "Start check"
        assert qapp.font().pointSizeF() == pytest.approx(base)
        _close(window)
    finally:
        appearance.apply(Settings())  # back to English, normal contrast and size for the other tests
        appearance.close()


def test_the_settings_dialog_fits_at_160_percent_text(qapp, qtbot, tmp_path: Path) -> None:
    with variant(qapp, "large-text"):
        window = _window(qtbot)
        dialog = SettingsDialog(window.settings, devices=[], extra_spec=None, path=tmp_path / "settings.json", parent=window)
        dialog.show()
        qapp.processEvents()
        area = dialog.screen().availableGeometry()
        assert dialog.height() <= area.height() and dialog.width() <= area.width()
        assert dialog.buttons.isVisible() and dialog.scroll.isVisible()
        dialog.reject()
        _close(window)


def test_the_verdict_banner_has_no_black_boxes_in_high_contrast(qapp, qtbot) -> None:
    with variant(qapp, "high-contrast"):
        window = _window(qtbot)
        window.resize(*AREA)
        window.show()
        {s.screen: s for s in staged_screens()}["result-pass"].stage(window)
        qapp.processEvents()
        image = window.result_page.banner.grab().toImage()
        label = window.result_page.verdict
        # A pixel of the verdict label's background (right of its text) has the banner's green, not black.
        point = label.mapTo(window.result_page.banner, label.rect().topRight()) + type(label.pos())(-3, 3)
        colour = image.pixelColor(point)
        assert colour.green() > 60 and colour.red() < 60, colour.name()
        _close(window)
