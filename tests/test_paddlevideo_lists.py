"""PaddleVideo's `frames` and `video` lists (FrameDataset, VideoDataset) for train and eval.

The files are laid out as PaddleVideo's extraction and list scripts leave them: frame folders of
`img_00001.jpg ...` (the configs' suffix `img_{:05}.jpg`) or another suffix pattern, list lines
`frame_dir frames_len label` and `filename label` with paths relative to the data prefix.
"""

from __future__ import annotations

import argparse
import json

import cv2
import numpy as np
import pytest
import torch
from paddle_files import paddle_names, save_pdparams

from dms.commands import evaluate as eval_command
from models.commands import train as train_command
from models.datasets.frames import load_frames
from models.datasets.loading import read_clips
from models.datasets.paddlevideo_lists import read_paddle_frames_list, read_paddle_video_list
from models.errors import ModelInputError
from models.labelmap import load_label_map
from models.shipped import LABEL_MAP
from models.synthetic import moving_square
from models.tsm import TSN

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def write_frames(prefix, name: str, frames: list[np.ndarray], suffix: str = "img_{:05}.jpg") -> None:
    folder = prefix / name
    folder.mkdir(parents=True)
    for i, rgb in enumerate(frames, start=1):
        cv2.imwrite(str(folder / suffix.format(i)), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def write_video(path, frames: list[np.ndarray]) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, frames[0].shape[1::-1])
    for rgb in frames:
        writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    writer.release()


def grey(values) -> list[np.ndarray]:
    return [np.full((32, 32, 3), v, np.uint8) for v in values]


def test_frames_list_reads_the_right_frames_with_the_configs_suffix_or_another(tmp_path):
    prefix = tmp_path / "rawframes"
    write_frames(prefix, "drive_1", grey([20, 60, 100, 140]))
    write_frames(prefix, "drive_2", grey([200, 210, 220]), suffix="{:06}.png")
    (tmp_path / "train_frames.list").write_text("drive_1 4 1\n")
    (tmp_path / "other.list").write_text("drive_2 3 0\n")
    clip = read_paddle_frames_list(tmp_path / "train_frames.list", prefix, num_class=2)[0]
    assert (clip.source, clip.num_frames, clip.label, clip.kind) == (prefix / "drive_1", 4, 1, "rawframes")
    assert [abs(int(f.mean()) - v) <= 2 for f, v in zip(load_frames(clip, [0, 3]), (20, 140), strict=True)] \
        == [True, True]
    other = read_paddle_frames_list(tmp_path / "other.list", prefix, num_class=2, suffix="{:06}.png")[0]
    assert abs(int(load_frames(other, [2])[0].mean()) - 220) <= 2
    with pytest.raises(ModelInputError, match="has no place for the frame number"):
        read_paddle_frames_list(tmp_path / "other.list", prefix, suffix="img.jpg")


def test_video_list_appends_the_suffix(tmp_path):
    write_video(tmp_path / "a.avi", grey([10, 50, 90, 130, 170]))
    (tmp_path / "val.list").write_text("a 1\n")
    clip = read_paddle_video_list(tmp_path / "val.list", tmp_path, num_class=2, suffix=".avi")[0]
    assert (clip.source, clip.kind, clip.label) == (tmp_path / "a.avi", "video", 1)
    assert abs(int(load_frames(clip, [4])[0].mean()) - 170) <= 4


def test_malformed_lines_name_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.list"
    bad.write_text("drive_1 4 1\nmy drive 4 1\n")
    with pytest.raises(ModelInputError, match="bad.list: line 2: expected 'frame_dir frames_len label'"):
        read_paddle_frames_list(bad)
    bad.write_text("a.mp4 one\n")
    with pytest.raises(ModelInputError, match="line 1: label 'one' is not an integer"):
        read_paddle_video_list(bad)
    bad.write_text("drive_1 0 1\n")
    with pytest.raises(ModelInputError, match="frames_len '0' is not a positive integer"):
        read_paddle_frames_list(bad)


def motion_lists(tmp_path, segments: int = 4) -> tuple:
    """Moving-square clips (0 = moving_left, 1 = moving_right) as a PaddleVideo frames list."""
    prefix = tmp_path / "data"
    rng = np.random.default_rng(0)
    lines = []
    for i in range(8):
        label = i % 2
        frames = moving_square(label, segments * 2, 32, rng)
        write_frames(prefix, f"clip_{i}", list(frames))
        lines.append(f"clip_{i} {segments * 2} {label}\n")
    (tmp_path / "train.list").write_text("".join(lines[:6]))
    (tmp_path / "val.list").write_text("".join(lines[6:]))
    return prefix, tmp_path / "train.list", tmp_path / "val.list"


def test_train_and_eval_take_paddle_lists_and_a_pdparams_checkpoint(tmp_path, capsys):
    prefix, train_list, val_list = motion_lists(tmp_path)
    classes = load_label_map(LABEL_MAP).dataset("synthetic_motion")
    assert len(read_clips("paddle-frames", [train_list], prefix, classes)) == 6
    parser = argparse.ArgumentParser()
    train_command.add_parser(parser.add_subparsers())
    args = parser.parse_args([
        "train", "--format", "paddle-frames", "--train", str(train_list), "--val", str(val_list),
        "--root", str(prefix), "--dataset", "synthetic_motion", "--arch", "resnet18", "--n-segment", "4",
        "--input-size", "32", "--dense-stride", "1", "--epochs", "1", "--batch-size", "2", "--workers", "0",
        "--out", str(tmp_path / "run")])
    assert args.func(args) == 0
    # eval: a PaddleVideo checkpoint (no class names in the file) on a PaddleVideo list
    torch.manual_seed(0)
    model = TSN(2, n_segment=4, base_model="resnet50", shift_mode="bidirectional", shift_div=4,
                shift_order="previous-first").eval()
    save_pdparams(tmp_path / "tsm.pdparams", paddle_names(model.state_dict(), "resnet50"))
    parser = argparse.ArgumentParser()
    eval_command.add_parser(parser.add_subparsers())
    args = parser.parse_args([
        "eval", "--checkpoint", str(tmp_path / "tsm.pdparams"), "--segments", "4", "--format",
        "paddle-frames", "--list", str(val_list), "--root", str(prefix), "--dataset", "synthetic_motion",
        "--workers", "0", "--allow-offline", "--backend", "torch", "--out", str(tmp_path / "eval")])
    with pytest.warns(UserWarning, match="bi-directional"):  # offline weights run only when allowed
        assert args.func(args) == 0
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["clips"] == 2
