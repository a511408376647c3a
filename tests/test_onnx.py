"""ONNX export of the online step and parity with PyTorch on a real clip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from conftest import CLASSES, make_checkpoint, real_frames

import main
from models import CheckpointMeta, OnlineTSM, load_checkpoint, save_checkpoint
from models.errors import ModelInputError
from models.onnx_online import OnnxOnlineTSM
from models.preprocess import Preprocess
from models.tsm import TSN

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """The shared test TSM with a small head (std 0.05), so logits are O(1)."""
    torch.set_num_threads(1)
    return make_checkpoint(tmp_path_factory.mktemp("ckpt") / "online.pth", head_std=0.05)


def test_export_command_writes_a_checked_model_with_metadata(checkpoint, tmp_path, capsys):
    out = tmp_path / "onnx" / "model.onnx"
    assert main.main(["export", str(checkpoint), "--out", str(out)]) == 0
    assert "10 shift buffers" in capsys.readouterr().out
    proto = onnx.load(str(out))
    onnx.checker.check_model(proto)
    names = [i.name for i in proto.graph.input]
    assert names[0] == "frame" and len(names) == 11
    assert [o.name for o in proto.graph.output][:2] == ["logits", "buffer_out_0"]
    runner = OnnxOnlineTSM(out)
    assert runner.meta().classes == CLASSES
    assert [tuple(b.shape) for b in runner.buffers][:3] == [(1, 3, 56, 56), (1, 4, 28, 28), (1, 4, 28, 28)]
    assert [p.name for p in out.parent.iterdir()] == ["model.onnx"]


def test_onnxruntime_matches_pytorch_on_a_real_clip(checkpoint, tmp_path):
    model, meta = load_checkpoint(checkpoint)
    out = tmp_path / "model.onnx"
    assert main.main(["export", str(checkpoint), "--out", str(out)]) == 0
    prep = Preprocess.from_meta(meta)
    torch_runner, onnx_runner = OnlineTSM(model), OnnxOnlineTSM(out, threads=1)
    worst, spread = 0.0, 0.0
    for image in (f.image for f in real_frames(16)):
        x = prep(image)
        a = torch_runner.step(x).numpy()
        b = onnx_runner.step(x.numpy())
        worst = max(worst, float(np.abs(a - b).max()))
        spread = max(spread, float(np.abs(a).max()))
    assert spread > 0.1  # logits far from zero, so the comparison means something
    assert worst < 1e-4


def test_export_refuses_bidirectional_weights_and_leaves_nothing(tmp_path, capsys):
    model = TSN(3, shift_mode="bidirectional")
    meta = CheckpointMeta(
        arch="mobilenetv2",
        num_class=3,
        classes=["a", "b", "c"],
        class_to_behaviour=dict.fromkeys("abc"),
        shift_mode="bidirectional",
    )
    save_checkpoint(tmp_path / "offline.pth", model, meta)
    out = tmp_path / "out" / "model.onnx"
    assert main.main(["export", str(tmp_path / "offline.pth"), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "offline.pth" in err and "bi-directional" in err
    assert not out.exists()


def test_broken_onnx_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"\x08\x07garbage")
    with pytest.raises(ModelInputError, match="broken.onnx: not a loadable ONNX model"):
        OnnxOnlineTSM(bad)
