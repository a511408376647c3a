"""Head pose, eye/mouth ratios, calibration, hand location and cut detection on constructed input
with a known answer (the clip tests check the same code on real footage)."""

import math

import numpy as np
import pytest

from dms.core.types import Landmarks
from dms.perception.calibration import EyeBaseline
from dms.perception.cuts import CutDetector
from dms.perception.face_ratios import eye_measure, eye_openness, mouth_aspect_ratio
from dms.perception.hands import face_scale_px, locate_hands
from dms.perception.head_pose import GENERIC_FACE, head_angles
from dms.perception.head_reference import ForwardPose, HeadReference
from dms.perception.head_turn import merge_head_pose, pose_yaw

WIDTH, HEIGHT = 1280, 720


def projected_face(yaw_deg: float, pitch_deg: float, distance_mm: float = 650.0) -> np.ndarray:
    """A 478-point face array whose pose points are the generic face turned by yaw/pitch and
    projected through a pin-hole camera like the one head_angles assumes."""
    yaw, up = math.radians(yaw_deg), -math.radians(pitch_deg)  # image y points down
    turn = np.array([[math.cos(yaw), 0, math.sin(yaw)], [0, 1, 0], [-math.sin(yaw), 0, math.cos(yaw)]])
    nod = np.array([[1, 0, 0], [0, math.cos(up), -math.sin(up)], [0, math.sin(up), math.cos(up)]])
    face = np.full((478, 3), 0.5, dtype=np.float32)
    focal = max(WIDTH, HEIGHT)
    for index, point in GENERIC_FACE.items():
        x, y, z = turn @ nod @ np.array(point) + (30.0, -20.0, distance_mm)
        face[index] = (focal * x / z / WIDTH + 0.5, focal * y / z / HEIGHT + 0.5, 0.0)
    return face


@pytest.mark.parametrize("yaw, pitch", [(0, 0), (25, 0), (-40, 0), (0, -25), (0, 15), (30, -20)])
def test_head_angles_recover_known_pose_and_signs(yaw, pitch):
    angles = head_angles(projected_face(yaw, pitch), WIDTH, HEIGHT)
    assert angles is not None
    assert angles.yaw_deg == pytest.approx(yaw, abs=2.0)
    assert angles.pitch_deg == pytest.approx(pitch, abs=2.0)
    assert angles.error < 0.02


def test_head_turn_to_drivers_right_moves_nose_to_image_left():
    """The sign convention in pixels: a frontal camera sees the driver's right on the image left."""
    ahead, right = projected_face(0, 0), projected_face(30, 0)

    def nose_offset(face):
        return face[1, 0] - face[[33, 263], 0].mean()

    assert nose_offset(right) < nose_offset(ahead) - 0.01
    assert head_angles(right, WIDTH, HEIGHT).yaw_deg > 0


def test_eye_and_mouth_ratios_are_gap_over_width():
    face_px = np.zeros((478, 3))
    # right eye: corners 10 px apart, both lid gaps 3 px
    face_px[33], face_px[133] = (0, 0, 0), (10, 0, 0)
    face_px[160], face_px[144] = (3, -1.5, 0), (3, 1.5, 0)
    face_px[158], face_px[153] = (7, -1.5, 0), (7, 1.5, 0)
    assert eye_measure(face_px, (33, 133, 160, 144, 158, 153)).ratio == pytest.approx(0.3, abs=1e-4)
    # left eye seen narrower (head turned) and more closed
    face_px[263], face_px[362] = (40, 0, 0), (46, 0, 0)
    face_px[387], face_px[373] = (42, -0.3, 0), (42, 0.3, 0)
    face_px[385], face_px[380] = (44, -0.3, 0), (44, 0.3, 0)
    assert eye_openness(face_px, yaw_deg=0.0) == pytest.approx((0.3 + 0.1) / 2, abs=1e-3)
    assert eye_openness(face_px, yaw_deg=35.0) == pytest.approx(0.3, abs=1e-3)  # the better-seen eye
    face_px[13], face_px[14], face_px[78], face_px[308] = (0, 0, 0), (0, 12, 0), (-10, 6, 0), (10, 6, 0)
    assert mouth_aspect_ratio(face_px) == pytest.approx(0.6, abs=1e-4)


def observe_for(reference, t, seconds, yaw, pitch, moving=None, noise=0.0, rng=None):
    for _ in range(int(round(seconds * 10))):
        dy, dp = (rng.normal(0, noise, 2) if rng is not None else (0.0, 0.0))
        reference.observe(t, yaw + dy, pitch + dp, moving)
        t += 0.1
    return t


