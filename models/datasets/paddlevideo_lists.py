"""PaddleVideo's list files, as its configs use them (`paddlevideo/loader/dataset/frame.py`, `video.py`).

* `frames` (FrameDataset): one `frame_dir frames_len label` line per clip, split on white space (so
  no spaces in paths), frames `frame_dir/` + `suffix.format(i)` for i = 1..frames_len; the configs'
  `suffix` is `img_{:05}.jpg`.
* `video` (VideoDataset): one `filename label` line per video; the file is `filename + suffix`
  (the configs' `suffix` is empty).

Paths are joined to PaddleVideo's `data_prefix` (here `--root`; default the list's folder). The label
is the class index. A list has no person in it, so each clip is its own group: give the validation
list with `--val`, as PaddleVideo's configs do.
"""

from __future__ import annotations

from pathlib import Path

from models.datasets.clip import Clip
from models.datasets.rawframes import int_label, list_lines, media_path
from models.errors import ModelInputError

FRAMES_SUFFIX = "img_{:05}.jpg"  # FrameDataset's default and its configs' suffix


def _fields(list_path: Path, n: int, line: str, names: str) -> list[str]:
    parts = line.split()
    if len(parts) != len(names.split()):
        raise ModelInputError(list_path, f"line {n}: expected '{names}' separated by spaces "
                                         f"(PaddleVideo's list format), got {line!r}")
    return parts


def frame_name(list_path: Path, suffix: str, index: int) -> str:
    """`suffix.format(index)`, or ModelInputError when the suffix is no such pattern."""
    try:
        name = suffix.format(index)
    except (IndexError, KeyError, ValueError) as exc:
        raise ModelInputError(list_path, f"frame suffix {suffix!r} is not a pattern of the frame number "
                                         f"such as 'img_{{:05}}.jpg': {exc}") from None
    if name == suffix:
        raise ModelInputError(list_path, f"frame suffix {suffix!r} has no place for the frame number")
    return name


def read_paddle_frames_list(list_path: str | Path, root: str | Path | None = None,
                            num_class: int | None = None, suffix: str | None = None) -> list[Clip]:
    """Clips of a PaddleVideo `frames` list (FrameDataset); `suffix` default `img_{:05}.jpg`."""
    list_path = Path(list_path)
    suffix = suffix or FRAMES_SUFFIX
    frame_name(list_path, suffix, 1)
    clips = []
    for n, line in list_lines(list_path):
        frame_dir, count, label = _fields(list_path, n, line, "frame_dir frames_len label")
        if not count.isdigit() or int(count) < 1:
            raise ModelInputError(list_path, f"line {n}: frames_len {count!r} is not a positive integer")
        source = media_path(Path(root) if root else None, list_path, frame_dir)
        clips.append(Clip(source, "rawframes", 0, int(count), int_label(list_path, n, label, num_class),
                          frame_dir, frame_template=suffix))
    if not clips:
        raise ModelInputError(list_path, "list file has no entries")
    return clips


def read_paddle_video_list(list_path: str | Path, root: str | Path | None = None,
                           num_class: int | None = None, suffix: str | None = None) -> list[Clip]:
    """Clips of a PaddleVideo `video` list (VideoDataset): whole videos `filename + suffix`."""
    list_path = Path(list_path)
    clips = []
    for n, line in list_lines(list_path):
        filename, label = _fields(list_path, n, line, "filename label")
        source = media_path(Path(root) if root else None, list_path, filename + (suffix or ""))
        clips.append(Clip(source, "video", 0, None, int_label(list_path, n, label, num_class), filename))
    if not clips:
        raise ModelInputError(list_path, "list file has no entries")
    return clips
