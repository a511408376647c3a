"""Per-driver reference values learned online: the straight-ahead head pose and the open-eye ratio.

Every driver sits, and every camera is mounted, differently, so head angles and eye openness
are judged against the driver's own normal rather than against fixed numbers.
"""

from __future__ import annotations

from collections import deque

import numpy as np

WARMUP_S = 2.0  # the straight-ahead pose is the median over the first seconds with a face
MIN_WARMUP_SAMPLES = 5
DRIFT_TIME_CONSTANT_S = 30.0  # afterwards it follows slow changes (the driver shifts in the seat)
STEADY_DEG_PER_S = 20.0  # only a still head, near the current reference, updates it
NEAR_REFERENCE_DEG = 15.0
EYE_WINDOW_S = 60.0  # open-eye baseline: a high percentile of the last minute
EYE_PERCENTILE = 80.0
MIN_EYE_SAMPLES = 5


class HeadReference:
    """The driver's straight-ahead yaw and pitch (camera-relative degrees)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._first_t: float | None = None
        self._warmup: list[tuple[float, float]] = []
        self._reference: np.ndarray | None = None
        self._last: tuple[float, float, float] | None = None

    @property
    def value(self) -> tuple[float, float] | None:
        """(yaw, pitch) of straight ahead, or None before enough samples."""
        if self._reference is not None:
            return float(self._reference[0]), float(self._reference[1])
        if len(self._warmup) >= MIN_WARMUP_SAMPLES:
            yaw, pitch = np.median(np.asarray(self._warmup), axis=0)
            return float(yaw), float(pitch)
        return None

    @property
    def settled(self) -> bool:
        return self._reference is not None

    def observe(self, t: float, yaw: float, pitch: float) -> None:
        last, self._last = self._last, (t, yaw, pitch)
        if self._first_t is None:
            self._first_t = t
        if self._reference is None:
            self._warmup.append((yaw, pitch))
            if t - self._first_t >= WARMUP_S and len(self._warmup) >= MIN_WARMUP_SAMPLES:
                self._reference = np.median(np.asarray(self._warmup), axis=0)
                self._warmup = []
            return
        if last is None or t <= last[0]:
            return
        dt = t - last[0]
        speed = max(abs(yaw - last[1]), abs(pitch - last[2])) / dt
        offset = np.array([yaw, pitch]) - self._reference
        if speed <= STEADY_DEG_PER_S and np.all(np.abs(offset) <= NEAR_REFERENCE_DEG):
            self._reference += offset * min(1.0, dt / DRIFT_TIME_CONSTANT_S)


class EyeBaseline:
    """The driver's open-eye aspect ratio: a high percentile of recent openness, so blinks and
    closures (a minority of the time) do not pull it down."""

    def __init__(self) -> None:
        self._samples: deque[tuple[float, float]] = deque()

    def reset(self) -> None:
        self._samples.clear()

    def observe(self, t: float, openness: float) -> None:
        self._samples.append((t, openness))
        while self._samples and t - self._samples[0][0] > EYE_WINDOW_S:
            self._samples.popleft()

    @property
    def value(self) -> float | None:
        if len(self._samples) < MIN_EYE_SAMPLES:
            return None
        return float(np.percentile([v for _, v in self._samples], EYE_PERCENTILE))
