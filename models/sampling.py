"""Which frames of a clip feed the network: TSN segments (offline model), dense runs (online model)."""

from __future__ import annotations

import numpy as np


def segment_indices(num_frames: int, n_segment: int, train: bool, rng: np.random.Generator) -> np.ndarray:
    """TSN sampling: split the clip into n_segment equal parts and take one frame from each.

    Training takes a random frame inside every part (a different view of the clip every epoch);
    testing takes each part's centre. Clips shorter than n_segment repeat frames in order.
    """
    if num_frames < 1:
        raise ValueError("a clip needs at least one frame")
    edges = np.linspace(0, num_frames, n_segment + 1)
    lengths = edges[1:] - edges[:-1]
    offsets = rng.random(n_segment) * lengths if train else lengths / 2
    return np.minimum((edges[:-1] + offsets).astype(int), num_frames - 1)


def dense_indices(num_frames: int, n_segment: int, stride: int, train: bool,
                  rng: np.random.Generator) -> np.ndarray:
    """n_segment consecutive frames `stride` apart, as the online (causal) model sees them at run time.

    Training starts the run at a random frame; testing centres it. Runs longer than the clip are
    clamped to its last frame.
    """
    if num_frames < 1:
        raise ValueError("a clip needs at least one frame")
    span = (n_segment - 1) * stride + 1
    room = max(0, num_frames - span)
    start = int(rng.integers(0, room + 1)) if train else room // 2
    return np.minimum(start + stride * np.arange(n_segment), num_frames - 1)
