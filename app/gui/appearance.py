"""Language, contrast and text size of the running application, changed without a restart.

The window rebuilds its screens after a change (their texts and fonts are set
when they are built); this module only switches the application-wide parts:
the translators, the palette and style sheet, and the base font.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QTranslator
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from app.core.settings import Settings
from app.gui.i18n import choose_language, install_translators
from app.gui.style import apply_style, wants_high_contrast


@dataclass(frozen=True)
class Look:
    """The appearance in force."""

    language: str
    high_contrast: bool
    text_size: int


class Appearance:
    """Owns the translators, the style and the base font of ``app``."""

    def __init__(self, app: QApplication) -> None:
        self.app = app
        self.base_font = QFont(app.font())
        self.translators: list[QTranslator] = []
        self.look: Look | None = None

    def wanted(self, settings: Settings) -> Look:
        """The look ``settings`` ask for (high contrast also when the system asks for it)."""
        return Look(
            choose_language(settings.language),
            bool(settings.high_contrast) or wants_high_contrast(self.app),
            int(settings.text_size),
        )

    def apply(self, settings: Settings) -> bool:
        """Switch to the look of ``settings``; True when anything changed (the screens must be rebuilt)."""
        look = self.wanted(settings)
        if look == self.look:
            return False
        old = self.look
        if old is None or old.language != look.language:
            for tr in self.translators:
                self.app.removeTranslator(tr)
            self.translators = install_translators(self.app, look.language)
        if old is None or old.high_contrast != look.high_contrast:
            apply_style(self.app, high_contrast=look.high_contrast)
        if old is None or old.text_size != look.text_size:
            font = QFont(self.base_font)
            if font.pointSizeF() > 0:
                font.setPointSizeF(font.pointSizeF() * look.text_size / 100.0)
            else:
                font.setPixelSize(max(8, round(font.pixelSize() * look.text_size / 100.0)))
            self.app.setFont(font)
        self.look = look
        return old is not None

    def close(self) -> None:
        """Remove the translators (the application keeps its font and style)."""
        for tr in self.translators:
            self.app.removeTranslator(tr)
        self.translators = []


__all__ = ["Appearance", "Look"]
