"""Painting of what the system sees on top of the video: landmarks, regions, head direction, scores.

All geometry arrives in normalised image coordinates; `to_px` maps it into the painted picture.
"""

from __future__ import annotations

import math

import numpy as np
from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtGui import QColor, QPainter, QPen, QPolygonF

from dms.core.profile import CameraProfile
from dms.core.types import FrameResult, PictureArea
from dms.core.words import behaviour_words

OVERLAYS: tuple[str, ...] = ("landmarks", "regions", "head", "labels", "fps")

# Upper-body pose links (MediaPipe pose indices): shoulders, arms, hands.
POSE_LINKS = ((11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24))
# Hand links: palm and the five fingers (MediaPipe hand indices).
HAND_LINKS = tuple(
    [(0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 9), (9, 13), (13, 17), (0, 17)]
    + [(a, a + 1) for base in (5, 9, 13, 17) for a in range(base, base + 3)]
)
REGION_COLOURS = {"wheel": QColor(0, 200, 255), "console": QColor(255, 160, 0)}
NOSE_POSE, NOSE_FACE = 0, 1


class Mapper:
    """Maps normalised (x, y) into the rectangle the picture was painted into."""

    def __init__(self, rect: QRectF):
        self.rect = rect

    def __call__(self, x: float, y: float) -> QPointF:
        return QPointF(self.rect.x() + x * self.rect.width(), self.rect.y() + y * self.rect.height())


def draw_regions(painter: QPainter, to_px: Mapper, profile: CameraProfile, area: PictureArea) -> None:
    """The profile's regions, on the camera's picture inside any black bars (`area`), where the
    analysis looked for them."""
    for name in ("wheel", "console"):
        colour = REGION_COLOURS[name]
        painter.setPen(QPen(colour, 2, Qt.DashLine))
        fill = QColor(colour)
        fill.setAlpha(40)
        painter.setBrush(fill)
        points = [to_px(*area.to_frame(x, y)) for x, y in getattr(profile, name)]
        painter.drawPolygon(QPolygonF(points))
        painter.drawText(points[0] + QPointF(4, -4), name)
    painter.setBrush(Qt.NoBrush)


def _draw_points(painter: QPainter, to_px: Mapper, points: np.ndarray, links, colour: QColor) -> None:
    painter.setPen(QPen(colour, 2))
    for a, b in links:
        painter.drawLine(to_px(*points[a, :2]), to_px(*points[b, :2]))
    painter.setPen(QPen(colour, 3))
    painter.drawPoints(QPolygonF([to_px(x, y) for x, y in points[:, :2]]))


def draw_landmarks(painter: QPainter, to_px: Mapper, result: FrameResult) -> None:
    marks = result.cues.landmarks
    if marks.pose is not None:
        visible = marks.pose[:, 3] > 0.5 if marks.pose.shape[1] > 3 else np.ones(len(marks.pose), bool)
        painter.setPen(QPen(QColor(0, 255, 0), 2))
        for a, b in POSE_LINKS:
            if visible[a] and visible[b]:
                painter.drawLine(to_px(*marks.pose[a, :2]), to_px(*marks.pose[b, :2]))
    if marks.face is not None:
        painter.setPen(QPen(QColor(255, 255, 255, 140), 1))
        painter.drawPoints(QPolygonF([to_px(x, y) for x, y in marks.face[::3, :2]]))
    for hand, colour in ((marks.left_hand, QColor(255, 80, 200)), (marks.right_hand, QColor(80, 160, 255))):
        if hand is not None:
            _draw_points(painter, to_px, hand, HAND_LINKS, colour)


def draw_head(painter: QPainter, to_px: Mapper, result: FrameResult) -> None:
    """An arrow from the nose in the head's direction (yaw + = towards the camera's left)."""
    cues = result.cues
    marks = cues.landmarks
    if not (cues.head_yaw.known and cues.head_pitch.known):
        return
    if marks.face is not None:
        nose = marks.face[NOSE_FACE, :2]
    elif marks.pose is not None:
        nose = marks.pose[NOSE_POSE, :2]
    else:
        return
    yaw, pitch = math.radians(cues.head_yaw.value), math.radians(cues.head_pitch.value)
    length = 0.15
    start = to_px(*nose)
    end = to_px(nose[0] - length * math.sin(yaw), nose[1] - length * math.sin(pitch))
    painter.setPen(QPen(QColor(255, 255, 0), 3))
    painter.drawLine(start, end)
    painter.drawEllipse(end, 4, 4)


def score_colour(value: float) -> QColor:
    if value >= 0.6:
        return QColor(255, 80, 80)
    return QColor(255, 200, 0) if value >= 0.4 else QColor(0, 200, 0)


def draw_labels(painter: QPainter, result: FrameResult, origin: QPointF) -> None:
    """The behaviour scores as bars, highest first, and what the classifier sees most, in words."""
    values = sorted(result.scores.values.items(), key=lambda kv: -kv[1])
    lines = 1 + len(values) + (1 if result.probs is not None else 0)
    painter.fillRect(QRectF(origin.x(), origin.y(), 280, 18 * lines + 6), QColor(0, 0, 0, 150))
    y = origin.y() + 16
    painter.setPen(QColor("white"))
    painter.drawText(QPointF(origin.x() + 6, y), f"t = {result.frame.t:6.2f} s")
    if result.probs is not None:
        name, p = result.probs.top_behaviour()
        y += 18
        painter.drawText(QPointF(origin.x() + 6, y), f"classifier: {behaviour_words(name)} {p:.2f}")
    for behaviour, value in values:
        y += 18
        colour = score_colour(value)
        painter.fillRect(QRectF(origin.x() + 170, y - 11, 100 * value, 12), colour)
        painter.setPen(QColor("white"))
        painter.drawText(QPointF(origin.x() + 6, y), behaviour_words(behaviour))
