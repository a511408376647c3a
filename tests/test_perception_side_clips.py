"""Side-view footage: the passenger-side montage (a cut every second) and the State Farm stills."""

from pathlib import Path

import numpy as np
import pytest

from dms.perception.evaluation import agreements, read_labels, run_cues
from dms.types import Cue, Cues

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="module")
def montage():
    return run_cues(SHARED / "video" / "side_montage_a.mp4")


def values(run, cue, start, end):
    return [getattr(c, cue).value for t, c in zip(run.times, run.cues, strict=True) if start <= t <= end]


def test_phone_call_at_the_ear_on_a_side_camera(montage):
    assert np.mean([v == 1.0 for v in values(montage, "hand_at_ear", 2.1, 2.9)]) >= 0.6
    labels = read_labels(SHARED / "labels" / "side_montage_a.csv")
    at_ear = {a.behavior: a for a in agreements(montage, labels)}["hand_at_ear"]
    assert at_ear.share(at_ear.outside) >= 0.9


def test_state_farm_stills_play_as_a_sequence():
    run = run_cues(SHARED / "images" / "statefarm", image_fps=1.0)
    assert len(run.cues) == 20
    assert all(
        isinstance(c, Cues) and all(isinstance(v, Cue) for v in vars(c).values() if v is not c.landmarks)
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
