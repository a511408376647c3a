"""Where the driver's hands are, from the hand models or, when those missed, the pose wrist points.

Distances to the face are measured in face heights (forehead to chin), or from the shoulders when
the face mesh is missing, so the same thresholds hold for any camera distance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dms.core.types import Landmarks

PALM_POINTS = (0, 5, 9, 13, 17)  # wrist and finger bases of the 21-point hand
POSE_HAND_POINTS = {"left": (15, 17, 19, 21), "right": (16, 18, 20, 22)}  # wrist, pinky, index, thumb
POSE_VISIBLE = 0.5
# Face height (mesh forehead 10 to chin 152) in shoulder widths and in nose-to-shoulder-line heights,
# for when only the pose is seen (average adult proportions).
FACE_PER_SHOULDER_WIDTH = 0.45
FACE_PER_NECK_HEIGHT = 0.8
# A hand is "at" the mouth within 0.6 face heights (it usually holds food, a cup or a cigarette,
# about 10 cm across) and "at" an ear within 0.35 (a phone is pressed against the ear itself).
NEAR_MOUTH = 0.6
NEAR_EAR = 0.35


@dataclass(frozen=True)
class HandPosition:
    """One located hand: its points in pixels and its centre in normalised image coordinates."""

    side: str  # the driver's "left" or "right"
    points_px: np.ndarray  # (N, 2)
    centre: tuple[float, float]


def locate_hands(landmarks: Landmarks, width: int, height: int) -> list[HandPosition]:
    """Hands from the hand model where it found them, else from the pose's visible wrist points."""
    hands = []
    for side, hand in (("left", landmarks.left_hand), ("right", landmarks.right_hand)):
        if hand is not None:
            centre = hand[list(PALM_POINTS), :2].mean(axis=0)
            hands.append(HandPosition(side, hand[:, :2] * (width, height), _pair(centre)))
        elif landmarks.pose is not None:
            rows = landmarks.pose[list(POSE_HAND_POINTS[side])]
            seen = rows[(rows[:, 3] >= POSE_VISIBLE) & _inside_image(rows)]
            if len(seen):
                centre = seen[:, :2].mean(axis=0)
                hands.append(HandPosition(side, seen[:, :2] * (width, height), _pair(centre)))
    return hands


def face_scale_px(landmarks: Landmarks, width: int, height: int) -> float | None:
    """Face height in pixels: measured on the face mesh, else estimated from the shoulders."""
    size = np.array([width, height], dtype=np.float64)
    if landmarks.face is not None:
        return float(np.linalg.norm((landmarks.face[10, :2] - landmarks.face[152, :2]) * size))
    pose = landmarks.pose
    if pose is None or min(pose[11, 3], pose[12, 3], pose[0, 3]) < POSE_VISIBLE:
        return None
    shoulders = pose[11, :2] * size, pose[12, :2] * size
    neck = abs(float((shoulders[0][1] + shoulders[1][1]) / 2 - pose[0, 1] * height))
    return max(
        FACE_PER_SHOULDER_WIDTH * float(np.linalg.norm(shoulders[0] - shoulders[1])),
        FACE_PER_NECK_HEIGHT * neck,
    )


def mouth_point_px(landmarks: Landmarks, width: int, height: int) -> np.ndarray | None:
    if landmarks.face is not None:
        return landmarks.face[[13, 14], :2].mean(axis=0) * (width, height)
    if landmarks.pose is not None and min(landmarks.pose[9, 3], landmarks.pose[10, 3]) >= POSE_VISIBLE:
        return landmarks.pose[[9, 10], :2].mean(axis=0) * (width, height)
    return None


def ear_points_px(landmarks: Landmarks, width: int, height: int) -> list[np.ndarray]:
    """Both ears: the pose model places them even when hair or a hand hides them; without a pose,
    the face-mesh contour at ear level."""
    if landmarks.pose is not None:
        return [landmarks.pose[i, :2] * (width, height) for i in (7, 8)]
    if landmarks.face is not None:
        return [landmarks.face[i, :2] * (width, height) for i in (234, 454)]
    return []


def nearest_distance(hands: list[HandPosition], target: np.ndarray) -> float:
    return min(float(np.linalg.norm(h.points_px - target, axis=1).min()) for h in hands)


def _inside_image(rows: np.ndarray) -> np.ndarray:
    return (rows[:, 0] >= 0) & (rows[:, 0] <= 1) & (rows[:, 1] >= 0) & (rows[:, 1] <= 1)


def _pair(xy: np.ndarray) -> tuple[float, float]:
    return float(xy[0]), float(xy[1])
