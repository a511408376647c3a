"""Event media: a thumbnail and a short clip (pre-roll before, post-roll after) for every event.

Works the same for a live camera and a recording: a ring buffer keeps the last `pre_roll_s` of
analysed frames as JPEG bytes (small, so memory stays flat with drive length), and each event's
clip is written once its post-roll has passed. Clips are H.264 MP4 at the analysis rate, so a
browser plays them from the report. Faces can be blurred in everything written.

Clips are encoded in a writer thread of their own (x264 and the JPEG decoding run in C, off
Python's lock), so a clip being written does not hold up the analysis of the next frames; a clip's
path is handed back once its file is complete.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import av
import cv2
import numpy as np

from dms.core.threads import run_as_side_thread
from dms.core.types import EventUpdate, FrameResult, Landmarks

CLIP_WIDTH = 640  # clips and thumbnails are scaled down to this width
MAX_EVENT_S = 20.0  # longer events keep their first 20 s in the clip
POSE_HEAD_POINTS = slice(0, 11)  # MediaPipe pose: nose, eyes, ears, mouth


@dataclass(frozen=True)
class SavedMedia:
    """Media written for one event: paths relative to the media folder; None = not (yet) written."""

    event_id: str
    thumbnail: str | None
    clip: str | None


@dataclass
class _PendingClip:
    event_id: str
    until_s: float | None = None  # set once the event closed: end + post-roll
    frames: list[tuple[float, bytes]] = field(default_factory=list)
    cap_s: float = 0.0


def blur_faces(image: np.ndarray, landmarks: Landmarks) -> np.ndarray:
    """Blur the face box found by the face mesh, else by the pose's head points; unchanged if none."""
    h, w = image.shape[:2]
    points = None
    if landmarks.face is not None:
        points = landmarks.face[:, :2]
    elif landmarks.pose is not None:
        head = landmarks.pose[POSE_HEAD_POINTS]
        points = head[head[:, 3] > 0.5, :2] if head.shape[1] > 3 else head[:, :2]
    if points is None or len(points) == 0:
        return image
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    pad_x, pad_y = 0.35 * (x1 - x0) + 0.02, 0.45 * (y1 - y0) + 0.02
    left, right = int(max(0.0, x0 - pad_x) * w), int(min(1.0, x1 + pad_x) * w)
    top, bottom = int(max(0.0, y0 - pad_y) * h), int(min(1.0, y1 + pad_y) * h)
    if right - left < 2 or bottom - top < 2:
        return image
    out = image.copy()
    roi = out[top:bottom, left:right]
    k = max(3, (min(roi.shape[:2]) // 3) | 1)
    out[top:bottom, left:right] = cv2.GaussianBlur(roi, (k, k), 0)
    return out


def _scaled(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    if w <= CLIP_WIDTH:
        return image
    size = (CLIP_WIDTH, int(round(h * CLIP_WIDTH / w)) // 2 * 2)
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def write_clip(path: Path, frames: list[tuple[float, bytes]], fps: float) -> None:
    """Encode JPEG frames as an H.264 MP4 (written to a temp name, then renamed)."""
    images = [cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) for _, data in frames]
    h, w = images[0].shape[:2]
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as container:
        stream = container.add_stream("libx264", rate=max(1, int(round(fps))))
        stream.width, stream.height = w - w % 2, h - h % 2
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "28"}
        for image in images:
            frame = av.VideoFrame.from_ndarray(image[: stream.height, : stream.width], format="bgr24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    tmp.replace(path)


class EventMediaRecorder:
    """Writes thumbs/<event>.jpg and clips/<event>.mp4 under `media_dir`, driven frame by frame by
    the session writer (dms.store.SessionWriter), to which it returns what it wrote."""

    def __init__(
        self,
        media_dir: Path,
        *,
        pre_roll_s: float,
        post_roll_s: float,
        fps: float,
        blur: bool = False,
    ):
        self.media_dir = Path(media_dir)
        self.pre_roll_s = pre_roll_s
        self.post_roll_s = post_roll_s
        self.fps = fps
        self.blur = blur
        self._buffer: deque[tuple[float, bytes]] = deque()
        self._pending: dict[str, _PendingClip] = {}
        self._thumbs: dict[str, str] = {}
        self._writing: dict[str, tuple[Future, str | None]] = {}  # id -> (clip written, thumbnail)
        self._writer: ThreadPoolExecutor | None = None

    def on_frame(self, result: FrameResult) -> list[SavedMedia]:
        """Buffer the frame, start or end event clips by its updates; returns the media written."""
        t = result.frame.t
        image = _scaled(result.frame.image)
        if self.blur:
            image = blur_faces(image, result.cues.landmarks)
        jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()
        self._buffer.append((t, jpeg))
        while self._buffer[0][0] < t - self.pre_roll_s:
            self._buffer.popleft()
        for clip in self._pending.values():
            if t <= clip.cap_s or clip.until_s is not None:
                clip.frames.append((t, jpeg))
        saved = [s for update in result.updates if (s := self._update(update, jpeg)) is not None]
        self._flush(t)
        return saved + self._written()

    def pending(self) -> set[str]:
        """Ids of the events whose clip is not written yet."""
        return set(self._pending) | set(self._writing)

    def _update(self, update: EventUpdate, jpeg: bytes) -> SavedMedia | None:
        event = update.event
        if update.kind == "open":
            self._thumbs[event.id] = self._save_thumbnail(event.id, jpeg)
            start = event.start_s - self.pre_roll_s
            frames = [f for f in self._buffer if f[0] >= start]
            self._pending[event.id] = _PendingClip(event.id, frames=frames, cap_s=event.start_s + MAX_EVENT_S)
            return SavedMedia(event.id, self._thumbs[event.id], None)
        if update.kind == "close" and event.id in self._pending:
            clip = self._pending[event.id]
            clip.until_s = min(event.end_s, clip.cap_s) + self.post_roll_s
        return None

    def _save_thumbnail(self, event_id: str, jpeg: bytes) -> str:
        rel = f"thumbs/{event_id}.jpg"
        path = self.media_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(jpeg)
        return rel

    def _flush(self, t: float, everything: bool = False) -> None:
        """Hand the clips whose post-roll has passed (all, with `everything`) to the writer thread."""
        done = [c for c in self._pending.values() if everything or (c.until_s is not None and t >= c.until_s)]
        for clip in done:
            del self._pending[clip.event_id]
            frames = [f for f in clip.frames if clip.until_s is None or f[0] <= clip.until_s]
            if self._writer is None:
                self._writer = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="event-clips", initializer=run_as_side_thread
                )
            job = self._writer.submit(self._write, clip.event_id, frames)
            self._writing[clip.event_id] = (job, self._thumbs.pop(clip.event_id, None))

    def _write(self, event_id: str, frames: list[tuple[float, bytes]]) -> str | None:
        if len(frames) < 2:
            return None
        rel = f"clips/{event_id}.mp4"
        (self.media_dir / "clips").mkdir(parents=True, exist_ok=True)
        write_clip(self.media_dir / rel, frames, self.fps)
        return rel

    def _written(self, wait: bool = False) -> list[SavedMedia]:
        """The clips the writer thread has finished (all of them, waiting, with `wait`); a clip that
        failed to write raises its error here."""
        saved = []
        for event_id, (job, thumbnail) in list(self._writing.items()):
            if wait or job.done():
                del self._writing[event_id]
                saved.append(SavedMedia(event_id, thumbnail, job.result()))
        return saved

    def finish(self, t: float) -> list[SavedMedia]:
        """Write every clip still waiting (the analysis ended at `t`) and wait for the writer;
        returns the media written since the last frame."""
        self._flush(t, everything=True)
        try:
            return self._written(wait=True)
        finally:
            if self._writer is not None:
                self._writer.shutdown()
                self._writer = None
