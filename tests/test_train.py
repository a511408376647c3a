"""The train command end to end on generated media: loss falls, checkpoints load in the online runner."""

from __future__ import annotations

import argparse
import csv

import numpy as np
import pytest
import torch

from models import OnlineTSM, load_checkpoint
from models.augment import ClipTransform
from models.checkpoints import CheckpointMeta, save_checkpoint
from models.commands import train as train_command
from models.datasets.clip_dataset import ClipDataset
from models.datasets.rawframes import read_rawframes_list
from models.distributed import DistContext
from models.errors import ModelInputError
from models.losses import FocalLoss, mixup
from models.synthetic import noisy_brightness, write_rawframes_dataset
from models.train import TrainConfig, param_groups, validate, warmup_cosine
from models.tsm import TSN

SIZE, SEGMENTS = 16, 4


def run_train(argv: list[str]) -> int:
    """Parse and run the train command as main.py does (main.py also builds everyone else's commands)."""
    parser = argparse.ArgumentParser()
    train_command.add_parser(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture(scope="module")
def bright_dark_lists(tmp_path_factory):
    """Generated clips, dark = `none` (0), bright = `phone` (1) of dms_events: learnable in a few
    iterations, so a falling loss tests the machinery; temporal learning is proved in test_synthetic."""
    root = tmp_path_factory.mktemp("bright_dark")
    return write_rawframes_dataset(root, noisy_brightness, n_train=24, n_val=8, n_frames=6, size=SIZE)


def _train_args(train_list, val_list, out, epochs):
    return ["train", "--format", "rawframes", "--train", str(train_list), "--val", str(val_list),
            "--dataset", "dms_events", "--arch", "resnet18", "--n-segment", str(SEGMENTS),
            "--input-size", str(SIZE), "--dense-stride", "1", "--fps", "10", "--epochs", str(epochs),
            "--batch-size", "8", "--workers", "0", "--lr", "0.01", "--dropout", "0", "--colour-jitter", "0",
            "--out", str(out)]


def test_train_command_lowers_the_loss_and_writes_an_app_checkpoint(bright_dark_lists, tmp_path):
    train_list, val_list = bright_dark_lists
    out = tmp_path / "run"
    assert run_train(_train_args(train_list, val_list, out, epochs=4)) == 0
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 3]
    assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])

    model, meta = load_checkpoint(out / "best.pth")
    assert meta.shift_mode == "online" and meta.classes[:2] == ["none", "phone"] and meta.num_class == 11
    assert meta.class_to_behaviour["phone"] == "phone" and meta.class_to_behaviour["none"] is None
    assert meta.input_size == SIZE and meta.frame_rate == 10.0
    assert meta.training["best_val_acc"] == max(float(r["val_acc"]) for r in rows)
    clips = read_rawframes_list(train_list)
    frames, _ = ClipDataset(clips[:1], SEGMENTS, ClipTransform(SIZE, False, SIZE), dense_stride=1)[0]
    runner = OnlineTSM(model)
    logits = [runner.step(frame[None]) for frame in frames]
    assert logits[-1].shape == (1, 11) and torch.isfinite(logits[-1]).all()
    # The online runner's last output equals the offline causal network's last-frame output.
    with torch.no_grad():
        offline = model.forward_frames(frames)[-1]
    assert torch.allclose(logits[-1][0], offline, atol=1e-4)


def test_resume_continues_the_log(bright_dark_lists, tmp_path):
    train_list, val_list = bright_dark_lists
    out = tmp_path / "run"
    options = ["--loss", "focal", "--label-smoothing", "0.1", "--mixup", "0.2"]
    assert run_train([*_train_args(train_list, val_list, out, epochs=1), *options]) == 0
    assert run_train([*_train_args(train_list, val_list, out, epochs=2), *options, "--resume"]) == 0
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [0, 1]
    state = torch.load(out / "train_state.pt", weights_only=True)
    assert state["epoch"] == 1 and len(state["history"]) == 2
    _, meta = load_checkpoint(out / "last.pth")
    assert meta.training["epochs_done"] == 2 and meta.training["best_val_acc"] == state["best_val_acc"]


