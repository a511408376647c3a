"""Notices when a frame does not follow from the previous one (a cut, a seek, a photo sequence),
so that landmark tracking and smoothing do not carry over from an unrelated picture.

A frame is a cut when its thumbnail differs from the previous one by a lot, or by much more than
the footage has been changing lately (a montage of stills changes by almost nothing within a cut).
Flagging a cut too often is harmless: that frame is merely analysed without tracking.
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

THUMB_SIZE = (32, 24)
CUT_MEAN_DIFF = 20.0  # mean absolute grey difference (0..255) of area-averaged thumbnails
RELATIVE_MIN_DIFF = 8.0  # below this a change is never a cut
RELATIVE_FACTOR = 4.0  # a change this many times the recent typical change is a cut
RECENT_FRAMES = 10
MAX_GAP_S = 1.0


class CutDetector:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._thumb: np.ndarray | None = None
        self._t: float | None = None
        self._recent: deque[float] = deque(maxlen=RECENT_FRAMES)

    def is_cut(self, image: np.ndarray, t: float) -> bool:
        """Does this picture (BGR, any size) at media time t not follow from the previous one?"""
        small = cv2.resize(image, THUMB_SIZE, interpolation=cv2.INTER_AREA)
        thumb = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32)
        previous, last_t = self._thumb, self._t
        self._thumb, self._t = thumb, t
        if previous is None or last_t is None:
            return False
        if t < last_t or t - last_t > MAX_GAP_S:
            return True
        change = float(np.abs(thumb - previous).mean())
        typical = float(np.median(self._recent)) if self._recent else change
        self._recent.append(change)
        return change > CUT_MEAN_DIFF or (change > RELATIVE_MIN_DIFF and change > RELATIVE_FACTOR * typical)
