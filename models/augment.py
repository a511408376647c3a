"""Clip augmentation: one multi-scale crop, colour jitter and label-aware flip for all frames of a clip."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
SCALES = (1.0, 0.875, 0.75, 0.66)


def multiscale_crop_box(height: int, width: int, rng: np.random.Generator,
                        scales=SCALES, max_distort: int = 1) -> tuple[int, int, int, int]:
    """TSN's multi-scale crop: width, height from `scales` x the short side, at most `max_distort` apart."""
    base = min(height, width)
    pairs = [(i, j) for i in range(len(scales)) for j in range(len(scales)) if abs(i - j) <= max_distort]
    i, j = pairs[int(rng.integers(len(pairs)))]
    crop_w, crop_h = int(base * scales[i]), int(base * scales[j])
    x = int(rng.integers(0, width - crop_w + 1))
    y = int(rng.integers(0, height - crop_h + 1))
    return x, y, crop_w, crop_h


def resize_short_side(frame: np.ndarray, short: int) -> np.ndarray:
    height, width = frame.shape[:2]
    scale = short / min(height, width)
    size = (max(short, round(width * scale)), max(short, round(height * scale)))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def jitter_colour(frames: list[np.ndarray], rng: np.random.Generator, strength: float) -> list[np.ndarray]:
    """Brightness, contrast and saturation each scaled by a factor in [1-strength, 1+strength]."""
    b, c, s = 1 + strength * (2 * rng.random(3) - 1)
    out = []
    for frame in frames:
        f = frame.astype(np.float32) * b
        f = (f - f.mean()) * c + f.mean()
        grey = f.mean(axis=2, keepdims=True)
        f = (f - grey) * s + grey
        out.append(np.clip(f, 0, 255).astype(np.uint8))
    return out


RESIZES = ("centre-crop", "frame")


def crop_to_aspect(frame: np.ndarray, aspect: float | None) -> np.ndarray:
    """The centred part of `frame` with width/height = `aspect` (None: the frame as it is).

    A 16:9 recording of a 4:3 picture (side bars, as phones and editors write them) thus gives the
    4:3 picture back; a true 16:9 view loses its sides, the part a 4:3-trained model never saw.
    """
    if not aspect:
        return frame
    height, width = frame.shape[:2]
    if width > aspect * height:
        keep = max(1, round(aspect * height))
        left = (width - keep) // 2
        return frame[:, left:left + keep]
    keep = max(1, round(width / aspect))
    top = (height - keep) // 2
    return frame[top:top + keep]


def frame_crop_box(height: int, width: int, rng: np.random.Generator, min_area: float = 0.7,
                   max_distort: float = 0.1) -> tuple[int, int, int, int]:
    """A random crop of the whole frame: `min_area`..1 of its area, aspect within +-`max_distort`."""
    area = rng.uniform(min_area, 1.0)
    distort = np.exp(rng.uniform(-max_distort, max_distort))
    crop_w = min(width, max(1, round(width * np.sqrt(area * distort))))
    crop_h = min(height, max(1, round(height * np.sqrt(area / distort))))
    x = int(rng.integers(0, width - crop_w + 1))
    y = int(rng.integers(0, height - crop_h + 1))
    return x, y, crop_w, crop_h


@dataclass(frozen=True)
class ClipTransform:
    """Frames (RGB uint8) -> normalised tensor (T, 3, size, size), plus the label after any flip.

    `flip_permutation` maps each label to its mirror class; without it the clip is never flipped,
    because flipping a "phone in the right hand" clip would teach the wrong class.
    """

    size: int
    train: bool
    scale_size: int | None = None  # short side before cropping; None = size * 256 / 224 as in TSN
    crop_scales: tuple[float, ...] = SCALES
    colour_jitter: float = 0.2
    flip_permutation: tuple[int, ...] | None = None
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    channel_order: str = "RGB"  # what the network expects; official TSM weights and ours use RGB
    # "centre-crop": TSN's square crop of the short side; "frame": the whole picture (cut to
    # `aspect` first) squeezed to size x size, so nothing at the frame's edges is lost.
    resize: str = "centre-crop"
    aspect: float | None = None

    def __call__(self, frames: list[np.ndarray], label: int,
                 rng: np.random.Generator) -> tuple[torch.Tensor, int]:
        if self.resize == "frame":
            frames = [crop_to_aspect(f, self.aspect) for f in frames]
            height, width = frames[0].shape[:2]
            x, y, w, h = frame_crop_box(height, width, rng) if self.train else (0, 0, width, height)
        else:
            frames = [resize_short_side(f, self.scale_size or round(self.size * 256 / 224)) for f in frames]
            height, width = frames[0].shape[:2]
            if self.train:
                x, y, w, h = multiscale_crop_box(height, width, rng, self.crop_scales)
            else:
                x, y, w, h = (width - self.size) // 2, (height - self.size) // 2, self.size, self.size
        frames = [cv2.resize(f[y:y + h, x:x + w], (self.size, self.size), interpolation=cv2.INTER_AREA)
                  for f in frames]
        if self.train and self.colour_jitter > 0:
            frames = jitter_colour(frames, rng, self.colour_jitter)
        if self.train and self.flip_permutation is not None and rng.random() < 0.5:
            frames = [np.ascontiguousarray(f[:, ::-1]) for f in frames]
            label = self.flip_permutation[label]
        array = np.stack(frames).astype(np.float32) / 255.0
        if self.channel_order == "BGR":
            array = array[..., ::-1]
        array = (array - np.asarray(self.mean, np.float32)) / np.asarray(self.std, np.float32)
        return torch.from_numpy(array).permute(0, 3, 1, 2).contiguous(), label
