"""Placing the log on the video's media clock (docs/telemetry.md, "Alignment").

Rules, first that applies: an explicit offset (the media time at which the log starts); absolute
time, when the video has a creation time and the log a wall clock; else the log starts with the
video. media_t = log_t + log_start_media_s, where log_t counts from the log's first sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

EXPLICIT = "explicit offset"
ABSOLUTE = "absolute time"
SAME_START = "log start = video start"


@dataclass(frozen=True)
class Alignment:
    rule: str
    log_start_media_s: float
    reason: str

    def describe(self) -> dict:
        return {"rule": self.rule, "offset_s": round(self.log_start_media_s, 3), "reason": self.reason}


def align(offset_s: float | None, wall_start_s: float | None, video_start: datetime | None) -> Alignment:
    if offset_s is not None:
        return Alignment(EXPLICIT, float(offset_s), "--telemetry-offset given")
    if video_start is not None and wall_start_s is not None:
        start = video_start if video_start.tzinfo is not None else video_start.replace(tzinfo=UTC)
        log_start = datetime.fromtimestamp(wall_start_s, UTC)
        reason = f"log starts {log_start.isoformat()}, video created {start.astimezone(UTC).isoformat()}"
        return Alignment(ABSOLUTE, wall_start_s - start.timestamp(), reason)
    if video_start is None and wall_start_s is None:
        reason = "the video has no creation time and the log no wall clock"
    elif video_start is None:
        reason = "the video has no creation time"
    else:
        reason = "the log has no wall-clock time"
    return Alignment(SAME_START, 0.0, reason)
