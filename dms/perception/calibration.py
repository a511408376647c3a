"""The driver's open-eye ratio, learned online (the straight-ahead head pose: head_reference.py).

Every driver's eyes look different to the camera, so eye openness is judged against the driver's
own normal rather than against a fixed number.
"""

from __future__ import annotations

from collections import deque

import numpy as np

EYE_WINDOW_S = 60.0  # open-eye baseline: a high percentile of the last minute
EYE_PERCENTILE = 80.0
MIN_EYE_SAMPLES = 5


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
