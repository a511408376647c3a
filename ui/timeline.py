"""The timeline under the video: a band per behaviour with its events, the speed, a time axis
and a cursor.

Clicking or dragging anywhere on it asks to seek there (`seek_requested`). An event still open is
drawn up to the newest analysed moment, so its bar grows as it lasts.
"""

from __future__ import annotations

from PyQt5.QtCore import QPointF, QRectF, QSize, Qt, pyqtSignal
from PyQt5.QtGui import QColor, QPainter, QPen, QPolygonF
from PyQt5.QtWidgets import QSizePolicy, QWidget

from dms.core.types import EVENT_KINDS, Event, EventUpdate, FrameResult
from dms.core.words import behaviour_words

SEVERITY_COLOURS = {"info": QColor("#42a5f5"), "warning": QColor("#f9a825"), "critical": QColor("#e53935")}
LABEL_W = 140
ROW_H = 15
LABEL_FONT_PX = 10
SPEED_H = 72  # the speed trace's height in px: 10 km/h steps stay a few px apart up to 130 km/h
AXIS_H = 16  # the time axis under the speed trace
TICK_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
MIN_TICK_PX = 60  # ticks at least this far apart


def tick_step(duration_s: float, width_px: float) -> float:
    """The smallest of TICK_STEPS_S (s) that keeps ticks MIN_TICK_PX apart on `width_px`."""
    for step in TICK_STEPS_S:
        if duration_s <= 0 or width_px * step / duration_s >= MIN_TICK_PX:
            return float(step)
    return float(TICK_STEPS_S[-1])


def clock_text(t: float) -> str:
    """Media time as m:ss (h:mm:ss past an hour)."""
    whole = int(round(t))
    hours, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def speed_step(top_kmh: float) -> float:
    """Grid lines of the speed trace: every 10, 20 or 50 km/h, three to six of them."""
    for step in (10.0, 20.0, 50.0):
        if top_kmh / step <= 6:
            return step
    return 100.0


class TimelineWidget(QWidget):
    seek_requested = pyqtSignal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.duration = 0.0
        self.cursor = 0.0
        self.events: dict[str, Event] = {}
        self.open_ids: set[str] = set()
        self.newest = 0.0  # the newest analysed moment: open events are drawn up to it
        self.speed: list[tuple[float, float]] = []
        self.setMinimumHeight(self.sizeHint().height())
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(800, ROW_H * len(EVENT_KINDS) + SPEED_H + AXIS_H + 8)

    def reset(self, duration: float | None) -> None:
        self.duration = float(duration or 0.0)
        self.cursor = 0.0
        self.events.clear()
        self.open_ids.clear()
        self.newest = 0.0
        self.speed.clear()
        self.update()

    def add_result(self, result: FrameResult) -> None:
        """Take a freshly analysed frame: its event updates and its speed."""
        t = result.frame.t
        self.duration = max(self.duration, t)
        self.newest = max(self.newest, t)
        self.apply_updates(result.updates)
        vehicle = result.scores.vehicle
        newer = not self.speed or t > self.speed[-1][0]
        if vehicle is not None and vehicle.speed_kmh is not None and newer:
            self.speed.append((t, vehicle.speed_kmh))

    def apply_updates(self, updates: tuple[EventUpdate, ...]) -> None:
        for update in updates:
            self.events[update.event.id] = update.event
            if update.kind == "close":
                self.open_ids.discard(update.event.id)
            else:
                self.open_ids.add(update.event.id)

    def set_cursor(self, t: float) -> None:
        self.cursor = t
        self.update()

    # --- geometry ---
    def plot_rect(self) -> QRectF:
        """Where the bands and the speed trace are drawn (the axis is below it)."""
        return QRectF(LABEL_W, 2, max(1.0, self.width() - LABEL_W - 6), self.height() - 4 - AXIS_H)

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
            name = behaviour_words(behaviour)
            painter.drawText(QRectF(4, y - 1, LABEL_W - 8, ROW_H), Qt.AlignVCenter, name)
        for ev in self.events.values():
            if ev.behaviour not in EVENT_KINDS:
                continue
            y = rect.y() + EVENT_KINDS.index(ev.behaviour) * ROW_H
            end = max(ev.end_s, self.newest) if ev.id in self.open_ids else ev.end_s
            x0, x1 = self.x_of(ev.start_s), self.x_of(end)
            colour = SEVERITY_COLOURS.get(ev.severity, QColor("grey"))
            painter.fillRect(QRectF(x0, y, max(2.0, x1 - x0), ROW_H - 2), colour)
        self._paint_speed(painter, rect)
        self._paint_axis(painter, rect)
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
        step = speed_step(max(10.0, max(v for _, v in self.speed)))
        top_speed = step * (int(max(v for _, v in self.speed) // step) + 1)
        painter.drawText(QRectF(4, top, LABEL_W - 8, area.height()), Qt.AlignVCenter, "speed, km/h")
        kmh = 0.0
        while kmh <= top_speed:
            y = area.bottom() - area.height() * kmh / top_speed
            painter.setPen(QPen(QColor(80, 80, 95), 1))
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            painter.setPen(QColor(170, 170, 170))
            label = QRectF(LABEL_W - 34, y - 6, 30, 12)
            painter.drawText(label, Qt.AlignRight | Qt.AlignVCenter, f"{kmh:.0f}")
            kmh += step
        points = [
            QPointF(self.x_of(t), area.bottom() - area.height() * v / top_speed) for t, v in self.speed
        ]
        painter.setPen(QPen(QColor(120, 220, 120), 2))
        painter.drawPolyline(QPolygonF(points))

    def _paint_axis(self, painter: QPainter, rect: QRectF) -> None:
        """Ticks and m:ss labels under the plot, spaced by `tick_step`."""
        if self.duration <= 0:
            return
        step = tick_step(self.duration, rect.width())
        y = rect.bottom() + 1
        t = 0.0
        while t <= self.duration + 1e-9:
            x = self.x_of(t)
            painter.setPen(QPen(QColor(150, 150, 150), 1))
            painter.drawLine(QPointF(x, y), QPointF(x, y + 4))
            painter.setPen(QColor(200, 200, 200))
            if x - 30 < rect.left():  # the first label starts at its tick, the last one ends at it
                box, align = QRectF(x, y + 2, 60, AXIS_H - 2), Qt.AlignLeft
            elif x + 30 > self.width():
                box, align = QRectF(x - 60, y + 2, 60, AXIS_H - 2), Qt.AlignRight
            else:
                box, align = QRectF(x - 30, y + 2, 60, AXIS_H - 2), Qt.AlignHCenter
            painter.drawText(box, align | Qt.AlignTop, clock_text(t))
            t += step

    # --- seeking ---
    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        if event.button() == Qt.LeftButton and self.duration > 0:
            self.seek_requested.emit(self.t_at(event.pos().x()))

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        if event.buttons() & Qt.LeftButton and self.duration > 0:
            t = self.t_at(event.pos().x())
            self.set_cursor(t)
            self.seek_requested.emit(t)
