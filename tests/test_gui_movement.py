"""GUI parts of the movement-only check and the kiosk PIN rule: cue display, mode on the result, PIN set-up."""

from __future__ import annotations

from pathlib import Path

from app.core.challenge import MOVEMENT_AND_LIGHT, MOVEMENT_ONLY
from app.core.settings import Settings, load_settings
from app.gui.pages import GuidancePage, mode_text
from app.gui.pin import verify_pin
from app.gui.pin_setup import PinSetupDialog
from app.gui.preview import RasterCanvas
from app.gui.settings_dialog import SettingsDialog


def test_cue_shows_instruction_and_arrow(qtbot) -> None:
    page = GuidancePage(RasterCanvas())
    qtbot.addWidget(page)
    page.show_cue("left", 0)
    assert "LEFT" in page.hint.text() and page.canvas.renderer.turn_cue == "left"
    page.show_cue(None, 0)
    assert page.hint.text() == "Look at the screen" and page.canvas.renderer.turn_cue is None
    page.show_cue("right", 1)
    assert "RIGHT" in page.hint.text()
    page.show_cue(None, -1)  # cues over
    page.reset()
    assert page.canvas.renderer.turn_cue is None


def test_result_names_the_check_and_its_assurance(qtbot) -> None:
    page = GuidancePage(RasterCanvas())
    qtbot.addWidget(page)
    assert "reduced assurance" in mode_text(page, MOVEMENT_ONLY)
    assert "standard assurance" in mode_text(page, MOVEMENT_AND_LIGHT)


def test_kiosk_mode_without_a_pin_is_refused_in_the_settings(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    dialog = SettingsDialog(Settings(), devices=[], path=path)
    qtbot.addWidget(dialog)
    assert "PIN" in dialog.kiosk_note.text()
    dialog.mode.setCurrentIndex(dialog.mode.findData("kiosk"))
    dialog._on_save()
    assert "needs an operator PIN" in dialog.message.text()
    assert not path.exists() and dialog.result_settings is None


def test_first_start_pin_prompt_saves_a_pin(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    dialog = PinSetupDialog(Settings(mode="kiosk"), path)
    qtbot.addWidget(dialog)
    dialog.pin.setText("1357")
    dialog.pin_again.setText("1358")
    dialog._on_ok()
    assert "differ" in dialog.message.text() and dialog.result_settings is None
    dialog.pin.setText("13")
    dialog.pin_again.setText("13")
    dialog._on_ok()
    assert "4 to 64" in dialog.message.text()
    dialog.pin.setText("1357")
    dialog.pin_again.setText("1357")
    dialog._on_ok()
    assert dialog.result_settings is not None
    saved = load_settings(path)
    assert saved.mode == "kiosk" and verify_pin("1357", saved.kiosk_pin_hash)


def test_nod_cues_show_instruction_and_arrows_beside_the_oval(qtbot) -> None:
    from PySide6.QtGui import QImage, QPainter

    from app.core.challenge import make_oval

    page = GuidancePage(RasterCanvas())
    qtbot.addWidget(page)
    for direction, word in (("up", "UP"), ("down", "DOWN")):
        page.show_cue(direction, 0)
        assert word in page.hint.text() and page.canvas.renderer.turn_cue == direction
    renderer = page.canvas.renderer
    renderer.oval = make_oval(640, 480)
    arrow_rows = {}
    for direction in ("up", "down"):
        renderer.turn_cue = direction
        image = QImage(640, 480, QImage.Format.Format_RGB32)
        painter = QPainter(image)
        renderer.paint(painter, 640.0, 480.0, 0)
        painter.end()
        oval = renderer.oval_rect(640.0, 480.0)
        assert oval is not None
        # The arrow's yellow, left of the oval: its topmost row is the tip for "up", the shaft's end for "down".
        rows = [y for y in range(480) if any(image.pixelColor(x, y).name() == "#ffc800" for x in range(0, int(oval.left()), 2))]
        assert rows, direction
        # The arrow's widest row (its head) is near its top when it points up, near its bottom when down.
        widths = {y: sum(image.pixelColor(x, y).name() == "#ffc800" for x in range(0, int(oval.left()))) for y in rows}
        head = max(widths, key=widths.get)
        arrow_rows[direction] = (head - min(rows)) / max(1, max(rows) - min(rows))
    assert arrow_rows["up"] < 0.5 < arrow_rows["down"]
