"""A data set that only temporal modelling can solve: a square drifting left or right.

The square starts anywhere and wraps round the frame edges, so on any single frame its position
is uniform whatever the class; only the order of frames tells the direction. A 2D network without
temporal shift must stay at chance, a TSM should not.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from models.datasets.rawframes import FRAME_TEMPLATE, write_rawframes_list

CLASSES = ("moving_left", "moving_right")
COLOURS = ((230, 60, 60), (60, 200, 60), (70, 90, 240), (240, 220, 40))


def moving_square(direction: int, n_frames: int, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """RGB frames of one clip; direction 0 = left, 1 = right."""
    side = int(rng.integers(size // 4, size // 3 + 1))
    # About a fifth of the frame per step: well under half, so the wrap never reads as the other way.
    speed = int(rng.integers(size // 5, size // 4 + 1)) * (1 if direction == 1 else -1)
    x0, y = int(rng.integers(0, size)), int(rng.integers(0, size - side))
    colour = COLOURS[int(rng.integers(len(COLOURS)))]
    frames = []
    for t in range(n_frames):
        frame = rng.integers(0, 40, (size, size, 3), dtype=np.uint8)
        cols = (x0 + speed * t + np.arange(side)) % size  # wraps round the edge
        frame[y:y + side][:, cols] = colour
        frames.append(frame)
    return frames


def noisy_brightness(label: int, n_frames: int, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """RGB noise frames, dark for label 0 and bright for label 1: learnt in a few steps by any network.

    Used to test the training machinery (loss falls, checkpoints, DDP) apart from temporal learning.
    """
    low = 150 if label else 0
    return [rng.integers(low, low + 100, (size, size, 3), dtype=np.uint8) for _ in range(n_frames)]


def write_rawframes_dataset(root: str | Path, make_clip, n_train: int, n_val: int, n_frames: int = 12,
                            size: int = 32, seed: int = 0) -> tuple[Path, Path]:
    """Write balanced two-class rawframes clips from `make_clip(label, n_frames, size, rng)` under
    root/{train,val}/ with their list files; returns the two lists."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    lists = []
    for split, count in (("train", n_train), ("val", n_val)):
        entries = []
        for i in tqdm(range(count), desc=f"synthetic {split}", leave=False):
            label = i % 2
            clip_dir = root / split / f"{i:05d}"
            clip_dir.mkdir(parents=True, exist_ok=True)
            for t, frame in enumerate(make_clip(label, n_frames, size, rng), start=1):
                cv2.imwrite(str(clip_dir / FRAME_TEMPLATE.format(t)), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
            entries.append((f"{split}/{i:05d}", n_frames, label))
        list_path = root / f"{split}.txt"
        write_rawframes_list(list_path, entries)
        lists.append(list_path)
    return lists[0], lists[1]


def write_motion_dataset(root: str | Path, n_train: int, n_val: int, n_frames: int = 12, size: int = 32,
                         seed: int = 0) -> tuple[Path, Path]:
    """The moving-square set (labels 0 = moving_left, 1 = moving_right) as rawframes lists."""
    return write_rawframes_dataset(root, moving_square, n_train, n_val, n_frames, size, seed)
