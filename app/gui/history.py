"""The session history (operators only; behind the PIN in kiosk mode).

A table of sessions with a search by creation date, status and customer
reference; a detail pane with the result's reasons and the decrypted reference
image; export of the selected sessions as a ZIP and deletion for good. Every
store call (search, read, decrypt, export, delete) runs in the
:class:`~app.gui.sessions.StoreBridge` thread; the page only renders answers.
Nothing biometric stays on screen once the page is left.
"""

from __future__ import annotations

import datetime as _dt
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QDateTime, QItemSelectionModel, QModelIndex, QSize, Qt, QTime, QTimer, Signal
from PySide6.QtGui import QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.sessions import STATUSES, SessionNotFound
from app.core.sessions.service import SessionService
from app.core.sessions import Session as StoredSession
from app.core.store.crypto import IntegrityError
from app.gui.sessions import StoreBridge
from app.gui.widgets import announce, scaled_font

log = logging.getLogger(__name__)

#: Most sessions one search shows (newest first).
LIMIT = 500
_ID_ROLE = Qt.ItemDataRole.UserRole


def _local(t: float | None) -> str:
    """POSIX seconds as local date and time (``""`` for ``None``)."""
    if t is None:
        return ""
    return _dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S")


def _day_start(date: QDate) -> float:
    """Local midnight at the start of ``date`` in POSIX seconds."""
    return float(QDateTime(date, QTime(0, 0)).toSecsSinceEpoch())