def test_init_from_a_checkpoint_keeps_the_backbone_and_freezes_later_norms(bright_dark_lists, tmp_path):
    train_list, val_list = bright_dark_lists
    torch.manual_seed(1)
    source = TSN(5, n_segment=SEGMENTS, base_model="resnet18", shift_mode="bidirectional")
    for norm in [m for m in source.modules() if isinstance(m, torch.nn.BatchNorm2d)]:
        norm.running_mean.uniform_(-1, 1)
    names = [f"k{i}" for i in range(5)]
    save_checkpoint(tmp_path / "init.pth", source, CheckpointMeta(
        arch="resnet18", num_class=5, classes=names, class_to_behaviour=dict.fromkeys(names),
        n_segment=SEGMENTS, shift_mode="bidirectional", input_size=SIZE, scale_size=SIZE))
    out = tmp_path / "run"
    init = ["--init", str(tmp_path / "init.pth")]
    assert run_train([*_train_args(train_list, val_list, out, epochs=1), *init]) == 0
    model, meta = load_checkpoint(out / "last.pth")
    assert meta.training["init"].endswith("init.pth") and meta.training["config"]["partial_bn"] is True
    assert meta.shift_mode == "online" and meta.num_class == 11
    before = [m for m in source.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    after = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert not torch.equal(before[0].running_mean, after[0].running_mean)  # the first norm still learns
    pairs = zip(before[1:], after[1:], strict=True)
    assert all(torch.equal(b.running_mean, a.running_mean) for b, a in pairs)


def test_bad_input_is_one_clear_error(tmp_path):
    bad = tmp_path / "list.txt"
    bad.write_text("clip_a 8 one\n")
    args = ["train", "--format", "rawframes", "--train", str(bad), "--out", str(tmp_path / "o")]
    with pytest.raises(ModelInputError, match="list.txt: line 1: label 'one' is not an integer"):
        run_train(args)
    bad.write_text("clip_a 8 1\nclip_b 8 0\n")
    with pytest.raises(ModelInputError, match="train_state.pt: nothing to resume"):
        run_train([*args, "--resume", "--workers", "0"])
    assert not (tmp_path / "o").exists()


def test_classifier_gets_five_times_the_learning_rate_and_the_schedule_warms_then_decays():
    model = TSN(3, n_segment=2, base_model="resnet18", shift_mode="online")
    cfg = TrainConfig(lr=0.1, weight_decay=1e-4, fc_lr_mult=5)
    groups = param_groups(model, cfg)
    head = [g for g in groups if any(p is model.new_fc.weight for p in g["params"])][0]
    assert head["lr"] == pytest.approx(0.5)
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))
    assert all(g["weight_decay"] == 0 for g in groups if any(p.ndim == 1 for p in g["params"][:1]))
    optimizer = torch.optim.SGD(groups, lr=cfg.lr, momentum=0.9)
    scheduler = warmup_cosine(optimizer, warmup_steps=4, total_steps=20)
    lrs = []
    for _ in range(20):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert lrs[0] == pytest.approx(0.025) and lrs[3] == pytest.approx(0.1)
    assert all(a >= b for a, b in zip(lrs[3:], lrs[4:], strict=False)) and lrs[-1] < 0.01


def test_focal_loss_and_mixup():
    logits = torch.tensor([[4.0, 0.0], [0.0, 0.1]])
    target = torch.tensor([0, 1])
    ce = torch.nn.functional.cross_entropy(logits, target, reduction="none")
    focal = FocalLoss(gamma=2.0)(logits, target)
    p = torch.softmax(logits, 1)[[0, 1], [0, 1]]
    assert focal == pytest.approx(float(((1 - p) ** 2 * ce).mean()))
    clips = torch.stack([torch.zeros(2, 3, 4, 4), torch.ones(2, 3, 4, 4)])
    mixed, a, b, lam = mixup(clips, torch.tensor([0, 1]), 0.4, np.random.default_rng(3))
    assert 0 <= lam <= 1
    assert a.tolist() == [0, 1]
    assert torch.allclose(mixed, lam * clips + (1 - lam) * clips[b])


def test_validate_counts_every_clip(bright_dark_lists):
    _, val_list = bright_dark_lists
    dataset = ClipDataset(read_rawframes_list(val_list), SEGMENTS, ClipTransform(SIZE, False, SIZE))
    model = TSN(11, n_segment=SEGMENTS, base_model="resnet18", shift_mode="none")
    loader = torch.utils.data.DataLoader(dataset, batch_size=3)
    loss, acc = validate(model, loader, torch.nn.CrossEntropyLoss(), DistContext())
    assert loss > 0 and acc in {i / 8 for i in range(9)}
