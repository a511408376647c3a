"""On the side montages (each 1 s cut one still photo) every event's thumbnail is a frame inside its
own event: its recorded media time lies inside the event's span, and the picture is the frame at
that time, of the same cut (not the next cut, as when thumbnails were taken on confirmation)."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

import main
from dms.recorder.event_media import _scaled
from dms.sources.readers import open_source

VIDEO = Path(__file__).resolve().parents[2] / "shared" / "data" / "video"
PROFILE = Path(__file__).resolve().parents[1] / "data" / "profile_side.json"


def difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.mark.slow
@pytest.mark.parametrize("clip", ["side_montage_a.mp4", "side_montage_b.mp4"])
def test_every_thumbnail_is_a_frame_inside_its_own_event(tmp_path, clip, capsys):
    out = tmp_path / "out"
    argv = ["replay", str(VIDEO / clip), "--profile", str(PROFILE), "--db", str(tmp_path / "log.db"),
            "--out", str(out), "--no-progress"]
    assert main.main(argv) == 0
    events = json.loads((out / "events.json").read_text())["events"]
    assert events
    last = capsys.readouterr().out.strip().splitlines()[-1]  # the drive's headline
    if clip == "side_montage_a.mp4":
        assert last.startswith("1 warning: phone use 4.0 s;") and last.endswith("logged without an alert.")
    with open_source(VIDEO / clip) as source:
        frames = [(frame.t, _scaled(frame.image)) for frame in source]
    for event in events:
        shown_at = event["evidence"]["thumbnail_s"]
        assert event["start_s"] - 1e-6 <= shown_at <= event["end_s"] + 1e-6, event
        thumb = cv2.imread(str(out / event["thumbnail"]))
        at = min(frames, key=lambda f: abs(f[0] - shown_at))
        assert at[0] == pytest.approx(shown_at, abs=1e-3)
        assert difference(thumb, at[1]) < 3.0, event  # the frame at that time (JPEG noise only)
        best_t = min(frames, key=lambda f: difference(thumb, f[1]))[0]
        assert int(best_t + 1e-6) == int(shown_at + 1e-6), event  # the same cut
