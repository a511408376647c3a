"""PaddleVideo TSM / PP-TSM `.pdparams`: read without Paddle, safely, every tensor by name and shape.

The files are written as `paddle.save` writes a state dict (tests/paddle_files.py); the parity with
PaddleVideo's own code is `main.py bench paddle-parity` (it needs Paddle, outside CI; docs/classifier.md).
"""

from __future__ import annotations

import argparse
import os
import pickle
import warnings

import numpy as np
import pytest
import torch
from paddle_files import paddle_names, save_pdparams
from torch import nn

from dms.classifier.stage import load_runner
from dms.core.errors import InputError
from models import load_checkpoint
from models.checkpoints import guess_note, read_meta
from models.errors import ModelInputError
from models.synthetic import noisy_brightness, write_rawframes_dataset
from models.temporal_shift import shift_bidirectional
from models.tsm import TSN

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def paddle_like(arch: str, segments: int = 8, size: int = 64) -> tuple[TSN, torch.Tensor]:
    """A TSN as PaddleVideo's (previous-first bi-directional shift), random BN scale/shift, BN statistics
    of a random clip, so every tensor matters for the logits."""
    torch.manual_seed(0)
    model = TSN(5, n_segment=segments, base_model=arch, shift_mode="bidirectional", shift_div=segments,
                shift_order="previous-first")
    clip = torch.randn(segments, 3, size, size)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.normal_(m.bias, 0, 0.1)
            m.momentum = None
    with torch.no_grad():
        model.train()(clip)
    nn.init.normal_(model.new_fc.weight, 0, 0.05)
    return model.eval(), clip


@pytest.mark.parametrize("arch", ["resnet50", "resnet50vd"])
def test_pdparams_load_with_every_tensor_and_give_the_same_logits(arch, tmp_path):
    model, clip = paddle_like(arch)
    arrays = paddle_names(model.state_dict(), arch)
    assert ("backbone.conv1_1._conv.weight" in arrays) == (arch == "resnet50vd")
    assert arrays["head.fc.weight"].shape == (2048, 5)  # Paddle's Linear stores (in, out)
    path = tmp_path / "tsm.pdparams"
    save_pdparams(path, arrays)
    loaded, meta = load_checkpoint(path)
    with torch.no_grad():
        expected, got = model(clip), loaded(clip)
    assert expected.abs().max() > 0.1
    assert (got - expected).abs().max().item() < 1e-5
    assert (meta.arch, meta.source, meta.shift_mode, meta.shift_order) == (
        arch, "paddlevideo", "bidirectional", "previous-first")
    assert (meta.n_segment, meta.input_size, meta.scale_size, meta.channel_order) == (8, 224, 256, "RGB")
    assert "segment count 8 guessed" in guess_note(meta)
    assert "centre crop 224" in meta.training["preprocessing"]
    assert read_meta(path).arch == arch


def test_paddle_shift_takes_the_previous_frame_first():
    clip = torch.arange(4.0).view(4, 1, 1, 1).expand(4, 8, 1, 1).contiguous()  # value = frame index
    out = shift_bidirectional(clip, 4, 8, "previous-first").view(4, 8)
    assert out[:, 0].tolist() == [0.0, 0.0, 1.0, 2.0]  # from t-1, zero at the start
    assert out[:, 1].tolist() == [1.0, 2.0, 3.0, 0.0]  # from t+1
    official = shift_bidirectional(clip, 4, 8).view(4, 8)
    assert official[:, 0].tolist() == [1.0, 2.0, 3.0, 0.0]


