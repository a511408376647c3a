"""DMD OpenLABEL (VCD) annotations: driver_actions intervals on the annotation timeline -> stream clips.

Intervals are given in annotation (mosaic) frames, inclusive at both ends. Each camera stream starts
`sync.frame_shift` frames later than the annotation timeline (the body stream of a 6,777-frame
session has 6,762 frames and a shift of 15), so stream frame = annotation frame - frame_shift.
"""

from __future__ import annotations

import json
from pathlib import Path

from models.datasets.clip import Clip
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
    try:
        doc = json.loads(json_path.read_text(encoding="utf-8"))
        root = doc["openlabel"] if "openlabel" in doc else doc["vcd"]
        streams, actions = root["streams"], root.get("actions", {})
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelInputError(json_path, f"cannot read DMD annotation: {exc}") from exc
    except (KeyError, TypeError) as exc:
        raise ModelInputError(json_path, f"not an OpenLABEL/VCD annotation (missing {exc})") from exc
    if stream not in streams:
        raise ModelInputError(json_path, f"no stream {stream!r} (have: {', '.join(streams)})")
    try:
        props = streams[stream]["stream_properties"]
        shift = int(props.get("sync", {}).get("frame_shift", 0))
        total = int(props["total_frames"])
        video = video_root / streams[stream]["uri"]
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelInputError(json_path, f"stream {stream}: bad stream_properties ({exc!r})") from exc
    group = str(root.get("metadata", {}).get("name", json_path.stem)).split("_s", 1)[0]  # gA_1: the driver
    clips = []
    for uid, action in actions.items():
        level, _, name = str(action.get("type", "")).partition("/")
        if level != ACTION_LEVEL:
            continue
        if name not in classes.classes:
            raise ModelInputError(json_path, f"action {uid}: unknown driver action {name!r}")
        for interval in action.get("frame_intervals", []):
            try:
                first, last = int(interval["frame_start"]), int(interval["frame_end"])
            except (KeyError, TypeError, ValueError):
                raise ModelInputError(json_path, f"action {uid}: bad frame interval {interval!r}") from None
            if last < first:
                raise ModelInputError(json_path, f"action {uid}: ends ({last}) before start ({first})")
            start, stop = max(0, first - shift), min(total, last - shift + 1)
            if stop - start >= min_frames:
                clips.append(Clip(video, "video", start, stop - start, classes.index(name), group))
    return sorted(clips, key=lambda c: c.start)
