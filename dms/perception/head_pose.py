"""Head yaw and pitch from face-mesh points with cv2.solvePnP against a generic 3-D face.

The 3-D points are average adult face proportions in millimetres (x towards the subject's left,
y down, z away from the camera, origin at the nose tip), so the estimate needs no per-camera
tuning; the per-driver straight-ahead pose is removed later by the calibration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

# face-mesh index -> generic 3-D position (mm)
GENERIC_FACE: dict[int, tuple[float, float, float]] = {
    1: (0.0, 0.0, 0.0),  # nose tip
    168: (0.0, -48.0, 22.0),  # nose bridge between the eyes
    152: (0.0, 68.0, 22.0),  # chin
    33: (-45.0, -35.0, 38.0),  # right eye, outer corner
    133: (-14.0, -34.0, 30.0),  # right eye, inner corner
    263: (45.0, -35.0, 38.0),  # left eye, outer corner
    362: (14.0, -34.0, 30.0),  # left eye, inner corner
    61: (-26.0, 30.0, 26.0),  # right mouth corner
    291: (26.0, 30.0, 26.0),  # left mouth corner
}
_INDICES = np.array(list(GENERIC_FACE), dtype=int)
_MODEL = np.array(list(GENERIC_FACE.values()), dtype=np.float64)


@dataclass(frozen=True)
class HeadAngles:
    """Head direction relative to the camera axis; `error` is the mean reprojection error / face size."""

    yaw_deg: float  # + = the subject turns to their right (image left for a camera facing them)
    pitch_deg: float  # + = head up
    error: float


def head_angles(face: np.ndarray, width: int, height: int) -> HeadAngles | None:
    """Fit the generic face to the mesh points; None when the fit fails."""
    image_points = face[_INDICES, :2].astype(np.float64) * (width, height)
    focal = float(max(width, height))
    camera = np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1]], dtype=np.float64)
    ok, rvec, tvec = cv2.solvePnP(_MODEL, image_points, camera, None, flags=cv2.SOLVEPNP_SQPNP)
    if not ok:
        return None
    projected, _ = cv2.projectPoints(_MODEL, rvec, tvec, camera, None)
    face_size = float(np.linalg.norm(image_points[2] - image_points[1])) + 1e-6  # chin to nose bridge
    error = float(np.linalg.norm(projected[:, 0] - image_points, axis=1).mean()) / face_size
    rotation, _ = cv2.Rodrigues(rvec)
    forward = rotation @ np.array([0.0, 0.0, -1.0])  # where the face points, in camera coordinates
    yaw = math.degrees(math.atan2(-forward[0], -forward[2]))
    pitch = math.degrees(math.atan2(-forward[1], math.hypot(forward[0], forward[2])))
    return HeadAngles(yaw, pitch, error)
