"""The classifier stage and the `classify` command on real clips (issue 3, point 7)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from torch import nn

import main
from dms.classifier import ClassifierStage
from dms.errors import InputError
from dms.types import Frame
from models import CheckpointMeta, OnlineTSM, load_checkpoint, save_checkpoint
from models.preprocess import Preprocess
from models.tsm import TSN

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CLIP = SHARED / "video" / "day_eating.mp4"
CLASSES = ["safe", "texting", "call", "drink", "radio"]
MAPPING = {"safe": None, "texting": "phone", "call": "phone", "drink": "drinking", "radio": "console"}


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def real_frames(count: int, step: int = 3) -> list[Frame]:
    capture = cv2.VideoCapture(str(CLIP))
    fps = capture.get(cv2.CAP_PROP_FPS)
    frames, index = [], 0
    while len(frames) < count:
        ok, image = capture.read()
        assert ok, f"could not read {CLIP}"
        if index % step == 0:
            frames.append(Frame(index, index / fps, image))
        index += 1
    capture.release()
    return frames


def make_checkpoint(path: Path, shift_mode: str = "online") -> Path:
    """A causal TSM with BatchNorm statistics from the real clip and logits of a useful size."""
    torch.manual_seed(5)
    model = TSN(len(CLASSES), n_segment=8, shift_mode=shift_mode)
    meta = CheckpointMeta(
        arch="mobilenetv2",
        num_class=len(CLASSES),
        classes=CLASSES,
        class_to_behaviour=MAPPING,
        shift_mode=shift_mode,
        frame_rate=10.0,
    )
    prep = Preprocess.from_meta(meta)
    clip = torch.cat([prep(f.image) for f in real_frames(8)])
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = None
    with torch.no_grad():
        model.train()(clip)
    nn.init.normal_(model.new_fc.weight, 0, 0.3)
    save_checkpoint(path, model.eval(), meta)
    return path


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    torch.set_num_threads(1)
    return make_checkpoint(tmp_path_factory.mktemp("ckpt") / "online.pth")


def test_preprocess_resizes_crops_and_normalises_as_the_metadata_says():
    image = np.zeros((480, 640, 3), np.uint8)
    image[:, :, 0] = 255  # pure blue in BGR
    image[:, 320:] = 255  # right half white
    rgb = Preprocess(224, 256, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), "RGB").array(image)
    assert rgb.shape == (1, 3, 224, 224) and rgb.dtype == np.float32
    # 640x480 -> 341x256 -> centre 224 crop: the white half starts at column 112
    assert rgb[0, 0, 100, 100] == pytest.approx((0 - 0.485) / 0.229, abs=1e-5)  # red channel of blue
    assert rgb[0, 2, 100, 100] == pytest.approx((1 - 0.406) / 0.225, abs=1e-5)  # blue channel of blue
    assert rgb[0, 0, 100, 120] == pytest.approx((1 - 0.485) / 0.229, abs=1e-5)  # white
    bgr = Preprocess(224, 256, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), "BGR").array(image)
    assert bgr[0, 0, 100, 100] == pytest.approx(1.0) and bgr[0, 2, 100, 100] == pytest.approx(0.0)


def test_stage_gives_smoothed_softmax_of_the_online_network(checkpoint):
    stage = ClassifierStage(checkpoint, smooth_frames=3)
    model, meta = load_checkpoint(checkpoint)
    reference, prep = OnlineTSM(model), Preprocess.from_meta(meta)
    softmaxes = []
    for frame in real_frames(6):
        probs = stage(frame)
        softmaxes.append(torch.softmax(reference.step(prep(frame.image))[0].double(), 0).numpy())
        expected = np.mean(softmaxes[-3:], axis=0)
        assert probs.classes == tuple(CLASSES)
        assert np.allclose(probs.probs, expected, atol=1e-6)
        assert probs.probs.sum() == pytest.approx(1.0)
        assert probs.behaviours["phone"] == pytest.approx(expected[1] + expected[2])
        assert probs.behaviours["drinking"] == pytest.approx(expected[3])
        assert set(probs.behaviours) == {"phone", "drinking", "console"}
    assert np.ptp(np.array(softmaxes)[:, 1]) > 1e-3  # the answer moves with the video


def test_onnx_backend_gives_the_same_probabilities(checkpoint):
    torch_stage = ClassifierStage(checkpoint, backend="torch")
    onnx_stage = ClassifierStage(checkpoint, backend="onnx")
    for frame in real_frames(5):
        assert np.allclose(torch_stage(frame).probs, onnx_stage(frame).probs, atol=1e-5)
    assert onnx_stage.describe()["backend"] == "onnx"


def test_exported_onnx_file_runs_as_the_checkpoint_does(checkpoint, tmp_path):
    out = tmp_path / "model.onnx"
    assert main.main(["export", str(checkpoint), "--out", str(out)]) == 0
    from_onnx, from_pth = ClassifierStage(out), ClassifierStage(checkpoint)
    assert from_onnx.describe()["backend"] == "onnx" and from_onnx.classes == tuple(CLASSES)
    for frame in real_frames(3):
        assert np.allclose(from_onnx(frame).probs, from_pth(frame).probs, atol=1e-5)


def test_describe_for_the_session_record(checkpoint):
    info = ClassifierStage(checkpoint).describe()
    assert info["checkpoint"] == str(checkpoint) and info["classes"] == CLASSES
    assert (info["arch"], info["shift_mode"], info["backend"], info["frame_rate"]) == (
        "mobilenetv2",
        "online",
        "torch",
        10.0,
    )
    json.dumps(info)


def test_seek_back_resets_the_temporal_context(checkpoint):
    frames = real_frames(4)
    stage, fresh = ClassifierStage(checkpoint), ClassifierStage(checkpoint)
    for frame in frames:
        stage(frame)
    assert np.allclose(stage(frames[0]).probs, fresh(frames[0]).probs)


def test_stage_warns_when_fed_at_another_rate_than_the_checkpoint_was_trained_at(checkpoint):
    frames = real_frames(12, step=1)  # 30 frames/s, the checkpoint says 10
    stage = ClassifierStage(checkpoint)
    with pytest.warns(UserWarning, match="trained at 10 frames/s but fed 30.0 frames/s"):
        for frame in frames:
            stage(frame)
    assert stage.analysed_fps() == pytest.approx(30.0, rel=0.01)


def test_offline_weights_are_refused_unless_explicitly_allowed(tmp_path):
    path = make_checkpoint(tmp_path / "offline.pth", shift_mode="bidirectional")
    with pytest.raises(InputError, match="offline.pth: bi-directional"):
        ClassifierStage(path)
    with pytest.warns(UserWarning, match="online accuracy is unknown"):
        stage = ClassifierStage(path, allow_offline=True)
    assert stage.describe()["offline_weights_run_causally"] is True
    assert stage(real_frames(1)[0]).probs.shape == (5,)


def test_classify_command_prints_per_frame_probabilities(checkpoint, capsys):
    code = main.main(
        [
            "classify",
            str(CLIP),
            "--checkpoint",
            str(checkpoint),
            "--json",
            "--analysis-fps",
            "2",
            "--no-progress",
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    frames = report["frames"]
    assert 25 <= len(frames) <= 32  # 14.9 s at 2 frames per second
    assert all(abs(sum(f["probs"].values()) - 1) < 1e-3 for f in frames)
    assert frames[-1]["t"] > 14.0 and report["classifier"]["classes"] == CLASSES
    assert set(frames[0]["behaviours"]) == {"phone", "drinking", "console"}


def test_classify_with_a_bad_checkpoint_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    assert main.main(["classify", str(CLIP), "--checkpoint", str(bad), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.pth" in err
