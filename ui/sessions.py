"""Browse the sessions in the event log, open one for review, export its report in the background."""

from __future__ import annotations

from pathlib import Path

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from ui.background import run_with_progress

COLUMNS = ("session", "started", "source", "status", "duration", "events")


def export_session(store, session_id: str, out_dir: Path) -> None:
    """The same files as `replay --out` and `report`, by the same writer, from what the store holds."""
    from dms.report import write_session_report

    write_session_report(store, session_id, out_dir)


class SessionsDialog(QDialog):
    """`review_requested(session_id)` asks the main window to show that session's events."""

    review_requested = pyqtSignal(str)
    export_finished = pyqtSignal(object)  # None or the error message

    def __init__(self, store, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Sessions in {store.path}")
        self.store = store
        self.job = None
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.status = QLabel("")
        review = QPushButton("Review events")
        review.clicked.connect(self._review)
        export = QPushButton("Export report…")
        export.clicked.connect(self._export_dialog)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        buttons = QHBoxLayout()
        for button in (review, export, refresh):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.resize(820, 400)
        self.refresh()

    def refresh(self) -> None:
        self.sessions = self.store.sessions()
        self.table.setRowCount(len(self.sessions))
        for row, record in enumerate(self.sessions):
            duration = record.info.get("duration_s")
            texts = (
                record.id,
                record.started_at,
                record.source,
                record.status,
                f"{duration:.1f} s" if isinstance(duration, int | float) else "-",
                str(len(self.store.events(record.id))),
            )
            for column, text in enumerate(texts):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def selected_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.sessions[rows[0].row()].id if rows else None

    def export(self, session_id: str, out_dir: Path) -> None:
        """Write the session's report into out_dir in a thread; `export_finished` when done."""
        self.status.setText(f"Exporting {session_id} to {out_dir} …")
        self.job = run_with_progress(
            self, f"Exporting report of {session_id}…",
            lambda: export_session(self.store, session_id, out_dir),
            lambda error: self._exported(session_id, out_dir, error),
        )

    def _exported(self, session_id: str, out_dir: Path, error) -> None:
        if error is None:
            self.status.setText(f"Report of {session_id} written to {out_dir}")
        else:
            self.status.setText(f"Export failed: {error}")
        self.export_finished.emit(error)

    def _export_dialog(self) -> None:
        session_id = self.selected_id()
        if session_id is None:
            self.status.setText("Select a session first.")
            return
        folder = QFileDialog.getExistingDirectory(self, "Export report into")
        if folder:
            self.export(session_id, Path(folder))

    def _review(self) -> None:
        session_id = self.selected_id()
        if session_id is None:
            self.status.setText("Select a session first.")
            return
        self.review_requested.emit(session_id)
