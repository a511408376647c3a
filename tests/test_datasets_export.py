"""export-dataset: reviewed events in a real event log -> rawframes/video lists that the trainer reads."""

from __future__ import annotations

import argparse

import cv2
import numpy as np
import pytest
from conftest import SHARED

from dms.commands import export_dataset
from dms.core.errors import InputError
from dms.core.types import Event
from dms.store import Store
from models.datasets.frames import clip_length, load_frames
from models.datasets.rawframes import read_rawframes_list, read_video_list

FPS = 10


def run_export(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    export_dataset.add_parser(parser.add_subparsers())
    args = parser.parse_args(["export-dataset", *argv])
    return args.func(args)


def _event(event_id, behaviour, start, end):
    return Event(id=event_id, behaviour=behaviour, start_s=start, end_s=end, severity="warning",
                 peak_score=0.9, mean_score=0.8)


@pytest.fixture()
def event_log(tmp_path):
    video = tmp_path / "drive.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (64, 48))
    for i in range(60):  # frame i has brightness 4 * i, so clips can be checked frame by frame
        writer.write(np.full((48, 64, 3), 4 * i, np.uint8))
    writer.release()
    db = tmp_path / "dms.sqlite"
    with Store(db) as store:
        session = store.create_session(str(video), {})
        events = [_event("e1", "phone", 1.0, 2.0), _event("e2", "smoking", 2.5, 3.0),
                  _event("e3", "drinking", 4.0, 4.5), _event("e4", "console", 5.0, 5.5)]
        store.record(session, [], [(e, False) for e in events])
        store.set_review("e1", "confirmed", None, session)
        store.set_review("e2", "rejected", None, session)
        store.set_review("e3", "confirmed", "hand_at_mouth", session)
        camera = store.create_session("camera:0", {})
        store.record(camera, [], [(_event("c1", "phone", 0.0, 1.0), False)])
        store.set_review("c1", "confirmed", None, camera)
    return db, session


def test_reviewed_events_become_a_rawframes_list(event_log, tmp_path, capsys):
    db, session = event_log
    out = tmp_path / "export"
    assert run_export(["--db", str(db), "--out", str(out), "--pad", "0.5"]) == 0
    printed = capsys.readouterr().out
    assert "exported 3 clips" in printed and "skipped 1 events" in printed
    clips = read_rawframes_list(out / "train.txt")
    names = ["none", "phone", "smoking", "drinking", "looking_back", "console", "hands_off_wheel",
             "eyes_off_road", "eyes_closed", "yawning", "hand_at_mouth"]
    assert [(c.source.name, names[c.label]) for c in clips] == [
        ("e1", "phone"), ("e2", "none"), ("e3", "hand_at_mouth")]
    assert clips[0].source.parent.name == session
    # e1 spans 1.0-2.0 s, padded by 0.5 s: frames 5..25 at 10 fps.
    assert clips[0].num_frames == 21
    first, last = (int(f.mean()) for f in load_frames(clips[0], [0, 20]))
    assert abs(first - 20) <= 3 and abs(last - 100) <= 3


def test_video_format_and_confirmed_only(event_log, tmp_path):
    db, _ = event_log
    out = tmp_path / "export"
    assert run_export(["--db", str(db), "--out", str(out), "--format", "video", "--include", "confirmed",
                       "--pad", "0"]) == 0
    clips = read_video_list(out / "train.txt")
    assert [c.label for c in clips] == [1, 10]
    assert clip_length(clips[0]) == 11  # frames 10..20


def test_bad_input_leaves_nothing_behind(event_log, tmp_path):
    db, session = event_log
    with Store(db) as store:
        store.record(session, [], [(_event("late", "phone", 30.0, 31.0), False)])
        store.set_review("late", "confirmed", None, session)
    out = tmp_path / "export"
    with pytest.raises(InputError, match="drive.avi: no frames between 30.00 s and 31.00 s"):
        run_export(["--db", str(db), "--out", str(out)])
    assert not out.exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".export")] == []
    with Store(db) as store:
        store.set_review("late", "confirmed", "juggling", session)
    with pytest.raises(InputError, match="event late: label 'juggling' is not one of none, phone"):
        run_export(["--db", str(db), "--out", str(out)])
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(InputError, match="export: output folder exists and is not empty"):
        run_export(["--db", str(db), "--out", str(out)])


FAULTS = SHARED / "faults"


def _one_event_log(tmp_path, video, start, end):
    db = tmp_path / "faults.sqlite"
    with Store(db) as store:
        session = store.create_session(str(video), {})
        store.record(session, [], [(_event("f1", "phone", start, end), False)])
        store.set_review("f1", "confirmed", None, session)
    return db


def _frame_at(video, t):
    """The first frame at or after media time t, decoded by PyAV as stored (BGR)."""
    import av

    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.time >= t - 1e-3:
                return frame.to_ndarray(format="bgr24")
    raise AssertionError(f"no frame at {t} s")


def test_a_phone_recording_is_exported_upright_as_the_analysis_saw_it(tmp_path):
    """rot90_phone.mp4 stores its pixels sideways with a display rotation: the training frames are
    upright, as the analysis and every player show them (the same picture as the unrotated drive)."""
    db = _one_event_log(tmp_path, FAULTS / "rot90_phone.mp4", 2.0, 2.5)
    out = tmp_path / "export"
    assert run_export(["--db", str(db), "--out", str(out), "--pad", "0"]) == 0
    clip = read_rawframes_list(out / "train.txt")[0]
    image = cv2.imread(str(clip.source / "img_00001.jpg"))
    assert image.shape == (720, 1280, 3)
    reference = _frame_at(FAULTS / "base_day4.mp4", 2.0)
    assert np.abs(image.astype(int) - reference.astype(int)).mean() < 12


def test_a_variable_frame_rate_recording_is_cut_by_media_time(tmp_path):
    """vfr_gap.mp4 has no frames for 2 s after 2.7 s: an event at 5.0 s is cut where the frames
    are timed 5.0 s, not at frame number 5.0 x fps (2 s of footage later)."""
    video = FAULTS / "vfr_gap.mp4"
    db = _one_event_log(tmp_path, video, 5.0, 5.5)
    out = tmp_path / "export"
    assert run_export(["--db", str(db), "--out", str(out), "--pad", "0"]) == 0
    clip = read_rawframes_list(out / "train.txt")[0]
    image = cv2.imread(str(clip.source / "img_00001.jpg"))
    assert np.abs(image.astype(int) - _frame_at(video, 5.0).astype(int)).mean() < 6
    assert clip.num_frames == pytest.approx(0.5 * 30, abs=2)
