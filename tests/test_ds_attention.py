"""DS attention on TSM: placement, gates, kernel size from the input size, checkpoints, ONNX, training."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
import torch
from conftest import SHARED

from models import CheckpointMeta, OnlineTSM, load_checkpoint, save_checkpoint
from models.ds_attention import BatchNormDS, DSAttention
from models.errors import ModelInputError
from models.onnx_export import online_onnx_bytes
from models.onnx_online import OnnxOnlineTSM
from models.pretrained import init_from_imagenet
from models.tsm import TSN

pytestmark = pytest.mark.usefixtures("torch_one_thread")
STILLS = SHARED / "images" / "statefarm"


def test_blocks_are_every_other_of_each_stage_with_kernels_of_the_feature_map():
    mbv2 = TSN(4, shift_mode="online", ds="no1", input_size=192)
    assert mbv2.ds_blocks == ["features.3", "features.5", "features.8", "features.10", "features.12",
                              "features.15"]
    kernels = {n: m.kernel for n, m in mbv2.named_modules() if isinstance(m, DSAttention)}
    assert kernels["base_model.features.3.conv.3.ds"] == 48  # stride 4 at 192 px
    assert kernels["base_model.features.12.conv.3.ds"] == 12  # stride 16
    assert kernels["base_model.features.15.conv.3.ds"] == 6  # stride 32
    resnet = TSN(4, base_model="resnet50", shift_mode="online", ds="no3", input_size=224)
    assert resnet.ds_blocks == ["layer1.1", "layer2.1", "layer2.3", "layer3.1", "layer3.3", "layer3.5",
                                "layer4.1"]
    assert isinstance(resnet.base_model.layer4[1].bn3, BatchNormDS)
    assert resnet.base_model.layer4[1].bn3.ds.kernel == 7
    trained_only = TSN(4, shift_mode="online", ds="no1", input_size=192, ds_first_block=11)
    assert trained_only.ds_blocks == ["features.12", "features.15"]


def test_ds_adds_about_one_per_mille_of_parameters_to_resnet50():
    plain = TSN(101, base_model="resnet50", shift_mode="online")
    ds = TSN(101, base_model="resnet50", shift_mode="online", ds="no1", input_size=224)
    extra = sum(p.numel() for p in ds.parameters()) - sum(p.numel() for p in plain.parameters())
    # 7 blocks: a depthwise k x k kernel and two C x C/16 matrices each
    expected = sum(c * k * k + 2 * c * (c // 16) for c, k in
                   [(256, 56), (512, 28), (512, 28), (1024, 14), (1024, 14), (1024, 14), (2048, 7)])
    assert extra == expected


@pytest.mark.parametrize("variant", ["no1", "no2", "no3", "no4"])
def test_each_gate_is_applied_as_named(variant):
    torch.manual_seed(0)
    ds = DSAttention(32, 5, variant)
    x = torch.randn(2, 32, 5, 5)
    s = ds.fc2(torch.relu(ds.fc1(x.mean(dim=(2, 3)))))[:, :, None, None]  # pooling starts as the mean
    expected = {"no1": x * torch.sigmoid(s), "no2": x + torch.sigmoid(s), "no3": x + s,
                "no4": x * torch.nn.functional.relu6(s)}[variant]
    assert torch.allclose(ds(x), expected, atol=1e-6)
    assert ds.fc1.bias is None and ds.fc2.bias is None and ds.fc1.out_features == 2
    assert ds.pool.groups == 32 and ds.pool.kernel_size == (5, 5)


def test_group_norm_is_optional_and_off_by_default():
    assert isinstance(DSAttention(32, 4, "no1").norm, torch.nn.Identity)
    assert isinstance(DSAttention(32, 4, "no1", group_norm=True).norm, torch.nn.GroupNorm)


def test_another_input_size_is_refused_with_one_line():
    model = TSN(4, n_segment=2, shift_mode="online", ds="no1", input_size=96).eval()
    with torch.no_grad():
        model(torch.randn(2, 3, 96, 96))
        refused = r"built for 24 x 24 feature maps \(96 px input\), not 28 x 28"
        with pytest.raises(ModelInputError, match=refused):
            model(torch.randn(2, 3, 112, 112))


def test_checkpoint_records_ds_and_refuses_a_mismatch(tmp_path):
    torch.manual_seed(0)
    model = TSN(3, n_segment=4, shift_mode="online", ds="no3", ds_group_norm=True, input_size=128)
    meta = CheckpointMeta("mobilenetv2", 3, ["a", "b", "c"], dict.fromkeys("abc"), n_segment=4,
                          input_size=128, scale_size=146, ds="no3", ds_group_norm=True)
    path = tmp_path / "ds.pth"
    save_checkpoint(path, model, meta)
    loaded, loaded_meta = load_checkpoint(path)
    assert (loaded_meta.ds, loaded_meta.ds_group_norm, loaded_meta.input_size) == ("no3", True, 128)
    x = torch.randn(4, 3, 128, 128)
    with torch.no_grad():
        assert torch.equal(loaded(x), model.eval()(x))
    with pytest.raises(ValueError, match="does not describe"):
        save_checkpoint(tmp_path / "bad.pth", model, CheckpointMeta(
            "mobilenetv2", 3, ["a", "b", "c"], dict.fromkeys("abc"), n_segment=4, input_size=128,
            scale_size=146))


def test_imagenet_start_fills_everything_but_the_attention():
    model = TSN(10, shift_mode="online", ds="no1", input_size=192, ds_first_block=11)
    copied = init_from_imagenet(model)
    assert copied == init_from_imagenet(TSN(10, shift_mode="online"))


def test_onnx_online_step_with_ds_matches_pytorch():
    torch.manual_seed(0)
    model = TSN(4, n_segment=8, shift_mode="online", ds="no1", input_size=96).eval()
    torch.nn.init.normal_(model.new_fc.weight, 0, 0.5)
    meta = CheckpointMeta("mobilenetv2", 4, list("abcd"), dict.fromkeys("abcd"), input_size=96,
                          scale_size=110, ds="no1")
    torch_runner = OnlineTSM(model)
    onnx_runner = OnnxOnlineTSM(online_onnx_bytes(model, meta), threads=1)
    assert onnx_runner.meta().ds == "no1"
    worst = 0.0
    for _ in range(6):
        frame = torch.randn(1, 3, 96, 96)
        difference = torch_runner.step(frame).numpy() - onnx_runner.step(frame.numpy())
        worst = max(worst, float(np.abs(difference).max()))
    assert worst < 1e-4


def _train_args(tmp_path, *extra: str) -> argparse.Namespace:
    from models.commands import train

    parser = argparse.ArgumentParser()
    train.add_parser(parser.add_subparsers())
    return parser.parse_args([
        "train", "--format", "statefarm", "--train", str(STILLS / "driver_imgs_list.csv"),
        "--init", "imagenet",
        "--val-drivers", "p052", "--resize", "frame", "--input-size", "64", "--freeze-blocks", "11",
        "--cached-views", "1", "--no-partial-bn", "--epochs", "1", "--batch-size", "4", "--workers", "0",
        "--trunk-cache", str(tmp_path / "trunk"), "--out", str(tmp_path / "run"), *extra])


def test_ds_and_focal_runs_share_the_trunk_cache_and_record_ds(tmp_path, capsys):
    from models.commands.training_setup import build_training
    from models.train import TrainConfig, fit

    first = build_training(_train_args(tmp_path, "--ds", "no3", "--loss", "focal"))
    assert "trunk cache" not in capsys.readouterr().out
    assert (tmp_path / "trunk" / "train.pt").is_file() and (tmp_path / "trunk" / "validation.pt").is_file()
    assert first.model.ds_blocks == ["features.12", "features.15"] and first.config.loss == "focal"
    second = build_training(_train_args(tmp_path, "--ds", "no1"))
    assert "trunk cache: train views from" in capsys.readouterr().out
    assert torch.equal(second.train_set.outputs, first.train_set.outputs)
    # another augmentation is another cache: computed, not read
    build_training(_train_args(tmp_path, "--colour-jitter", "0.1"))
    assert "trunk cache: train" not in capsys.readouterr().out
    config = TrainConfig(**{**vars(first.config), "epochs": 1})
    fit(first.model, first.meta, first.train_set, first.val_set, config, tmp_path / "run", progress=False)
    model, meta = load_checkpoint(tmp_path / "run" / "last.pth")
    assert (meta.ds, meta.ds_first_block, meta.input_size) == ("no3", 11, 64)
    assert model.ds_blocks == ["features.12", "features.15"]
