"""Notices when consecutive frames are not continuous footage (a cut, a seek, a photo sequence),
so that landmark tracking and smoothing do not carry over from an unrelated picture."""

from __future__ import annotations

import cv2
import numpy as np

from dms.types import Frame

THUMB_SIZE = (32, 24)
CUT_MEAN_DIFF = 30.0  # mean absolute grey difference (0..255) of blurred thumbnails
MAX_GAP_S = 1.0


class CutDetector:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._thumb: np.ndarray | None = None
        self._t: float | None = None

    def is_cut(self, frame: Frame) -> bool:
        grey = cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY)
        thumb = cv2.resize(grey, THUMB_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32)
        previous, last_t = self._thumb, self._t
        self._thumb, self._t = thumb, frame.t
        if previous is None or last_t is None:
            return False
        jumped = frame.t < last_t or frame.t - last_t > MAX_GAP_S
        return jumped or float(np.abs(thumb - previous).mean()) > CUT_MEAN_DIFF
