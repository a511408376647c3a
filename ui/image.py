"""Conversion of the pipeline's BGR numpy frames into Qt images for painting."""

from __future__ import annotations

import numpy as np
from PyQt5.QtGui import QImage


def bgr_to_qimage(image: np.ndarray) -> QImage:
    """A deep-copied QImage of a BGR uint8 array (Qt reads BGR directly; the copy outlives the array)."""
    bgr = np.ascontiguousarray(image)
    h, w, _ = bgr.shape
    return QImage(bgr.data, w, h, 3 * w, QImage.Format_BGR888).copy()
