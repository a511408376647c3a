"""Face cues on real night and dusk footage against the hand labels (../shared/data/labels)."""


import numpy as np
import pytest
from conftest import SHARED

from dms.core.config import Settings
from dms.scoring.labels import load_labels
from dms.scoring.perception_evaluation import agreements, run_cues


@pytest.fixture(scope="module")
def ir_night():
    return run_cues(SHARED / "video" / "ir_night_drowsy.mp4")


@pytest.fixture(scope="module")
def dusk():
    return run_cues(SHARED / "video" / "dusk_yawning.mp4")


def by_behaviour(run, clip):
    return {a.behaviour: a for a in agreements(run, load_labels(SHARED / "labels" / f"{clip}.csv"))}


def test_eye_closures_on_infrared_night_footage(ir_night):
    closed = by_behaviour(ir_night, "ir_night_drowsy")["eyes_closed"]
    assert closed.inside[1] >= 15  # the eyes were measurable in the labelled closures
    assert closed.share(closed.inside) >= 0.7  # closed in most frames of the four closures
    assert closed.share(closed.outside) >= 0.8  # open in most frames away from them
    assert closed.outside[1] >= 90  # measured 109 known frames away from the closures


def test_every_labelled_closure_is_seen(ir_night):
    labels = [
        i for i in load_labels(SHARED / "labels" / "ir_night_drowsy.csv") if i.behaviour == "eyes_closed"
    ]
    for interval in labels:
        said = [
            c.eyes_closed.value
            for t, c in zip(ir_night.times, ir_night.cues, strict=True)
            if interval.holds(t)
        ]
        assert 1.0 in said, f"closure at {interval.start_s} s not seen"


def test_face_and_openness_are_known_on_a_close_face_camera(ir_night):
    """No pose is needed: the face-mesh fallback keeps the face when the body is out of view."""
    visible = [c.face_visible.value for c in ir_night.cues]
    assert np.mean(visible) >= 0.95
    assert sum(c.eye_openness.known for c in ir_night.cues) >= 0.9 * len(ir_night.cues) - 10


def test_mouth_opening_marks_the_three_yawns(dusk):
    yawning = by_behaviour(dusk, "dusk_yawning")["yawning"]
    assert yawning.inside[1] >= 40 and yawning.outside[1] >= 100  # measured 48 and 118 known frames
    assert yawning.share(yawning.inside) >= 0.7
    assert yawning.share(yawning.outside) >= 0.9
    ratio = Settings().yawn_mouth_ratio
    for start, end in ((0.0, 1.8), (6.7, 8.5), (14.6, 16.45)):
        opening = [
            c.mouth_open.value
            for t, c in zip(dusk.times, dusk.cues, strict=True)
            if start + 0.2 <= t <= end - 0.2
        ]
        assert max(opening) > ratio, f"yawn at {start} s"


def test_head_turn_to_the_drivers_right_is_positive_yaw(dusk):
    """The driver turns right (towards the camera's left) at 9-10.4 s and 16.8-17.9 s."""

    def median_yaw(start, end):
        return np.median(
            [c.head_yaw.value for t, c in zip(dusk.times, dusk.cues, strict=True) if start <= t <= end]
        )

    ahead = median_yaw(2.0, 6.0)
    assert abs(ahead) < 10.0
    assert median_yaw(9.3, 10.2) > ahead + 15.0
    assert median_yaw(17.0, 17.8) > ahead + 15.0


def test_landmarks_for_overlays(dusk):
    marks = [c.landmarks for c in dusk.cues if c.face_visible.value == 1.0]
    assert marks and all(m.face.shape in ((468, 3), (478, 3)) for m in marks)
    assert all(0.0 <= m.face[:, 0].mean() <= 1.0 and 0.0 <= m.face[:, 1].mean() <= 1.0 for m in marks)