def test_head_reference_learns_straight_ahead_and_ignores_glances():
    reference = HeadReference()
    rng = np.random.default_rng(0)
    assert reference.value == (0.0, 0.0) and reference.kind == "camera"  # in doubt: camera-relative
    t = observe_for(reference, 0.0, 2.5, 12.0, -8.0, noise=1.0, rng=rng)  # camera mounted off-axis
    assert reference.settled and reference.kind == "driver"
    yaw0, pitch0 = reference.value
    assert yaw0 == pytest.approx(12.0, abs=1.0) and pitch0 == pytest.approx(-8.0, abs=1.0)
    t = observe_for(reference, t, 3.0, 55.0, -8.0)  # a 3 s glance at the mirror: not plausible
    assert reference.value[0] == pytest.approx(yaw0, abs=0.01)
    t = observe_for(reference, t, 60.0, yaw0 + 6.0, pitch0)  # a minute sitting differently: followed
    assert reference.value[0] == pytest.approx(yaw0 + 6.0, abs=1.0)
    assert reference.describe()["reference"] == "driver"
    reference.reset()
    assert reference.value == (0.0, 0.0) and not reference.settled


def test_a_drive_that_opens_turned_away_is_not_learned_as_straight_ahead():
    # Camera 20 degrees off the driver's axis (the profile says so); the drive opens with the head
    # turned 40 degrees to a passenger: outside the plausible window, so the angles stay
    # camera-relative (the turn reads +40) until real straight-ahead driving is seen.
    reference = HeadReference(ForwardPose(yaw_deg=-20.0, pitch_deg=0.0, yaw_tolerance_deg=20.0))
    t = observe_for(reference, 0.0, 5.0, 20.0, 5.0)
    assert not reference.settled and reference.value == (-20.0, 0.0)
    t = observe_for(reference, t, 3.0, -21.0, -1.0)  # 0.5 s to be steady, then 2 s to settle
    assert reference.settled and reference.value == pytest.approx((-21.0, -1.0), abs=0.5)
    described = reference.describe()
    assert described["camera_reference_s"] >= 4.9 and described["settled_at_s"] <= 7.6


def test_an_opening_turn_inside_the_window_is_outvoted_by_straight_ahead_driving():
    reference = HeadReference()
    t = observe_for(reference, 0.0, 3.0, 18.0, 0.0)  # inside the default window: learned at first
    assert reference.value[0] == pytest.approx(18.0, abs=0.5)
    observe_for(reference, t, 4.0, -5.0, 0.0)  # more time straight ahead: the mode moves there
    assert reference.value[0] == pytest.approx(-5.0, abs=0.5)


def test_head_reference_learns_only_while_moving_and_steady():
    reference = HeadReference()
    t = observe_for(reference, 0.0, 5.0, 5.0, 0.0, moving=False)  # parked
    assert not reference.settled
    for i in range(50):  # moving, but the head sweeps at 40 deg/s
        reference.observe(t, -20.0 + 4.0 * (i % 10), 0.0, True)
        t += 0.1
    assert not reference.settled
    observe_for(reference, t, 3.0, 5.0, 0.0, moving=True)
    assert reference.settled


def test_pose_yaw_reads_turns_past_the_face_mesh_limit():
    pose = np.zeros((33, 4), dtype=np.float32)
    pose[:, 3] = 1.0
    pose[11, :2], pose[12, :2] = (0.6, 0.8), (0.4, 0.8)  # shoulders
    pose[0, :2], pose[7, :2], pose[8, :2] = (0.5, 0.4), (0.56, 0.4), (0.44, 0.4)  # facing the camera
    assert pose_yaw(pose, 1000, 1000) == pytest.approx(0.0, abs=0.1)
    pose[0, 0], pose[7, 0], pose[8, 0] = 0.44, 0.51, 0.49  # nose to image left, ears together
    yaw = pose_yaw(pose, 1000, 1000)
    assert 80.0 < yaw < 90.0  # + = the driver's right
    merged = merge_head_pose((55.0, 3.0), pose_yaw(pose, 1000, 1000))
    assert merged.source == "pose" and merged.yaw_deg == pytest.approx(yaw) and merged.pitch_deg == 3.0
    assert merge_head_pose((20.0, 3.0), yaw).source == "face_mesh"
    lost = merge_head_pose(None, yaw)
    assert lost.source == "pose" and lost.pitch_deg is None
    pose[7, 0] = 1.02  # an ear outside the picture: the head is cut by the border, no pose yaw
    assert pose_yaw(pose, 1000, 1000) is None


def test_eye_baseline_is_a_high_percentile_of_the_last_minute():
    baseline = EyeBaseline()
    for i in range(4):
        baseline.observe(i * 0.1, 0.3)
    assert baseline.value is None
    for i in range(4, 100):
        baseline.observe(i * 0.1, 0.1 if i % 5 == 0 else 0.3)  # closures a fifth of the time
    assert baseline.value == pytest.approx(0.3)
    baseline.observe(200.0, 0.25)  # older than a minute: forgotten
    assert baseline.value is None


