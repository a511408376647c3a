"""The LandmarkCues stage as the pipeline uses it: interface, unknown cues, cuts, reset, close."""


import cv2
import numpy as np
import pytest
from conftest import SHARED

from dms.core.config import Settings
from dms.core.profile import CameraProfile
from dms.core.types import CUE_NAMES, Cues, Frame
from dms.perception.cues import LandmarkCues

STATEFARM = SHARED / "images" / "statefarm"


@pytest.fixture(scope="module")
def stage():
    with LandmarkCues(CameraProfile.load(), Settings()) as landmarks:
        yield landmarks


def still(name: str) -> np.ndarray:
    image = cv2.imread(str(next(STATEFARM.glob(f"*/{name}"))))
    assert image is not None
    return image


def test_an_empty_picture_gives_unknown_cues_not_false(stage):
    stage.reset()
    cues = stage(Frame(0, 0.0, np.zeros((480, 640, 3), dtype=np.uint8)))
    assert isinstance(cues, Cues)
    assert cues.face_visible.value == 0.0 and cues.body_visible.value == 0.0
    for name in CUE_NAMES:
        if name not in ("face_visible", "body_visible"):
            assert getattr(cues, name).value is None, name
    assert cues.landmarks.face is None and cues.landmarks.pose is None


def test_unrelated_stills_do_not_carry_landmarks_over(stage):
    """Each new picture is a cut: the same still gives the same landmarks whatever came before."""
    stage.reset()
    names = sorted(p.name for p in STATEFARM.glob("c0/*.jpg"))[:1] + sorted(
        p.name for p in STATEFARM.glob("c6/*")
    )
    first, second = still(names[0]), still(names[1])
    results = [stage(Frame(i, i * 1.0, image)) for i, image in enumerate((second, first, second, first))]
    for earlier, later in ((results[1], results[3]), (results[0], results[2])):
        if earlier.landmarks.pose is None:
            assert later.landmarks.pose is None
        else:
            np.testing.assert_allclose(earlier.landmarks.pose, later.landmarks.pose, atol=1e-5)


def test_reset_forgets_the_drivers_straight_ahead_pose(stage):
    stage.reset()
    image = cv2.imread(str(SHARED / "images" / "dmd" / "eyes_closed.jpg"))
    seen = [stage(Frame(i, i * 0.1, image)) for i in range(30)]
    assert seen[0].face_visible.value == 1.0
    camera_relative = seen[0].head_yaw  # in doubt: relative to the profile's expected forward pose
    assert camera_relative.known and stage.describe()["head_reference"]["reference"] == "driver"
    assert abs(seen[-1].head_yaw.value) < 1.0  # 2.9 s of the same steady picture: that is "ahead"
    stage.reset()
    again = stage(Frame(0, 0.0, image)).head_yaw
    assert again.value == pytest.approx(camera_relative.value, abs=0.5)
    assert stage.describe()["head_reference"]["reference"] == "camera"


def test_close_frees_the_graphs_and_can_be_called_twice():
    landmarks = LandmarkCues(CameraProfile.load(), Settings())
    landmarks(Frame(0, 0.0, np.zeros((120, 160, 3), dtype=np.uint8)))
    assert landmarks.holds_graphs
    landmarks.close()
    assert not landmarks.holds_graphs
    landmarks.close()  # a second close is harmless
    assert not landmarks.holds_graphs


def test_the_face_mesh_that_keeps_finding_nothing_is_tried_less_often():
    """After 3 misses in a row the stand-alone face mesh runs every 0.3 s of media time, and always
    on a picture that does not follow from the previous one."""
    from dms.perception.runner import MediaPipeRunner

    runner = MediaPipeRunner()
    picture = np.random.default_rng(0).integers(0, 255, (240, 320, 3), dtype=np.uint8)
    try:
        for i in range(10):  # 0.0 .. 0.9 s at 10 Hz: runs at 0.0, 0.1, 0.2, then 0.5 and 0.8
            assert runner(picture, t=i / 10).landmarks.face is None
        assert runner.fallback_runs == 5
        runner(picture, continuous=False, t=0.95)
        assert runner.fallback_runs == 6
    finally:
        runner.close()
