"""Frame sources: video files (PyAV/FFmpeg), image folders and live cameras (OpenCV).

All yield `Frame`s with media time: container timestamps for files (frame index / stream rate for
raw streams without timestamps), index / fps for image folders, the source's own monotonic clock
for cameras. Video frames are turned upright as players show them (display rotation, see
`video_probe`); a file with no decodable frame or a missing MP4 index is an InputError at open.
`analysis_fps` thins the stream to the rate the pipeline analyses (frames in between are decoded
but never converted), so event times stay accurate to one analysed frame. A file that breaks
mid-way is read up to its last good frame and `stopped_early` says where and why. Every source
hands out the analysis picture (`dms.sources.picture`): frames scaled so their longer side is at most
`max_side` px, scaled where they are decoded.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import av
import cv2
import numpy as np

from dms.core.config import Settings, analysis_period_s
from dms.core.errors import InputError
from dms.core.types import Frame
from dms.sources.picture import ANALYSIS_MAX_SIDE, shrink
from dms.sources.video_probe import (
    StreamChoice,
    drive_stream,
    missing_mp4_index,
    quarter_turns,
    sample_aspect,
    upright,
)

VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm", ".mpg", ".mpeg", ".ts", ".wmv", ".flv"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}
IMAGE_FPS = 10.0  # playback rate of an image folder (images per second) unless one is given


class FrameSource(ABC):
    """An iterable of Frames with what the rest of the program needs to know about its origin."""

    name: str = ""
    fps: float = 0.0  # native frame rate
    frame_count: int | None = None
    duration_s: float | None = None
    is_live: bool = False
    creation_time: datetime | None = None  # wall-clock start, when the container records it
    stopped_early: str | None = None  # why reading ended before the end of the media
    dropped: int = 0  # frames a live source skipped because the analysis was slower (files: none)

    def __init__(self, analysis_fps: float = Settings.analysis_fps, max_side: int = ANALYSIS_MAX_SIDE):
        self.analysis_fps = analysis_fps
        self.max_side = max_side
        self.display_max_side: int | None = None  # set (e.g. by the GUI) for frames with a display copy
        self.sample_aspect = 1.0  # a pixel's width / height (video_probe.sample_aspect)
        self.interrupt: threading.Event | None = None  # see stop_with

    def _frame(self, index: int, t: float, image: np.ndarray, turns: int = 0) -> Frame:
        """The Frame of a decoded picture: at its display aspect, scaled to the analysis size (and to
        the display size, when asked for) from the full picture, then turned upright by `turns`
        quarter turns."""
        display = None
        if self.display_max_side is not None:
            display = upright(shrink(image, self.display_max_side, self.sample_aspect), turns)
        return Frame(index, t, upright(shrink(image, self.max_side, self.sample_aspect), turns), display)

    @abstractmethod
    def __iter__(self) -> Iterator[Frame]: ...

    def seek(self, t: float) -> None:
        raise InputError(self.name, "this source cannot seek")

    def stop_with(self, stop: threading.Event) -> None:
        """Told by whoever runs the analysis: `stop` set ends the iteration (`interrupt`). A
        recording's frames end on their own; a live source blocked on a stalled stream needs it
        (CameraSource)."""
        self.interrupt = stop

    @abstractmethod
    def close(self) -> None:
        """Release the underlying file or device."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def describe(self) -> dict:
        return {
            "source": self.name,
            "fps": self.fps,
            "frame_count": self.frame_count,
            "duration_s": self.duration_s,
            "live": self.is_live,
            "analysis_max_side_px": self.max_side,
            "creation_time": self.creation_time.isoformat() if self.creation_time else None,
        }


class _Thinner:
    """Keeps one frame per 1/analysis_fps of media time (all frames when analysis_fps <= 0)."""

    def __init__(self, analysis_fps: float, native_fps: float):
        self.step = analysis_period_s(analysis_fps)
        self.tolerance = 0.5 / native_fps if native_fps > 0 else 0.0
        self.next_t: float | None = None

    def reset(self) -> None:
        self.next_t = None

    def keep(self, t: float) -> bool:
        if self.next_t is not None and t + self.tolerance < self.next_t:
            return False
        self.next_t = t + self.step if self.next_t is None else max(self.next_t + self.step, t)
        return True


