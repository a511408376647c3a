"""The event list: one row per event; click to replay its span, confirm/reject/relabel into the store.

An open event's duration runs with the analysis (`advance`), not only when the tracker reports it.
"""

from __future__ import annotations

import bisect
from dataclasses import replace
from pathlib import Path

from PyQt5.QtCore import QSize, Qt, pyqtSignal
from PyQt5.QtGui import QColor, QIcon, QImage, QPixmap
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dms.core.types import EVENT_KINDS, Event, EventUpdate
from dms.core.words import alert_heading, behaviour_words
from ui.timeline import SEVERITY_COLOURS

COLUMNS = ("", "time", "behaviour", "duration", "severity", "speed", "review")
THUMB = QSize(96, 54)
KEEP_LABEL = "(keep label)"


def speed_text(event: Event) -> str:
    if not event.speed_kmh or event.speed_kmh.get("mean") is None:
        return "-"
    return f"{event.speed_kmh['mean']:.0f} km/h"


def review_text(event: Event) -> str:
    if event.review is None:
        return ""
    return event.review + (f" as {behaviour_words(event.relabel)}" if event.relabel else "")


class EventList(QWidget):
    """`span_requested(start_s, end_s)` when a row is clicked; `review_requested(event_id, review,
    relabel or None)` when the reviewer gives a verdict: the window, which owns the event log, stores
    it and answers `review_stored` or `review_refused`. The list only reads the log (thumbnails)."""

    span_requested = pyqtSignal(float, float)
    review_requested = pyqtSignal(str, str, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.store = None
        self.session_id: str | None = None
        self.events: list[Event] = []
        self.open_ids: set[str] = set()
        self.newest = 0.0  # the newest analysed moment, s: an open event lasts at least until then
        self.stored = False  # whether the last verdict asked for was stored
        self.thumbs: dict[str, QPixmap] = {}
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setIconSize(THUMB)
        self.table.verticalHeader().setDefaultSectionSize(THUMB.height() + 4)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.cellClicked.connect(self._on_click)
        self.confirm_button = QPushButton("Confirm")
        self.reject_button = QPushButton("Reject")
        self.relabel_box = QComboBox()
        self.relabel_box.addItem(KEEP_LABEL, None)
        for kind in EVENT_KINDS:
            self.relabel_box.addItem(behaviour_words(kind), kind)
        self.status = QLabel("")
        self.details = QLabel("Select an event to see what raised it and why it did or did not alert.")
        self.details_id: str | None = None  # the event the details show; refreshed as it runs
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.confirm_button.clicked.connect(lambda: self.review_selected("confirmed"))
        self.reject_button.clicked.connect(lambda: self.review_selected("rejected"))
        buttons = QHBoxLayout()
        for widget in (self.confirm_button, self.reject_button, QLabel("relabel:"), self.relabel_box):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.details)

    def attach_store(self, store, session_id: str | None) -> None:
        self.store, self.session_id = store, session_id

    def clear(self) -> None:
        self.events.clear()
        self.open_ids.clear()
        self.newest = 0.0
        self.thumbs.clear()
        self.table.setRowCount(0)

    def set_events(self, events: list[Event], media_dir: Path | None = None) -> None:
        """Show a stored session's events (all closed), with the thumbnails the recorder saved."""
        self.clear()
        for event in events:
            if media_dir is not None and event.thumbnail and (media_dir / event.thumbnail).is_file():
                pixmap = QPixmap(str(media_dir / event.thumbnail))
                self.thumbs[event.id] = pixmap.scaled(THUMB, Qt.KeepAspectRatio, Qt.SmoothTransformation)
            self._upsert(event)

    def apply_updates(self, updates: tuple[EventUpdate, ...], thumbnail: QImage | None = None) -> None:
        for update in updates:
            if update.kind == "open" and thumbnail is not None:
                self.thumbs[update.event.id] = QPixmap.fromImage(
                    thumbnail if thumbnail.width() <= THUMB.width()
                    else thumbnail.scaled(THUMB, Qt.KeepAspectRatio, Qt.SmoothTransformation)
                )
            if update.kind == "close":
                self.open_ids.discard(update.event.id)
                self._stored_thumbnail(update.event.id)
            else:
                self.open_ids.add(update.event.id)
            self._upsert(update.event)
            if update.event.id == self.details_id:
                self.details.setText(details_text(update.event))

    def advance(self, t: float) -> None:
        """The analysis reached media time `t` (s): open events have lasted until then."""
        self.newest = max(self.newest, t)
        for row, event in enumerate(self.events):
            if event.id in self.open_ids:
                self.table.item(row, COLUMNS.index("duration")).setText(duration_text(event, self.newest))

    def _stored_thumbnail(self, event_id: str) -> None:
        """Once an event has ended, show the recorder's thumbnail (the frame of peak evidence inside
        the event, dms/recorder/event_media.py) instead of the frame it was announced on, where it is
        written."""
        if self.store is None or self.session_id is None:
            return
        path = self.store.media_dir(self.session_id) / "thumbs" / f"{event_id}.jpg"
        pixmap = QPixmap(str(path)) if path.is_file() else QPixmap()
        if not pixmap.isNull():
            self.thumbs[event_id] = pixmap.scaled(THUMB, Qt.KeepAspectRatio, Qt.SmoothTransformation)

    def selected_event(self) -> Event | None:
        rows = self.table.selectionModel().selectedRows()
        return self.events[rows[0].row()] if rows else None

    def review_selected(self, review: str) -> bool:
        """Store the verdict (and relabel) of the selected event; False (with a reason shown) if not."""
        event = self.selected_event()
        if event is None:
            return self._say("Select an event first.")
        if event.id in self.open_ids:
            return self._say("This event is still going on; review it once it has ended.")
        if self.store is None or self.session_id is None:
            return self._say("No event log is open: reviews cannot be stored.")
        self.stored = False
        self.review_requested.emit(event.id, review, self.relabel_box.currentData())
        return self.stored

    def review_stored(self, event_id: str, review: str, relabel: str | None) -> None:
        """The event log took the verdict: the row shows it."""
        event = next((e for e in self.events if e.id == event_id), None)
        if event is None:
            return
        event = replace(event, review=review, relabel=relabel)
        self._upsert(event)
        self.stored = self._say(
            f"{behaviour_words(event.behaviour)} at {event.start_s:.1f} s: {review_text(event)}", ok=True
        )

    def review_refused(self, why: str) -> None:
        """The event log refused the verdict (e.g. the recorder has not committed the event yet)."""
        self.stored = self._say(f"Not stored: {why}")

    def _say(self, text: str, ok: bool = False) -> bool:
        self.status.setText(text)
        return ok

    def _upsert(self, event: Event) -> None:
        ids = [e.id for e in self.events]
        grow = False
        if event.id in ids:
            row = ids.index(event.id)
            self.events[row] = event
        else:  # rows in order of start time (an event is announced once it has lasted its minimum)
            row = bisect.bisect_right([e.start_s for e in self.events], event.start_s)
            self.events.insert(row, event)
            self.table.insertRow(row)
            grow = True
        texts = (
            "",
            f"{event.start_s:.1f} s",
            behaviour_words(event.behaviour),
            duration_text(event, self.newest) if event.id in self.open_ids else f"{event.duration_s:.1f} s",
            event.severity,
            speed_text(event),
            review_text(event),
        )
        for column, text in enumerate(texts):
            item = QTableWidgetItem(text)
            if COLUMNS[column] == "severity":
                item.setBackground(SEVERITY_COLOURS.get(event.severity, QColor("grey")))
            self.table.setItem(row, column, item)
        if event.id in self.thumbs:
            self.table.item(row, 0).setIcon(QIcon(self.thumbs[event.id]))
        if grow:
            self.table.resizeColumnsToContents()
            self.table.setColumnWidth(0, THUMB.width() + 8)

    def _on_click(self, row: int, column: int) -> None:
        self.details_id = self.events[row].id
        self.details.setText(details_text(self.events[row]))
        event = self.events[row]
        end = max(event.end_s, self.newest) if event.id in self.open_ids else event.end_s
        self.span_requested.emit(event.start_s, end)


def duration_text(event: Event, newest_s: float) -> str:
    """An open event's duration so far: from its start to the newest analysed moment."""
    return f"{max(event.duration_s, newest_s - event.start_s):.1f} s (open)"


def details_text(event: Event) -> str:
    """What raised the event and why it alerted (or did not), as the reviewer reads it: the
    tracker's sentences under a head in words ("Why it alerted" only on an event that alerted)."""
    evidence = event.evidence or {}
    head = f"{behaviour_words(event.behaviour)} at {event.start_s:.1f} s, {event.severity}"
    if evidence.get("rule_set"):
        head += f" (rule set {evidence['rule_set']})"
    lines = evidence.get("why") or ["No explanation was recorded for this event."]
    return "\n".join([head, f"{alert_heading(event)}:", *lines])
