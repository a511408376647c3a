"""Eye and mouth aspect ratios from face-mesh points: scale-free, so any camera distance works.

Points are taken in pixels with MediaPipe's relative depth (z is on the x scale), which keeps the
ratios steadier when the head is turned than a flat 2-D measure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# (outer corner, inner corner, upper lid a, lower lid a, upper lid b, lower lid b)
RIGHT_EYE = (33, 133, 160, 144, 158, 153)
LEFT_EYE = (263, 362, 387, 373, 385, 380)
INNER_LIPS = (13, 14, 78, 308)  # upper, lower, right corner, left corner
TURNED_HEAD_DEG = 20.0  # beyond this yaw the far eye is foreshortened: use the better-seen eye


@dataclass(frozen=True)
class EyeMeasure:
    ratio: float  # eye aspect ratio: mean lid gap / corner-to-corner width
    width: float  # corner-to-corner width in pixels (how well the eye is seen)


def to_pixels(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """Normalised (x, y, z) to pixel units; MediaPipe's z shares the x scale."""
    return points[:, :3].astype(np.float64) * (width, height, width)


def eye_measure(face_px: np.ndarray, eye: tuple[int, ...]) -> EyeMeasure:
    outer, inner, up_a, low_a, up_b, low_b = (face_px[i] for i in eye)
    width = float(np.linalg.norm(outer - inner))
    gap = (np.linalg.norm(up_a - low_a) + np.linalg.norm(up_b - low_b)) / 2.0
    return EyeMeasure(float(gap / (width + 1e-6)), width)


def eye_openness(
    face_px: np.ndarray, yaw_deg: float | None, visible: tuple[bool, bool] = (True, True)
) -> float | None:
    """Both eyes averaged when the head faces the camera, else the eye seen wider; only eyes that
    `visible` (right, left) says can be seen (dms/perception/eye_visibility.py) count. None when
    none of the eyes that would be read is visible."""
    measures = (eye_measure(face_px, RIGHT_EYE), eye_measure(face_px, LEFT_EYE))
    if yaw_deg is not None and abs(yaw_deg) > TURNED_HEAD_DEG:
        wider = max((0, 1), key=lambda i: measures[i].width)
        return measures[wider].ratio if visible[wider] else None
    seen = [m.ratio for m, v in zip(measures, visible, strict=True) if v]
    return sum(seen) / len(seen) if seen else None


def mouth_aspect_ratio(face_px: np.ndarray) -> float:
    """Inner-lip opening height over inner-lip width."""
    upper, lower, right, left = (face_px[i] for i in INNER_LIPS)
    return float(np.linalg.norm(upper - lower) / (np.linalg.norm(right - left) + 1e-6))
