"""Letterboxing: any picture into the detector's square input without changing its shape.

The longer side is scaled to `size` px and the picture centred on a square of the ImageNet mean
colour (which normalises to zero), so a 16:9 frame keeps its proportions (a squeeze would make
phones and cigarettes another shape than the ones trained on).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PAD_BGR = (104, 116, 124)  # the ImageNet mean colour, 0..255, BGR


@dataclass(frozen=True)
class Letterbox:
    """Where a picture of `width` x `height` px sits on the square: scaled by `scale`, shifted by
    (`left`, `top`) px."""

    width: int
    height: int
    scale: float
    left: int
    top: int

    def to_picture(self, boxes: np.ndarray) -> np.ndarray:
        """`(K, 4)` xyxy boxes in square px -> the picture's own coordinates normalised to 0..1."""
        out = np.asarray(boxes, np.float64).reshape(-1, 4).copy()
        out[:, [0, 2]] = (out[:, [0, 2]] - self.left) / self.scale / self.width
        out[:, [1, 3]] = (out[:, [1, 3]] - self.top) / self.scale / self.height
        return np.clip(out, 0.0, 1.0)

    def to_square(self, boxes: np.ndarray) -> np.ndarray:
        """`(K, 4)` xyxy boxes in picture px -> square px."""
        out = np.asarray(boxes, np.float64).reshape(-1, 4) * self.scale
        out[:, [0, 2]] += self.left
        out[:, [1, 3]] += self.top
        return out


def letterbox(bgr: np.ndarray, size: int) -> tuple[np.ndarray, Letterbox]:
    """`(H, W, 3)` uint8 -> `(size, size, 3)` uint8 and its Letterbox."""
    if bgr.ndim != 3 or bgr.shape[2] != 3 or bgr.shape[0] < 1 or bgr.shape[1] < 1:
        raise ValueError(f"expected an H x W x 3 picture, got shape {bgr.shape}")
    height, width = bgr.shape[:2]
    scale = size / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    resized = cv2.resize(bgr, (new_w, new_h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    square = np.empty((size, size, 3), np.uint8)
    square[:] = PAD_BGR
    left, top = (size - new_w) // 2, (size - new_h) // 2
    square[top : top + new_h, left : left + new_w] = resized
    return square, Letterbox(width, height, scale, left, top)
