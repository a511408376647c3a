"""Why the face was lost, from the body pose: out of the picture (camera aim) or turned away.

MediaPipe Pose gives 33 body points (x, y normalised, may lie outside 0..1 for points beyond the
image; visibility 0..1): 0 nose, 1-6 eyes, 7/8 left/right ear, 9/10 mouth, 11/12 shoulders. A face
the face detector lost is

* **out of frame** when a head point lies at or beyond the image border: the camera sees only
  part of the head, a face-visibility / camera-aim condition that says nothing about the gaze;
* **turned away** when the whole head is inside the picture, a shoulder is seen and the head
  points show the head turned away from the camera: the nose hidden while an ear is seen. (The
  nose's place between the ears is no sign: from a camera beside the dashboard it already lies
  at one ear while the driver looks ahead, as in the reference clip `day_eating.mp4`.)

Only a turned-away head may support looking back; a body that merely stays in the picture does not.
"""

from __future__ import annotations

import numpy as np

HEAD = tuple(range(11))
NOSE, LEFT_EAR, RIGHT_EAR = 0, 7, 8
SHOULDERS = (11, 12)
BORDER = 0.02  # normalised image coordinates: a point this close to the edge is cut by it
SEEN = 0.5  # MediaPipe visibility above which a point counts as seen


def head_out_of_frame(pose: np.ndarray | None) -> bool:
    """True when a head point of the pose lies at or beyond the image border."""
    if pose is None or len(pose) < len(HEAD):
        return False
    head = np.asarray(pose[list(HEAD), :2], dtype=float)
    low, high = BORDER, 1.0 - BORDER
    return bool(np.any((head <= low) | (head >= high)))


def head_turned_away(pose: np.ndarray | None) -> bool:
    """True when the whole head is in the picture, a shoulder is seen and the head is turned."""
    if pose is None or len(pose) <= max(SHOULDERS) or head_out_of_frame(pose):
        return False
    visible = np.asarray(pose[:, 3], dtype=float) >= SEEN
    if not visible[list(SHOULDERS)].any():
        return False
    return bool(not visible[NOSE] and (visible[LEFT_EAR] or visible[RIGHT_EAR]))
