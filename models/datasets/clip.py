"""The record every data-set parser returns: where a labelled stretch of frames lives."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

KINDS = ("rawframes", "video", "image")
FRAME_TEMPLATE = "img_{:05d}.jpg"  # frame i (1-based) of a folder, as TSM, mmaction and PaddleVideo name them


@dataclass(frozen=True)
class Clip:
    """A labelled run of frames: a folder of img_00001.jpg..., a stretch of a video, or one still.

    `start` is the 0-based index of the first frame in `source`; `num_frames` None means "to the
    end of the video" (counted when it is opened). `group` is the person (driver, subject) so that
    splits can keep everyone on one side. `frame_template` names frame i (1-based) of a folder.
    """

    source: Path
    kind: str
    start: int
    num_frames: int | None
    label: int
    group: str = ""
    frame_template: str = FRAME_TEMPLATE
