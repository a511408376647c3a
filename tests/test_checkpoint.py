"""Checkpoint formats (project, official TSM offline, official online demo) and hostile files.

The official files are built here from our own models under the official key names (nothing can be
downloaded); each test checks the loaded network computes what the source network computes.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict

import pytest
import torch
import torchvision
from torch import nn

from models import CheckpointMeta, OnlineTSM, load_checkpoint, save_checkpoint
from models.errors import ModelInputError
from models.tsm import TSN

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def trained_like(model: TSN) -> TSN:
    """Random but non-trivial weights everywhere, including BatchNorm statistics."""
    torch.manual_seed(3)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("running_var"):
                tensor.uniform_(0.5, 1.5)
            elif name.endswith("running_mean"):
                tensor.uniform_(-0.1, 0.1)
        nn.init.normal_(model.new_fc.weight, 0, 0.05)
    return model.eval()


def meta_for(model: TSN, **overrides) -> CheckpointMeta:
    classes = [f"c{i}" for i in range(model.num_class)]
    mapping = dict.fromkeys(classes)
    mapping["c1"] = "phone"
    fields = dict(
        arch=model.arch,
        num_class=model.num_class,
        classes=classes,
        class_to_behaviour=mapping,
        n_segment=model.n_segment,
        shift_div=model.shift_div,
        shift_place=model.shift_place,
        shift_mode=model.shift_mode,
        frame_rate=10.0,
        training={"epochs": 3, "dataset": "statefarm"},
    )
    fields.update(overrides)
    return CheckpointMeta(**fields)


# torchvision nests MobileNetV2's conv+BN pairs; the official code keeps each block flat.
EXPANDED_TO_FLAT = {"0.0": "0", "0.1": "1", "1.0": "3", "1.1": "4", "2": "6", "3": "7"}
DEPTHWISE_FIRST_TO_FLAT = {"0.0": "0", "0.1": "1", "1": "3", "2": "4"}


def official_name(key: str, keep_net: bool = True) -> str:
    m = re.match(r"(.*features\.(\d+)\.conv\.)(\d)(\.net)?((?:\.\d)?)\.(\w+)$", key)
    if not m:
        return key
    prefix, block, outer, net, inner, name = m.groups()
    table = DEPTHWISE_FIRST_TO_FLAT if block == "1" else EXPANDED_TO_FLAT
    flat = table[outer + inner]
    return f"{prefix}{flat}{net if (net and keep_net) else ''}.{name}"


def official_offline_file(model: TSN, path) -> dict:
    state = {"module." + official_name(k): v for k, v in model.state_dict().items()}
    torch.save({"epoch": 50, "arch": model.arch, "state_dict": state, "best_prec1": 74.1}, path)
    return state


def online_demo_file(model: TSN, path) -> dict:
    state = {}
    for key, value in model.state_dict().items():
        key = official_name(key, keep_net=False).removeprefix("base_model.")
        state[key.replace("new_fc.", "classifier.")] = value
    torch.save(state, path)
    return state


def test_project_checkpoint_round_trip(tmp_path):
    model = trained_like(TSN(4, n_segment=8, shift_mode="online"))
    meta = meta_for(model)
    path = tmp_path / "run" / "best.pth"
    save_checkpoint(path, model, meta)
    assert [p.name for p in path.parent.iterdir()] == ["best.pth"]
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == "dms-tsm" and raw["meta"]["class_to_behaviour"]["c1"] == "phone"
    loaded, loaded_meta = load_checkpoint(path)
    assert asdict(loaded_meta) == asdict(meta)
    assert not loaded.training
    clip = torch.randn(8, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(loaded(clip), model(clip))


def test_save_refuses_metadata_that_does_not_describe_the_model(tmp_path):
    model = TSN(4, n_segment=8, shift_mode="online")
    with pytest.raises(ValueError, match="does not describe"):
        save_checkpoint(tmp_path / "x.pth", model, meta_for(model, shift_mode="bidirectional"))
    with pytest.raises(ValueError, match="class_to_behaviour"):
        save_checkpoint(tmp_path / "x.pth", model, meta_for(model, class_to_behaviour={}))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("arch", "name", "keys"),
    [
        (
            "resnet50",
            "TSM_kinetics_RGB_resnet50_shift8_blockres_avg_segment8_e50.pth",
            ["module.base_model.layer1.0.conv1.net.weight", "module.base_model.layer4.2.conv3.weight"],
        ),
        (
            "mobilenetv2",
            "TSM_somethingv2_RGB_mobilenetv2_shift8_blockres_avg_segment8_e45.pth",
            [
                "module.base_model.features.3.conv.0.net.weight",
                "module.base_model.features.3.conv.7.running_var",
                "module.base_model.features.1.conv.3.weight",
            ],
        ),
    ],
)
def test_official_offline_checkpoint_loads_as_bidirectional(tmp_path, arch, name, keys):
    source = trained_like(TSN(12, n_segment=8, base_model=arch, shift_mode="bidirectional"))
    state = official_offline_file(source, tmp_path / name)
    assert all(k in state for k in keys) and "module.new_fc.weight" in state
    model, meta = load_checkpoint(tmp_path / name)
    assert (meta.arch, meta.num_class, meta.shift_mode, meta.n_segment) == (arch, 12, "bidirectional", 8)
    assert meta.source == "tsm-official" and set(meta.class_to_behaviour.values()) == {None}
    clip = torch.randn(8, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(model(clip), source(clip), atol=1e-6)


def test_official_checkpoint_without_batchnorm_counters_and_with_segment_16(tmp_path):
    source = trained_like(TSN(5, n_segment=16, base_model="resnet18", shift_mode="bidirectional"))
    path = tmp_path / "TSM_x_RGB_resnet18_shift4_blockres_avg_segment16_e25.pth"
    state = {k: v for k, v in source.state_dict().items() if not k.endswith("num_batches_tracked")}
    torch.save({"state_dict": {"module." + k: v for k, v in state.items()}}, path)
    _, meta = load_checkpoint(path)
    assert (meta.arch, meta.n_segment, meta.shift_div) == ("resnet18", 16, 4)


def test_online_demo_state_dict_runs_online(tmp_path):
    source = trained_like(TSN(27, base_model="mobilenetv2", shift_mode="online", dropout=0.0))
    state = online_demo_file(source, tmp_path / "mobilenetv2_jester_online.pth.tar")
    # The demo's layout: flat blocks, no wrappers, a bare classifier over 1280 features.
    assert "features.3.conv.0.weight" in state and "features.1.conv.3.weight" in state
    assert state["classifier.weight"].shape == (27, 1280)
    plain = torchvision.models.mobilenet_v2(num_classes=27)
    assert sum(v.numel() for v in state.values()) == sum(v.numel() for v in plain.state_dict().values())
    # The demo caches c // 8 channels at the input of ten residual blocks.
    shifted = sorted(
        int(m.group(1)) for k in state if (m := re.match(r"features\.(\d+)\.conv\.0\.weight", k))
    )
    widths = [
        state[f"features.{i}.conv.0.weight"].shape[1] // 8
        for i in shifted
        if i in (3, 5, 6, 8, 9, 10, 12, 13, 15, 16)
    ]
    assert widths == [3, 4, 4, 8, 8, 8, 12, 12, 20, 20]

    model, meta = load_checkpoint(tmp_path / "mobilenetv2_jester_online.pth.tar")
    assert meta.shift_mode == "online" and meta.source == "tsm-online-demo"
    assert meta.classes[0] == "Doing other things" and len(meta.classes) == 27
    assert meta.channel_order == "BGR"
    frames = torch.randn(5, 3, 64, 64)
    ours, theirs = OnlineTSM(model), OnlineTSM(source)
    assert [b.shape[1] for b in (ours.step(frames[:1]), *ours.buffers)][1:] == [
        3,
        4,
        4,
        8,
        8,
        8,
        12,
        12,
        20,
        20,
    ]
    ours.reset()
    for i in range(5):
        assert torch.allclose(ours.step(frames[i : i + 1]), theirs.step(frames[i : i + 1]), atol=1e-6)


class Payload:
    """Pickles into a call of os.system: loading it with plain pickle would run a command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def hostile_files(tmp_path) -> dict[str, object]:
    good = TSN(3, shift_mode="online")
    save_checkpoint(tmp_path / "good.pth", good, meta_for(good))
    marker = tmp_path / "pwned"
    torch.save({"state_dict": Payload(marker)}, tmp_path / "evil.pth")
    data = (tmp_path / "good.pth").read_bytes()
    (tmp_path / "truncated.pth").write_bytes(data[: len(data) // 2])
    (tmp_path / "random.pth").write_bytes(os.urandom(4096))
    (tmp_path / "text.pth").write_text("epoch,loss\n1,0.5\n")
    raw = torch.load(tmp_path / "good.pth", weights_only=True)
    raw["state_dict"]["new_fc.weight"] = torch.zeros(5, 1280)
    torch.save(raw, tmp_path / "wrong_shape.pth")
    raw["state_dict"].pop("new_fc.weight")
    torch.save(raw, tmp_path / "missing.pth")
    raw = torch.load(tmp_path / "good.pth", weights_only=True)
    raw["meta"]["channel_order"] = "YUV"
    torch.save(raw, tmp_path / "bad_meta.pth")
    torch.save({"weights": [1, 2, 3]}, tmp_path / "unknown.pth")
    torch.save(
        {"state_dict": {"module.base_model.layer1.0.conv1.net.weight": torch.zeros(3)}}, tmp_path / "half.pth"
    )
    return {"marker": marker}


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("evil.pth", "refused: it stores Python objects of types posix.system"),
        ("truncated.pth", "truncated"),
        ("random.pth", "corrupt"),
        ("text.pth", "not a loadable"),
        ("wrong_shape.pth", "has shape (5, 1280), the model needs (3, 1280)"),
        ("missing.pth", "missing, e.g. 'new_fc.weight'"),
        ("bad_meta.pth", "channel_order"),
        ("unknown.pth", "unrecognised checkpoint layout"),
        ("half.pth", "classifier"),
        ("absent.pth", "not found"),
    ],
)
def test_bad_files_give_one_clear_error(tmp_path, name, problem):
    made = hostile_files(tmp_path)
    with pytest.raises(ModelInputError) as info:
        load_checkpoint(tmp_path / name)
    message = str(info.value)
    assert name in message and problem in message
    assert "\n" not in message
    assert not made["marker"].exists()


