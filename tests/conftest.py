"""Shared test settings: the real test data lives beside the repo in ../shared/data."""

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
VIDEO = SHARED / "video"
LABELS = SHARED / "labels"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("GLOG_minloglevel", "2")


@pytest.fixture
def torch_one_thread():
    """One intra-op thread: on a shared 2-core machine, two spinning threads are many times slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# The day-light clip, real frames of it, and a small online TSM checkpoint whose BatchNorm
# statistics come from those frames (random head): what the classifier, ONNX and GUI tests share.
DAY_CLIP = VIDEO / "day_eating.mp4"
CLASSES = ["safe", "texting", "call", "drink", "radio"]
MAPPING = {"safe": None, "texting": "phone", "call": "phone", "drink": "drinking", "radio": "console"}


def real_frames(count: int, step: int = 3):
    """The first `count` of every `step`-th frame of the day clip, as dms.core.types.Frame (BGR)."""
    import cv2

    from dms.core.types import Frame

    capture = cv2.VideoCapture(str(DAY_CLIP))
    fps = capture.get(cv2.CAP_PROP_FPS)
    frames, index = [], 0
    while len(frames) < count:
        ok, image = capture.read()
        assert ok, f"could not read {DAY_CLIP}"
        if index % step == 0:
            frames.append(Frame(index, index / fps, image))
        index += 1
    capture.release()
    return frames


def make_checkpoint(path: Path, shift_mode: str = "online", head_std: float = 0.3) -> Path:
    """A MobileNetV2 TSM (CLASSES, MAPPING) with BatchNorm statistics from the real clip, so its
    logits are of a useful size; the head is random (normal, `head_std`)."""
    import torch
    from torch import nn

    from models import CheckpointMeta, save_checkpoint
    from models.preprocess import Preprocess
    from models.tsm import TSN

    torch.manual_seed(5)
    model = TSN(len(CLASSES), n_segment=8, shift_mode=shift_mode)
    meta = CheckpointMeta(
        arch="mobilenetv2", num_class=len(CLASSES), classes=CLASSES, class_to_behaviour=MAPPING,
        shift_mode=shift_mode, frame_rate=10.0,
    )
    prep = Preprocess.from_meta(meta)
    clip = torch.cat([prep(f.image) for f in real_frames(8)])
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = None
    with torch.no_grad():
        model.train()(clip)
    nn.init.normal_(model.new_fc.weight, 0, head_std)
    save_checkpoint(path, model.eval(), meta)
    return path


@pytest.fixture(scope="session")
def online_checkpoint(tmp_path_factory) -> Path:
    """make_checkpoint's causal TSM, made once per test session."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return make_checkpoint(tmp_path_factory.mktemp("ckpt") / "online.pth")
    finally:
        torch.set_num_threads(before)
