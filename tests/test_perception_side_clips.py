"""Side-view footage: the passenger-side montage (a cut every second) and the State Farm stills."""


import numpy as np
import pytest
from conftest import SHARED

from dms.core.types import CUE_NAMES, Cue, Cues
from dms.scoring.labels import load_labels
from dms.scoring.perception_evaluation import agreements, run_cues


@pytest.fixture(scope="module")
def montage():
    return run_cues(SHARED / "video" / "side_montage_a.mp4")


def values(run, cue, start, end):
    return [getattr(c, cue).value for t, c in zip(run.times, run.cues, strict=True) if start <= t <= end]


def test_phone_call_at_the_ear_on_a_side_camera(montage):
    assert np.mean([v == 1.0 for v in values(montage, "hand_at_ear", 2.1, 2.9)]) >= 0.6
    labels = load_labels(SHARED / "labels" / "side_montage_a.csv")
    at_ear = {a.behaviour: a for a in agreements(montage, labels)}["hand_at_ear"]
    assert at_ear.share(at_ear.outside) >= 0.9
    assert at_ear.outside[1] >= 45 and at_ear.inside[1] >= 12  # measured 56 and 17 known frames


def test_state_farm_stills_play_as_a_sequence():
    run = run_cues(SHARED / "images" / "statefarm", image_fps=1.0)
    assert len(run.cues) == 20
    assert all(
        isinstance(c, Cues) and all(isinstance(getattr(c, name), Cue) for name in CUE_NAMES)
        for c in run.cues
    )
    bodies = sum(c.landmarks.pose is not None for c in run.cues)
    located = sum(c.hands_on_wheel.known or c.face_visible.value == 1.0 for c in run.cues)
    assert bodies >= 15 and located >= 15
    for c in run.cues:
        marks = c.landmarks
        assert marks.pose is None or marks.pose.shape == (33, 4)
        for hand in (marks.left_hand, marks.right_hand):
            assert hand is None or hand.shape == (21, 3)


def test_near_profile_head_yaw_comes_from_the_pose_where_the_face_mesh_fails(montage):
    """Cuts 3-6 s: the driver looks ahead, seen near profile by the passenger-side camera. The face
    mesh is lost on most frames (and saturates at about 55-60 degrees when found); the pose's nose
    and ears read the turn from the camera (head_turn.py), so the head yaw stays known."""
    from dms.perception.head_pose import head_angles
    from dms.perception.head_turn import pose_yaw

    frames = [c for t, c in zip(montage.times, montage.cues, strict=True) if 3.1 <= t <= 6.9]
    poses = [pose_yaw(c.landmarks.pose, 16, 9) for c in frames]
    assert sum(p is not None for p in poses) >= 0.9 * len(frames)
    assert np.median([p for p in poses if p is not None]) <= -65.0  # beyond the mesh's reach
    meshes = [head_angles(c.landmarks.face, 16, 9) for c in frames if c.landmarks.face is not None]
    assert all(abs(m.yaw_deg) < 65.0 for m in meshes if m is not None)
    assert sum(c.head_yaw.known for c in frames) >= 0.9 * len(frames)
