"""Ties the object detector's boxes to the driver's body: a phone at an ear or in a hand, a cigarette at
the mouth or in a hand (issue 18: phone at the ear = a call, phone in a hand = texting or holding it,
cigarette at the mouth or in the hand = smoking).

A box alone says nothing about the driver (a phone on the passenger seat, a cigarette on a poster); it
counts where MediaPipe's ear, mouth or hand points are on it or near it. Distances are in face heights
(dms.perception.hands.face_scale_px), so the same reach holds at any camera distance.
"""

from __future__ import annotations

import numpy as np

from dms.core.types import Landmarks, ObjectBox, Objects, ObjectTies
from dms.perception.hands import (
    NEAR_EAR,
    ear_points_px,
    face_scale_px,
    locate_hands,
    mouth_point_px,
)

# A "phone" box holds the phone and the hand holding it (at the ear: the ear too), so an ear within
# the reach of a hand at the ear (hands.NEAR_EAR) ties it to the ear, and a hand point on the box (or
# a fifth of a face height from it: the box edge cuts through the fingers) to the hand.
PHONE_EAR_REACH = NEAR_EAR
HAND_REACH = 0.2
# A "cigarette" box is the cigarette alone: at the lips its end touches the mouth, whose centre
# (inner lips) is about a quarter of a face height from the corners.
CIGARETTE_MOUTH_REACH = 0.3


def tie_objects(objects: Objects | None, landmarks: Landmarks, width: int, height: int) -> ObjectTies:
    """Where the detected phones and cigarettes are relative to the ears, mouth and hands
    (dms.core.types.ObjectTies says what 0.0 and None mean).

    `objects` come from the detector (None: it did not run), `landmarks` from MediaPipe on the same
    analysis picture of `width` x `height` pixels. A phone box tied to an ear is not also counted as
    in the hand (the call is the stronger reading).
    """
    if objects is None:
        return ObjectTies()
    scale = face_scale_px(landmarks, width, height)
    hand_points = [h.points_px for h in locate_hands(landmarks, width, height)]
    ears = ear_points_px(landmarks, width, height)
    mouth = mouth_point_px(landmarks, width, height)
    size = (width, height)
    at_ear = in_hand = at_mouth = cig_hand = None
    if "phone" in objects.kinds:
        phones = objects.of("phone")
        at_ear = _best(phones, ears, PHONE_EAR_REACH, scale, size)
        away = tuple(b for b in phones if not _near(b, ears, PHONE_EAR_REACH, scale, size))
        in_hand = _best(away, hand_points, HAND_REACH, scale, size)
    if "cigarette" in objects.kinds:
        cigarettes = objects.of("cigarette")
        at_mouth = _best(cigarettes, [] if mouth is None else [mouth], CIGARETTE_MOUTH_REACH, scale, size)
        cig_hand = _best(cigarettes, hand_points, HAND_REACH, scale, size)
    return ObjectTies(at_ear, in_hand, at_mouth, cig_hand)


def box_distance_px(box: ObjectBox, points: np.ndarray, size: tuple[int, int]) -> float:
    """Pixels from the nearest of `points` ((N, 2) or (2,), pixels) to the box (0 inside it)."""
    x0, y0, x1, y1 = box.box
    w, h = size
    pts = np.atleast_2d(np.asarray(points, dtype=np.float64))
    dx = np.maximum(np.maximum(x0 * w - pts[:, 0], 0.0), pts[:, 0] - x1 * w)
    dy = np.maximum(np.maximum(y0 * h - pts[:, 1], 0.0), pts[:, 1] - y1 * h)
    return float(np.hypot(dx, dy).min())


def _near(box: ObjectBox, anchors: list[np.ndarray], reach: float, scale: float | None,
          size: tuple[int, int]) -> bool:
    """Whether any anchor lies on the box or within `reach` face heights of it (on it only, when the
    face size is unknown)."""
    limit = reach * scale if scale else 0.0
    return any(box_distance_px(box, anchor, size) <= limit for anchor in anchors)


def _best(boxes: tuple[ObjectBox, ...], anchors: list[np.ndarray], reach: float, scale: float | None,
          size: tuple[int, int]) -> float | None:
    """The best score of a box near an anchor; 0.0 without boxes; None with boxes but no anchor."""
    if not boxes:
        return 0.0
    if not anchors:
        return None
    return max((b.score for b in boxes if _near(b, anchors, reach, scale, size)), default=0.0)