class VideoFileSource(FrameSource):
    """A recorded drive, decoded by FFmpeg through PyAV (H.264, HEVC, XVID, MJPEG, ...)."""

    def __init__(
        self, path: str | Path, analysis_fps: float = Settings.analysis_fps, max_side: int = ANALYSIS_MAX_SIDE
    ):
        super().__init__(analysis_fps, max_side)
        self.path = Path(path)
        self.name = str(path)
        self._choice = self._choose_stream()
        self._open()
        first = self._first_frame()
        self._turns = quarter_turns(first.rotation)
        self._untimed = first.pts is None
        rate = self._stream.average_rate or self._stream.guessed_rate
        if self._untimed:  # a raw stream: the SPS frame rate, not the demuxer's default of 25
            rate = self._stream.codec_context.framerate or self._stream.guessed_rate
            if not rate:
                self._container.close()
                raise InputError(path, "its frames carry no timestamps and the stream states no frame rate")
        self.fps = float(rate) if rate else 25.0
        self.frame_count = self._stream.frames or None
        self.duration_s = _duration(self._container, self._stream)
        self.creation_time = _creation_time(self._container.metadata, self._stream.metadata)
        self.sample_aspect = sample_aspect(self._stream)
        self._seek_to: float | None = None
        self._start_pts = self._stream.start_time or 0

    def _choose_stream(self) -> StreamChoice:
        """Which video track is the drive (video_probe.drive_stream), read once at open."""
        with self._opened() as container:
            if not container.streams.video:
                raise InputError(self.path, "contains no video stream")
            return drive_stream(container)

    def _opened(self) -> av.container.InputContainer:
        try:
            return av.open(str(self.path))
        except (av.error.FFmpegError, UnicodeDecodeError) as exc:
            reason = missing_mp4_index(self.path) or f"not a readable video ({_reason(exc)})"
            raise InputError(self.path, reason) from None

    def _open(self) -> None:
        self._container = self._opened()
        self._stream = self._container.streams.video[self._choice.video_index]
        self._stream.thread_type = "AUTO"

    def _first_frame(self) -> av.VideoFrame:
        """Decode the first frame (then start over): a file with none is refused here, at open."""
        try:
            first = next(self._decode(), None)
            problem = "no frame could be decoded: the file holds no picture data"
        except av.error.FFmpegError as exc:
            first = None
            problem = f"no frame could be decoded ({_reason(exc)}); the recording is cut or corrupt"
        self._container.close()
        if first is None:
            raise InputError(self.path, missing_mp4_index(self.path) or problem)
        self._open()
        return first

    def describe(self) -> dict:
        return {
            **super().describe(),
            "turned_clockwise_deg": (360 - 90 * self._turns) % 360,  # as players show it
            "frame_times": "stream frame rate (no timestamps)" if self._untimed else "container timestamps",
            "video_track": {"index": self._choice.video_index, "of": self._choice.tracks,
                            "chosen_because": self._choice.reason},
            "sample_aspect": round(self.sample_aspect, 4),
        }

    def seek(self, t: float) -> None:
        """Jump to media time t; iteration then resumes from the first frame at or after t."""
        self._seek_to = max(0.0, float(t))

    def __iter__(self) -> Iterator[Frame]:
        thinner = _Thinner(self.analysis_fps, self.fps)
        index = -1
        target = 0.0
        last_t = 0.0
        self.stopped_early = None
        packets = self._decode()
        while True:
            if self._seek_to is not None:
                target = self._seek_to
                self._seek_to = None
                if self._untimed:  # no timestamps to seek by: decode again from the start
                    self._container.close()
                    self._open()
                else:
                    pts = int(target / self._stream.time_base) + self._start_pts
                    self._container.seek(pts, stream=self._stream, backward=True)
                packets = self._decode()
                thinner.reset()
                index = -1
            try:
                frame = next(packets)
            except StopIteration:
                break
            except av.error.FFmpegError as exc:
                self.stopped_early = (
                    f"decoding failed after frame {max(index, 0)} at {last_t:.2f} s: {_reason(exc)}"
                )
                return
            t = self._media_time(frame, index, last_t)
            index = round(t * self.fps) if index < 0 else index + 1
            last_t = t
            if t + 0.5 / self.fps < target or not thinner.keep(t):
                continue
            yield self._frame(index, t, frame.to_ndarray(format="bgr24"), self._turns)
        if self.duration_s and last_t + 1.0 < self.duration_s:
            self.stopped_early = (
                f"the file ends at {last_t:.2f} s but its header says {self.duration_s:.2f} s (truncated?)"
            )

    def _decode(self):
        return self._container.decode(self._stream)


    def _media_time(self, frame, index: int, last_t: float) -> float:
        """Container time; without a timestamp, the next frame period after the previous frame."""
        if frame.pts is None:
            return 0.0 if index < 0 else last_t + 1.0 / self.fps
        return float((frame.pts - self._start_pts) * self._stream.time_base)

    def close(self) -> None:
        self._container.close()


