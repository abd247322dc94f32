"""Livegate's Qt (PySide6) front end: adapts the core flow to screens. Nothing in ``app.core`` imports it."""
