"""`Detector.detect(bgr) -> list[Detection]`: phones and cigarettes in one picture.

The API other stages use (written down in /work/wt/DETECTOR_API.md for the app's integration):
boxes are in the input picture's own coordinates, normalised to 0..1, so they can be laid over
MediaPipe's normalised hand, ear and mouth landmarks directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.detect.checkpoint import DetectorMeta, load_detector_weights
from models.detect.letterbox import letterbox
from models.shipped import SHIPPED_DETECTOR


@dataclass(frozen=True)
class Detection:
    """One object: `label` ("phone" or "cigarette"), `score` 0..1 (the FCOS class probability times
    centre-ness, square-rooted, as torchvision scores FCOS boxes), `box` (x0, y0, x1, y1) normalised to
    the picture, x right, y down."""

    label: str
    score: float
    box: tuple[float, float, float, float]

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2)


class Detector:
    """A loaded detector; `threshold` defaults to the checkpoint's (chosen at training). One instance
    per thread (torch modules are not re-entrant across threads)."""

    def __init__(self, model, meta: DetectorMeta, threshold: float | None = None):
        self.model = model.eval()
        self.meta = meta
        self.threshold = meta.threshold if threshold is None else float(threshold)
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], not {self.threshold}")

    def detect(self, bgr: np.ndarray) -> list[Detection]:
        """`(H, W, 3)` uint8 BGR -> detections with score >= threshold, best first, boxes clipped to
        the picture (ValueError for another shape)."""
        return self.detect_many([bgr])[0]

    def detect_many(self, pictures: list[np.ndarray]) -> list[list[Detection]]:
        """`detect` for several pictures in one batch."""
        squares, boxes = [], []
        for bgr in pictures:
            square, box = letterbox(np.asarray(bgr), self.meta.input_size)
            squares.append(torch.from_numpy(np.ascontiguousarray(square[:, :, ::-1])).permute(2, 0, 1)
                           .float().div_(255.0))
            boxes.append(box)
        with torch.inference_mode():
            outputs = self.model(squares)
        found = []
        for out, box in zip(outputs, boxes, strict=True):
            keep = out["scores"] >= self.threshold
            picture_boxes = box.to_picture(out["boxes"][keep].numpy())
            labels, scores = out["labels"][keep], out["scores"][keep]
            found.append([Detection(self.meta.classes[int(k)], float(s), tuple(float(v) for v in b))
                          for k, s, b in zip(labels, scores, picture_boxes, strict=True)
                          if b[2] > b[0] and b[3] > b[1]])  # a box wholly on the padding is no box
        return found


def load_detector(path: str | Path = SHIPPED_DETECTOR, threshold: float | None = None) -> Detector:
    """The detector of a checkpoint (default: the shipped one, data/models/); ModelInputError for a
    missing or bad file."""
    model, meta = load_detector_weights(path)
    return Detector(model, meta, threshold)
