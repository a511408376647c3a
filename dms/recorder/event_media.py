"""Event media: a thumbnail and a short clip (pre-roll before, post-roll after) for every event.

Works the same for a live camera and a recording: a ring buffer keeps the latest analysed frames
as JPEG bytes with each behaviour's raw evidence, for `pre_roll_s` plus `lookback_s` (the longest
an event may start before the tracker announces it: EventTracker.lookback_s), so memory stays
flat with drive length and a clip's pre-roll starts `pre_roll_s` before the event's own start,
however late it was announced. The thumbnail is the frame of the event's peak evidence inside its
own span (the middle one where several frames share the peak), taken from that buffer when the
event opens and replaced, at its end, by a later frame of the span with stronger evidence (one
kept in memory per open event, never re-decoded); its media time travels with it. Each event's
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
    """Media written for one event: paths relative to the media folder; None = not (yet) written.
    thumbnail_s: the media time (s) of the frame the thumbnail shows."""

    event_id: str
    thumbnail: str | None
    clip: str | None
    thumbnail_s: float | None = None


@dataclass
class _Buffered:
    """One analysed frame in the ring buffer: media time, JPEG bytes, raw evidence by behaviour."""

    t: float
    jpeg: bytes
    evidence: dict[str, float]


@dataclass
class _Peak:
    """The thumbnail of an open event: the frame shown, and later frames of stronger evidence that
    may replace it at the event's end (if they fall inside its span)."""

    behaviour: str
    shown: _Buffered
    value: float
    stronger: list[tuple[float, _Buffered]] = field(default_factory=list)


@dataclass
class _PendingClip:
    event_id: str
    until_s: float | None = None  # set once the event closed: end + post-roll
    frames: list[tuple[float, bytes]] = field(default_factory=list)
    cap_s: float = 0.0


# Pattern events (dms/events/unresponsive.py, dms/events/camera_health.py) show the behaviours they watch.
SHOWN_BY = {"unresponsive": ("eyes_off_road", "eyes_closed")}


def _strength(frame: _Buffered, behaviour: str) -> float:
    return max((frame.evidence.get(b, 0.0) for b in SHOWN_BY.get(behaviour, (behaviour,))), default=0.0)


def _frame_evidence(result: FrameResult) -> dict[str, float]:
    """Raw evidence by behaviour (the smoothed score where fusion gave none; 0 where unobserved)."""
    scores = result.scores
    if not scores.evidence:
        return dict(scores.values)
    return {b: 0.0 if v is None else float(v) for b, v in scores.evidence.items()}


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
        lookback_s: float = 0.0,
    ):
        self.media_dir = Path(media_dir)
        self.pre_roll_s = pre_roll_s
        self.post_roll_s = post_roll_s
        self.fps = fps
        self.blur = blur
        self.lookback_s = lookback_s
        self._buffer: deque[_Buffered] = deque()
        self._pending: dict[str, _PendingClip] = {}
        self._peaks: dict[str, _Peak] = {}  # open events' thumbnails
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
        frame = _Buffered(t, jpeg, _frame_evidence(result))
        self._buffer.append(frame)
        while self._buffer[0].t < t - self.pre_roll_s - self.lookback_s:
            self._buffer.popleft()
        for clip in self._pending.values():
            if t <= clip.cap_s or clip.until_s is not None:
                clip.frames.append((t, jpeg))
        for peak in self._peaks.values():
            self._note_stronger(peak, frame)
        saved = [m for update in result.updates if (m := self._update(update)) is not None]
        self._flush(t)
        return saved + self._written()

    def pending(self) -> set[str]:
        """Ids of the events whose clip is not written yet."""
        return set(self._pending) | set(self._writing)

    def _note_stronger(self, peak: _Peak, frame: _Buffered) -> None:
        """Keep a frame with stronger evidence than any so far; of those older than the look-back
        (which every open event's end lies within) only the strongest is kept: memory stays bounded."""
        value = _strength(frame, peak.behaviour)
        best = peak.stronger[-1][0] if peak.stronger else peak.value
        if value <= best:
            return
        peak.stronger.append((value, frame))
        old = [i for i, (_, f) in enumerate(peak.stronger) if f.t < frame.t - self.lookback_s - 1e-6]
        if len(old) > 1:
            del peak.stronger[: old[-1]]

    def _update(self, update: EventUpdate) -> SavedMedia | None:
        event = update.event
        if update.kind == "open":
            end = max(event.end_s, event.start_s) + 1e-6
            span = [f for f in self._buffer if event.start_s - 1e-6 <= f.t <= end]
            shown = self._peak_frame(span or [self._buffer[-1]], event.behaviour)
            self._peaks[event.id] = _Peak(event.behaviour, shown, _strength(shown, event.behaviour))
            self._thumbs[event.id] = self._save_thumbnail(event.id, shown.jpeg)
            start = event.start_s - self.pre_roll_s
            frames = [(f.t, f.jpeg) for f in self._buffer if f.t >= start]
            self._pending[event.id] = _PendingClip(event.id, frames=frames, cap_s=event.start_s + MAX_EVENT_S)
            return SavedMedia(event.id, self._thumbs[event.id], None, round(shown.t, 3))
        if update.kind == "close" and event.id in self._pending:
            clip = self._pending[event.id]
            clip.until_s = min(event.end_s, clip.cap_s) + self.post_roll_s
        peak = self._peaks.pop(event.id, None) if update.kind == "close" else None
        if peak is not None:
            inside = [f for v, f in peak.stronger if f.t <= event.end_s + 1e-6]
            if inside:
                self._save_thumbnail(event.id, inside[-1].jpeg)
                return SavedMedia(event.id, self._thumbs.get(event.id), None, round(inside[-1].t, 3))
        return None

    @staticmethod
    def _peak_frame(frames: list[_Buffered], behaviour: str) -> _Buffered:
        """The frame of peak evidence; the middle one of those that share the peak."""
        values = [_strength(f, behaviour) for f in frames]
        top = max(values)
        tied = [f for f, v in zip(frames, values, strict=True) if v >= top - 1e-6]
        return tied[len(tied) // 2]

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
