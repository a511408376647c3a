"""DMD OpenLABEL (VCD) annotations: driver_actions intervals on the annotation timeline -> stream clips.

Intervals are given in annotation (mosaic) frames, inclusive at both ends. Each camera stream starts
`sync.frame_shift` frames later than the annotation timeline (the body stream of a 6,777-frame
session has 6,762 frames and a shift of 15), so stream frame = annotation frame - frame_shift.
"""

from __future__ import annotations

from pathlib import Path

from models.datasets.clip import Clip
from models.datasets.openlabel import Annotation, read_openlabel
from models.errors import ModelInputError
from models.labelmap import DatasetClasses

ACTION_LEVEL = "driver_actions"


def read_dmd(json_path: str | Path, video_root: str | Path, classes: DatasetClasses,
             stream: str = "body_camera", min_frames: int = 1) -> list[Clip]:
    """Clips of `stream` (face_camera, body_camera, hands_camera) for every driver_actions interval.

    The video is video_root / the stream's uri. Intervals that fall outside the stream after the
    shift are cut to it; what is left shorter than `min_frames` is dropped.
    """
    json_path, video_root = Path(json_path), Path(video_root)
    annotation = read_openlabel(json_path, "DMD annotation")
    shift, total, uri = stream_sync(annotation, stream)
    video = video_root / uri
    group = str(annotation.metadata.get("name", json_path.stem)).split("_s", 1)[0]  # gA_1: the driver
    clips = []
    for action in annotation.actions:
        level, _, name = action.type.partition("/")
        if level != ACTION_LEVEL:
            continue
        if name not in classes.classes:
            raise ModelInputError(json_path, f"action {action.uid}: unknown driver action {name!r}")
        for first, last in action.intervals:
            start, stop = max(0, first - shift), min(total, last - shift + 1)
            if stop - start >= min_frames:
                clips.append(Clip(video, "video", start, stop - start, classes.index(name), group))
    return sorted(clips, key=lambda c: c.start)


def stream_sync(annotation: Annotation, stream: str) -> tuple[int, int, str]:
    """(frame_shift, total_frames, uri) of one camera stream of a DMD annotation."""
    streams = annotation.streams
    if stream not in streams:
        raise ModelInputError(annotation.path, f"no stream {stream!r} (have: {', '.join(streams)})")
    try:
        props = streams[stream]["stream_properties"]
        shift = int(props.get("sync", {}).get("frame_shift", 0))
        return shift, int(props["total_frames"]), str(streams[stream]["uri"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelInputError(annotation.path, f"stream {stream}: bad stream_properties ({exc!r})") from exc
