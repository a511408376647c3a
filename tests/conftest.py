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
