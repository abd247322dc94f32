"""Guard against a PySide6 reference-count bug that crashes the live preview.

PySide6 6.12.0 on CPython 3.11 released one reference to ``None`` per void Qt
call and one to ``True`` per signal emit; the interpreter aborted after about
ten thousand preview updates. The pinned version must keep both counts steady.
"""

from __future__ import annotations

import sys

from PySide6 import QtCore, QtWidgets


class _Emitter(QtCore.QObject):
    changed = QtCore.Signal(int)


def test_qt_calls_keep_singleton_refcounts(qapp: QtWidgets.QApplication) -> None:
    label = QtWidgets.QLabel()
    emitter = _Emitter()
    received: list[int] = []
    emitter.changed.connect(received.append)
    none0, true0 = sys.getrefcount(None), sys.getrefcount(True)
    for i in range(3000):
        label.setText("x")
        label.update()
        emitter.changed.emit(i)
    assert len(received) == 3000
    # Allow a little slack for objects created in the loop; the bug lost 3000+.
    assert abs(sys.getrefcount(None) - none0) < 50
    assert abs(sys.getrefcount(True) - true0) < 50