def test_cut_detector_flags_new_pictures_and_time_jumps():
    ramp = np.linspace(0, 255, 640, dtype=np.float32)
    picture = np.repeat(np.tile(ramp, (480, 1))[:, :, None], 3, axis=2).astype(np.uint8)
    other = picture[:, ::-1].copy()  # the same scene mirrored: a different picture
    cuts = CutDetector()
    assert not cuts.is_cut(picture, 0.0)
    assert not cuts.is_cut(picture, 0.1)
    assert cuts.is_cut(other, 0.2)
    assert cuts.is_cut(other, 5.0)  # seek forward
    assert cuts.is_cut(other, 1.0)  # seek back


def grey(level: float) -> np.ndarray:
    return np.full((480, 640, 3), level, dtype=np.uint8)


def test_cut_detector_on_a_montage_of_similar_stills():
    """A still held for a second, then a similar one: small change, but far above the recent ones."""
    cuts = CutDetector()
    flags = [cuts.is_cut(grey(100), i * 0.1) for i in range(10)]
    flags.append(cuts.is_cut(grey(112), 1.0))
    assert flags == [False] * 10 + [True]


def test_cut_detector_ignores_steady_motion():
    cuts = CutDetector()
    flags = [cuts.is_cut(grey(60 + 5 * i), i * 0.1) for i in range(12)]
    flags.append(cuts.is_cut(grey(130), 1.2))  # a faster change, still motion
    assert not any(flags)


def test_hands_fall_back_to_pose_wrist_points():
    pose = np.zeros((33, 4), dtype=np.float32)
    pose[[15, 17, 19, 21]] = (0.30, 0.80, 0.0, 0.9)  # driver's left wrist area, visible
    pose[[16, 18, 20, 22]] = (0.70, 0.80, 0.0, 0.1)  # right hand hidden
    hands = locate_hands(Landmarks(pose=pose), WIDTH, HEIGHT)
    assert [h.side for h in hands] == ["left"]
    assert hands[0].centre == pytest.approx((0.30, 0.80))
    hand = np.tile(np.array([0.6, 0.5, 0.0], dtype=np.float32), (21, 1))
    hands = locate_hands(Landmarks(pose=pose, right_hand=hand), WIDTH, HEIGHT)
    assert {h.side: h.centre for h in hands}["right"] == pytest.approx((0.6, 0.5))


def test_face_scale_from_mesh_or_shoulders():
    face = np.zeros((478, 3), dtype=np.float32)
    face[10], face[152] = (0.5, 0.2, 0), (0.5, 0.5, 0)
    assert face_scale_px(Landmarks(face=face), WIDTH, HEIGHT) == pytest.approx(0.3 * HEIGHT)
    pose = np.zeros((33, 4), dtype=np.float32)
    pose[0] = (0.5, 0.3, 0, 1.0)
    pose[11], pose[12] = (0.7, 0.6, 0, 1.0), (0.3, 0.6, 0, 1.0)
    scale = face_scale_px(Landmarks(pose=pose), WIDTH, HEIGHT)
    assert scale == pytest.approx(max(0.45 * 0.4 * WIDTH, 0.8 * 0.3 * HEIGHT))
    pose[11, 3] = 0.1
    assert face_scale_px(Landmarks(pose=pose), WIDTH, HEIGHT) is None


def test_hands_on_wheel_never_says_off_for_a_hand_that_was_not_found():
    from dms.core.profile import CameraProfile
    from dms.perception.hands import HandPosition
    from dms.perception.wheel_hands import hands_on_wheel

    profile = CameraProfile.load()  # wheel: the lower part of the picture, y >= 0.62
    at_face = HandPosition("right", np.zeros((1, 2)), (0.3, 0.3))
    on_rim = HandPosition("left", np.zeros((1, 2)), (0.7, 0.8))
    assert hands_on_wheel([at_face], None, profile).value is None  # the left hand may be on it
    assert hands_on_wheel([at_face, on_rim], None, profile).value == 1.0
    assert hands_on_wheel([on_rim], None, profile).value == 1.0  # at least one
    pose = np.zeros((33, 4), dtype=np.float32)
    pose[13] = (0.8, 0.55, 0.0, 0.9)  # left elbow seen
    pose[15] = (0.75, 0.8, 0.0, 0.2)  # left wrist hidden, estimated at the rim
    cue = hands_on_wheel([at_face], pose, profile)
    assert cue.value == 1.0  # the forearm reaches the rim: on it
    pose[15, :2] = (0.75, 1.1)  # the wrist beyond the picture edge says nothing
    assert hands_on_wheel([at_face], pose, profile).value is None
