"""The landmark stage of the pipeline: one frame in, the driver's cues (DESIGN.md, `Cues`) out."""

from __future__ import annotations

import cv2
import numpy as np

from dms.core.config import Settings
from dms.core.profile import CameraProfile
from dms.core.types import (
    EYES_LEARNING,
    EYES_NOT_VISIBLE,
    FACE_TOO_SMALL,
    HEAD_TURNED,
    NO_FACE,
    NO_HAND,
    Cue,
    Cues,
    Frame,
    PictureArea,
)
from dms.perception.calibration import EyeBaseline
from dms.perception.cuts import CutDetector
from dms.perception.eye_visibility import eye_views
from dms.perception.face_ratios import eye_openness, mouth_aspect_ratio, to_pixels
from dms.perception.hands import (
    NEAR_EAR,
    NEAR_MOUTH,
    POSE_VISIBLE,
    HandPosition,
    ear_points_px,
    face_scale_px,
    locate_hands,
    mouth_point_px,
    nearest_distance,
)
from dms.perception.head_pose import head_angles
from dms.perception.head_reference import ForwardPose, HeadReference
from dms.perception.head_turn import CameraHeadPose, merge_head_pose, pose_yaw
from dms.perception.person_size import head_turned_away_cue, mesh_big_enough, pose_big_enough
from dms.perception.picture_area import PictureAreaFinder
from dms.perception.pose_rate import PoseRate
from dms.perception.runner import Detections, MediaPipeRunner
from dms.perception.wheel_hands import hands_on_wheel
from dms.sources.picture import ANALYSIS_MAX_SIDE, shrink

# Beyond these head angles to the camera the lids cannot be read.
EYES_MEASURABLE_YAW_DEG = 50.0
EYES_MEASURABLE_PITCH_DEG = 40.0
MAX_FIT_ERROR = 0.25  # head-pose fit error (face sizes) above which the pose is not trusted