class ImageFolderSource(FrameSource):
    """A folder of still images (sub-folders included), sorted by path, played at `image_fps`."""

    def __init__(
        self, folder: str | Path, image_fps: float = IMAGE_FPS, analysis_fps: float = Settings.analysis_fps,
        max_side: int = ANALYSIS_MAX_SIDE,
    ):
        super().__init__(analysis_fps, max_side)
        self.folder = Path(folder)
        self.name = str(folder)
        self.files = sorted(
            (p for p in self.folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()),
            key=lambda p: p.relative_to(self.folder).as_posix(),
        )
        if not self.files:
            raise InputError(folder, "folder holds no images (.jpg, .png, .bmp, ...)")
        if image_fps <= 0:
            raise InputError(folder, f"image fps must be positive, got {image_fps}")
        self.fps = float(image_fps)
        self.frame_count = len(self.files)
        self.duration_s = len(self.files) / self.fps
        self.skipped: list[str] = []
        self._seek_to: int | None = None

    def seek(self, t: float) -> None:
        self._seek_to = min(max(0, int(round(t * self.fps))), len(self.files) - 1)

    def __iter__(self) -> Iterator[Frame]:
        thinner = _Thinner(self.analysis_fps, self.fps)
        self.skipped = []
        self.stopped_early = None
        i = 0
        while i < len(self.files):
            if self._seek_to is not None:
                i, self._seek_to = self._seek_to, None
                thinner.reset()
            t = i / self.fps
            if thinner.keep(t):
                image = cv2.imread(str(self.files[i]), cv2.IMREAD_COLOR)
                if image is None:
                    self.skipped.append(self.files[i].name)
                else:
                    yield self._frame(i, t, image)
            i += 1
        if self.skipped:
            self.stopped_early = f"{len(self.skipped)} unreadable image(s) skipped, first {self.skipped[0]}"

    def close(self) -> None:
        """Nothing stays open between images."""