# --- plain numpy data allowed, refused types named, guessed segment counts ---------------


def test_numpy_scalars_and_dtypes_saved_by_training_scripts_load_safely(tmp_path):
    import numpy as np

    source = trained_like(TSN(3, n_segment=8, base_model="resnet18", shift_mode="bidirectional"))
    path = tmp_path / "TSM_x_RGB_resnet18_shift8_blockres_avg_segment8_e25.pth"
    state = {"module." + official_name(k): v for k, v in source.state_dict().items()}
    torch.save({"epoch": np.int64(25), "best_prec1": np.float64(74.1), "dtype": np.dtype("float32"),
                "lr_steps": np.array([10, 20]), "state_dict": state}, path)
    model, meta = load_checkpoint(path)
    assert (meta.arch, meta.n_segment, meta.guessed) == ("resnet18", 8, [])
    clip = torch.randn(8, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(model(clip), source(clip), atol=1e-5)


class TrainingArgs:
    """A training script's own class (argparse-like), as some scripts save beside the weights."""


def test_a_refused_type_is_named_in_plain_text(tmp_path):
    path = tmp_path / "with_args.pth"
    torch.save({"state_dict": {"w": torch.zeros(2)}, "args": TrainingArgs()}, path)
    with pytest.raises(ModelInputError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert f"{__name__}.TrainingArgs" in message and "refused" in message
    assert "\x1b" not in message and "weights_only" not in message and "\n" not in message
    assert "trust" not in message  # no advice to switch the safe loader off


def test_a_guessed_segment_count_says_so_and_can_be_set(tmp_path, capsys):
    from dms.classifier.stage import ClassifierStage
    from main import build_parser

    source = trained_like(TSN(3, n_segment=4, base_model="resnet18", shift_mode="bidirectional"))
    path = tmp_path / "renamed_by_the_user.pth"
    official_offline_file(source, path)
    _, meta = load_checkpoint(path)
    assert meta.n_segment == 8 and "n_segment" in meta.guessed
    from models.checkpoints import guess_note

    assert "segment count 8 guessed" in guess_note(meta) and "--segments" in guess_note(meta)
    model, meta = load_checkpoint(path, n_segment=4)
    assert (meta.n_segment, "n_segment" in meta.guessed, model.n_segment) == (4, False, 4)
    clip = torch.randn(4, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(model(clip), source(clip), atol=1e-5)
    with pytest.warns(UserWarning, match="bi-directional"):
        stage = ClassifierStage(path, allow_offline=True, n_segment=4)
    assert stage.describe()["n_segment"] == 4 and stage.describe()["guessed"] == ["shift_div"]
    parser = build_parser()
    assert parser.parse_args(["classify", "v.mp4", "--checkpoint", "c.pth", "--segments", "4"]).segments == 4
    evaluate = ["eval", "--checkpoint", "c.pth", "--format", "statefarm", "--list", "l.csv", "--out", "o",
                "--segments", "16"]
    assert parser.parse_args(evaluate).segments == 16
