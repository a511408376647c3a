"""Issue 19, video (faults/round3): a still image or cover art beside the drive's track, and non-square
pixels (anamorphic video). The handed files replayed, and members made with PyAV in tmp folders:
a still track in MKV, MP4 and MOV, marked as a picture or not; PAL/NTSC DV and DVR "half D1" sizes."""

from __future__ import annotations

import json
from fractions import Fraction

import av
import cv2
import numpy as np
import pandas as pd
import pytest
from conftest import SHARED
from test_faults_video import REFERENCE_EVENTS, replay

from dms.sources.readers import open_source

FAULTS = SHARED / "faults"
ROUND3 = FAULTS / "round3"
BASE = FAULTS / "base_day4.mp4"


@pytest.fixture(scope="module")
def base_frames():
    with av.open(str(BASE)) as container:
        frames = container.decode(video=0)
        return [f.to_ndarray(format="bgr24") for _, f in zip(range(8), frames, strict=False)]


def assert_reference_events(out, abs_s=0.35):
    report = json.loads((out / "events.json").read_text())
    found = {e["behavior"]: (e["start_s"], e["end_s"]) for e in report["events"]}
    assert found.keys() == REFERENCE_EVENTS.keys()
    for behaviour, (start, end) in REFERENCE_EVENTS.items():
        assert found[behaviour] == pytest.approx((start, end), abs=abs_s), behaviour
    assert {e["severity"] for e in report["events"]} == {"info"}
    return report


# --- a still image beside the drive -------------------------------------------------------------


def test_the_handed_file_with_cover_art_first_is_analysed_from_its_drive_track(tmp_path):
    code, out = replay(tmp_path, ROUND3 / "cover_art_first.mkv")
    assert code == 0
    report = assert_reference_events(out)
    assert len(pd.read_csv(out / "timeline.csv")) == 40
    assert not report["session"].get("stopped_early")
    assert "video track 1 of 2 (track 0 is a still image)" in (out / "report.html").read_text()


def encode(out, stream, image):
    for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
        out.mux(packet)


def drive_track(out, frames):
    stream = out.add_stream("libx264", rate=30)
    stream.height, stream.width = frames[0].shape[:2]
    stream.pix_fmt = "yuv420p"
    return stream


def with_still(path, frames, container_format, still_codec="mjpeg", marked=False, still_first=True):
    """A file of the drive's frames and one still picture (a red card 320x180), the still's track
    first unless `still_first` is False; `marked`: the still is an attached picture (cover art)."""
    card = np.zeros((180, 320, 3), np.uint8)
    card[:, :, 2] = 255
    with av.open(str(path), "w", format=container_format) as out:
        if marked and container_format == "matroska":  # Matroska keeps cover art as an attachment
            out.add_attachment("cover.jpg", "image/jpeg", cv2.imencode(".jpg", card)[1].tobytes())
        still = None
        if not (marked and container_format == "matroska"):
            if not still_first:
                drive = drive_track(out, frames)
            still = out.add_stream(still_codec, rate=25)
            still.width, still.height = 320, 180
            still.pix_fmt = {"mjpeg": "yuvj420p", "png": "rgb24"}.get(still_codec, "yuv420p")
            if marked:
                still.disposition = av.stream.Disposition.attached_pic
        if still is None or still_first:
            drive = drive_track(out, frames)
        if still is not None:
            encode(out, still, card)
            for packet in still.encode():
                out.mux(packet)
        for image in frames:
            encode(out, drive, image)
        for packet in drive.encode():
            out.mux(packet)
    return path


STILLS = [  # (container, still codec, marked as an attached picture, still track first)
    ("matroska", "mjpeg", False, True), ("matroska", "libx264", False, True),
    ("matroska", "mjpeg", True, True),
    ("mp4", "mjpeg", False, True), ("mp4", "mjpeg", True, True), ("mp4", "libx264", False, False),
    ("mov", "mjpeg", False, True), ("mov", "libx264", False, True), ("mov", "png", False, False),
]


@pytest.mark.parametrize(("container_format", "codec", "marked", "first"), STILLS)
def test_the_drive_track_is_chosen_beside_a_still(tmp_path, base_frames, container_format, codec, marked,
                                                  first):
    suffix = {"matroska": ".mkv", "mp4": ".mp4", "mov": ".mov"}[container_format]
    path = with_still(tmp_path / f"drive{suffix}", base_frames, container_format, codec, marked, first)
    with av.open(str(path)) as container:
        assert len(container.streams.video) == 2 or (container_format == "mov" and marked)
    with open_source(path, analysis_fps=0, max_side=1280) as source:
        frames = list(source)
        track = source.describe()["video_track"]
    assert len(frames) == len(base_frames), track
    for frame, original in zip(frames, base_frames, strict=True):
        assert frame.image.shape == original.shape  # the drive, not the 320x180 card
        assert np.abs(frame.image.astype(float) - original).mean() < 6.0
    why = "marked as a picture" if marked else "a still image"
    assert why in track["chosen_because"] or (container_format == "mov" and marked), track


