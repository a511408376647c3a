"""Calibration: draw and drag the wheel and console polygons on a frame, save a camera profile.

Left-drag a corner to move it, left-click elsewhere to add a corner to the selected region (it goes
into the nearest edge), right-click a corner to remove it (a region keeps at least three).
Regions are drawn and saved in the coordinates of the camera's picture: inside the black bars of a
pillarboxed or letterboxed frame (the analysis's `PictureArea`), as the analysis places them.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

from PyQt5.QtCore import QPointF, QRectF, QSize, Qt, pyqtSignal
from PyQt5.QtGui import QColor, QImage, QPainter, QPen, QPolygonF
from PyQt5.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dms.core.profile import CameraProfile
from dms.core.types import PictureArea
from ui.overlays import REGION_COLOURS

REGIONS = ("wheel", "console")
GRAB_PX = 12


class PolygonEditor(QWidget):
    changed = pyqtSignal()

    def __init__(self, image: QImage | None, profile: CameraProfile, parent=None,
                 area: PictureArea | None = None):
        super().__init__(parent)
        self.image = image
        self.area = area or PictureArea()
        self.polygons = {name: [list(p) for p in getattr(profile, name)] for name in REGIONS}
        self.region = "wheel"
        self._dragging: int | None = None
        self.setMinimumSize(480, 270)

    def sizeHint(self) -> QSize:
        return QSize(800, 450)

    def picture_rect(self) -> QRectF:
        if self.image is None or self.image.isNull():
            return QRectF(self.rect())
        scale = min(self.width() / self.image.width(), self.height() / self.image.height())
        w, h = self.image.width() * scale, self.image.height() * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def to_px(self, x: float, y: float) -> QPointF:
        """A profile point (picture coordinates) in widget pixels."""
        r = self.picture_rect()
        fx, fy = self.area.to_frame(x, y)
        return QPointF(r.x() + fx * r.width(), r.y() + fy * r.height())

    def to_norm(self, point: QPointF) -> list[float]:
        """Widget pixels as a profile point (picture coordinates, 0..1)."""
        r = self.picture_rect()
        x, y = self.area.to_picture((point.x() - r.x()) / r.width(), (point.y() - r.y()) / r.height())
        return [min(1.0, max(0.0, x)), min(1.0, max(0.0, y))]

    def vertex_at(self, point: QPointF) -> int | None:
        for i, (x, y) in enumerate(self.polygons[self.region]):
            p = self.to_px(x, y)
            if math.hypot(p.x() - point.x(), p.y() - point.y()) <= GRAB_PX:
                return i
        return None

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(20, 20, 20))
        if self.image is not None and not self.image.isNull():
            painter.drawImage(self.picture_rect(), self.image)
        painter.setRenderHint(QPainter.Antialiasing)
        for name in REGIONS:
            colour = QColor(REGION_COLOURS[name])
            selected = name == self.region
            painter.setPen(QPen(colour, 3 if selected else 1))
            fill = QColor(colour)
            fill.setAlpha(70 if selected else 30)
            painter.setBrush(fill)
            points = [self.to_px(x, y) for x, y in self.polygons[name]]
            painter.drawPolygon(QPolygonF(points))
            if selected:
                painter.setBrush(colour)
                for p in points:
                    painter.drawEllipse(p, 5, 5)

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        pos = QPointF(event.pos())
        hit = self.vertex_at(pos)
        polygon = self.polygons[self.region]
        if event.button() == Qt.RightButton:
            if hit is not None and len(polygon) > 3:
                del polygon[hit]
                self._changed()
            return
        if event.button() != Qt.LeftButton:
            return
        if hit is None:
            hit = self._insert(self.to_norm(pos))
            self._changed()
        self._dragging = hit

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        if self._dragging is not None:
            self.polygons[self.region][self._dragging] = self.to_norm(QPointF(event.pos()))
            self._changed()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        self._dragging = None

    def _insert(self, point: list[float]) -> int:
        """Insert the point into the edge it is closest to; return its index."""
        polygon = self.polygons[self.region]
        best, best_d = 0, math.inf
        for i in range(len(polygon)):
            a, b = polygon[i], polygon[(i + 1) % len(polygon)]
            d = _segment_distance(point, a, b)
            if d < best_d:
                best, best_d = i, d
        polygon.insert(best + 1, point)
        return best + 1

    def _changed(self) -> None:
        self.update()
        self.changed.emit()


def _segment_distance(p, a, b) -> float:
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    length2 = dx * dx + dy * dy
    s = 0.0 if length2 == 0 else min(1.0, max(0.0, ((p[0] - ax) * dx + (p[1] - ay) * dy) / length2))
    return math.hypot(p[0] - (ax + s * dx), p[1] - (ay + s * dy))


class CalibrationDialog(QDialog):
    """Edits a copy of the profile; `profile()` is the edited one, `save_to` writes it as JSON."""

    def __init__(self, image: QImage | None, profile: CameraProfile, parent=None,
                 area: PictureArea | None = None):
        super().__init__(parent)
        self.setWindowTitle("Calibration: wheel and console regions")
        self.original = profile
        self.saved_path: Path | None = None
        self.editor = PolygonEditor(image, profile, area=area)
        self.region_box = QComboBox()
        self.region_box.addItems(REGIONS)
        self.region_box.currentTextChanged.connect(self._select)
        save = QPushButton("Save profile…")
        save.clicked.connect(self._save_dialog)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        top = QHBoxLayout()
        top.addWidget(QLabel("region:"))
        top.addWidget(self.region_box)
        top.addWidget(QLabel("drag corners; click to add; right-click to remove"), 1)
        top.addWidget(save)
        top.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.editor, 1)

    def _select(self, region: str) -> None:
        self.editor.region = region
        self.editor.update()

    def profile(self) -> CameraProfile:
        polygons = {name: tuple(tuple(p) for p in self.editor.polygons[name]) for name in REGIONS}
        return replace(self.original, **polygons)

    def save_to(self, path: str | Path) -> CameraProfile:
        profile = self.profile()
        profile.save(path)
        self.saved_path = Path(path)
        return profile

    def _save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save camera profile", "profile.json", "JSON (*.json)")
        if not path:
            return
        try:
            self.save_to(path)
        except OSError as exc:
            QMessageBox.warning(self, "Profile not saved", f"{path}: {exc.strerror or exc}")
