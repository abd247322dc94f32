"""Livegate's core: capture, scoring, sessions, store and API.

Nothing under ``app.core`` imports PySide6, qasync or ``app.gui``; the GUI
adapts the core (checked by an import-linter contract in CI).
"""
