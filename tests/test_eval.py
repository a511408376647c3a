"""The eval command: metrics by hand-checkable counts, confusion PNG, Grad-CAM heat maps as PNG and GIF."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
import torch
from PIL import Image

from dms.commands import evaluate as eval_command
from models.checkpoints import CheckpointMeta, save_checkpoint
from models.errors import ModelInputError
from models.evaluate import build_report, format_report
from models.gradcam import gradcam
from models.synthetic import CLASSES, write_motion_dataset
from models.tsm import TSN

SIZE, SEGMENTS = 16, 4


def run_eval(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    eval_command.add_parser(parser.add_subparsers())
    args = parser.parse_args(["eval", *argv])
    return args.func(args)


def test_report_numbers():
    truth = np.array([0, 0, 0, 1, 1, 2])
    predicted = np.array([0, 0, 1, 1, 2, 2])
    report = build_report(truth, predicted, ("a", "b", "c"))
    assert report.confusion.tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    assert report.top1 == pytest.approx(4 / 6)
    a, b, c = report.per_class
    assert (a.precision, a.recall, a.support) == (1.0, pytest.approx(2 / 3), 3)
    assert (b.precision, b.recall) == (0.5, 0.5) and b.f1 == pytest.approx(0.5)
    assert (c.precision, c.recall) == (0.5, 1.0)
    assert "top-1 0.6667 over 6 clips" in format_report(report)


@pytest.fixture()
def checkpoint_and_list(tmp_path):
    _, val_list = write_motion_dataset(tmp_path / "data", n_train=0, n_val=6, n_frames=6, size=SIZE)
    torch.manual_seed(0)
    model = TSN(2, n_segment=SEGMENTS, base_model="resnet18", shift_mode="online", dropout=0.0)
    meta = CheckpointMeta(arch="resnet18", num_class=2, classes=list(CLASSES),
                          class_to_behaviour=dict.fromkeys(CLASSES), n_segment=SEGMENTS, input_size=SIZE,
                          scale_size=SIZE, training={"dense_stride": 1})
    save_checkpoint(tmp_path / "model.pth", model, meta)
    return tmp_path / "model.pth", val_list


def test_eval_command_writes_metrics_confusion_and_heatmaps(checkpoint_and_list, tmp_path, capsys):
    checkpoint, val_list = checkpoint_and_list
    out = tmp_path / "eval"
    args = ["--checkpoint", str(checkpoint), "--format", "rawframes", "--list", str(val_list),
            "--dataset", "synthetic_motion", "--workers", "0", "--out", str(out)]
    assert run_eval([*args, "--heatmaps", "0", "3"]) == 0
    printed = capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["clips"] == 6 and f"top-1 {metrics['top1']:.4f} over 6 clips" in printed
    assert sum(map(sum, metrics["confusion"])) == 6
    assert Image.open(out / "confusion.png").size[0] > 100
    maps = sorted((out / "heatmaps").iterdir())
    assert [p.name.split("_")[0] for p in maps] == ["clip0000", "clip0003"]
    assert "true-moving_left" in maps[0].name
    assert Image.open(maps[0]).size == (SIZE * SEGMENTS, SIZE)
    assert run_eval([*args, "--heatmaps", "--heatmap-format", "gif", "--out", str(tmp_path / "gif")]) == 0
    gif = Image.open(sorted((tmp_path / "gif" / "heatmaps").iterdir())[0])
    assert gif.n_frames == SEGMENTS
    with pytest.raises(ModelInputError, match="no clip number"):
        run_eval([*args, "--heatmaps", "99"])


def test_eval_refuses_a_checkpoint_of_other_classes(checkpoint_and_list, tmp_path):
    checkpoint, val_list = checkpoint_and_list
    with pytest.raises(ModelInputError, match="model.pth: its classes are not those of data set statefarm"):
        run_eval(["--checkpoint", str(checkpoint), "--format", "rawframes", "--list", str(val_list),
                  "--dataset", "statefarm", "--out", str(tmp_path / "e")])


def test_gradcam_maps_cover_every_frame():
    torch.manual_seed(0)
    model = TSN(3, n_segment=SEGMENTS, base_model="resnet18", shift_mode="bidirectional")
    cams, explained = gradcam(model, torch.randn(SEGMENTS, 3, 32, 32), target_class=2)
    assert cams.shape == (SEGMENTS, 32, 32) and explained == 2
    assert cams.min() >= 0 and cams.max() == pytest.approx(1.0)


def test_a_side_view_checkpoint_is_scored_on_the_side_profile(checkpoint_and_list, tmp_path, capsys):
    """With no --profile, a list format's whole analysis runs on the shipped profile of the view the
    checkpoint records (here side), not the default frontal one, which would refuse the checkpoint."""
    checkpoint, val_list = checkpoint_and_list
    side = tmp_path / "side.pth"
    model = TSN(2, n_segment=SEGMENTS, base_model="resnet18", shift_mode="online", dropout=0.0)
    meta = CheckpointMeta(arch="resnet18", num_class=2, classes=list(CLASSES),
                          class_to_behaviour=dict.fromkeys(CLASSES), n_segment=SEGMENTS, input_size=SIZE,
                          scale_size=SIZE, training={"dense_stride": 1}, view="side")
    save_checkpoint(side, model, meta)
    out = tmp_path / "eval"
    assert run_eval(["--checkpoint", str(side), "--format", "rawframes", "--list", str(val_list), "--dataset",
                     "synthetic_motion", "--workers", "0", "--out", str(out), "--no-progress"]) == 0
    assert "camera profile: profile_side.json (the checkpoint's side view" in capsys.readouterr().err
    assert json.loads((out / "pipeline.json").read_text())["profile_view"] == "side"