class LandmarkCues:
    """MediaPipe landmarks -> cues, with per-driver calibration of head pose and eye openness.

    Feed frames in media-time order. A cut in the footage is analysed without landmark tracking;
    `reset()` also forgets the driver (use it after a seek or when the driver changes).
    `telemetry` (anything with `at(t) -> VehicleState`) lets the straight-ahead pose be learned
    only while the vehicle moves.
    """

    def __init__(
        self, profile: CameraProfile, settings: Settings, max_side: int = ANALYSIS_MAX_SIDE, telemetry=None
    ):
        self.profile = profile
        self.settings = settings
        self.telemetry = telemetry
        self._runner = MediaPipeRunner(max_side=max_side)
        self._cuts = CutDetector()
        self._area = PictureAreaFinder()
        self._placed, self._placed_area = profile, PictureArea()  # regions on the last frame's picture
        self._pose_rate = PoseRate()
        (yaw, pitch), (yaw_tol, pitch_tol) = profile.forward_deg, profile.forward_tolerance_deg
        self._head = HeadReference(ForwardPose(yaw, pitch, yaw_tol, pitch_tol))
        self._eyes = EyeBaseline()

    def describe(self) -> dict:
        """How the cues were calibrated (for the session description and the report)."""
        area = self._area.area
        picture = "whole frame" if area.whole_frame else [round(v, 3) for v in
                                                            (area.left, area.top, area.right, area.bottom)]
        return {"head_reference": self._head.describe(), "pose_model_frames": self._pose_rate.runs,
                "face_mesh_frames": self._runner.fallback_runs, "picture_area": picture}

    def reset(self) -> None:
        self._runner.restart()
        self._cuts.reset()
        self._area.reset()
        self._pose_rate.reset()
        self._head.reset()
        self._eyes.reset()

    def close(self) -> None:
        """Free the MediaPipe graphs (calling it again does nothing)."""
        self._runner.close()

    @property
    def holds_graphs(self) -> bool:
        """Whether MediaPipe graphs are held (made on first use, freed by close)."""
        return self._runner.holds_graphs

    def __enter__(self) -> LandmarkCues:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __call__(self, frame: Frame, cut: bool | None = None) -> Cues:
        """The cues of one frame; `cut` says whether it follows from the previous one (None: this
        stage tells itself, as when it runs outside a pipeline)."""
        image = shrink(frame.image, self._runner.max_side)
        if cut is None:
            cut = self._cuts.is_cut(image, frame.t)
        area = self._area.update(image, cut)
        if area != self._placed_area:
            self._placed, self._placed_area = self.profile.placed_on(area), area
        due = self._pose_rate.due(frame.t)
        body = None if cut or due else self._pose_rate.held
        found = self._runner(image, continuous=not cut, body=body, t=frame.t)
        if body is None:
            self._pose_rate.ran(frame.t, found.landmarks)
        marks = found.landmarks
        hands = locate_hands(marks, found.width, found.height)
        face = self._face_cues(frame.t, found, image)
        ears = ear_points_px(marks, found.width, found.height)
        mouth = mouth_point_px(marks, found.width, found.height)
        return Cues(
            hands_on_wheel=hands_on_wheel(hands, marks.pose, self._placed),
            hand_at_ear=self._hand_near(found, hands, ears, NEAR_EAR),
            hand_at_mouth=self._hand_near(found, hands, [] if mouth is None else [mouth], NEAR_MOUTH),
            hand_in_console=self._hand_in_console(hands),
            face_visible=_face_visible(found),
            body_visible=_body_visible(found),
            head_turned_away=head_turned_away_cue(marks, found.width, found.height),
            landmarks=marks,
            picture=area,
            **face,
        )

    def _face_cues(self, t: float, found: Detections, image: np.ndarray) -> dict[str, Cue]:
        """Head pose, eye and mouth cues; each unknown one says why (no face, face too small, eyes
        not visible, ...). `image`: the picture the landmarks were found on."""
        face = found.landmarks.face
        big_pose = pose_big_enough(found.landmarks, found.width, found.height)
        small_mesh = face is not None and not mesh_big_enough(face, found.width, found.height)
        no_face = FACE_TOO_SMALL if small_mesh or (face is None and found.landmarks.pose is not None
                                                   and not big_pose) else NO_FACE
        cues: dict[str, Cue] = {name: Cue.unknown(no_face) for name in
                                ("mouth_open", "head_yaw", "head_pitch", "eye_openness", "eyes_closed")}
        mesh = face_px = None
        if face is not None and not small_mesh:
            face_px = to_pixels(face, found.width, found.height)
            cues["mouth_open"] = Cue(mouth_aspect_ratio(face_px))
            angles = head_angles(face, found.width, found.height)
            if angles is not None and angles.error <= MAX_FIT_ERROR:
                mesh = angles
        fit = None if mesh is None else (mesh.yaw_deg, mesh.pitch_deg)
        turn = pose_yaw(found.landmarks.pose, found.width, found.height) if big_pose else None
        head = merge_head_pose(fit, turn)
        if head is not None:
            cues.update(self._head_cues(t, head))
        if mesh is None:
            return cues
        if abs(mesh.yaw_deg) > EYES_MEASURABLE_YAW_DEG or abs(mesh.pitch_deg) > EYES_MEASURABLE_PITCH_DEG:
            cues["eye_openness"] = cues["eyes_closed"] = Cue.unknown(HEAD_TURNED)
            return cues
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        visible = tuple(view.visible for view in eye_views(gray, face_px, found.landmarks))
        openness = eye_openness(face_px, mesh.yaw_deg, visible)
        if openness is None:
            cues["eye_openness"] = cues["eyes_closed"] = Cue.unknown(EYES_NOT_VISIBLE)
            return cues
        cues.update(self._eye_cues(t, openness))
        return cues

    def _head_cues(self, t: float, head: CameraHeadPose) -> dict[str, Cue]:
        """Yaw and pitch from the driver's own straight-ahead pose, or from the profile's expected
        forward pose (camera-relative) while that is in doubt."""
        if head.pitch_deg is not None:
            self._head.observe(t, head.yaw_deg, head.pitch_deg, self._moving(t))
        ref_yaw, ref_pitch = self._head.value
        cues = {"head_yaw": Cue(head.yaw_deg - ref_yaw)}
        if head.pitch_deg is not None:
            cues["head_pitch"] = Cue(head.pitch_deg - ref_pitch)
        return cues

    def _moving(self, t: float) -> bool | None:
        if self.telemetry is None:
            return None
        speed = self.telemetry.at(t).speed_kmh
        return None if speed is None else speed >= self.settings.speed_gate_kmh

    def _eye_cues(self, t: float, openness: float) -> dict[str, Cue]:
        """Openness, and closed against the driver's open-eye baseline."""
        self._eyes.observe(t, openness)
        cues = {"eye_openness": Cue(openness)}
        baseline = self._eyes.value
        if baseline is None or baseline <= 0:
            return cues | {"eyes_closed": Cue.unknown(EYES_LEARNING)}
        cues["eyes_closed"] = Cue(1.0 if openness / baseline < self.settings.eye_closed_ratio else 0.0)
        return cues

    def _hand_in_console(self, hands: list[HandPosition]) -> Cue:
        if not hands:
            return Cue.unknown(NO_HAND)
        return Cue(float(any(self._placed.contains("console", *h.centre) for h in hands)))

    def _hand_near(
        self, found: Detections, hands: list[HandPosition], targets: list[np.ndarray], within: float
    ) -> Cue:
        scale = face_scale_px(found.landmarks, found.width, found.height)
        if not hands:
            return Cue.unknown(NO_HAND)
        if not targets or scale is None or scale <= 0:
            return Cue.unknown(NO_FACE)
        distance = min(nearest_distance(hands, target) for target in targets) / scale
        return Cue(1.0 if distance <= within else 0.0)


def _face_visible(found: Detections) -> Cue:
    return Cue(1.0 if found.landmarks.face is not None else 0.0)


def _body_visible(found: Detections) -> Cue:
    pose = found.landmarks.pose
    return Cue(1.0 if pose is not None and float(pose[[11, 12], 3].mean()) >= POSE_VISIBLE else 0.0)
