"""What a video file says about itself before analysis: a missing MP4 index, display rotation,
frames without timestamps.

* MP4/MOV files keep their index (the `moov` box: where each frame is, its time) apart from the
  picture data (`mdat`). Cameras write it when the recording is closed; a recording cut off by
  power loss has `mdat` but no `moov`, and no frame can be located (ISO/IEC 14496-12, 4.2).
* Phones store pixels as the sensor saw them and a display matrix that tells players how to
  turn them upright (ISO/IEC 14496-12 `tkhd` matrix, FFmpeg's DISPLAYMATRIX side data); PyAV's
  `VideoFrame.rotation` gives its angle in degrees, counter-clockwise.
* Raw H.264/H.265 elementary streams (DVR dumps) carry no container timestamps: their frames are
  timed from the stream's frame rate (the SPS timing, FFmpeg's codec frame rate).
* A file can hold more than one video track: cover art or a thumbnail besides the drive. The drive
  is the track a player would show: not one the container marks as a picture (FFmpeg's stream
  dispositions `attached_pic`, `still_image`, `timed_thumbnails`), not a still (one frame), then
  the one marked `default`, then the one with most frames (`drive_stream`).
* Non-square pixels (anamorphic video: PAL/NTSC DV, DVR "half D1" 352x576 or 704x576 shown 4:3)
  are stated as the sample aspect ratio (SAR: a pixel's width / its height) of the stream or its
  codec (ISO/IEC 14496-12 `pasp`, H.264 VUI); players show the picture `width x SAR` wide
  (`sample_aspect`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

MP4_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".3gp", ".3g2"})
_MAX_BOXES = 256
NOT_MOTION = av.stream.Disposition.attached_pic | av.stream.Disposition.still_image | \
    av.stream.Disposition.timed_thumbnails
_COUNT_PACKETS = 300  # packets read to tell a still track (one picture) from a moving one


def top_level_boxes(path: Path) -> list[str]:
    """The types of an ISO base-media file's top-level boxes, in order (`ftyp`, `moov`, `mdat`, ...).

    Reading stops at the end of the file, at a box that runs past it, or at a size that cannot be.
    """
    boxes: list[str] = []
    size_left = path.stat().st_size
    with open(path, "rb") as handle:
        position = 0
        while len(boxes) < _MAX_BOXES and position + 8 <= size_left:
            handle.seek(position)
            header = handle.read(16)
            size, kind = struct.unpack(">I4s", header[:8])
            if size == 1 and len(header) == 16:
                size = struct.unpack(">Q", header[8:16])[0]
            elif size == 0:
                size = size_left - position  # the box runs to the end of the file
            if size < 8 or not kind.isascii():
                break
            boxes.append(kind.decode("ascii", "replace"))
            position += size
    return boxes


def missing_mp4_index(path: Path) -> str | None:
    """A one-line reason when an MP4/MOV file holds picture data but no index, else None."""
    if path.suffix.lower() not in MP4_SUFFIXES:
        return None
    try:
        boxes = top_level_boxes(path)
    except (OSError, struct.error):
        return None
    if "ftyp" in boxes[:1] + boxes[:2] and "moov" not in boxes and "mdat" in boxes:
        return (
            "the MP4 index ('moov' box) is missing: the recording was cut off before it was "
            "closed (power loss or a removed card), so no frame can be located"
        )
    return None


def quarter_turns(rotation_deg: float | int | None) -> int:
    """Counter-clockwise quarter turns (for `np.rot90`) that show a frame as players do.

    `rotation_deg` is PyAV's `VideoFrame.rotation`; -90 (a phone held upright) gives 3.
    """
    if not rotation_deg:
        return 0
    return round(float(rotation_deg) / 90.0) % 4


def upright(image: np.ndarray, turns: int) -> np.ndarray:
    """The image turned by `turns` counter-clockwise quarter turns, contiguous for OpenCV."""
    return image if turns == 0 else np.ascontiguousarray(np.rot90(image, turns))


@dataclass(frozen=True)
class StreamChoice:
    """Which video track is the drive (its index among the file's video tracks) and why."""

    video_index: int
    tracks: int
    reason: str


def drive_stream(container: av.container.InputContainer) -> StreamChoice:
    """The video track a player would show (module docstring); the container is read from its
    start to count frames where the header does not say (Matroska), so open it again to decode."""
    streams = list(container.streams.video)
    if len(streams) == 1:
        return StreamChoice(0, 1, "the only video track")
    marked = [s for s in streams if s.disposition & NOT_MOTION]
    candidates = [s for s in streams if s not in marked] or streams
    frames = _frame_counts(container, candidates)
    moving = [s for s in candidates if frames[s.index] > 1] or candidates

    def rank(stream) -> tuple[bool, int, int]:
        return bool(stream.disposition & av.stream.Disposition.default), frames[stream.index], -stream.index

    chosen = max(moving, key=rank)
    others = [
        f"track {s.index} is {'marked as a picture' if s in marked else 'a still image'}"
        for s in streams if s is not chosen and (s in marked or frames.get(s.index, 2) <= 1)
    ]
    reason = "; ".join(others) if others else "the default or longest of several moving tracks"
    return StreamChoice(streams.index(chosen), len(streams), reason)


def _frame_counts(container: av.container.InputContainer, streams: list) -> dict[int, int]:
    """Frames per stream (by stream index): the header's count, else packets counted in the first
    `_COUNT_PACKETS` packets (enough to see that a track holds more than one picture)."""
    counts = {s.index: s.frames for s in streams}
    unknown = [s for s in streams if not counts[s.index]]
    if unknown:
        seen = dict.fromkeys((s.index for s in unknown), 0)
        try:
            for i, packet in enumerate(container.demux(*unknown)):
                if packet.size:
                    seen[packet.stream.index] += 1
                if i >= _COUNT_PACKETS or all(n > 1 for n in seen.values()):
                    break
        except av.error.FFmpegError:
            pass  # a broken file: what was counted stands, and opening it says what is wrong
        counts.update(seen)
    return counts


def sample_aspect(stream) -> float:
    """A pixel's width / its height as the stream or its codec states it (1.0 when unstated)."""
    ratio = stream.sample_aspect_ratio
    return float(ratio) if ratio and ratio > 0 else 1.0
