"""Is the driver large enough in the picture for the face and head cues to mean anything?

A far or wide-angle camera shows the driver's face a few dozen pixels high. MediaPipe still
returns a face mesh now and then and always a body pose, but at that size the landmarks are
guesses: on the reference drive scaled into a larger grey frame (round-3 fault
`smallface_center.mp4`) the pose's nose and ears gave head yaws of -170 to +170 degrees and a
critical `looking_back` from a driver looking ahead. Sizes are measured in pixels of the picture
the landmarks were found on (the analysis picture, longest side 640 px):

* the face mesh's height (mid-forehead, point 10, to chin, 152) for the face cues (head pose from
  the mesh, eye and mouth ratios);
* for the pose's head cues (yaw from nose and ears, a head turned away), the face height the
  pose implies (`pose_face_px`: from the shoulders and the nose, as `dms.perception.hands`
  scales hand distances), since the pose has no face outline.

The limits come from the shared clips shrunk into a grey frame (scales 1 to 0.25 of the analysis
picture, as the fault file is made), comparing each cue with the same frame at full size
(docs/perception.md, "How small a face"): below them the errors jump.
"""

from __future__ import annotations

import numpy as np

from dms.core.types import FACE_TOO_SMALL, NO_BODY, Cue, Landmarks
from dms.perception.face_lost import head_turned_away
from dms.perception.hands import FACE_PER_NECK_HEIGHT, FACE_PER_SHOULDER_WIDTH, POSE_VISIBLE

MIN_MESH_FACE_PX = 30.0  # face-mesh height below which its head pose and eye lids are not trusted
MIN_POSE_FACE_PX = 25.0  # face height implied by the pose below which its nose and ears are not


def mesh_face_px(face: np.ndarray, width: int, height: int) -> float:
    """Face-mesh height (forehead 10 to chin 152) in pixels; `face` rows x, y(, z) normalised."""
    return float(np.linalg.norm((face[10, :2] - face[152, :2]) * (width, height)))


def mesh_big_enough(face: np.ndarray, width: int, height: int) -> bool:
    return mesh_face_px(face, width, height) >= MIN_MESH_FACE_PX


def pose_face_px(pose: np.ndarray, width: int, height: int) -> float | None:
    """The face height (pixels) a pose implies: the larger of 0.45 x shoulder width and 0.8 x the
    nose-to-shoulder-line height (average adult proportions); the nose is taken where the pose
    places it even when hidden (a head turned away). None unless the shoulders are seen."""
    if float(pose[[11, 12], 3].mean()) < POSE_VISIBLE:
        return None
    size = np.array([width, height], dtype=np.float64)
    left, right = pose[11, :2] * size, pose[12, :2] * size
    neck = abs(float((left[1] + right[1]) / 2 - pose[0, 1] * height))
    return max(FACE_PER_SHOULDER_WIDTH * float(np.linalg.norm(left - right)), FACE_PER_NECK_HEIGHT * neck)


def pose_big_enough(landmarks: Landmarks, width: int, height: int) -> bool:
    """Whether the pose shows a person large enough for its head points (False without a pose)."""
    if landmarks.pose is None:
        return False
    scale = pose_face_px(landmarks.pose, width, height)
    return scale is not None and scale >= MIN_POSE_FACE_PX


def head_turned_away_cue(landmarks: Landmarks, width: int, height: int) -> Cue:
    """`Cues.head_turned_away`: 1 when the pose shows the whole head in the picture turned away
    (dms.perception.face_lost), 0 when not; unknown without a pose or for a person too small for its head
    points."""
    if landmarks.pose is None:
        return Cue.unknown(NO_BODY)
    if not pose_big_enough(landmarks, width, height):
        return Cue.unknown(FACE_TOO_SMALL)
    return Cue(1.0 if head_turned_away(landmarks.pose) else 0.0)
