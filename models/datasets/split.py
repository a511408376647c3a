"""Train/validation split by person, so that no driver is in both halves."""

from __future__ import annotations

import random
from collections.abc import Sequence

from models.datasets.clip import Clip


def split_by_group(clips: Sequence[Clip], val_fraction: float,
                   seed: int = 0) -> tuple[list[Clip], list[Clip]]:
    """Shuffle the groups (drivers) with `seed` and give about `val_fraction` of them to validation."""
    groups = sorted({c.group for c in clips})
    if len(groups) < 2:
        raise ValueError("a split by driver needs at least two drivers")
    random.Random(seed).shuffle(groups)
    n_val = min(len(groups) - 1, max(1, round(len(groups) * val_fraction)))
    val_groups = set(groups[:n_val])
    train = [c for c in clips if c.group not in val_groups]
    val = [c for c in clips if c.group in val_groups]
    return train, val
