"""The driver's straight-ahead head pose, learned so that a turned head cannot fool it.

Head angles from the face are relative to the camera; the road zone is judged around the driver's
own straight-ahead pose, because every driver sits, and every camera is mounted, differently.
Learning that pose naively (say, the median of the first seconds) is fooled by a driver who is
already turned to a passenger when the drive starts: the turn becomes "straight ahead" and is never
seen. So the reference is learned only from plausible frames, the way fleet DMS cameras
auto-calibrate (in the first ~30 s of driving, then again every ~30 min):

* near the camera profile's expected forward pose (`CameraProfile.forward_deg`, within
  `forward_tolerance_deg`): a pose far from it is not straight ahead, however long it is held;
* the head steady (yaw and pitch each within a 10 degree range over the last 0.5 s: about 20
  deg/s, measured over a span long enough that landmark jitter does not count as motion), and
  the vehicle moving when telemetry is given (a driver looks at the road while driving, not
  while parked);
* the reference is the densest cluster (the mode) of that plausible time, not its mean: drivers
  look at the road most of the time, so a glance or an opening turn inside the window is
  outvoted as soon as forward driving adds up; the plausible time decays with a 30 min time
  constant, so the reference keeps following a driver who sits differently;
* bounded: the mode lies inside the plausible window by construction;
* until 2 s of plausible time agree on one pose the reference is "in doubt" and angles are given
  relative to the profile's expected forward pose (camera-relative).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from dms.core.profile import CameraProfile

SETTLE_S = 2.0  # plausible time within CLUSTER_DEG of the mode before the reference is trusted
CLUSTER_DEG = 6.0  # half-width of "the same pose" around the mode
STEADY_WINDOW_S = 0.5
STEADY_RANGE_DEG = 10.0
MAX_SAMPLE_S = 0.5  # one sample stands for at most this long (gaps in the face are not weighted)
DECAY_S = 1800.0  # plausible time is forgotten with a 30 min time constant (fleet recalibration)
BIN_DEG = 1.0
SMOOTH_DEG = 2.0  # Gaussian smoothing of the pose histogram before taking its mode


@dataclass(frozen=True)
class ForwardPose:
    """Where straight ahead is expected, relative to the camera (from the camera profile, whose
    defaults are these defaults)."""

    yaw_deg: float = CameraProfile.forward_deg[0]
    pitch_deg: float = CameraProfile.forward_deg[1]
    yaw_tolerance_deg: float = CameraProfile.forward_tolerance_deg[0]
    pitch_tolerance_deg: float = CameraProfile.forward_tolerance_deg[1]

    def contains(self, yaw: float, pitch: float) -> bool:
        return abs(yaw - self.yaw_deg) <= self.yaw_tolerance_deg and abs(pitch - self.pitch_deg) <= (
            self.pitch_tolerance_deg
        )


class HeadReference:
    """Straight-ahead (yaw, pitch) in camera degrees: learned from plausible frames, else the
    profile's expected forward pose. `observe` every face-mesh head pose in media-time order."""

    def __init__(self, expected: ForwardPose | None = None):
        self.expected = expected or ForwardPose()
        e = self.expected
        self._yaw_bins = _bins(e.yaw_deg, e.yaw_tolerance_deg)
        self._pitch_bins = _bins(e.pitch_deg, e.pitch_tolerance_deg)
        self.reset()

    def reset(self) -> None:
        self._weights = np.zeros((len(self._pitch_bins), len(self._yaw_bins)), dtype=np.float32)
        self._last: tuple[float, float, float] | None = None
        self._recent: deque[tuple[float, float, float]] = deque()
        self._learned: tuple[float, float] | None = None
        self._settled_at: float | None = None
        self._plausible_s = 0.0
        self._used_s = {"driver": 0.0, "camera": 0.0}

    @property
    def settled(self) -> bool:
        """True when the driver's own straight-ahead pose is known (not in doubt)."""
        return self._learned is not None

    @property
    def value(self) -> tuple[float, float]:
        """(yaw, pitch) of straight ahead in camera degrees: learned, or the expected pose."""
        if self._learned is not None:
            return self._learned
        return self.expected.yaw_deg, self.expected.pitch_deg

    @property
    def kind(self) -> str:
        """"driver" (learned) or "camera" (the profile's expected pose, while in doubt)."""
        return "driver" if self.settled else "camera"

    def observe(self, t: float, yaw: float, pitch: float, moving: bool | None = None) -> None:
        """One head pose (camera degrees) at media time t; `moving` is None without telemetry."""
        last, self._last = self._last, (t, yaw, pitch)
        if last is None or t <= last[0]:
            return
        dt = min(t - last[0], MAX_SAMPLE_S)
        self._used_s[self.kind] += dt
        self._weights *= math.exp(-dt / DECAY_S)
        self._recent.append((t, yaw, pitch))
        while self._recent[0][0] < t - STEADY_WINDOW_S:
            self._recent.popleft()
        if moving is False or not self.expected.contains(yaw, pitch) or not self._steady():
            return
        row = int(round((pitch - self._pitch_bins[0]) / BIN_DEG))
        col = int(round((yaw - self._yaw_bins[0]) / BIN_DEG))
        self._weights[min(row, len(self._pitch_bins) - 1), min(col, len(self._yaw_bins) - 1)] += dt
        self._plausible_s += dt
        self._update(t)

    def _steady(self) -> bool:
        angles = np.asarray([(y, p) for _, y, p in self._recent])
        return bool(np.all(angles.max(axis=0) - angles.min(axis=0) <= STEADY_RANGE_DEG))

    def _update(self, t: float) -> None:
        smooth = cv2.GaussianBlur(self._weights, (0, 0), SMOOTH_DEG / BIN_DEG, borderType=cv2.BORDER_CONSTANT)
        row, col = np.unravel_index(int(np.argmax(smooth)), smooth.shape)
        yaw, pitch = float(self._yaw_bins[col]), float(self._pitch_bins[row])
        near_yaw = np.abs(self._yaw_bins - yaw) <= CLUSTER_DEG
        near_pitch = np.abs(self._pitch_bins - pitch) <= CLUSTER_DEG
        cluster = self._weights[np.ix_(near_pitch, near_yaw)]
        held = float(cluster.sum())
        if held < SETTLE_S - 1e-6:
            return  # in doubt (or, once learned, the learned pose stands until a mode is clear)
        # refine the mode to the weighted mean of its cluster (sub-degree, not bin-quantised)
        yaw = float((cluster.sum(axis=0) * self._yaw_bins[near_yaw]).sum() / held)
        pitch = float((cluster.sum(axis=1) * self._pitch_bins[near_pitch]).sum() / held)
        self._learned = (yaw, pitch)
        if self._settled_at is None:
            self._settled_at = t

    def describe(self) -> dict:
        """Which reference the head angles used: for the session description and the report."""
        learned = self._learned
        return {
            "reference": self.kind,
            "straight_ahead_deg": None if learned is None else [round(learned[0], 1), round(learned[1], 1)],
            "expected_deg": [self.expected.yaw_deg, self.expected.pitch_deg],
            "settled_at_s": None if self._settled_at is None else round(self._settled_at, 2),
            "plausible_s": round(self._plausible_s, 1),
            "driver_reference_s": round(self._used_s["driver"], 1),
            "camera_reference_s": round(self._used_s["camera"], 1),
        }


def _bins(centre: float, tolerance: float) -> np.ndarray:
    return np.arange(centre - tolerance, centre + tolerance + BIN_DEG / 2, BIN_DEG)
