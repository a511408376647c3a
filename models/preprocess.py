"""Turn a camera frame (BGR uint8) into the network input its checkpoint was trained on.

`resize="centre-crop"` (official TSM checkpoints): shorter side to `scale_size`, centre-crop
`input_size` square, as the TSM evaluation transform (GroupScale, GroupCenterCrop). `resize="frame"`
(the shipped model): the centred part of the frame with the trained `aspect`, squeezed whole to
`input_size` square, as `models.augment.ClipTransform` does at test time. Then channels reordered if
the checkpoint wants RGB, scaled to [0, 1] and normalised with the checkpoint's mean and std.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from models.augment import crop_to_aspect


@dataclass(frozen=True)
class Preprocess:
    input_size: int = 224
    scale_size: int = 256
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    channel_order: str = "RGB"
    resize: str = "centre-crop"
    aspect: float | None = None

    @staticmethod
    def from_meta(meta) -> Preprocess:
        """From a `CheckpointMeta` (or anything with the same fields)."""
        return Preprocess(
            meta.input_size, meta.scale_size, tuple(meta.mean), tuple(meta.std), meta.channel_order,
            meta.resize, meta.aspect,
        )

    def array(self, bgr: np.ndarray) -> np.ndarray:
        """`(1, 3, input_size, input_size)` float32 for one BGR uint8 image `(H, W, 3)`."""
        if bgr.ndim != 3 or bgr.shape[2] != 3:
            raise ValueError(f"expected an H x W x 3 image, got shape {bgr.shape}")
        if self.resize == "frame":
            crop = cv2.resize(crop_to_aspect(bgr, self.aspect), (self.input_size, self.input_size),
                              interpolation=cv2.INTER_AREA)
        else:
            h, w = bgr.shape[:2]
            scale = self.scale_size / min(h, w)
            size = (max(self.input_size, round(w * scale)), max(self.input_size, round(h * scale)))
            resized = cv2.resize(bgr, size, interpolation=cv2.INTER_LINEAR)
            top = (size[1] - self.input_size) // 2
            left = (size[0] - self.input_size) // 2
            crop = resized[top : top + self.input_size, left : left + self.input_size]
        if self.channel_order == "RGB":
            crop = crop[:, :, ::-1]
        x = crop.astype(np.float32) / 255.0
        x = (x - np.asarray(self.mean, np.float32)) / np.asarray(self.std, np.float32)
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None])

    def __call__(self, bgr: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(self.array(bgr))
