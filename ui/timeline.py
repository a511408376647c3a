"""The timeline under the video: a band per behaviour with its events, the speed, a cursor.

Clicking or dragging anywhere on it asks to seek there (`seek_requested`).
"""

from __future__ import annotations

from PyQt5.QtCore import QPointF, QRectF, QSize, Qt, pyqtSignal
from PyQt5.QtGui import QColor, QPainter, QPen, QPolygonF
from PyQt5.QtWidgets import QSizePolicy, QWidget

from dms.types import EVENT_KINDS, Event, EventUpdate, FrameResult

SEVERITY_COLOURS = {"info": QColor("#42a5f5"), "warning": QColor("#f9a825"), "critical": QColor("#e53935")}
LABEL_W = 110
ROW_H = 15
LABEL_FONT_PX = 10
SPEED_H = 40


class TimelineWidget(QWidget):
    seek_requested = pyqtSignal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.duration = 0.0
        self.cursor = 0.0
        self.events: dict[str, Event] = {}
        self.speed: list[tuple[float, float]] = []
        self.setMinimumHeight(self.sizeHint().height())
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(800, ROW_H * len(EVENT_KINDS) + SPEED_H + 8)

    def reset(self, duration: float | None) -> None:
        self.duration = float(duration or 0.0)
        self.cursor = 0.0
        self.events.clear()
        self.speed.clear()
        self.update()

    def add_result(self, result: FrameResult) -> None:
        """Take a freshly analysed frame: its event updates and its speed."""
        t = result.frame.t
        self.duration = max(self.duration, t)
        self.apply_updates(result.updates)
        vehicle = result.scores.vehicle
        newer = not self.speed or t > self.speed[-1][0]
        if vehicle is not None and vehicle.speed_kmh is not None and newer:
            self.speed.append((t, vehicle.speed_kmh))

    def apply_updates(self, updates: tuple[EventUpdate, ...]) -> None:
        for update in updates:
            self.events[update.event.id] = update.event

    def set_cursor(self, t: float) -> None:
        self.cursor = t
        self.update()

    # --- geometry ---
    def plot_rect(self) -> QRectF:
        return QRectF(LABEL_W, 2, max(1.0, self.width() - LABEL_W - 6), self.height() - 4)

    def x_of(self, t: float) -> float:
        rect = self.plot_rect()
        return rect.x() + rect.width() * (t / self.duration if self.duration > 0 else 0.0)

    def t_at(self, x: float) -> float:
        rect = self.plot_rect()
        share = min(1.0, max(0.0, (x - rect.x()) / rect.width()))
        return share * self.duration

    # --- painting ---
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(35, 35, 35))
        font = painter.font()
        font.setPixelSize(LABEL_FONT_PX)
        painter.setFont(font)
        rect = self.plot_rect()
        for row, behaviour in enumerate(EVENT_KINDS):
            y = rect.y() + row * ROW_H
            painter.fillRect(QRectF(rect.x(), y, rect.width(), ROW_H - 2), QColor(50, 50, 50))
            painter.setPen(QColor(200, 200, 200))
            painter.drawText(QRectF(4, y - 1, LABEL_W - 8, ROW_H), Qt.AlignVCenter, behaviour)
        for ev in self.events.values():
            if ev.behaviour not in EVENT_KINDS:
                continue
            y = rect.y() + EVENT_KINDS.index(ev.behaviour) * ROW_H
            x0, x1 = self.x_of(ev.start_s), self.x_of(ev.end_s)
            colour = SEVERITY_COLOURS.get(ev.severity, QColor("grey"))
            painter.fillRect(QRectF(x0, y, max(2.0, x1 - x0), ROW_H - 2), colour)
        self._paint_speed(painter, rect)
        painter.setPen(QPen(QColor("white"), 2))
        x = self.x_of(self.cursor)
        painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))

    def _paint_speed(self, painter: QPainter, rect: QRectF) -> None:
        top = rect.y() + len(EVENT_KINDS) * ROW_H + 2
        area = QRectF(rect.x(), top, rect.width(), rect.bottom() - top)
        painter.fillRect(area, QColor(45, 45, 55))
        painter.setPen(QColor(200, 200, 200))
        if not self.speed:
            painter.drawText(QRectF(4, top, LABEL_W - 8, area.height()), Qt.AlignVCenter, "speed: none")
            return
        top_speed = max(10.0, max(v for _, v in self.speed))
        painter.drawText(
            QRectF(4, top, LABEL_W - 8, area.height()), Qt.AlignVCenter, f"speed\n0-{top_speed:.0f} km/h"
        )
        points = [
            QPointF(self.x_of(t), area.bottom() - area.height() * v / top_speed) for t, v in self.speed
        ]
        painter.setPen(QPen(QColor(120, 220, 120), 1.5))
        painter.drawPolyline(QPolygonF(points))

    # --- seeking ---
    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        if event.button() == Qt.LeftButton and self.duration > 0:
            self.seek_requested.emit(self.t_at(event.pos().x()))

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        if event.buttons() & Qt.LeftButton and self.duration > 0:
            t = self.t_at(event.pos().x())
            self.set_cursor(t)
            self.seek_requested.emit(t)
