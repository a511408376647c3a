"""The analysis picture: every stage of the analysis works on frames no larger than `ANALYSIS_MAX_SIDE`.

The MediaPipe graphs look at 128-256 px crops, the classifier at 192 px, event clips are 640 px
wide, and the camera checks average over the picture, so a 1080p frame only costs time: the
sources scale each frame down once, where it is decoded (in the decoding thread for a recording),
and every stage then shares that picture.
"""

from __future__ import annotations

import cv2
import numpy as np

ANALYSIS_MAX_SIDE = 640  # px, longer side; the landmark runner's input and the event clip width


def shrink(image: np.ndarray, max_side: int = ANALYSIS_MAX_SIDE) -> np.ndarray:
    """The picture (H x W [x C]) with its longer side at most `max_side` px, area-averaged; the same
    array when it already fits."""
    height, width = image.shape[:2]
    scale = max_side / max(width, height)
    if scale >= 1.0:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
