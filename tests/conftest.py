"""Shared test settings: the real test data lives beside the repo in ../shared/data."""

import os
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
VIDEO = SHARED / "video"
LABELS = SHARED / "labels"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("GLOG_minloglevel", "2")
