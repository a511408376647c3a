"""A torch Dataset over Clip records: sample frame indices, decode, augment."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from models.augment import ClipTransform
from models.datasets.clip import Clip
from models.datasets.frames import clip_length, load_frames
from models.sampling import dense_indices, segment_indices


class ClipDataset(Dataset):
    """Item i -> (frames (T, 3, S, S) float tensor, label). `dense_stride` None = TSN segment sampling."""

    def __init__(self, clips: Sequence[Clip], n_segment: int, transform: ClipTransform,
                 dense_stride: int | None = None):
        self.clips = list(clips)
        self.n_segment = n_segment
        self.transform = transform
        self.dense_stride = dense_stride

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        clip = self.clips[i]
        # torch seeds each DataLoader worker and advances its generator per item, so this differs per epoch.
        rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,)).item()))
        train = self.transform.train
        length = clip_length(clip)
        if self.dense_stride is None:
            indices = segment_indices(length, self.n_segment, train, rng)
        else:
            indices = dense_indices(length, self.n_segment, self.dense_stride, train, rng)
        return self.transform(load_frames(clip, indices), clip.label, rng)
