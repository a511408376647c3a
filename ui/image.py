"""Conversion of the pipeline's BGR numpy frames into Qt images for painting."""

from __future__ import annotations

import numpy as np
from PyQt5.QtGui import QImage


def bgr_to_qimage(image: np.ndarray) -> QImage:
    """A deep-copied RGB QImage of a BGR uint8 array (the copy outlives the numpy buffer)."""
    rgb = np.ascontiguousarray(image[:, :, ::-1])
    h, w, _ = rgb.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()