def test_a_file_of_one_still_track_is_still_read(tmp_path):
    path = tmp_path / "card.mkv"
    with av.open(str(path), "w") as out:
        still = out.add_stream("mjpeg", rate=25)
        still.width, still.height, still.pix_fmt = 320, 180, "yuvj420p"
        encode(out, still, np.full((180, 320, 3), 90, np.uint8))
        for packet in still.encode():
            out.mux(packet)
    with open_source(path) as source:
        assert len(list(source)) == 1


# --- non-square pixels --------------------------------------------------------------------------


def test_the_handed_anamorphic_file_is_analysed_at_its_display_aspect(tmp_path):
    code, out = replay(tmp_path, ROUND3 / "anamorphic_sar43.mp4")
    assert code == 0
    assert_reference_events(out)
    assert "non-square pixels (aspect 1.33)" in (out / "report.html").read_text()
    timeline = pd.read_csv(out / "timeline.csv")
    assert timeline["head_yaw"].iloc[0] == pytest.approx(23.0, abs=5.0)
    thumbs = list((out / "thumbs").glob("*.jpg"))
    assert thumbs
    for thumb in thumbs:
        h, w = cv2.imread(str(thumb)).shape[:2]
        assert w / h == pytest.approx(16 / 9, abs=0.02)
    clips = list((out / "clips").glob("*.mp4"))
    assert clips
    for clip in clips:
        with av.open(str(clip)) as container:
            stream = container.streams.video[0]
            shown = stream.codec_context.width * float(stream.sample_aspect_ratio or 1)
            assert shown / stream.codec_context.height == pytest.approx(16 / 9, abs=0.02)


# (stored size, SAR, display size): PAL and NTSC DV 4:3 and 16:9, DVR half D1 and D1 (ITU-R BT.601
# sampling: 704 active of 720 samples), a 16:9 picture stored 4:3 (the handed file's kind)
ANAMORPHIC = [((720, 576), Fraction(16, 15), (768, 576)), ((720, 576), Fraction(64, 45), (1024, 576)),
              ((720, 480), Fraction(8, 9), (640, 480)), ((720, 480), Fraction(32, 27), (853, 480)),
              ((352, 576), Fraction(24, 11), (768, 576)), ((704, 576), Fraction(12, 11), (768, 576)),
              ((352, 288), Fraction(12, 11), (384, 288)), ((960, 720), Fraction(4, 3), (1280, 720))]


@pytest.mark.parametrize(("stored", "sar", "shown"), ANAMORPHIC)
def test_every_pixel_aspect_is_shown_as_players_show_it(tmp_path, base_frames, stored, sar, shown):
    path = tmp_path / "anamorphic.mp4"
    # a picture shown `shown`, stored squeezed to `stored`
    pictures = [cv2.resize(cv2.resize(f, shown, interpolation=cv2.INTER_AREA), stored,
                           interpolation=cv2.INTER_AREA) for f in base_frames]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height = stored
        stream.pix_fmt = "yuv420p"
        stream.codec_context.sample_aspect_ratio = sar
        for image in pictures:
            encode(out, stream, image)
        for packet in stream.encode():
            out.mux(packet)
    with open_source(path, analysis_fps=0, max_side=2000) as source:
        frames = list(source)
        assert source.describe()["sample_aspect"] == pytest.approx(float(sar), abs=1e-3)
    assert len(frames) == len(base_frames)
    for frame, original in zip(frames, base_frames, strict=True):
        height, width = frame.image.shape[:2]
        assert (width, height) == pytest.approx(shown, abs=1)
        expected = cv2.resize(cv2.resize(original, stored, interpolation=cv2.INTER_AREA), (width, height))
        assert np.abs(frame.image.astype(float) - expected).mean() < 8.0
    with open_source(path) as source:  # the analysis picture: the display aspect, longer side 640
        image = next(iter(source)).image
    assert image.shape[1] / image.shape[0] == pytest.approx(shown[0] / shown[1], abs=0.01)
    assert max(image.shape[:2]) == pytest.approx(min(640, max(shown)), abs=1)
