"""Frozen-trunk cache: the ImageNet blocks 0..13 run once per augmented view of each training picture.

Every epoch then trains blocks 14..17, the pyramid and the head on one of the cached views of each
picture (drawn at random), which is what makes the recipe fit a 2-core CPU. Memory per view at
320 px: 32 x 40 x 40 + 96 x 20 x 20 float16 values = 175 KiB.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torchvision.models.detection import FCOS
from tqdm import tqdm

from models.detect.augment import DetectionAugment
from models.detect.net import normalise
from models.detect.sources import Picture
from models.errors import ModelInputError


def read_picture(picture: Picture) -> np.ndarray:
    """The picture as BGR uint8; ModelInputError when it cannot be decoded."""
    bgr = cv2.imread(str(picture.path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ModelInputError(picture.path, "not a readable picture")
    return bgr


def pixel_boxes(picture: Picture, width: int, height: int) -> np.ndarray:
    return np.asarray(picture.boxes, np.float64).reshape(-1, 4) * [width, height, width, height]


@dataclass
class TrunkViews:
    """`s8` `(V, N, 32, S/8, S/8)` and `s16` `(V, N, 96, S/16, S/16)` float16; `boxes[v][i]` `(K, 4)`
    float32 xyxy in square px and `labels[v][i]` `(K,)` int64 of view v of picture i."""

    s8: torch.Tensor
    s16: torch.Tensor
    boxes: list[list[np.ndarray]]
    labels: list[list[np.ndarray]]

    @property
    def views(self) -> int:
        return self.s8.shape[0]

    def __len__(self) -> int:
        return self.s8.shape[1]

    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (self.s8, self.s16))


def build_trunk_views(model: FCOS, pictures: list[Picture], classes: list[str], augment: DetectionAugment,
                      views: int, seed: int, batch_size: int = 16, progress: bool = True) -> TrunkViews:
    """Augment each picture `views` times (seeded per picture and view) and cache the trunk taps."""
    index = {name: i for i, name in enumerate(classes)}
    s8s, s16s, all_boxes, all_labels = [], [], [], []
    model.eval()
    bar = tqdm(total=views * len(pictures), desc="trunk cache", unit="view", disable=not progress,
               file=sys.stderr)
    for view in range(views):
        v8, v16, v_boxes, v_labels = [], [], [], []
        for start in range(0, len(pictures), batch_size):
            squares = []
            for i, picture in enumerate(pictures[start : start + batch_size], start):
                bgr = read_picture(picture)
                rng = np.random.default_rng([seed, view, i])
                labels = np.array([index[k] for k in picture.labels], np.int64)
                boxes = pixel_boxes(picture, bgr.shape[1], bgr.shape[0])
                square, boxes, labels = augment(bgr, boxes, labels, rng)
                squares.append(torch.from_numpy(np.ascontiguousarray(square[:, :, ::-1])).permute(2, 0, 1))
                v_boxes.append(boxes.astype(np.float32))
                v_labels.append(labels)
            batch = normalise(model, torch.stack(squares).float().div_(255.0))
            with torch.inference_mode():
                s8, s16 = model.backbone.trunk(batch)
            v8.append(s8.half())
            v16.append(s16.half())
            bar.update(len(squares))
        s8s.append(torch.cat(v8))
        s16s.append(torch.cat(v16))
        all_boxes.append(v_boxes)
        all_labels.append(v_labels)
    bar.close()
    return TrunkViews(torch.stack(s8s), torch.stack(s16s), all_boxes, all_labels)