class CameraSource(FrameSource):
    """A live camera (index) or stream (URL). A reader thread keeps only the newest frame, so when
    analysis is slower than the camera, frames are dropped rather than queued.

    A stream that stalls is noticed within `STALL_S` (2 s): a URL is read with bounded open and
    read waits (FFmpeg's timeouts), and the iterator notes a stall when no frame has come for that
    long (`stalls`: [start, end] media seconds). The reader of a network stream (rtsp, http, ...)
    then reconnects with a backoff (0.5, 1, 2, 4, 8 s) for up to `reconnect_for_s` and the frames
    go on in the same session (a local camera or a file:// URL that ends is over); the time
    without frames becomes a gap in the pipeline (no evidence, events end). Setting `interrupt`
    (`stop_with`: the analysis's stop event) ends iteration within 0.2 s, even during a stall.
    """

    is_live = True
    STALL_S = 2.0
    BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0)
    NETWORK_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp", "srt"})

    def __init__(
        self,
        spec: int | str,
        analysis_fps: float = Settings.analysis_fps,
        open_timeout_s: float = 5.0,
        reconnect_for_s: float = 60.0,
        max_side: int = ANALYSIS_MAX_SIDE,
    ):
        super().__init__(analysis_fps, max_side)
        self.spec = spec
        self.name = f"camera {spec}" if isinstance(spec, int) else str(spec)
        self.open_timeout_s = open_timeout_s
        self.reconnect_for_s = reconnect_for_s
        # Network streams come back after a stall; a local camera or a file:// URL that ends is over.
        self.reconnectable = isinstance(spec, str) and spec.split("://")[0].lower() in self.NETWORK_SCHEMES
        self.stalls: list[list[float | None]] = []
        self.reconnects = 0
        self._capture = self._connect()
        ok, image = self._capture.read() if self._capture.isOpened() else (False, None)
        if not ok or image is None:
            self._capture.release()
            raise InputError(self.name, "cannot be opened (no such camera, or it is busy)")
        self.fps = float(self._capture.get(cv2.CAP_PROP_FPS) or 30.0)
        self._t0 = time.monotonic()
        self._latest: tuple[int, float, np.ndarray] | None = (0, 0.0, image)
        self._last_frame_t = 0.0
        self._count = 1
        self._lock = threading.Condition()
        self._running = True
        self.dropped = 0
        self._reader = threading.Thread(target=self._read_loop, name="camera-reader", daemon=True)
        self._reader.start()

    def _connect(self) -> cv2.VideoCapture:
        if isinstance(self.spec, str):  # a stream URL: FFmpeg with bounded waits
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(self.open_timeout_s * 1000),
                      cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(self.STALL_S * 1000)]
            return cv2.VideoCapture(self.spec, cv2.CAP_FFMPEG, params)
        return cv2.VideoCapture(self.spec)

    def _now(self) -> float:
        return time.monotonic() - self._t0

    def _read_loop(self) -> None:
        while self._running:
            ok, image = self._capture.read()
            if ok and image is not None:
                self._deliver(image)
            elif not (self.reconnectable and self._reconnect()):
                with self._lock:
                    if self._running and not self.reconnectable:
                        self.stopped_early = "the camera stopped delivering frames"
                    elif self._running:
                        self.stopped_early = (
                            f"the camera stopped delivering frames at {self._last_frame_t:.1f} s and did not "
                            f"come back within {self.reconnect_for_s:g} s"
                        )
                    self._running = False
                    self._lock.notify_all()
                return

    def _deliver(self, image: np.ndarray) -> None:
        with self._lock:
            t = self._now()
            if self.stalls and self.stalls[-1][1] is None:
                self.stalls[-1][1] = round(t, 3)
            if self._latest is not None:
                self.dropped += 1
            self._latest = (self._count, t, image)
            self._last_frame_t = t
            self._count += 1
            self._lock.notify_all()

    def _note_stall(self) -> None:
        with self._lock:
            if not self.stalls or self.stalls[-1][1] is not None:
                self.stalls.append([round(self._last_frame_t, 3), None])

    def _reconnect(self) -> bool:
        """Reopen the stream with a backoff; True once a frame came again."""
        self._note_stall()
        deadline = time.monotonic() + self.reconnect_for_s
        attempt = 0
        while self._running and time.monotonic() < deadline:
            delay = self.BACKOFF_S[min(attempt, len(self.BACKOFF_S) - 1)]
            attempt += 1
            until = time.monotonic() + delay
            while self._running and time.monotonic() < until:
                time.sleep(0.05)
            self._capture.release()
            self._capture = self._connect()
            ok, image = self._capture.read() if self._capture.isOpened() else (False, None)
            if ok and image is not None:
                self.reconnects += 1
                self._deliver(image)
                return True
        return False

    def __iter__(self) -> Iterator[Frame]:
        period = analysis_period_s(self.analysis_fps)
        next_due = 0.0
        while True:
            with self._lock:
                while self._latest is None and self._running:
                    if self.interrupt is not None and self.interrupt.is_set():
                        return
                    if self._now() - self._last_frame_t > self.STALL_S:
                        self._note_stall()
                    self._lock.wait(timeout=0.2)
                if self._latest is None:
                    return
                index, t, image = self._latest
                self._latest = None
            if t + 1e-3 < next_due:
                continue
            next_due = t + period
            yield self._frame(index, t, image)

    def describe(self) -> dict:
        return {**super().describe(), "stalls": [list(s) for s in self.stalls], "reconnects": self.reconnects}

    def close(self) -> None:
        self._running = False
        if self._reader.is_alive():
            self._reader.join(timeout=1.0)  # a daemon: one blocked in a stalled read ends with us
        self._capture.release()


def open_source(
    spec: str | int | Path, *, analysis_fps: float = Settings.analysis_fps, image_fps: float = IMAGE_FPS,
    max_side: int = ANALYSIS_MAX_SIDE, display_max_side: int | None = None,
) -> FrameSource:
    """A camera index ("0") or stream URL, a video file, or a folder of images; frames at most
    `max_side` px on their longer side, with a display copy at most `display_max_side` px when
    that is given (a window showing the drive)."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        source: FrameSource = CameraSource(int(spec), analysis_fps, max_side=max_side)
    elif isinstance(spec, str) and "://" in spec:
        source = CameraSource(spec, analysis_fps, max_side=max_side)
    else:
        path = Path(spec)
        if path.is_dir():
            source = ImageFolderSource(path, image_fps, analysis_fps, max_side)
        elif not path.exists():
            raise InputError(path, "no such file or folder")
        elif path.stat().st_size == 0:
            raise InputError(path, "file is empty")
        elif path.suffix.lower() in IMAGE_SUFFIXES:
            raise InputError(path, "a single picture, not a recording: give a video or a folder of pictures "
                             "(eval --format folders scores pictures one by one)")
        else:
            source = VideoFileSource(path, analysis_fps, max_side)
    source.display_max_side = display_max_side
    return source


def list_cameras(max_index: int = 4) -> list[int]:
    """Indices of the local cameras that open and deliver a frame."""
    found = []
    for index in range(max_index + 1):
        capture = cv2.VideoCapture(index)
        try:
            if capture.isOpened() and capture.read()[0]:
                found.append(index)
        finally:
            capture.release()
    return found


def _duration(container, stream) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000
    return None


def _creation_time(*metadata: dict) -> datetime | None:
    for meta in metadata:
        value = meta.get("creation_time")
        if value:
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
    return None


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
