"""Decode the frames of a clip (frame folder, video stretch or still) as RGB uint8 arrays."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from models.datasets.clip import Clip
from models.errors import ModelInputError


def clip_length(clip: Clip) -> int:
    """Frames in the clip; whole-video clips are counted from the container."""
    if clip.num_frames is not None:
        return clip.num_frames
    cap = cv2.VideoCapture(str(clip.source))
    try:
        if not cap.isOpened():
            raise ModelInputError(clip.source, "cannot open video")
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) - clip.start
    finally:
        cap.release()
    if count < 1:
        raise ModelInputError(clip.source, "video has no frames")
    return count


def _read_image(path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ModelInputError(path, "cannot read image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _read_video(clip: Clip, indices: Sequence[int]) -> list[np.ndarray]:
    """Seek once to the first wanted frame, then read forward (seeking per frame is slow on long GOPs)."""
    wanted = sorted(set(indices))
    cap = cv2.VideoCapture(str(clip.source))
    try:
        if not cap.isOpened():
            raise ModelInputError(clip.source, "cannot open video")
        position = clip.start + wanted[0]
        cap.set(cv2.CAP_PROP_POS_FRAMES, position)
        decoded: dict[int, np.ndarray] = {}
        index = wanted[0]
        while index <= wanted[-1]:
            ok, image = cap.read()
            if not ok:
                raise ModelInputError(clip.source, f"cannot decode frame {clip.start + index}")
            if index in wanted:
                decoded[index] = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
            index += 1
    finally:
        cap.release()
    return [decoded[i] for i in indices]


def load_frames(clip: Clip, indices: Sequence[int]) -> list[np.ndarray]:
    """Frames `indices` (0-based within the clip) as RGB arrays."""
    if clip.kind == "image":
        image = _read_image(clip.source)
        return [image for _ in indices]
    if clip.kind == "rawframes":
        return [_read_image(clip.source / clip.frame_template.format(clip.start + i + 1)) for i in indices]
    if clip.kind == "video":
        return _read_video(clip, [int(i) for i in indices])
    raise ValueError(f"unknown clip kind {clip.kind!r}")
