"""Several files of one drive (e.g. CAN, GNSS and IMU logged apart) on one clock.

The common clock is wall-clock time when every file has it, else a relative clock all files share
(comma2k19's `boot_time_s`); a file that has both also places the shared clock in wall-clock time.
Each signal comes from the file with the best column for it (vehicle speed over GPS speed, then
more samples); its samples are sorted, and samples with the same time are averaged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dms.core.errors import InputError
from dms.telemetry.detection import SignalColumn
from dms.telemetry.logfile import LogFile


@dataclass(frozen=True)
class SignalSeries:
    """One signal's samples on the drive clock, in canonical units, sorted, no NaN, no repeats."""

    name: str
    t: np.ndarray  # seconds from the drive's log start
    values: np.ndarray
    source: str  # "file.csv: column"
    unit: str  # the unit the log used
    unit_source: str


@dataclass(frozen=True)
class MergedLog:
    series: dict[str, SignalSeries]
    clock: str  # which clock the files were put on
    duration_s: float
    wall_start_s: float | None  # UTC epoch seconds of the log start, when a wall clock is known


def merge_logs(files: list[LogFile]) -> MergedLog:
    base, clock, wall_offset = _common_clock(files)
    starts = [np.nanmin(t) for t in base if np.isfinite(t).any()]
    ends = [np.nanmax(t) for t in base if np.isfinite(t).any()]
    if not starts:
        raise InputError(files[0].path, "no readable time values")
    start = float(min(starts))
    chosen: dict[str, tuple[int, SignalColumn]] = {}
    for index, log in enumerate(files):
        for name, column in log.signals.items():
            current = chosen.get(name)
            if current is None or _rank(column) > _rank(current[1]):
                chosen[name] = (index, column)
    series = {}
    for name, (index, column) in chosen.items():
        t, values = _clean(base[index] - start, column.values)
        if t.size >= 2:
            source = f"{files[index].path.name}: {column.column}"
            series[name] = SignalSeries(name, t, values, source, column.unit, column.unit_source)
    if not series:
        raise InputError(files[0].path, "no signal has two or more samples with readable times")
    wall_start = start + wall_offset if wall_offset is not None else None
    return MergedLog(series, clock, float(max(ends)) - start, wall_start)


def _common_clock(files: list[LogFile]) -> tuple[list[np.ndarray], str, float | None]:
    """Per-file time arrays on one clock, its description, and wall time minus that clock."""
    if all(f.clock.wall is not None for f in files):
        return [f.clock.wall.seconds for f in files], "wall clock (UTC)", 0.0
    keys = {f.clock.relative_key for f in files}
    if len(keys) == 1 and None not in keys:
        offsets = [
            np.nanmedian(f.clock.wall.seconds - f.clock.relative.seconds)
            for f in files
            if f.clock.wall is not None
        ]
        wall_offset = float(np.median(offsets)) if offsets else None
        return [f.clock.relative.seconds for f in files], keys.pop(), wall_offset
    first = files[0]
    for other in files[1:]:
        if not _shares_clock(first, other):
            raise InputError(
                other.path,
                f"shares no clock with {first.path.name} (its time is {other.clock.primary.column!r}, "
                f"{other.clock.primary.form}; {first.path.name} has {first.clock.primary.column!r}, "
                f"{first.clock.primary.form}); logs of one drive need a common time column",
            )
    raise InputError(first.path, "the files mix wall-clock and relative times; give every file a wall clock")


def _shares_clock(a: LogFile, b: LogFile) -> bool:
    both_wall = a.clock.wall is not None and b.clock.wall is not None
    return both_wall or (a.clock.relative_key is not None and a.clock.relative_key == b.clock.relative_key)


def _clean(t: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = np.isfinite(t) & np.isfinite(values)
    t, values = t[keep], values[keep]
    if t.size < 2 or np.all(np.diff(t) > 0):
        return t, values
    order = np.argsort(t, kind="stable")
    t, values = t[order], values[order]
    unique_t, first = np.unique(t, return_index=True)
    counts = np.diff(np.append(first, t.size))
    return unique_t, np.add.reduceat(values, first) / counts


def _rank(column: SignalColumn) -> tuple[int, int]:
    return column.preference, column.valid
