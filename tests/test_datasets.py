"""Data-set parsers on the real annotation files in ../shared/data, plus small generated media."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import SHARED

from dms.core.types import BEHAVIOURS
from models.augment import ClipTransform
from models.datasets.clip_dataset import ClipDataset
from models.datasets.dmd import read_dmd
from models.datasets.driveandact import read_driveandact
from models.datasets.frames import load_frames
from models.datasets.hundred_driver import read_100driver
from models.datasets.rawframes import read_rawframes_list, read_video_list
from models.datasets.split import split_by_group
from models.datasets.statefarm import read_statefarm
from models.errors import ModelInputError
from models.labelmap import load_label_map
from models.shipped import LABEL_MAP

ANN = SHARED / "annotations"
LABELS = load_label_map(LABEL_MAP)


def test_label_map_covers_every_behaviour_and_data_set():
    assert set(LABELS.datasets) >= {"statefarm", "dmd", "driveandact", "100driver", "jester", "dms_events"}
    assert len(LABELS.dataset("statefarm").classes) == 10
    assert len(LABELS.dataset("100driver").classes) == 22
    assert len(LABELS.dataset("jester").classes) == 27
    assert len(LABELS.dataset("driveandact").classes) == 34
    assert all(b is None for b in LABELS.dataset("jester").behaviours)
    mapped = {b for ds in LABELS.datasets.values() for b in ds.behaviours if b}
    assert mapped == set(LABELS.behaviours)
    assert LABELS.behaviours == BEHAVIOURS  # the map's behaviours are the engine's, in its order
    sf = LABELS.dataset("statefarm")
    perm = sf.flip_permutation()
    assert perm[sf.index("c1")] == sf.index("c3") and perm[sf.index("c0")] == sf.index("c0")
    assert LABELS.dataset("driveandact").flip_permutation() is None


def test_dmd_taxonomy_matches_the_annotation_tool_config():
    import json

    config = json.loads((ANN / "dmd_config_distraction.json").read_text())
    level = next(k for k, v in config["level_names"].items() if v == "driver_actions")
    names = [v for k, v in config[level].items() if k != "100"]
    assert list(LABELS.dataset("dmd").classes) == names


def test_statefarm_full_index_split_by_driver():
    sf = LABELS.dataset("statefarm")
    clips = read_statefarm(ANN / "statefarm_driver_imgs_list.csv", "/data/sf/train", sf)
    assert len(clips) == 22424
    assert len({c.group for c in clips}) == 26
    assert clips[0].source == Path("/data/sf/train/c0/img_44733.jpg") and clips[0].label == 0
    train, val = split_by_group(clips, 0.2, seed=1)
    assert len(train) + len(val) == len(clips)
    assert not {c.group for c in train} & {c.group for c in val}
    assert 4 <= len({c.group for c in val}) <= 6


def test_statefarm_duplicated_rows_are_kept_once():
    clips = read_statefarm(ANN / "statefarm_driver_imgs_list_duplicated_rows.csv", "/x",
                           LABELS.dataset("statefarm"))
    rows = (ANN / "statefarm_driver_imgs_list_duplicated_rows.csv").read_text().splitlines()[1:]
    assert len(clips) == len(set(rows)) < len(rows)
    assert len({c.source for c in clips}) == len(clips)


def test_statefarm_conflicting_row_names_the_line(tmp_path):
    bad = tmp_path / "list.csv"
    bad.write_text("subject,classname,img\np002,c0,a.jpg\np002,c1,b.jpg\np003,c2,a.jpg\n")
    with pytest.raises(ModelInputError, match=r"list.csv: line 4: a.jpg is on line 2"):
        read_statefarm(bad, "/x", LABELS.dataset("statefarm"))
    bad.write_text("subject,classname,img\np002,c11,a.jpg\n")
    with pytest.raises(ModelInputError, match="line 2: unknown class 'c11'"):
        read_statefarm(bad, "/x", LABELS.dataset("statefarm"))


def test_statefarm_images_load_and_augment():
    root = SHARED / "images" / "statefarm"
    clips = read_statefarm(root / "driver_imgs_list.csv", root, LABELS.dataset("statefarm"))
    assert len(clips) == 20 and Counter(c.label for c in clips) == {i: 2 for i in range(10)}
    perm = tuple(LABELS.dataset("statefarm").flip_permutation())
    transform = ClipTransform(size=64, train=True, flip_permutation=perm)
    frames, label = ClipDataset(clips, n_segment=4, transform=transform)[3]
    assert frames.shape == (4, 3, 64, 64) and label in (clips[3].label, perm[clips[3].label])


def test_dmd_clips_follow_the_body_stream_shift():
    path = ANN / "dmd_gA_1_s1_rgb_ann_distraction.json"
    dmd = LABELS.dataset("dmd")
    body = read_dmd(path, "/dmd", dmd)
    face = read_dmd(path, "/dmd", dmd, stream="face_camera")
    assert len(body) == len(face) == 66
    counts = Counter(dmd.classes[c.label] for c in body)
    assert counts == {"safe_drive": 24, "talking_to_passenger": 14, "unclassified": 12, "reach_side": 8,
                      "drinking": 5, "radio": 3}
    assert {c.group for c in body} == {"gA_1"}
    assert body[0].source.name.endswith("_rgb_body.mp4")
    # safe_drive starts at annotation frame 15 = body frame 0 (shift 15) = face frame 15 (shift 0).
    assert (body[0].start, face[0].start) == (0, 15)
    radio_face = [c for c in face if dmd.classes[c.label] == "radio"][0]
    assert (radio_face.start, radio_face.num_frames) == (526, 566 - 526 + 1)
    hands = read_dmd(path, "/dmd", dmd, stream="hands_camera")
    assert all(c.start + c.num_frames <= 6753 for c in hands)
    assert sum(c.num_frames for c in body) <= 6762


def test_dmd_bad_files_are_named(tmp_path):
    bad = tmp_path / "ann.json"
    bad.write_text("{not json")
    with pytest.raises(ModelInputError, match="ann.json: cannot read DMD annotation"):
        read_dmd(bad, "/x", LABELS.dataset("dmd"))
    bad.write_text('{"openlabel": {"streams": {"body_camera": {"uri": "b.mp4", "stream_properties": '
                   '{"total_frames": 10}}}, "actions": {"3": {"type": "driver_actions/juggling", '
                   '"frame_intervals": []}}}}')
    with pytest.raises(ModelInputError, match="action 3: unknown driver action 'juggling'"):
        read_dmd(bad, "/x", LABELS.dataset("dmd"))
    with pytest.raises(ModelInputError, match="no stream 'face_camera'"):
        read_dmd(bad, "/x", LABELS.dataset("dmd"), stream="face_camera")


@pytest.mark.parametrize("name, rows, files", [
    ("driveandact_midlevel.chunks_90.split_0.val.csv", 1430, 4),
    ("driveandact_midlevel.chunks_90.split_0.test_kinect_color.csv", 2222, 6),
])
def test_driveandact_chunks(name, rows, files):
    daa = LABELS.dataset("driveandact")
    clips = read_driveandact(ANN / name, "/daa", daa)
    assert len(clips) == rows
    assert all(c.num_frames > 0 and c.kind == "video" for c in clips)
    assert len({c.source for c in clips}) == files
    first = clips[0]
    assert first.start in (122, 44) and daa.classes[first.label] == "opening_door_outside"
    assert first.num_frames == {122: 163 - 122, 44: 68 - 44}[first.start]


def test_driveandact_bad_row_names_the_line(tmp_path):
    header = (ANN / "driveandact_midlevel.chunks_90.split_0.val.csv").read_text().splitlines()[0]
    bad = tmp_path / "daa.csv"
    bad.write_text(f"{header}\n1,vp1/run1,0,10,20,eating,0\n1,vp1/run1,1,30,25,eating,0\n")
    with pytest.raises(ModelInputError, match="daa.csv: line 3: empty or negative frame range 30..25"):
        read_driveandact(bad, "/x", LABELS.dataset("driveandact"))


@pytest.mark.parametrize("name, rows", [("100driver_day_cam2_D2_val.txt", 3810),
                                        ("100driver_night_cam2_N2_test.txt", 10598)])
def test_100driver_lists(name, rows):
    hd = LABELS.dataset("100driver")
    clips = read_100driver(ANN / name, "/hd", hd)
    assert len(clips) == rows
    assert set(c.label for c in clips) == set(range(22))
    assert all(c.group.startswith("P") for c in clips)
    smoking = [c for c in clips if hd.behaviours[c.label] == "smoking"]
    assert smoking and all(c.source.parent.name.startswith("C1") for c in smoking)


def test_100driver_folder_label_disagreement_names_the_line(tmp_path):
    bad = tmp_path / "l.txt"
    bad.write_text("1\tC1_Drive_Safe/P1_a.jpg\t0\n2\tC2_Sleep/P1_b.jpg\t5\n")
    with pytest.raises(ModelInputError, match="l.txt: line 2: folder C2_Sleep disagrees with label 5"):
        read_100driver(bad, "/x", LABELS.dataset("100driver"))


def _write_video(path: Path, n: int, size=(48, 40)) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, size)
    for i in range(n):
        writer.write(np.full((size[1], size[0], 3), i * 10, np.uint8))
    writer.release()


def test_rawframes_and_video_lists_load_the_right_frames(tmp_path):
    clip_dir = tmp_path / "frames" / "clip_a"
    clip_dir.mkdir(parents=True)
    for i in range(1, 7):
        cv2.imwrite(str(clip_dir / f"img_{i:05d}.jpg"), np.full((32, 32, 3), i * 30, np.uint8))
    (tmp_path / "train.txt").write_text("frames/clip_a 6 1\n")
    clips = read_rawframes_list(tmp_path / "train.txt", num_class=3)
    assert clips[0].source == clip_dir and clips[0].num_frames == 6
    frames = load_frames(clips[0], [0, 5])
    assert abs(int(frames[0].mean()) - 30) <= 2 and abs(int(frames[1].mean()) - 180) <= 2

    _write_video(tmp_path / "v.avi", 12)
    (tmp_path / "videos.txt").write_text("v.avi 2\n")
    video = read_video_list(tmp_path / "videos.txt", num_class=3)[0]
    dataset = ClipDataset([video], n_segment=4, transform=ClipTransform(size=32, train=False))
    tensor, label = dataset[0]
    assert tensor.shape == (4, 3, 32, 32) and label == 2
    means = [int(f.mean()) for f in load_frames(video, [1, 4, 11])]
    assert [abs(m - e) <= 3 for m, e in zip(means, (10, 40, 110), strict=True)] == [True] * 3


def test_list_errors_name_the_line(tmp_path):
    bad = tmp_path / "l.txt"
    bad.write_text("a 3 0\nb x 1\n")
    with pytest.raises(ModelInputError, match="l.txt: line 2: frame count 'x'"):
        read_rawframes_list(bad)
    bad.write_text("a.mp4 0\nb.mp4 7\n")
    with pytest.raises(ModelInputError, match=r"line 2: label 7 is outside 0..2"):
        read_video_list(bad, num_class=3)
    missing = tmp_path / "frames" / "gone"
    missing.mkdir(parents=True)
    (tmp_path / "m.txt").write_text("frames/gone 4 0\n")
    clip = read_rawframes_list(tmp_path / "m.txt")[0]
    with pytest.raises(ModelInputError, match="img_00001.jpg: cannot read image"):
        load_frames(clip, [0])
    shutil.rmtree(missing)
