"""Large head turns from the pose landmarks, where the face mesh cannot measure them.

Near profile the face-mesh fit saturates (its yaw stays about 55-60 degrees however far the head
turns, measured on the shared side-camera montages) and beyond that the face is lost. The pose
model still places the nose and both ears (it estimates hidden points), so the turn is read from
them: seen from above, the ears sit at +-a across the head and the nose tip d ahead of the ear
axis; turning the head by yaw moves the nose sideways by d sin(yaw) from the ears' midpoint and
brings the ears together to 2a cos(yaw) apart, so

    yaw = atan2(k * (ears' midpoint x - nose x), left ear x - right ear x),   k = 2a / d.

k = 2.3 is the least-squares fit of tan(face-mesh yaw) on the pose ratio over the frames of the
shared dusk and side clips where the mesh yaw is below 45 degrees (2.31 and 2.41); average head
proportions (15 cm ear to ear, nose tip 10-11 cm ahead of the ears) give about 1.4, the pose
model's ear points sit further back than the ear canals. Past 90 degrees the ears cross over and
the angle keeps growing, so looking back over the shoulder reads as more than 90.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EAR_WIDTH_PER_NOSE_DEPTH = 2.3
NOSE, LEFT_EAR, RIGHT_EAR, LEFT_SHOULDER, RIGHT_SHOULDER = 0, 7, 8, 11, 12
POSE_VISIBLE = 0.5
MESH_RELIABLE_DEG = 45.0  # beyond this the face-mesh yaw starts to saturate


@dataclass(frozen=True)
class CameraHeadPose:
    """Head direction relative to the camera axis, from the face mesh or the pose."""

    yaw_deg: float  # + = the driver turns to the driver's right (image left for a facing camera)
    pitch_deg: float | None  # None when only the pose measured the head (it gives no pitch)
    source: str  # "face_mesh" or "pose"


def head_inside_image(pose: np.ndarray | None) -> bool:
    """Nose and both ears inside the picture, with the shoulders seen: the whole head is in view,
    so a face the mesh cannot find is turned away (or hidden), not cut off by the image border."""
    if pose is None:
        return False
    head = pose[[NOSE, LEFT_EAR, RIGHT_EAR], :2]
    inside = bool(np.all((head >= 0.0) & (head <= 1.0)))
    return inside and float(pose[[LEFT_SHOULDER, RIGHT_SHOULDER], 3].mean()) >= POSE_VISIBLE


def pose_yaw(pose: np.ndarray | None, width: int, height: int) -> float | None:
    """Yaw (degrees) of the head from pose nose and ears (pose rows x, y, z, visibility,
    normalised); None without a pose or with the head not inside the picture."""
    if not head_inside_image(pose):
        return None
    nose, left, right = (pose[i, 0] * width for i in (NOSE, LEFT_EAR, RIGHT_EAR))
    offset = (left + right) / 2.0 - nose
    spread = left - right
    if abs(offset) < 1e-6 and abs(spread) < 1e-6:
        return None
    return math.degrees(math.atan2(EAR_WIDTH_PER_NOSE_DEPTH * offset, spread))


def merge_head_pose(mesh: tuple[float, float] | None, pose_yaw_deg: float | None) -> CameraHeadPose | None:
    """One camera-relative head pose from the face mesh (yaw, pitch) and the pose's yaw: the mesh
    while it is reliable, the pose where the mesh saturates (a larger turn the same way) or the
    face is lost."""
    if mesh is not None:
        yaw, pitch = mesh
        saturated = abs(yaw) > MESH_RELIABLE_DEG
        if saturated and pose_yaw_deg is not None and abs(pose_yaw_deg) > abs(yaw) and pose_yaw_deg * yaw > 0:
            return CameraHeadPose(pose_yaw_deg, pitch, "pose")
        return CameraHeadPose(yaw, pitch, "face_mesh")
    if pose_yaw_deg is not None:
        return CameraHeadPose(pose_yaw_deg, None, "pose")
    return None
