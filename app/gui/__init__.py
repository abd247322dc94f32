"""The PySide6 GUI: adapts app.core to Qt widgets and signals."""
