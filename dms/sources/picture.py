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


def shrink(image: np.ndarray, max_side: int = ANALYSIS_MAX_SIDE, sample_aspect: float = 1.0) -> np.ndarray:
    """The picture (H x W [x C]) as players show it, with its longer side at most `max_side` px,
    area-averaged: `sample_aspect` (a pixel's width / height, the video's SAR) first widens or narrows
    it to its display aspect (960x720 at SAR 4:3 is shown 1280x720). The same array when it
    already fits with square pixels."""
    height, width = image.shape[:2]
    shown_width = width * sample_aspect
    scale = min(1.0, max_side / max(shown_width, height))
    size = (max(1, round(shown_width * scale)), max(1, round(height * scale)))
    if size == (width, height):
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
