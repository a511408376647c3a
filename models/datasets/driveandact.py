"""Drive&Act mid-level activity chunks (CSV: participant, file, frame range, activity) -> video clips."""

from __future__ import annotations

import csv
from pathlib import Path

from models.datasets.clip import Clip
from models.errors import ModelInputError
from models.labelmap import DatasetClasses

HEADER = ["participant_id", "file_id", "annotation_id", "frame_start", "frame_end", "activity", "chunk_id"]


def read_driveandact(csv_path: str | Path, video_root: str | Path, classes: DatasetClasses,
                     video_ext: str = ".mp4") -> list[Clip]:
    """One clip per row: frames [frame_start, frame_end) of video_root/file_id + video_ext."""
    csv_path, video_root = Path(csv_path), Path(video_root)
    try:
        with csv_path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ModelInputError(csv_path, f"cannot read Drive&Act list: {exc}") from exc
    if not rows or rows[0] != HEADER:
        raise ModelInputError(csv_path, f"line 1: expected header {','.join(HEADER)}")
    clips = []
    for n, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(HEADER):
            raise ModelInputError(csv_path, f"line {n}: expected {len(HEADER)} fields, got {len(row)}")
        participant, file_id, _, start, end, activity, _ = row
        try:
            start_i, end_i = int(start), int(end)
        except ValueError:
            raise ModelInputError(csv_path, f"line {n}: frame_start/frame_end are not integers") from None
        if start_i < 0 or end_i <= start_i:
            raise ModelInputError(csv_path, f"line {n}: empty or negative frame range {start_i}..{end_i}")
        if activity not in classes.classes:
            raise ModelInputError(csv_path, f"line {n}: unknown activity {activity!r}")
        clips.append(Clip(video_root / f"{file_id}{video_ext}", "video", start_i, end_i - start_i,
                          classes.index(activity), participant))
    if not clips:
        raise ModelInputError(csv_path, "no rows")
    return clips
