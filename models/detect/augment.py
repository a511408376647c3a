"""Box-aware augmentation for the detector: one random view of a picture and its boxes.

Geometry (one affine warp): a window of 0.5..1.3 x the picture (zooming out gives small objects,
zooming in large ones), aspect within 0.8..1.25, rotation within +-12 degrees, a mirror half the
time; a share of windows is drawn to miss every box, so each source also gives pictures without its
object (the cigarette cut out of a smoking picture) and "not in a car" cannot stand for "smoking".
A window never cuts a box in two: a box is kept when at least `KEEP_VISIBLE` of it is inside, and a
window that would leave less (but more than nothing) is drawn again (TRIES times, then the whole
picture is taken). Photometry: brightness,
contrast and saturation (models.augment.jitter_colour), grey near-infrared-like pictures (flat,
contrast-stretched, gamma, sensor noise) and blur (Gaussian or motion).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from models.augment import jitter_colour
from models.detect.letterbox import PAD_BGR

KEEP_VISIBLE = 0.6
MIN_SIDE_PX = 3.0
TRIES = 30


@dataclass(frozen=True)
class DetectionAugment:
    """`(picture BGR uint8, boxes (K, 4) xyxy px, labels (K,))` -> `(square (size, size, 3) BGR,
    boxes in square px, labels)`. Shares are probabilities per view."""

    size: int
    scale: tuple[float, float] = (0.5, 1.3)
    max_rotation_deg: float = 12.0
    miss_share: float = 0.15
    grey_share: float = 0.25
    blur_share: float = 0.25
    colour_jitter: float = 0.3

    def __call__(self, bgr: np.ndarray, boxes: np.ndarray, labels: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        height, width = bgr.shape[:2]
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        labels = np.asarray(labels, np.int64).reshape(-1)
        miss = len(boxes) > 0 and rng.random() < self.miss_share
        matrix, keep = self._geometry(width, height, boxes, miss, rng)
        square = cv2.warpAffine(bgr, matrix, (self.size, self.size), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=PAD_BGR)
        boxes, labels = np.clip(_warp_boxes(boxes[keep], matrix), 0, self.size), labels[keep]
        sides = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
        boxes, labels = boxes[sides >= MIN_SIDE_PX], labels[sides >= MIN_SIDE_PX]
        return self._photometry(square, rng), boxes, labels

    def _geometry(self, width: int, height: int, boxes: np.ndarray, miss: bool,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The warp (picture px -> square px) and which boxes it keeps; `miss`: a view without any box.
        What is visible is judged on the square (the rotation and the letterbox show more of the
        picture than the window itself)."""
        for _ in range(TRIES):
            s = rng.uniform(0.3, 0.7) if miss else rng.uniform(*self.scale)
            a = np.exp(rng.uniform(np.log(0.8), np.log(1.25)))
            w, h = width * s * np.sqrt(a), height * s / np.sqrt(a)
            x = rng.uniform(min(0.0, width - w), max(0.0, width - w))
            y = rng.uniform(min(0.0, height - h), max(0.0, height - h))
            matrix = self._matrix((x, y, w, h), rng)
            inside = _visible_share(_warp_boxes(boxes, matrix), (0, 0, self.size, self.size))
            if miss and np.all(inside == 0):
                return matrix, inside > 0
            if not miss and np.all((inside == 0) | (inside >= KEEP_VISIBLE)):
                return matrix, inside >= KEEP_VISIBLE
        scale = self.size / max(width, height)  # the whole picture, letterboxed
        matrix = np.array([[scale, 0, (self.size - scale * width) / 2],
                           [0, scale, (self.size - scale * height) / 2]])
        return matrix, np.ones(len(boxes), bool)

    def _matrix(self, window: tuple[float, float, float, float], rng: np.random.Generator) -> np.ndarray:
        """Picture px -> square px: the window letterboxed, rotated about the centre, maybe mirrored."""
        x, y, w, h = window
        scale = self.size / max(w, h)
        angle = rng.uniform(-self.max_rotation_deg, self.max_rotation_deg)
        centre = self.size / 2
        rotate = cv2.getRotationMatrix2D((centre, centre), angle, 1.0)
        place = np.array([[scale, 0, centre - scale * (x + w / 2)], [0, scale, centre - scale * (y + h / 2)]])
        matrix = rotate @ np.vstack([place, [0, 0, 1]])
        if rng.random() < 0.5:
            matrix = np.array([[-1, 0, self.size], [0, 1, 0]]) @ np.vstack([matrix, [0, 0, 1]])
        return matrix

    def _photometry(self, square: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = jitter_colour([square], rng, self.colour_jitter)[0]
        if rng.random() < self.grey_share:
            out = _infrared_like(out, rng)
        if rng.random() < self.blur_share:
            out = _blur(out, rng)
        return out


def _visible_share(boxes: np.ndarray, window: tuple[float, float, float, float]) -> np.ndarray:
    x0 = np.maximum(boxes[:, 0], window[0])
    y0 = np.maximum(boxes[:, 1], window[1])
    x1 = np.minimum(boxes[:, 2], window[2])
    y1 = np.minimum(boxes[:, 3], window[3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = np.maximum((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), 1e-9)
    return inter / area


def _warp_boxes(boxes: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The axis-aligned hull of each warped box."""
    if len(boxes) == 0:
        return boxes.reshape(0, 4)
    corners = np.stack([boxes[:, [0, 1]], boxes[:, [2, 1]], boxes[:, [0, 3]], boxes[:, [2, 3]]], axis=1)
    warped = corners @ matrix[:, :2].T + matrix[:, 2]
    return np.concatenate([warped.min(axis=1), warped.max(axis=1)], axis=1)


def _infrared_like(bgr: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)
    low, high = np.percentile(grey, (2, 98))
    grey = np.clip((grey - low) / max(high - low, 1.0), 0, 1) ** rng.uniform(0.6, 1.4)
    grey = np.clip(grey * 255 + rng.normal(0, rng.uniform(0, 8), grey.shape), 0, 255).astype(np.uint8)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


def _blur(bgr: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    k = int(rng.choice([3, 5, 7]))
    if rng.random() < 0.5:
        return cv2.GaussianBlur(bgr, (k, k), 0)
    kernel = np.zeros((k, k), np.float32)
    kernel[k // 2] = 1.0 / k
    turn = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), rng.uniform(0, 180), 1.0)
    kernel = cv2.warpAffine(kernel, turn, (k, k))
    return cv2.filter2D(bgr, -1, kernel / max(kernel.sum(), 1e-6))
