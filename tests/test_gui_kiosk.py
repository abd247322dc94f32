"""Kiosk mode: automatic return to start, attract screen, operator access behind the PIN, no closing."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.core.challenge import MOVEMENT_ONLY
from app.core.sessions.pin import hash_pin
from app.core.settings import Settings
from app.gui.controller import CheckController
from app.gui.kiosk import OperatorMenu, PinDialog
from app.gui.preview import RasterCanvas
from app.gui.window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def kiosk(qtbot, tmp_path: Path) -> MainWindow:
    settings = Settings(mode="kiosk", kiosk_reset_s=2.0, kiosk_pin_hash=hash_pin("1357", salt=b"0123456789abcdef"))
    controller = CheckController(settings=settings, source_spec=None)
    window = MainWindow(
        controller=controller,
        settings_path=tmp_path / "settings.json",
        kiosk=True,
        canvas=RasterCanvas(),
        attract_after_s=0.3,
        camera_lister=list,  # no camera: every check ends on an error screen at once
    )
    qtbot.addWidget(window)
    window.show()
    yield window
    window.allow_close()
    window.close()


def test_kiosk_returns_to_start_by_itself(qtbot, kiosk: MainWindow) -> None:
    assert kiosk.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert not kiosk.start_page.settings_button.isVisible() and not kiosk.start_page.quit_button.isVisible()
    kiosk.start_check(challenge_type=MOVEMENT_ONLY)
    qtbot.waitUntil(lambda: kiosk.page_name == "error", timeout=3000)
    assert "Returning to the start screen" in kiosk.problem_page.countdown.text()
    with qtbot.waitSignal(kiosk.autoReset, timeout=6000):
        pass
    assert kiosk.page_name == "start"
    assert kiosk.controller.session is None


def test_idle_kiosk_shows_the_attract_screen_and_any_key_leaves_it(qtbot, kiosk: MainWindow) -> None:
    kiosk.go_home()
    qtbot.waitUntil(lambda: kiosk.page_name == "attract", timeout=3000)
    qtbot.keyClick(kiosk.attract_page, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: kiosk.page_name == "start", timeout=2000)


def test_kiosk_cannot_be_closed_without_the_operator(qtbot, kiosk: MainWindow) -> None:
    kiosk.close()
    assert kiosk.isVisible()


def test_operator_menu_needs_the_pin(qtbot, kiosk: MainWindow) -> None:
    kiosk.open_operator_menu()
    dialog = kiosk.findChild(PinDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.pin.setText("0000")
    dialog._on_ok()
    qtbot.waitUntil(lambda: "Wrong PIN" in dialog.message.text(), timeout=20000)
    assert kiosk.findChild(OperatorMenu) is None
    dialog.pin.setText("1357")
    with qtbot.waitSignal(dialog.granted, timeout=20000):
        dialog._on_ok()
    menu = kiosk.findChild(OperatorMenu)
    assert menu is not None and menu.isVisible()
    menu.exit_button.click()
    qtbot.waitUntil(lambda: not kiosk.isVisible(), timeout=3000)


def test_the_staff_view_of_a_result_needs_the_pin(qtbot, kiosk: MainWindow) -> None:
    from app.devtools.catalogue import staged_screens

    {s.screen: s for s in staged_screens()}["result-review"].stage(kiosk)
    page = kiosk.result_page
    assert kiosk.page_name == "result" and not page.staff_visible
    assert not page.confidence.isVisible() and not page.reasons.isVisible()
    kiosk._arm_auto_reset()
    page.staff_button.click()
    dialog = kiosk.findChild(PinDialog)
    assert dialog is not None and dialog.isVisible() and not page.staff_visible
    dialog.granted.emit()  # what a correct PIN does (the PIN check itself is tested above)
    assert page.staff_visible and page.reasons.isVisible() and page.staff_verdict.text() == "PASS - review"
    assert not kiosk.countdown.active  # no automatic return while staff review
    page.staff_button.click()  # "Hide staff view" needs no PIN
    assert not page.staff_visible
