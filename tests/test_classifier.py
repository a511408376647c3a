"""The classifier stage and the `classify` command on real clips."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from conftest import CLASSES, DAY_CLIP, make_checkpoint, real_frames

import main
from dms.classifier.stage import ClassifierStage
from dms.core.errors import InputError
from models import OnlineTSM, load_checkpoint
from models.preprocess import Preprocess

pytestmark = pytest.mark.usefixtures("torch_one_thread")


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


def test_stage_gives_smoothed_softmax_of_the_online_network(online_checkpoint):
    stage = ClassifierStage(online_checkpoint, smooth_frames=3)
    model, meta = load_checkpoint(online_checkpoint)
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


def test_onnx_backend_gives_the_same_probabilities(online_checkpoint):
    torch_stage = ClassifierStage(online_checkpoint, backend="torch")
    onnx_stage = ClassifierStage(online_checkpoint, backend="onnx")
    for frame in real_frames(5):
        assert np.allclose(torch_stage(frame).probs, onnx_stage(frame).probs, atol=1e-5)
    assert onnx_stage.describe()["backend"] == "onnx"


def test_exported_onnx_file_runs_as_the_checkpoint_does(online_checkpoint, tmp_path):
    out = tmp_path / "model.onnx"
    assert main.main(["export", str(online_checkpoint), "--out", str(out)]) == 0
    from_onnx, from_pth = ClassifierStage(out), ClassifierStage(online_checkpoint)
    assert from_onnx.describe()["backend"] == "onnx" and from_onnx.classes == tuple(CLASSES)
    for frame in real_frames(3):
        assert np.allclose(from_onnx(frame).probs, from_pth(frame).probs, atol=1e-5)


def test_describe_for_the_session_record(online_checkpoint):
    info = ClassifierStage(online_checkpoint).describe()
    assert info["checkpoint"] == str(online_checkpoint) and info["classes"] == CLASSES
    assert (info["arch"], info["shift_mode"], info["backend"], info["frame_rate"]) == (
        "mobilenetv2",
        "online",
        "torch",
        10.0,
    )
    json.dumps(info)


def test_seek_back_resets_the_temporal_context(online_checkpoint):
    frames = real_frames(4)
    stage, fresh = ClassifierStage(online_checkpoint), ClassifierStage(online_checkpoint)
    for frame in frames:
        stage(frame)
    assert np.allclose(stage(frames[0]).probs, fresh(frames[0]).probs)


def test_stage_warns_when_fed_at_another_rate_than_the_checkpoint_was_trained_at(online_checkpoint):
    frames = real_frames(12, step=1)  # 30 frames/s, the checkpoint says 10
    stage = ClassifierStage(online_checkpoint)
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


def test_classify_command_prints_per_frame_probabilities(online_checkpoint, capsys):
    code = main.main(
        [
            "classify",
            str(DAY_CLIP),
            "--checkpoint",
            str(online_checkpoint),
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
    assert main.main(["classify", str(DAY_CLIP), "--checkpoint", str(bad), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.pth" in err


def test_the_classify_table_says_what_each_class_stands_for():
    """The table printed c9 and looking_back=0.06; now the class with its behaviour, in words."""
    from dms.commands.classify import _table_row

    behaviour_of = {"c1": "phone", "c9": None}
    row = {"t": 1.2, "top": "c1", "top_prob": 0.91, "behaviours": {"phone": 0.93, "looking_back": 0.02}}
    line = _table_row(row, behaviour_of)
    assert line.lstrip().startswith("1.20s  c1 (phone use) ")
    assert line.endswith("0.91  looking back 0.02, phone use 0.93")
    assert "c9 (no monitored behaviour)" in _table_row({**row, "top": "c9"}, behaviour_of)
