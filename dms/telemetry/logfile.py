"""One telemetry file read, with its clock and the signals found in it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dms.core.errors import InputError
from dms.telemetry.detection import SignalColumn, detect_signals
from dms.telemetry.mapping import TelemetryMap
from dms.telemetry.reading import data_lines, describe_columns, read_log_csv
from dms.telemetry.timebase import LogClock, detect_clock
from dms.telemetry.trips import Trip, find_trips, with_lines


@dataclass(frozen=True)
class LogFile:
    path: Path
    columns: tuple[str, ...]
    rows: int
    clock: LogClock
    signals: dict[str, SignalColumn]
    trips: tuple[Trip, ...] = ()  # more than one: trips concatenated in one file (dms.telemetry.trips)

    def describe(self) -> dict:
        clock = self.clock.primary
        return {
            "path": str(self.path),
            "rows": self.rows,
            "time_column": clock.column,
            "time_form": clock.form,
            "time_found_by": clock.found_by,
            "timezone": self.clock.timezone_note,
            "placeholder_stamps": clock.placeholders,  # 0, -1 or a default date: those rows unplaced
            "relative_clock": self.clock.relative_key,
            "signals": {
                name: {"column": s.column, "unit": s.unit, "unit_from": s.unit_source}
                for name, s in self.signals.items()
            },
        }


def read_log_file(path: Path, mapping: TelemetryMap) -> LogFile:
    """Read one CSV; InputError (naming the columns seen) if it has no clock or no usable signal."""
    frame = read_log_csv(path)
    clock = detect_clock(frame, path, mapping)
    signals = detect_signals(frame, path, mapping)
    if not signals:
        raise InputError(
            path,
            "no usable signal (speed, acceleration, steering, latitude/longitude, heading) with numbers; "
            f"{describe_columns(frame.columns)}",
        )
    trips = find_trips(frame, clock)
    if len(trips) > 1:
        trips = with_lines(trips, data_lines(path))
    return LogFile(path, tuple(frame.columns), len(frame), clock, signals, tuple(trips))