class HistoryPage(QWidget):
    """Search, inspect, export and delete stored sessions.

    Signals
    -------
    backRequested():
        The operator leaves the history.
    searched(int count):
        A search answered (the table shows ``count`` sessions).
    detailShown(str session_id):
        The detail pane shows this session.
    exported(str path), deleted(list ids):
        An export was written; sessions were deleted.
    failed(str message):
        A store call failed (the message is also on the page).
    """

    backRequested = Signal()
    searched = Signal(int)
    detailShown = Signal(str)
    exported = Signal(str)
    deleted = Signal(list)
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store: StoreBridge | None = None
        self._sessions: list[StoredSession] = []
        self._detail_generation = 0
        self._search_generation = 0
        self._confirm: QMessageBox | None = None
        self._file_dialog: QFileDialog | None = None
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(400)
        self._refresh.timeout.connect(self.search)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 12)
        self.title = QLabel(self.tr("Session history"), self)
        self.title.setFont(scaled_font(self, 1.6, bold=True))
        self.title.setAccessibleName(self.tr("Session history"))
        outer.addWidget(self.title)

        filters = QVBoxLayout()
        self.since = QDateEdit(self)
        self.until = QDateEdit(self)
        for edit, name in ((self.since, self.tr("Created on or after")), (self.until, self.tr("Created on or before"))):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setAccessibleName(name)
        since_label = QLabel(self.tr("&From:"), self)
        since_label.setBuddy(self.since)
        until_label = QLabel(self.tr("T&o:"), self)
        until_label.setBuddy(self.until)
        self.status = QComboBox(self)
        self.status.setAccessibleName(self.tr("Status"))
        self.status.addItem(self.tr("Any status"), "")
        for status in STATUSES:
            self.status.addItem(self.status_name(status), status)
        status_label = QLabel(self.tr("&Status:"), self)
        status_label.setBuddy(self.status)
        self.customer = QLineEdit(self)
        self.customer.setAccessibleName(self.tr("Customer reference"))
        self.customer.setPlaceholderText(self.tr("exact reference; empty for all"))
        self.customer.setClearButtonEnabled(True)
        for clear in self.customer.findChildren(QToolButton):
            clear.setAccessibleName(self.tr("Clear the customer reference"))
        customer_label = QLabel(self.tr("&Customer reference:"), self)
        customer_label.setBuddy(self.customer)
        self.search_button = QPushButton(self.tr("Sea&rch"), self)
        self.search_button.setAccessibleName(self.tr("Search the sessions"))
        first = QHBoxLayout()
        for widget in (since_label, self.since, until_label, self.until, status_label, self.status):
            first.addWidget(widget)
        first.addStretch(1)
        second = QHBoxLayout()
        second.addWidget(customer_label)
        second.addWidget(self.customer, 1)
        second.addWidget(self.search_button)
        filters.addLayout(first)
        filters.addLayout(second)
        outer.addLayout(filters)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setChildrenCollapsible(False)
        self.table = QTableWidget(0, 6, splitter)
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Created"),
                self.tr("Status"),
                self.tr("Decision"),
                self.tr("Customer reference"),
                self.tr("Operator reference"),
                self.tr("Reason"),
            ]
        )
        self.table.setAccessibleName(self.tr("Sessions, newest first"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        for corner in self.table.findChildren(QAbstractButton):
            corner.setAccessibleName(self.tr("Select all sessions"))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setMinimumWidth(round(self.fontMetrics().horizontalAdvance("M") * 30))

        detail_scroll = QScrollArea(splitter)
        detail_scroll.setWidgetResizable(True)
        detail_scroll.setFrameShape(QFrame.Shape.StyledPanel)
        detail = QWidget(detail_scroll)
        detail_layout = QVBoxLayout(detail)
        self.detail_title = QLabel(self.tr("No session selected"), detail)
        self.detail_title.setFont(scaled_font(self, 1.2, bold=True))
        self.detail_title.setWordWrap(True)
        self.detail_text = QLabel(detail)
        self.detail_text.setTextFormat(Qt.TextFormat.PlainText)
        self.detail_text.setWordWrap(True)
        self.detail_text.setAccessibleName(self.tr("Session details"))
        self.detail_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard | Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reference = QLabel(detail)
        self.reference.setAccessibleName(self.tr("Reference image of the selected session"))
        self.reference.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.reference.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.reasons_title = QLabel(self.tr("Reasons"), detail)
        self.reasons_title.setFont(scaled_font(self, 1.05, bold=True))
        self.reasons = QLabel(detail)
        self.reasons.setTextFormat(Qt.TextFormat.PlainText)
        self.reasons.setWordWrap(True)
        self.reasons.setAccessibleName(self.tr("Reasons of the result"))
        self.reasons.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard | Qt.TextInteractionFlag.TextSelectableByMouse)
        for widget in (self.detail_title, self.detail_text, self.reference, self.reasons_title, self.reasons):
            detail_layout.addWidget(widget)
        detail_layout.addStretch(1)
        detail_scroll.setWidget(detail)
        splitter.addWidget(self.table)
        splitter.addWidget(detail_scroll)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        outer.addWidget(splitter, 1)

        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("History message"))
        outer.addWidget(self.message)
        buttons = QHBoxLayout()
        self.count = QLabel(self)
        self.count.setAccessibleName(self.tr("Number of sessions found"))
        self.export_button = QPushButton(self.tr("&Export selected…"), self)
        self.export_button.setAccessibleName(self.tr("Export the selected sessions as a ZIP file"))
        self.delete_button = QPushButton(self.tr("&Delete selected…"), self)
        self.delete_button.setAccessibleName(self.tr("Delete the selected sessions for good"))
        self.back = QPushButton(self.tr("&Back"), self)
        self.back.setAccessibleName(self.tr("Back to the start screen"))
        for button in (self.search_button, self.export_button, self.delete_button, self.back):
            button.setMinimumHeight(round(button.fontMetrics().height() * 2.2))
        buttons.addWidget(self.count, 1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.back)
        outer.addLayout(buttons)

        self.search_button.clicked.connect(self.search)
        self.customer.returnPressed.connect(self.search)
        self.export_button.clicked.connect(self.export_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.back.clicked.connect(self.backRequested)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self._delete_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table)
        self._delete_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        self._delete_key.activated.connect(self.delete_selected)
        self.reset_filters()
        self._on_selection()

    # --- set-up --------------------------------------------------------------------------------

    def attach(self, store: StoreBridge | None) -> None:
        """Use ``store`` for every call (``None``: the page stays empty)."""
        self._store = store

    def status_name(self, status: str) -> str:
        """The translated name of a session status."""
        names = {
            "CREATED": self.tr("Created"),
            "IN_PROGRESS": self.tr("In progress"),
            "SUCCEEDED": self.tr("Completed"),
            "FAILED": self.tr("Failed (no score)"),
            "EXPIRED": self.tr("Expired"),
            "ERROR": self.tr("Error"),
        }
        return names.get(status, status)

    def decision_name(self, decision: str | None) -> str:
        """The translated decision (``""`` when there is none)."""
        if decision == "pass":
            return self.tr("Pass")
        if decision == "fail":
            return self.tr("Fail")
        return ""

    def reset_filters(self, days: int = 30) -> None:
        """The last ``days`` days, any status, any customer."""
        today = QDate.currentDate()
        self.until.setDate(today)
        self.since.setDate(today.addDays(-max(1, int(days))))
        self.status.setCurrentIndex(0)
        self.customer.clear()

    def activate(self) -> None:
        """The page is shown: search with the current filters."""
        self.message.clear()
        self.search()
        self.table.setFocus()

    def deactivate(self) -> None:
        """The page is left: forget what is on screen (no biometric image stays in memory)."""
        self._refresh.stop()
        self._search_generation += 1
        self._detail_generation += 1
        self.table.setRowCount(0)
        self._sessions = []
        self._show_detail(None, None)
        for dialog in (self._confirm, self._file_dialog):
            if dialog is not None:
                dialog.reject()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(900, 600)

    # --- search --------------------------------------------------------------------------------

    def filters(self) -> dict[str, Any]:
        """The search arguments for ``SessionService.search`` from the filter controls."""
        status = str(self.status.currentData() or "") or None
        customer = self.customer.text().strip() or None
        return {
            "status": status,
            "customer_ref": customer,
            "since": _day_start(self.since.date()),
            "until": _day_start(self.until.date().addDays(1)),
        }

    def search(self) -> None:
        """Run the search (in the store thread); the table fills when it answers."""
        self._refresh.stop()
        if self._store is None:
            return
        args = self.filters()
        if args["since"] >= args["until"]:
            self._say(self.tr("The “From” date is after the “To” date."))
            return
        self._search_generation += 1
        generation = self._search_generation

        def job(service: SessionService) -> list[StoredSession]:
            return service.search(limit=LIMIT, **args)

        self._store.submit(
            job,
            done=lambda found: self._on_found(generation, found),
            failed=lambda exc: self._on_failed(self.tr("The sessions could not be read."), exc),
            what="search sessions",
        )

    def on_sessions_changed(self) -> None:
        """A session changed somewhere (the API, a check): refresh soon if visible."""
        if self.isVisible() and self._store is not None:
            self._refresh.start()

    def _on_found(self, generation: int, found: list[StoredSession]) -> None:
        if generation != self._search_generation:
            return
        selected = set(self.selected_ids())
        current = self.current_id()
        self._sessions = list(found)
        self.table.setSortingEnabled(False)
        self.table.blockSignals(True)
        self.table.setRowCount(len(found))
        for row, session in enumerate(found):
            values = [
                _local(session.created_at),
                self.status_name(session.status),
                self.decision_name(session.decision) if session.verified else self.tr("Unverified"),
                session.settings.customer_ref,
                session.settings.operator_ref,
                session.reason,
            ]
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(_ID_ROLE, session.id)
                item.setToolTip(value if col == 5 else session.id)
                self.table.setItem(row, col, item)
        self.table.clearSelection()
        for row, session in enumerate(found):
            if session.id in selected:
                self._add_row(row)
        self.table.blockSignals(False)
        rows = [row for row, s in enumerate(found) if s.id == current]
        if rows:
            self.table.setCurrentCell(rows[0], 0, QItemSelectionModel.SelectionFlag.NoUpdate)
        elif found and not selected:
            self.table.setCurrentCell(0, 0)
        self._on_current(self.table.currentIndex(), QModelIndex())  # the detail follows the (possibly changed) record
        if len(found) == 1:
            text = self.tr("1 session found.")
        else:
            text = self.tr("%1 sessions found.").replace("%1", str(len(found)))
        if len(found) >= LIMIT:
            text += " " + self.tr("Only the newest %1 are shown; narrow the search to see older ones.").replace("%1", str(LIMIT))
        self.count.setText(text)
        self.table.setAccessibleDescription(text)
        self._on_selection()
        self.searched.emit(len(found))

    # --- selection and detail ---------------------------------------------------------------------

    def selected_ids(self) -> list[str]:
        """Ids of the selected sessions, in table order."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self._sessions[r].id for r in rows if r < len(self._sessions)]

    def current_id(self) -> str | None:
        """Id of the session in the detail pane (the current row)."""
        row = self.table.currentRow()
        return self._sessions[row].id if 0 <= row < len(self._sessions) else None

    def select(self, *session_ids: str) -> None:
        """Select these sessions (the first becomes current)."""
        self.table.clearSelection()
        first = True
        for row, session in enumerate(self._sessions):
            if session.id in session_ids:
                if first:
                    self.table.setCurrentCell(row, 0)
                    first = False
                self._add_row(row)

    def _add_row(self, row: int) -> None:
        """Add ``row`` to the selection (``selectRow`` would replace it in extended mode)."""
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().select(self.table.model().index(row, 0), flags)

    def _on_selection(self) -> None:
        has = bool(self.table.selectionModel().selectedRows())
        self.export_button.setEnabled(has)
        self.delete_button.setEnabled(has)

    def _on_current(self, current: QModelIndex, previous: QModelIndex) -> None:
        row = current.row()
        if not 0 <= row < len(self._sessions) or self._store is None:
            self._show_detail(None, None)
            return
        sid = self._sessions[row].id
        self._detail_generation += 1
        generation = self._detail_generation

        def job(service: SessionService) -> tuple[StoredSession, bytes | None]:
            session = service.get(sid)
            image = service.image(sid, "reference") if session.file("reference") is not None else None
            return session, image

        self._store.submit(
            job,
            done=lambda answer: self._on_detail(generation, answer),
            failed=lambda exc: self._on_detail_failed(generation, sid, exc),
            what=f"read session {sid}",
        )

    def _on_detail(self, generation: int, answer: tuple[StoredSession, bytes | None]) -> None:
        if generation != self._detail_generation:
            return
        session, image = answer
        self._show_detail(session, image)
        self.detailShown.emit(session.id)

    def _on_detail_failed(self, generation: int, sid: str, exc: BaseException) -> None:
        if generation != self._detail_generation:
            return
        self._show_detail(None, None)
        if isinstance(exc, IntegrityError):
            text = self.tr("The stored data of this session failed its integrity check: it was altered or damaged.")
        elif isinstance(exc, SessionNotFound):
            text = self.tr("This session no longer exists (it was deleted or purged).")
        else:
            text = self.tr("This session could not be read.")
        self.detail_title.setText(text)
        self._on_failed(text, exc)

    def _show_detail(self, session: StoredSession | None, image: bytes | None) -> None:
        self.reference.clear()
        self.reference.setVisible(False)
        if session is None:
            self.detail_title.setText(self.tr("No session selected"))
            self.detail_text.clear()
            self.reasons.clear()
            self.reasons_title.setVisible(False)
            return
        verdict = self.status_name(session.status)
        # A record whose listed values do not match their tag was edited outside Livegate: no decision is shown.
        decision = self.decision_name(session.decision) if session.verified else self.tr("Unverified")
        self.detail_title.setText(f"{verdict} · {decision}" if decision else verdict)
        lines = [self.tr("Session: %1").replace("%1", session.id)]
        if session.confidence is not None:
            threshold = session.settings.threshold
            lines.append(self.tr("Confidence: %1 (threshold %2)").replace("%1", f"{session.confidence:.0f}").replace("%2", f"{threshold:.0f}"))
        challenge = self.tr("movement and light") if session.settings.challenge == "FaceMovementAndLightChallenge" else self.tr("movement only")
        lines.append(self.tr("Check: %1").replace("%1", challenge))
        lines.append(self.tr("Created: %1").replace("%1", _local(session.created_at)))
        if session.started_at is not None:
            lines.append(self.tr("Started: %1").replace("%1", _local(session.started_at)))
        if session.finished_at is not None:
            lines.append(self.tr("Finished: %1").replace("%1", _local(session.finished_at)))
        if session.settings.customer_ref:
            lines.append(self.tr("Customer reference: %1").replace("%1", session.settings.customer_ref))
        if session.settings.operator_ref:
            lines.append(self.tr("Operator reference: %1").replace("%1", session.settings.operator_ref))
        if session.reason:
            lines.append(self.tr("Reason: %1").replace("%1", session.reason))
        self.detail_text.setText("\n".join(lines))
        reasons = [str(r) for r in (session.result or {}).get("Reasons") or []]
        self.reasons_title.setVisible(bool(reasons))
        self.reasons.setText("\n".join(f"• {r}" for r in reasons))
        if image:
            pixmap = QPixmap()
            if pixmap.loadFromData(image, "JPG"):
                side = round(self.fontMetrics().height() * 14)
                self.reference.setPixmap(pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
                self.reference.setVisible(True)
        self.detail_text.setAccessibleDescription(self.detail_text.text())

    # --- export and delete ------------------------------------------------------------------------

    def export_selected(self) -> None:
        """Ask where to write the selected sessions as a ZIP (decrypted images, signed results)."""
        ids = self.selected_ids()
        if not ids:
            self._say(self.tr("Select one or more sessions first."))
            return
        name = f"livegate-sessions-{_dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.zip"
        dialog = QFileDialog(self, self.tr("Export sessions"), str(Path.home() / name))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setNameFilter(self.tr("ZIP archives (*.zip)"))
        dialog.setDefaultSuffix("zip")
        dialog.fileSelected.connect(lambda path: self.export_to(Path(path), ids))
        dialog.open()
        self._file_dialog = dialog

    def export_to(self, path: Path, ids: list[str] | None = None) -> None:
        """Export ``ids`` (default: the selection) to ``path`` in the store thread."""
        ids = list(ids if ids is not None else self.selected_ids())
        if not ids or self._store is None:
            return
        self._say(self.tr("Exporting…"))
        self._store.submit(
            lambda service: service.export(ids, Path(path)),
            done=lambda written: self._on_exported(ids, Path(written)),
            failed=lambda exc: self._on_failed(self.tr("The export failed."), exc),
            what="export sessions",
        )

    def _on_exported(self, ids: list[str], path: Path) -> None:
        if len(ids) == 1:
            text = self.tr("1 session exported to %1.").replace("%1", str(path))
        else:
            text = self.tr("%1 sessions exported to %2.").replace("%1", str(len(ids))).replace("%2", str(path))
        self._say(text)
        self.exported.emit(str(path))

    def delete_selected(self) -> None:
        """Ask for confirmation, then delete the selected sessions (records and files) for good."""
        ids = self.selected_ids()
        if not ids:
            self._say(self.tr("Select one or more sessions first."))
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            self.tr("Delete sessions"),
            (
                self.tr("Delete the selected session for good? Its images and recording are removed and cannot be restored.")
                if len(ids) == 1
                else self.tr("Delete %1 sessions for good? Their images and recordings are removed and cannot be restored.").replace("%1", str(len(ids)))
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setAccessibleName(self.tr("Delete sessions"))
        yes = box.button(QMessageBox.StandardButton.Yes)
        yes.setText(self.tr("&Delete"))
        yes.setAccessibleName(self.tr("Delete the sessions for good"))
        no = box.button(QMessageBox.StandardButton.No)
        no.setText(self.tr("&Keep"))
        no.setAccessibleName(self.tr("Keep the sessions"))
        box.setDefaultButton(no)
        box.setEscapeButton(no)
        box.buttonClicked.connect(lambda button: self._delete(ids) if button is yes else None)
        box.open()
        self._confirm = box

    def _delete(self, ids: list[str]) -> None:
        if self._store is None:
            return

        def job(service: SessionService) -> list[str]:
            gone = []
            for sid in ids:
                try:
                    service.delete(sid)
                except SessionNotFound:
                    pass  # deleted meanwhile (purge, API): the goal is reached
                gone.append(sid)
            return gone

        self._store.submit(job, done=self._on_deleted, failed=lambda exc: self._on_failed(self.tr("Deleting failed."), exc), what="delete sessions")

    def _on_deleted(self, ids: list[str]) -> None:
        self._say(self.tr("1 session deleted.") if len(ids) == 1 else self.tr("%1 sessions deleted.").replace("%1", str(len(ids))))
        self.deleted.emit(list(ids))
        self.search()

    # --- messages ------------------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.message.setText(text)
        announce(self.message, text)

    def _on_failed(self, text: str, exc: BaseException) -> None:
        log.warning("history: %s (%s)", text, exc)
        self._say(f"{text} ({exc})")
        self.failed.emit(str(exc))
