"""The staff view on a second screen (setting ``staff_screen``).

At a counter the customer faces the app's window; with a second monitor turned to the clerk, the result's
evidence (reasons, confidence, images, plots, checklist) can sit there instead of behind the PIN. The result
page's staff panel moves into this window while a second screen exists; when the screen goes away (or the
setting is turned off) the panel goes back behind the PIN on the result page.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QScreen
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


def second_screen(window_screen: QScreen | None, screens: list[QScreen]) -> QScreen | None:
    """A screen other than the one the customer's window is on (the first such), or ``None``."""
    for screen in screens:
        if screen is not window_screen and screen != window_screen:
            return screen
    return None


class StaffWindow(QWidget):
    """A plain top-level window holding the result page's staff panel; it only closes with the app."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle(self.tr("Livegate staff view"))
        self.setAccessibleName(self.tr("Livegate staff view"))
        layout = QVBoxLayout(self)
        self.waiting = QLabel(self.tr("The evidence of the next result appears here."), self)
        self.waiting.setWordWrap(True)
        self.waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.waiting)
        self._closable = False

    def set_waiting(self, waiting: bool) -> None:
        """Between results the panel is hidden, so the last customer's images do not stay on show."""
        self.waiting.setVisible(waiting)
        for index in range(1, self.layout().count()):
            item = self.layout().itemAt(index)
            if item is not None and item.widget() is not None:
                item.widget().setVisible(not waiting)

    def place_on(self, screen: QScreen) -> None:
        """Fill ``screen``'s available area."""
        self.setScreen(screen)
        self.setGeometry(screen.availableGeometry())

    def allow_close(self) -> None:
        self._closable = True

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self._closable:
            event.ignore()  # closed together with the main window, never on its own
            return
        super().closeEvent(event)


__all__ = ["StaffWindow", "second_screen"]
