"""Runs the MediaPipe graphs on one picture and returns their landmarks in normalised coordinates.

Holistic gives pose, both hands (cropped around the pose wrists, which suits a driver whose hands
are small in the picture) and the face with refined eye and lip contours (the lids of a closed
eye are only traced well by the refined mesh). When the pose is lost (a close-up face camera)
Holistic has no face either, so a stand-alone face mesh runs as a fallback.

Continuous footage goes through tracking graphs (fast, smoothed). A picture that does not follow
from the previous one (a cut, a seek, a photo sequence) goes through still-image graphs, so no
tracking or smoothing carries over; restarting the tracking graphs instead would cost a model
load (hundreds of ms) per cut.

The stand-alone face mesh costs 4-5 ms a frame even when it finds nothing (its face detector runs
on every frame while no face is tracked), as on a side camera that sees the driver in profile,
where Holistic's face model is the one that finds faces: after `FALLBACK_MISSES` frames in a row
on which it found none, it is tried again only every `FALLBACK_RETRY_S` of media time, and on every
picture that does not follow from the previous one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import mediapipe as mp
import numpy as np

from dms.core.types import Landmarks
from dms.sources.picture import ANALYSIS_MAX_SIDE, shrink

FALLBACK_MISSES = 3
FALLBACK_RETRY_S = 0.3


@dataclass(frozen=True)
class Detections:
    """What MediaPipe found on one picture; `width`/`height` turn normalised points into pixels."""

    landmarks: Landmarks
    width: int
    height: int


class _Graphs:
    """One Holistic and one FaceMesh graph, created on first use."""

    def __init__(self, still_images: bool, min_detection_confidence: float):
        self.still_images = still_images
        self.min_detection_confidence = min_detection_confidence
        self._holistic = None
        self._face_mesh = None

    @property
    def holistic(self):
        if self._holistic is None:
            self._holistic = mp.solutions.holistic.Holistic(
                static_image_mode=self.still_images,
                model_complexity=1,
                smooth_landmarks=not self.still_images,
                refine_face_landmarks=True,
                min_detection_confidence=self.min_detection_confidence,
                min_tracking_confidence=0.5,
            )
        return self._holistic

    @property
    def face_mesh(self):
        if self._face_mesh is None:
            self._face_mesh = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=self.still_images,
                max_num_faces=1,
                refine_landmarks=True,
                min_detection_confidence=self.min_detection_confidence,
                min_tracking_confidence=0.5,
            )
        return self._face_mesh

    def close(self) -> None:
        for graph in (self._holistic, self._face_mesh):
            if graph is not None:
                graph.close()
        self._holistic = None
        self._face_mesh = None

    @property
    def holds_graphs(self) -> bool:
        return self._holistic is not None or self._face_mesh is not None


class MediaPipeRunner:
    """Owns the MediaPipe graphs. `restart()` drops the tracking state (after a seek)."""

    def __init__(self, max_side: int = ANALYSIS_MAX_SIDE, min_detection_confidence: float = 0.5):
        self.max_side = max_side
        self.min_detection_confidence = min_detection_confidence
        self._tracking = _Graphs(still_images=False, min_detection_confidence=min_detection_confidence)
        self._still = _Graphs(still_images=True, min_detection_confidence=min_detection_confidence)
        self._misses = 0  # frames in a row on which the stand-alone face mesh found no face
        self._retry_t = -math.inf
        self.fallback_runs = 0  # how often the stand-alone face mesh ran

    def restart(self) -> None:
        self._tracking.close()
        self._misses, self._retry_t = 0, -math.inf

    def close(self) -> None:
        self._tracking.close()
        self._still.close()

    @property
    def holds_graphs(self) -> bool:
        """Whether a MediaPipe graph is held (they are made on first use and freed by close)."""
        return self._tracking.holds_graphs or self._still.holds_graphs

    def __call__(
        self, image_bgr: np.ndarray, continuous: bool = True, body: Landmarks | None = None,
        t: float | None = None,
    ) -> Detections:
        """Landmarks of one picture (best already shrunk with `shrink`) at media time `t` (s; None:
        unknown, the face mesh is then never held back); `continuous` is False when it does not
        follow the previous one. With `body` (the pose and hands held from an earlier frame, see
        pose_rate.py) only the face mesh runs and the body is taken from `body`. Pixel sizes in the
        result are those of this picture."""
        graphs = self._tracking if continuous else self._still
        height, width = image_bgr.shape[:2]
        rgb = cv2.cvtColor(shrink(image_bgr, self.max_side), cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        if body is not None:
            pose, face, hands = body.pose, None, (body.left_hand, body.right_hand)
        else:
            result = graphs.holistic.process(rgb)
            pose = _array(result.pose_landmarks, with_visibility=True)
            face = _array(result.face_landmarks)
            hands = _array(result.left_hand_landmarks), _array(result.right_hand_landmarks)
        if face is None and self._fallback_due(t, continuous):
            self.fallback_runs += 1
            meshes = graphs.face_mesh.process(rgb).multi_face_landmarks
            face = _array(meshes[0]) if meshes else None
            self._misses = 0 if face is not None else self._misses + 1
            if face is None and self._misses >= FALLBACK_MISSES and t is not None:
                self._retry_t = t + FALLBACK_RETRY_S
        landmarks = Landmarks(pose=pose, face=face, left_hand=hands[0], right_hand=hands[1])
        return Detections(landmarks, width, height)


    def _fallback_due(self, t: float | None, continuous: bool) -> bool:
        if not continuous or t is None or self._misses < FALLBACK_MISSES:
            return True
        return t >= self._retry_t - 1e-6


def _array(landmark_list, with_visibility: bool = False) -> np.ndarray | None:
    if landmark_list is None:
        return None
    if with_visibility:
        rows = [(p.x, p.y, p.z, p.visibility) for p in landmark_list.landmark]
    else:
        rows = [(p.x, p.y, p.z) for p in landmark_list.landmark]
    return np.asarray(rows, dtype=np.float32)
