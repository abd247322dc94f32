"""Look and feel: Fusion with a dark neutral palette, or high contrast when the system asks for it."""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from app.core import paths
from app.core.screen import ScreenState

log = logging.getLogger(__name__)


def wants_high_contrast(app: QApplication) -> bool:
    """True when ``LIVEGATE_HIGH_CONTRAST=1`` or the platform reports a high-contrast preference."""
    forced = os.environ.get("LIVEGATE_HIGH_CONTRAST", "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    try:
        style_hints = app.styleHints()  # keep the owner alive while its child is used
        hints = style_hints.accessibility()
        return bool(hints.contrastPreference() == Qt.ContrastPreference.HighContrast)
    except (AttributeError, RuntimeError):  # Qt < 6.10, or no platform accessibility hints
        return False


def _palette(high_contrast: bool) -> QPalette:
    pal = QPalette()
    if high_contrast:
        bg, base, text, button, highlight, highlighted = (
            QColor(0, 0, 0),
            QColor(0, 0, 0),
            QColor(255, 255, 255),
            QColor(0, 0, 0),
            QColor(255, 255, 0),
            QColor(0, 0, 0),
        )
    else:
        bg = QColor(*ScreenState.NEUTRAL)
        base, text, button = QColor(28, 28, 28), QColor(255, 255, 255), QColor(58, 58, 58)
        highlight, highlighted = QColor(100, 170, 255), QColor(0, 0, 0)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        pal.setColor(group, QPalette.ColorRole.Window, bg)
        pal.setColor(group, QPalette.ColorRole.WindowText, text)
        pal.setColor(group, QPalette.ColorRole.Base, base)
        pal.setColor(group, QPalette.ColorRole.AlternateBase, button)
        pal.setColor(group, QPalette.ColorRole.Text, text)
        pal.setColor(group, QPalette.ColorRole.Button, button)
        pal.setColor(group, QPalette.ColorRole.ButtonText, text)
        pal.setColor(group, QPalette.ColorRole.ToolTipBase, base)
        pal.setColor(group, QPalette.ColorRole.ToolTipText, text)
        pal.setColor(group, QPalette.ColorRole.Highlight, highlight)
        pal.setColor(group, QPalette.ColorRole.HighlightedText, highlighted)
        pal.setColor(group, QPalette.ColorRole.Link, highlight)
        pal.setColor(group, QPalette.ColorRole.PlaceholderText, QColor(190, 190, 190))
    grey = QColor(150, 150, 150) if not high_contrast else QColor(170, 170, 170)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, grey)
    return pal


def apply_style(app: QApplication, *, high_contrast: bool | None = None) -> bool:
    """Style the application; returns whether high contrast is in use."""
    hc = wants_high_contrast(app) if high_contrast is None else high_contrast
    app.setStyle("Fusion")
    app.setPalette(_palette(hc))
    name = "livegate-high-contrast.qss" if hc else "livegate.qss"
    qss = paths.resources_dir() / "styles" / name
    try:
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
    except OSError as exc:
        log.warning("style sheet %s not loaded: %s", qss, exc)
    return hc
