"""Logs of several trips in one file: loggers that append each trip to the same file, or files joined
by hand, repeat the header line and start the clock again. Averaging such trips on one clock
gives speeds no drive had (a 60 km/h trip and a 20 km/h one read 40 km/h), so they are never merged.

A trip starts at the first data row, at a line repeating the header, and where the clock starts
again (timebase.clock_restarts: a fall of more than a second, sorted runs between falls). With a wall
clock placed in UTC and a video creation time, the one trip that overlaps the video is used and the
others are named; otherwise the file is refused with the line at which it restarts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import pandas as pd

from dms.core.errors import InputError
from dms.telemetry.timebase import ClockColumn, LogClock, clock_restarts


@dataclass(frozen=True)
class Trip:
    """Rows [first_row, end_row) of a file's data; lines first_line..last_line of the file (1-based),
    once `with_lines` has counted them."""

    first_row: int
    end_row: int
    reason: str  # why it starts here: "first data row", "the header repeats" or "the clock goes back ..."
    first_line: int | None = None
    last_line: int | None = None

    @property
    def lines(self) -> str:
        return f"lines {self.first_line}-{self.last_line}"


def find_trips(frame: pd.DataFrame, clock: LogClock) -> list[Trip]:
    """The file's trips, in row order (one for a file of one trip)."""
    starts = {0: "first data row"}
    for row in _header_rows(frame):
        starts.setdefault(row, "the header repeats")
    seconds = clock.primary.seconds
    shown = np.flatnonzero(np.isfinite(seconds))
    for after in clock_restarts(seconds):
        before = shown[np.searchsorted(shown, after) - 1]
        if not any(before < row <= after for row in starts):  # a repeated header already split here
            drop = seconds[before] - seconds[after]
            starts[after] = f"the clock goes back {drop:.1f} s"
            if clock.primary.naive and abs(drop - 3600.0) <= 60.0:
                starts[after] += " (the end of summer time? name the log's zone in --telemetry-map)"
    rows = sorted(starts)
    ends = rows[1:] + [len(frame)]
    return [Trip(start, end, starts[start]) for start, end in zip(rows, ends, strict=True) if end > start]


def with_lines(trips: list[Trip], lines: np.ndarray) -> list[Trip]:
    """The trips with their file lines; `lines[r]` is the line (1-based) of data row r."""
    return [replace(t, first_line=int(lines[t.first_row]), last_line=int(lines[t.end_row - 1]))
            for t in trips]


def choose_trip(
    name: str, clock: LogClock, trips: list[Trip], video_start: datetime | None,
    video_duration_s: float | None, offset_s: float | None,
) -> tuple[Trip, str]:
    """The trip that overlaps the video, and a note naming the others; InputError (the line at which
    the log restarts) when the clocks cannot tell which trip the video is."""
    restart = trips[1]
    problem = (
        f"the log restarts at line {restart.first_line} ({restart.reason}): {len(trips)} trips in one file "
        f"({', '.join(t.lines for t in trips)})"
    )
    wall = clock.wall
    if wall is None or video_start is None or offset_s is not None:
        why = ("the log has no wall-clock time" if wall is None else
               "--telemetry-offset places the whole file" if offset_s is not None else
               "the video has no creation time")
        raise InputError(name, f"{problem}; {why}, so the trip of this video cannot be told: "
                               "give this drive's trip alone")
    start = video_start.timestamp()
    end = start + (video_duration_s or 0.0)
    overlapping = [trip for trip in trips if _overlaps(wall, trip, start, end)]
    if len(overlapping) != 1:
        found = "none of them overlaps" if not overlapping else f"{len(overlapping)} of them overlap"
        raise InputError(name, f"{problem}; {found} the video: give this drive's trip alone")
    chosen = overlapping[0]
    others = ", ".join(t.lines for t in trips if t is not chosen)
    note = f"{name} holds {len(trips)} trips: used the one at {chosen.lines} (it overlaps the video), "
    return chosen, note + f"left out {others}"


def only_trip(clock: LogClock, trip: Trip) -> LogClock:
    """The file's clocks with every row outside `trip` unplaced (NaN), so no other trip is merged."""

    def keep(column: ClockColumn | None) -> ClockColumn | None:
        if column is None:
            return None
        seconds = np.full(column.seconds.shape, np.nan)
        seconds[trip.first_row:trip.end_row] = column.seconds[trip.first_row:trip.end_row]
        return replace(column, seconds=seconds)

    return replace(clock, wall=keep(clock.wall), relative=keep(clock.relative))


def _overlaps(wall: ClockColumn, trip: Trip, start: float, end: float) -> bool:
    seconds = wall.seconds[trip.first_row:trip.end_row]
    seconds = seconds[np.isfinite(seconds)]
    return seconds.size > 0 and float(seconds.min()) <= end and float(seconds.max()) >= start


def _header_rows(frame: pd.DataFrame) -> list[int]:
    """Data rows that repeat the header line (every cell its column's name)."""
    named = [name for name in frame.columns if not str(name).startswith("Unnamed:")]  # pandas' names
    if not named:
        return []
    candidates = np.flatnonzero(frame[named[0]].astype(str).str.strip().to_numpy() == named[0])
    return [
        int(row) for row in candidates
        if all(str(frame[name].iloc[row]).strip() == name for name in named)
    ]
