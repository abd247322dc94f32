"""The staff view on a second screen (setting ``staff_screen``).

The offscreen platform has one screen, so the window is told which screen counts as "the second" (the same
real screen); everything else — moving the panel, what each audience sees, going back — is the app's own.
"""

from __future__ import annotations

import dataclasses

import pytest

from app.core.settings import Settings
from app.devtools.catalogue import staged_screens, variant, visible_texts
from app.gui.controller import CheckController
from app.gui.preview import RasterCanvas
from app.gui.staff_screen import second_screen
from app.gui.window import MainWindow

pytestmark = pytest.mark.gui


def test_second_screen_is_any_other_than_the_windows() -> None:
    a, b = object(), object()
    assert second_screen(a, [a, b]) is b  # type: ignore[arg-type]
    assert second_screen(a, [a]) is None  # type: ignore[arg-type]
    assert second_screen(None, []) is None


def test_staff_panel_moves_to_the_second_screen_and_back(qapp, monkeypatch) -> None:
    with variant(qapp, "default"):
        controller = CheckController(settings=dataclasses.replace(Settings(), staff_screen=True), source_spec=None)
        window = MainWindow(controller=controller, canvas=RasterCanvas(), camera_lister=list)
        second = {"screen": None}
        monkeypatch.setattr(window, "staff_screen_target", lambda: second["screen"])
        window.resize(1100, 720)
        window.show()
        try:
            assert window.staff_window is None  # no second screen: behind the PIN as before
            second["screen"] = window.screen()
            window.update_staff_screen()
            staff = window.staff_window
            assert staff is not None and staff.isVisible() and window.result_page.staff_elsewhere
            assert not staff.waiting.isHidden()  # no result yet: nothing of anyone on show
            staged = {s.screen: s for s in staged_screens()}
            staged["result-fail-attack"].stage(window)  # the customer's screen, staff panel not opened
            qapp.processEvents()
            customer = [t for t, _ in visible_texts(window)]
            clerk = [t for t, _ in visible_texts(staff)]
            assert "FAIL" in customer and "Staff view…" not in customer
            assert not any("suspected" in t or "312 ms" in t for t in customer)
            assert any("Screen or replay suspected" in t for t in clerk) and any("312 ms" in t for t in clerk)
            window.go_home()
            qapp.processEvents()
            assert staff.waiting.isVisible() and not any("312 ms" in t for t, _ in visible_texts(staff))
            second["screen"] = None  # the monitor is unplugged
            window.update_staff_screen()
            assert window.staff_window is None and not window.result_page.staff_elsewhere
            staged["result-fail-attack"].stage(window)
            qapp.processEvents()
            assert "Staff view…" in [t for t, _ in visible_texts(window)]
            assert not any("312 ms" in t for t, _ in visible_texts(window))  # back behind the PIN
        finally:
            window.allow_close()
            window.close()
            controller.shutdown()
