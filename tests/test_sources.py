"""Frame sources on the real clips, generated containers, image folders and broken inputs."""

import av
import cv2
import numpy as np
import pytest
from conftest import SHARED, VIDEO

from dms.core.errors import InputError
from dms.sources.readers import CameraSource, ImageFolderSource, VideoFileSource, open_source


def remux(src, dst, **options):
    """Copy a clip's video packets into another container (no re-encoding)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", options=options) as out:
        stream = inp.streams.video[0]
        copy = out.add_stream_from_template(stream)
        for packet in inp.demux(stream):
            if packet.dts is not None:
                packet.stream = copy
                out.mux(packet)


@pytest.mark.parametrize(
    "name, fps, size",
    [("day_eating.mp4", 30, (360, 640)), ("ir_night_drowsy.mp4", 25, (360, 450)),
     ("statefarm_slideshow.avi", 30, (480, 640))],
)
def test_video_files_yield_frames_at_the_analysis_rate_with_media_time(name, fps, size):
    with open_source(VIDEO / name, analysis_fps=10) as source:
        assert isinstance(source, VideoFileSource) and source.fps == fps
        frames = list(source)
    assert frames[0].t == 0.0 and frames[0].image.shape[:2] == size and frames[0].image.dtype == np.uint8
    gaps = np.diff([f.t for f in frames])
    assert np.all(gaps > 0) and abs(np.median(gaps) - 0.1) < 0.021
    assert abs(frames[-1].t - source.duration_s) < 0.2 and source.stopped_early is None
    assert all(abs(f.t - f.index / fps) < 1e-6 for f in frames)


def test_frames_come_at_the_analysis_size_scaled_by_area_where_they_are_decoded():
    """A 1080p drive is handed out at 640 px wide (dms.sources.picture); the pixels are those of an area
    average of the full frame, and a larger `max_side` gives the full frame."""
    path = VIDEO / "side_montage_a.mp4"
    with (
        open_source(path, analysis_fps=10) as small,
        open_source(path, analysis_fps=10, max_side=1920) as full,
    ):
        assert small.describe()["analysis_max_side_px"] == 640
        pairs = list(zip(small, full, strict=False))[:5]
    for a, b in pairs:
        assert a.t == b.t and a.image.shape == (360, 640, 3) and b.image.shape == (1080, 1920, 3)
        expected = cv2.resize(b.image, (640, 360), interpolation=cv2.INTER_AREA).astype(float)
        assert np.abs(a.image.astype(float) - expected).mean() < 1.5


def test_a_window_can_ask_for_a_larger_display_copy_the_analysis_never_reads():
    with open_source(VIDEO / "side_montage_a.mp4", analysis_fps=10, display_max_side=960) as source:
        frame = next(iter(source))
    assert frame.image.shape == (360, 640, 3) and frame.display.shape == (540, 960, 3)
    with open_source(VIDEO / "side_montage_a.mp4", analysis_fps=10) as source:
        assert next(iter(source)).display is None


def test_image_folders_scale_their_frames_too(tmp_path):
    big = np.random.default_rng(0).integers(0, 255, (1080, 1440, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "a.png"), big)
    with open_source(tmp_path, image_fps=1) as source:
        assert next(iter(source)).image.shape == (480, 640, 3)


def test_mkv_container_and_every_frame(tmp_path):
    remux(VIDEO / "ir_night_drowsy.mp4", tmp_path / "drive.mkv")
    with open_source(tmp_path / "drive.mkv", analysis_fps=0) as source:
        frames = list(source)
    assert len(frames) == 419 and frames[1].t == pytest.approx(0.04)


def test_seek_resumes_at_the_requested_time():
    with open_source(VIDEO / "day_eating.mp4", analysis_fps=10) as source:
        source.seek(7.5)
        it = iter(source)
        first, second = next(it), next(it)
    assert first.t == pytest.approx(7.5, abs=0.034) and second.t == pytest.approx(first.t + 0.1, abs=0.034)


def test_truncated_file_is_read_to_its_last_good_frame(tmp_path):
    remux(VIDEO / "day_eating.mp4", tmp_path / "full.mp4", movflags="faststart")
    data = (tmp_path / "full.mp4").read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    with open_source(tmp_path / "cut.mp4") as source:
        frames = list(source)
    assert 4.0 < frames[-1].t < 11.0
    assert "truncated" in source.stopped_early and "14.90" in source.stopped_early


def test_corrupt_data_stops_with_where_and_why(tmp_path):
    data = bytearray((VIDEO / "day_eating.mp4").read_bytes())
    middle = len(data) // 2
    data[middle : middle + 200_000] = np.random.default_rng(0).integers(0, 256, 200_000, np.uint8).tobytes()
    (tmp_path / "bad.mp4").write_bytes(bytes(data))
    with open_source(tmp_path / "bad.mp4") as source:
        frames = list(source)
    assert frames and frames[-1].t < 14.0
    assert source.stopped_early and f"{frames[-1].t:.1f}"[:3] in source.stopped_early


def test_image_folder_plays_sorted_by_path_at_the_given_rate():
    with open_source(SHARED / "images" / "statefarm", image_fps=2, analysis_fps=10) as source:
        assert isinstance(source, ImageFolderSource)
        frames = list(source)
    assert len(frames) == 20 and [f.t for f in frames[:3]] == [0.0, 0.5, 1.0]
    assert "c0" in str(source.files[0]) and "c9" in str(source.files[-1])


def test_unreadable_images_are_skipped_and_reported(tmp_path):
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"img_{i}.png"), np.full((20, 30, 3), i * 50, np.uint8))
    (tmp_path / "img_1b.png").write_bytes(b"not a png")
    with open_source(tmp_path, image_fps=10) as source:
        frames = list(source)
    assert len(frames) == 3 and "img_1b.png" in source.stopped_early


@pytest.mark.parametrize(
    "make, problem",
    [
        (lambda p: p / "missing.mp4", "no such file"),
        (lambda p: (p / "empty.mp4").write_bytes(b"") or p / "empty.mp4", "empty"),
        (lambda p: (p / "notes.mp4").write_text("not a video") and p / "notes.mp4", "not a readable video"),
        (lambda p: (p / "empty_dir").mkdir() or p / "empty_dir", "no images"),
        # one picture played as a 0 s drive and said "No alerts and no events"
        (lambda p: SHARED / "images" / "dmd" / "eyes_closed.jpg", "a single picture, not a recording"),
    ],
)
def test_bad_inputs_raise_one_clear_error(tmp_path, make, problem):
    path = make(tmp_path)
    with pytest.raises(InputError) as info:
        open_source(path)
    assert problem in str(info.value) and str(path) in str(info.value)


def test_audio_only_file_has_no_video_stream(tmp_path):
    path = tmp_path / "sound.wav"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            out.mux(packet)
    with pytest.raises(InputError, match="no video stream"):
        open_source(path)


def test_camera_that_cannot_be_opened():
    with pytest.raises(InputError, match="camera 9: cannot be opened"):
        CameraSource(9)
