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
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

MP4_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".3gp", ".3g2"})
_MAX_BOXES = 256


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
