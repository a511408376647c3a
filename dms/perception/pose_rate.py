"""When to run the whole-body graph: the face on every analysed frame, pose and hands at a lower rate.

Eye closures and head turns need every frame (a 0.5 s microsleep is 12 frames at 25 fps); hands
and the body move slower and their cues are judged over seconds, so the pose and hand models
(most of MediaPipe Holistic's cost) run at most `fps` times per second of media and the face mesh
alone tracks the frames in between, with the last pose and hands held (at most 1/fps old). At an
analysis rate at or below `fps` every frame gets the whole graph, as before.
"""

from __future__ import annotations

from dms.core.types import Landmarks

POSE_FPS = 10.0
EARLY_S = 0.01  # a frame this close to the due time counts as due (timestamps are rounded)
SPARSE = 0.7  # frames at least this share of the pose interval apart all get the pose models


class PoseRate:
    def __init__(self, fps: float = POSE_FPS):
        self.step = 1.0 / fps
        self.reset()

    def reset(self) -> None:
        self.runs = 0  # frames that got the pose and hand models since the last reset
        self.held: Landmarks | None = None
        self._next_t: float | None = None
        self._previous_t: float | None = None

    def due(self, t: float) -> bool:
        """Should the frame at media time t get the pose and hand models? Call once per frame."""
        previous, self._previous_t = self._previous_t, t
        if self.held is None or self._next_t is None or previous is None:
            return True
        if t < previous or t - previous >= SPARSE * self.step:
            return True  # time went back, or frames are analysed at about the pose rate or slower
        return t + EARLY_S >= self._next_t

    def ran(self, t: float, landmarks: Landmarks) -> None:
        """The whole graph ran on the frame at t: hold its pose and hands for the frames between.
        A run forced early (a cut in the footage) leaves the schedule as it was."""
        self.runs += 1
        next_t = self._next_t
        if next_t is None or t + EARLY_S >= next_t + self.step or t < next_t - self.step:
            self._next_t = t + self.step  # first run, late, or time went back
        elif t + EARLY_S >= next_t:
            self._next_t = next_t + self.step
        self.held = Landmarks(landmarks.pose, None, landmarks.left_hand, landmarks.right_hand)
