"""Read clips from any supported annotation format by name (what the train and eval commands offer)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from models.datasets.clip import Clip
from models.datasets.dmd import read_dmd
from models.datasets.driveandact import read_driveandact
from models.datasets.hundred_driver import read_100driver
from models.datasets.paddlevideo_lists import read_paddle_frames_list, read_paddle_video_list
from models.datasets.rawframes import read_rawframes_list, read_video_list
from models.datasets.statefarm import read_statefarm
from models.errors import ModelInputError
from models.labelmap import DatasetClasses

FORMATS = ("rawframes", "video", "statefarm", "dmd", "driveandact", "100driver", "paddle-frames",
           "paddle-video")


def read_clips(fmt: str, paths: Sequence[Path], root: Path | None, classes: DatasetClasses,
               dmd_stream: str = "body_camera", suffix: str | None = None) -> list[Clip]:
    """All clips of `paths`; media are under `root` (default: each file's own folder). `suffix` is
    PaddleVideo's (paddle-frames: the frame file pattern; paddle-video: appended to each name)."""
    clips: list[Clip] = []
    for path in paths:
        base = root or Path(path).parent
        if fmt == "rawframes":
            clips += read_rawframes_list(path, root, len(classes.classes))
        elif fmt == "video":
            clips += read_video_list(path, root, len(classes.classes))
        elif fmt == "statefarm":
            clips += read_statefarm(path, base, classes)
        elif fmt == "dmd":
            clips += read_dmd(path, base, classes, stream=dmd_stream)
        elif fmt == "driveandact":
            clips += read_driveandact(path, base, classes)
        elif fmt == "100driver":
            clips += read_100driver(path, base, classes)
        elif fmt == "paddle-frames":
            clips += read_paddle_frames_list(path, root, len(classes.classes), suffix)
        elif fmt == "paddle-video":
            clips += read_paddle_video_list(path, root, len(classes.classes), suffix)
        else:
            raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if not clips:
        raise ModelInputError(", ".join(str(p) for p in paths), "no clips found")
    return clips
