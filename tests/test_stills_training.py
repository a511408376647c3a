"""Training the online TSM on stills: ImageNet start, the steady state, whole-frame input, frozen trunk."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
import torch
from conftest import SHARED

from models.augment import ClipTransform, crop_to_aspect
from models.commands.training_setup import split_by_drivers
from models.datasets.clip import Clip
from models.datasets.clip_dataset import ClipDataset
from models.errors import ModelInputError
from models.online import OnlineTSM
from models.preprocess import Preprocess
from models.pretrained import imagenet_mobilenetv2_features, init_from_imagenet
from models.trunk import TrunkCache
from models.tsm import TSN

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def test_imagenet_weights_fill_every_feature_tensor_of_the_online_tsm():
    source = imagenet_mobilenetv2_features()
    model = TSN(10, shift_mode="online")
    copied = init_from_imagenet(model)
    assert copied == len(source) == 312
    state = model.state_dict()
    # a shifted block's expansion conv sits behind `.net`; same tensor, other name
    assert torch.equal(state["base_model.features.3.conv.0.net.0.weight"], source["features.3.conv.0.weight"])
    assert torch.equal(state["base_model.features.18.1.running_var"], source["features.18.1.running_var"])


def test_imagenet_weights_refuse_another_backbone():
    with pytest.raises(ModelInputError, match="mobilenetv2 only"):
        init_from_imagenet(TSN(10, base_model="resnet18", shift_mode="online"))


def test_steady_state_is_what_the_online_model_outputs_on_a_still_scene():
    torch.manual_seed(0)
    model = TSN(5, shift_mode="online").eval()
    torch.nn.init.normal_(model.new_fc.weight)  # logits of order 1, so differences show
    frame = torch.randn(1, 3, 64, 64)
    online = OnlineTSM(model)
    outputs = [online.step(frame) for _ in range(len(model.shift_modules()) + 2)]
    model.set_steady(True)
    with torch.no_grad():
        steady = model(frame)
    scale = float(steady.abs().max())
    # frame k has the steady value at the k-th shifted block; after all of them, exactly
    assert float((outputs[-1] - steady).abs().max()) <= 1e-5 * scale
    assert float((outputs[-2] - steady).abs().max()) <= 1e-5 * scale
    assert float((outputs[0] - steady).abs().max()) > 1e-2 * scale  # the first frame sees zero buffers


def test_steady_state_is_only_for_the_causal_shift():
    with pytest.raises(ValueError, match="causal"):
        TSN(5, shift_mode="bidirectional").set_steady(True)


def test_a_pillarboxed_frame_gives_back_its_four_by_three_picture():
    frame = np.zeros((108, 192, 3), np.uint8)
    frame[:, 24:168] = 200  # a 144 x 108 (4:3) picture between black bars
    picture = crop_to_aspect(frame, 4 / 3)
    assert picture.shape[:2] == (108, 144) and picture.min() == 200
    tall = crop_to_aspect(np.zeros((200, 100, 3), np.uint8), 4 / 3)
    assert tall.shape[:2] == (75, 100)


def test_whole_frame_preprocessing_matches_the_test_transform():
    rng = np.random.default_rng(0)
    bgr = rng.integers(0, 255, (120, 200, 3), dtype=np.uint8)
    pre = Preprocess(input_size=64, scale_size=73, resize="frame", aspect=4 / 3)
    tf = ClipTransform(64, False, resize="frame", aspect=4 / 3)
    tensor, _ = tf([bgr[:, :, ::-1].copy()], 0, rng)
    assert np.allclose(pre.array(bgr)[0], tensor[0].numpy(), atol=1e-5)


def test_validation_drivers_are_split_off_by_name():
    clips = [Clip(SHARED / f"x{i}.jpg", "image", 0, 1, i % 3, f"p{i % 4}") for i in range(12)]
    train, val = split_by_drivers(clips, "p1, p3", "list.csv")
    assert {c.group for c in val} == {"p1", "p3"} and {c.group for c in train} == {"p0", "p2"}
    with pytest.raises(ModelInputError, match="p9"):
        split_by_drivers(clips, "p1,p9", "list.csv")


def test_frozen_trunk_cache_feeds_the_upper_blocks_what_the_whole_network_computes():
    images = sorted((SHARED / "images" / "statefarm" / "c0").glob("*.jpg"))
    clips = [Clip(path, "image", 0, 1, 0, "p") for path in images]
    model = TSN(10, shift_mode="online")
    model.set_steady(True)
    model.freeze_trunk(11)
    dataset = ClipDataset(clips, 1, ClipTransform(96, False, resize="frame", aspect=4 / 3))
    cache = TrunkCache(model, dataset, views=1, progress=False)
    model.eval()
    with torch.no_grad():
        from_cache = model(torch.stack([cache[i][0] for i in range(len(cache))]).flatten(0, 1))
        whole = model(torch.stack([dataset[i][0] for i in range(len(dataset))]).flatten(0, 1))
    assert torch.allclose(from_cache, whole, atol=2e-2)  # float16 storage of the trunk output
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    model.train()
    assert not any(n.startswith("base_model.features.10.") for n in trainable)
    assert any(n.startswith("base_model.features.11.") for n in trainable)
    assert not model.base_model.features[3].conv[1][1].training  # frozen BatchNorm keeps its statistics


def test_train_command_takes_the_new_options():
    from models.commands import train

    parser = argparse.ArgumentParser()
    train.add_parser(parser.add_subparsers())
    args = parser.parse_args(["train", "--format", "statefarm", "--train", "x.csv", "--out", "o",
                              "--init", "imagenet", "--view", "side", "--resize", "frame",
                              "--freeze-blocks", "11", "--val-drivers", "p1,p2"])
    assert (str(args.init), args.view, args.resize, args.freeze_blocks) == ("imagenet", "side", "frame", 11)
