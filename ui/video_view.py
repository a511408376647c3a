"""The video with toggleable overlays, painted from the latest FrameResult."""

from __future__ import annotations

import time
from collections import deque

from PyQt5.QtCore import QPointF, QRectF, QSize, Qt
from PyQt5.QtGui import QColor, QImage, QPainter
from PyQt5.QtWidgets import QSizePolicy, QWidget

from dms.core.profile import CameraProfile
from dms.core.types import FrameResult
from ui.image import bgr_to_qimage
from ui.overlays import OVERLAYS, Mapper, draw_head, draw_labels, draw_landmarks, draw_regions


class FpsMeter:
    """Frames per second over the last couple of seconds of wall time."""

    def __init__(self, window_s: float = 2.0):
        self.window_s = window_s
        self.stamps: deque[float] = deque()

    def tick(self, now: float | None = None) -> None:
        now = time.perf_counter() if now is None else now
        self.stamps.append(now)
        while self.stamps and now - self.stamps[0] > self.window_s:
            self.stamps.popleft()

    @property
    def fps(self) -> float:
        if len(self.stamps) < 2:
            return 0.0
        span = self.stamps[-1] - self.stamps[0]
        return (len(self.stamps) - 1) / span if span > 0 else 0.0


class VideoView(QWidget):
    """Shows the newest analysed frame; each overlay in OVERLAYS can be switched on or off."""

    def __init__(self, profile: CameraProfile, parent=None):
        super().__init__(parent)
        self.profile = profile
        self.enabled = dict.fromkeys(OVERLAYS, True)
        self.result: FrameResult | None = None
        self.image: QImage | None = None
        self.meter = FpsMeter()
        self.message = "No source open"
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(800, 450)

    def set_overlay(self, name: str, on: bool) -> None:
        self.enabled[name] = on
        self.update()

    def show_result(self, result: FrameResult) -> None:
        self.result = result
        self.image = bgr_to_qimage(result.frame.image)
        self.meter.tick()
        self.update()

    def show_message(self, text: str) -> None:
        self.message = text
        self.result = self.image = None
        self.update()

    def picture_rect(self) -> QRectF:
        """Where the frame is painted: as large as fits, aspect ratio kept, centred."""
        if self.image is None:
            return QRectF(self.rect())
        scale = min(self.width() / self.image.width(), self.height() / self.image.height())
        w, h = self.image.width() * scale, self.image.height() * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(20, 20, 20))
        if self.image is None or self.result is None:
            painter.setPen(QColor("white"))
            painter.drawText(self.rect(), Qt.AlignCenter, self.message)
            return
        rect = self.picture_rect()
        painter.drawImage(rect, self.image)
        painter.setRenderHint(QPainter.Antialiasing)
        to_px = Mapper(rect)
        if self.enabled["regions"]:
            draw_regions(painter, to_px, self.profile, self.result.cues.picture)
        if self.enabled["landmarks"]:
            draw_landmarks(painter, to_px, self.result)
        if self.enabled["head"]:
            draw_head(painter, to_px, self.result)
        if self.enabled["labels"]:
            draw_labels(painter, self.result, rect.topLeft() + QPointF(8, 8))
        if self.enabled["fps"]:
            painter.setPen(QColor("yellow"))
            corner = rect.adjusted(8, 6, -8, -6)  # right-aligned inside the picture, whatever the font
            painter.drawText(corner, Qt.AlignRight | Qt.AlignTop, f"{self.meter.fps:.1f} frames/s")