def test_offline_paddle_weights_need_allow_offline(tmp_path):
    model, _ = paddle_like("resnet50", segments=4)
    path = tmp_path / "pptsm.pdparams"
    save_pdparams(path, paddle_names(model.state_dict(), "resnet50"))
    with pytest.raises(InputError, match="bi-directional"):
        load_runner(path, "torch", allow_offline=False, n_segment=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runner, meta, offline = load_runner(path, "torch", allow_offline=True, n_segment=4)
    assert offline and meta.shift_div == 4 and runner.step(torch.randn(1, 3, 64, 64)).shape == (1, 5)


class _Hostile:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_hostile_pdparams_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pdparams"
    with path.open("wb") as fh:
        pickle.dump({"backbone.conv._conv.weight": np.zeros(3, np.float32), "x": _Hostile(marker)}, fh,
                    protocol=4)
    refused = r"refused: it stores Python objects of types (posix|nt)\.system"
    with pytest.raises(ModelInputError, match=refused):
        load_checkpoint(path)
    assert not marker.exists()


def test_bad_pdparams_are_one_clear_error(tmp_path):
    model, _ = paddle_like("resnet50", segments=4)
    arrays = paddle_names(model.state_dict(), "resnet50")
    path = tmp_path / "bad.pdparams"
    path.write_bytes(pickle.dumps(arrays, protocol=4)[:1000])
    with pytest.raises(ModelInputError, match="truncated or corrupt"):
        load_checkpoint(path)
    save_pdparams(path, {**arrays, "backbone.res2a.conv0._conv.weight": np.zeros((64, 64, 3, 3), np.float32)})
    with pytest.raises(ModelInputError, match=r"res2a\.conv0\._conv\.weight' has shape \(64, 64, 3, 3\)"):
        load_checkpoint(path)
    save_pdparams(path, {**arrays, "backbone.extra._conv.weight": np.zeros(1, np.float32)})
    with pytest.raises(ModelInputError, match="unexpected weight 'backbone.extra"):
        load_checkpoint(path)
    missing = dict(arrays)
    del missing["backbone.res3b.conv1._batch_norm._variance"]
    save_pdparams(path, missing)
    with pytest.raises(ModelInputError, match="1 weight"):
        load_checkpoint(path)
    save_pdparams(path, {"backbone.stem.weight": np.zeros(1, np.float32)})
    with pytest.raises(ModelInputError, match="unrecognised PaddleVideo model"):
        load_checkpoint(path)


def test_train_init_starts_from_a_pdparams_file(tmp_path):
    from models.commands import train as train_command

    model, _ = paddle_like("resnet50vd", segments=4, size=32)
    init = tmp_path / "pptsm.pdparams"
    save_pdparams(init, paddle_names(model.state_dict(), "resnet50vd"))
    train_list, val_list = write_rawframes_dataset(tmp_path / "data", noisy_brightness, n_train=8, n_val=4,
                                                   n_frames=4, size=32)
    parser = argparse.ArgumentParser()
    train_command.add_parser(parser.add_subparsers())
    args = parser.parse_args([
        "train", "--format", "rawframes", "--train", str(train_list), "--val", str(val_list), "--dataset",
        "dms_events", "--init", str(init), "--n-segment", "4", "--input-size", "32", "--dense-stride", "1",
        "--epochs", "1", "--batch-size", "4", "--workers", "0", "--out", str(tmp_path / "run")])
    assert args.func(args) == 0
    tuned, meta = load_checkpoint(tmp_path / "run" / "last.pth")
    assert (meta.arch, meta.shift_order, meta.shift_mode, meta.num_class) == (
        "resnet50vd", "previous-first", "online", 11)
    frozen_stem = tuned.state_dict()["base_model.conv1.4.running_mean"]  # partial BN: later norms kept
    assert torch.equal(frozen_stem, model.state_dict()["base_model.conv1.4.running_mean"])


def test_pp_tsm_runs_online_in_onnxruntime_as_in_pytorch(tmp_path):
    """What classify and the GUI do with --allow-offline and the default backend: the causal copy
    exported to ONNX (average-pool shortcut, leaky ReLU) gives PyTorch's logits."""
    from dms.classifier.stage import causal_copy
    from models.online import OnlineTSM
    from models.onnx_export import online_onnx_bytes
    from models.onnx_online import OnnxOnlineTSM

    model, _ = paddle_like("resnet50vd", segments=4)
    path = tmp_path / "pptsm.pdparams"
    save_pdparams(path, paddle_names(model.state_dict(), "resnet50vd"))
    loaded, meta = load_checkpoint(path, n_segment=4)
    meta.input_size = 64
    causal = causal_copy(loaded)
    torch_runner, onnx_runner = OnlineTSM(causal), OnnxOnlineTSM(online_onnx_bytes(causal, meta), threads=1)
    worst = spread = 0.0
    for _ in range(3):
        frame = torch.randn(1, 3, 64, 64)
        expected = torch_runner.step(frame).numpy()
        worst = max(worst, float(np.abs(expected - onnx_runner.step(frame.numpy())).max()))
        spread = max(spread, float(np.abs(expected).max()))
    assert spread > 1.0 and worst < 1e-4 * spread  # float32 rounding over 50 layers: ~6e-5 relative
