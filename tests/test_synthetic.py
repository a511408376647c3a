"""Proof that the temporal shift models time: a square drifting left or right, no single frame tells which.

The same small TSN (resnet18 backbone, 16 px frames, 4 segments) is trained three times, with the
bi-directional shift, the online (past-only) shift and no shift. The two TSMs must reach >= 90%
validation accuracy; without shift the network sees only positions, which are uniform in both
classes, so it must stay near chance.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.augment import ClipTransform
from models.checkpoints import CheckpointMeta
from models.datasets.clip_dataset import ClipDataset
from models.datasets.rawframes import read_rawframes_list
from models.synthetic import CLASSES, moving_square, write_motion_dataset
from models.train import TrainConfig, fit
from models.tsm import TSN

SIZE, SEGMENTS, FRAMES = 16, 4, 8


@pytest.fixture(scope="module")
def motion_sets(tmp_path_factory):
    train_list, val_list = write_motion_dataset(tmp_path_factory.mktemp("motion"), n_train=240, n_val=100,
                                                n_frames=FRAMES, size=SIZE, seed=7)
    flip = (1, 0)  # a mirrored clip moves the other way: flipping swaps the two classes
    train_tf = ClipTransform(SIZE, True, SIZE, crop_scales=(1.0,), colour_jitter=0.0, flip_permutation=flip)
    val_tf = ClipTransform(SIZE, False, SIZE)
    return (ClipDataset(read_rawframes_list(train_list), SEGMENTS, train_tf, dense_stride=1),
            ClipDataset(read_rawframes_list(val_list), SEGMENTS, val_tf, dense_stride=1))


def test_no_single_frame_tells_the_direction():
    rng = np.random.default_rng(0)
    columns = {0: [], 1: []}
    for i in range(400):
        for frame in moving_square(i % 2, FRAMES, SIZE, rng):
            lit = np.flatnonzero(frame.max(axis=(0, 2)) > 100)
            columns[i % 2].extend(lit.tolist())
    left, right = (np.bincount(columns[k], minlength=SIZE) / len(columns[k]) for k in (0, 1))
    assert np.abs(left - right).max() < 0.02  # the same position histogram in both classes


def train_motion(shift_mode: str, sets, out_dir) -> float:
    torch.manual_seed(0)
    model = TSN(2, n_segment=SEGMENTS, base_model="resnet18", shift_mode=shift_mode, dropout=0.0)
    meta = CheckpointMeta(arch="resnet18", num_class=2, classes=list(CLASSES),
                          class_to_behaviour=dict.fromkeys(CLASSES), n_segment=SEGMENTS,
                          shift_mode=shift_mode, input_size=SIZE, scale_size=SIZE)
    cfg = TrainConfig(epochs=8, batch_size=16, lr=0.05, weight_decay=1e-4, warmup_epochs=1, seed=0)
    result = fit(model, meta, sets[0], sets[1], cfg, out_dir, progress=False)
    return result.best_val_acc


@pytest.mark.slow
def test_temporal_shift_learns_direction_and_plain_tsn_cannot(motion_sets, tmp_path):
    modes = ("bidirectional", "online", "none")
    accuracy = {mode: train_motion(mode, motion_sets, tmp_path / mode) for mode in modes}
    print(f"synthetic motion, best validation top-1: {accuracy}")
    assert accuracy["bidirectional"] >= 0.9
    assert accuracy["online"] >= 0.9
    assert accuracy["none"] <= 0.65
