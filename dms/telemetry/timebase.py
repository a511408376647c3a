"""Finding a log's clock: which column holds time, in which form, and what it means.

Forms: epoch seconds/ms/µs/ns and date strings (ISO-8601, Torque's `23-Feb-2022 06:34:27.403`
device time, Android's `Wed Feb 23 06:37:13 GMT+08:00 2022`) are wall clocks; small numbers are
seconds (or ms) from the log's start or from the logger's boot, or NMEA `hhmmss.ss` time of day.
A column whose name says no time is still taken when its values are an elapsed counter (carOBD's
`ENGINE_RUN_TINE ()`). A file can carry both, as comma2k19's GNSS log does (boot time and UTC):
both are kept, so files of one drive that share only the boot clock can still be placed in
wall-clock time.

Time columns recognised by their values: GPS receivers write the time of day as NMEA 0183 does
(`hhmmss.ss`, UTC, e.g. `100055.20` is 10:00:55.2); read as plain seconds it jumps 40 s at every
minute and 4040 s at every hour. Engine loggers write a run-time or elapsed counter (OBD-II PID
0x1F, "run time since engine start", in seconds) under names such as carOBD's
`ENGINE_RUN_TINE ()` that say no "time".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import tzinfo
from pathlib import Path

import numpy as np
import pandas as pd

from dms.core.errors import InputError
from dms.telemetry.mapping import TelemetryMap
from dms.telemetry.names import name_tokens, signal_of
from dms.telemetry.reading import describe_columns

TIME_WORDS = frozenset(
    {"time", "timestamp", "ts", "t", "date", "datetime", "utc", "epoch", "clock", "gmt", "seconds", "secs",
     "elapsed", "runtime", "uptime"}
)
# Units of other quantities: a column stating one is not a counter of seconds (an odometer in km).
_NOT_SECONDS = re.compile(r"[(\[]\s*(km|m|mi|%|rpm|l|kpa|psi|°c|°f|v|deg|°)\s*[)\]]", re.IGNORECASE)
_SCALE_WORDS = {
    "ms": 1e-3, "msec": 1e-3, "millis": 1e-3,
    "us": 1e-6, "usec": 1e-6, "micros": 1e-6,
    "ns": 1e-9, "nanos": 1e-9,
}
_EPOCH_NAMES = {1.0: "epoch_s", 1e-3: "epoch_ms", 1e-6: "epoch_us", 1e-9: "epoch_ns"}
_EPOCH_FORMS = ((1e17, "epoch_ns", 1e-9), (1e14, "epoch_us", 1e-6), (1e11, "epoch_ms", 1e-3))
_EARLIEST_EPOCH_S = 3e8  # 1979: smaller numbers are relative clocks, not wall-clock time
_STRING_FORMS = (
    ("device_time", ("%d-%b-%Y %H:%M:%S.%f", "%d-%b-%Y %H:%M:%S")),
    ("android_time", ("%a %b %d %H:%M:%S GMT%z %Y",)),
    ("iso8601", ("ISO8601",)),
)
_NUMERIC_FORMS = frozenset(
    {"auto", "epoch_s", "epoch_ms", "epoch_us", "epoch_ns", "seconds_from_start", "seconds_from_boot",
     "ms_from_start", "nmea_hhmmss"}
)
_OFFSET_SUFFIX = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
_DAY_S = 86400.0
# A drive's log spans hours: a wall-clock stamp a day or more from the column's median is a
# placeholder (a default date, GPS week rollover), not a time of this drive.
PLACEHOLDER_DAYS = 1.0
# A clock that falls back by more than this between rows starts again (a new trip in the same
# file); a fall of milliseconds is jitter between sensors logged together.
RESTART_FALL_S = 1.0
MIN_TRIP_ROWS = 10
_MIN_COUNTER_ROWS = 10


@dataclass(frozen=True)
class ClockColumn:
    """One column read as time: per-row seconds (NaN where unreadable)."""

    column: str
    form: str
    seconds: np.ndarray  # wall clocks: UTC epoch seconds; relative clocks: seconds on that clock
    wall: bool
    naive: bool = False  # wall-clock text without a zone; `seconds` then read it as UTC
    found_by: str = "name"  # "name", "values" (an elapsed counter whose name says no time) or "map"
    placeholders: int = 0  # rows whose stamp was a placeholder (0, -1, a default date), left unplaced

    @property
    def valid(self) -> int:
        return int(np.isfinite(self.seconds).sum())


@dataclass(frozen=True)
class LogClock:
    """A file's clocks: the wall clock (UTC) and/or a relative one, per row."""

    wall: ClockColumn | None
    relative: ClockColumn | None
    timezone_note: str | None = None  # how naive wall-clock text was placed in UTC

    @property
    def primary(self) -> ClockColumn:
        """The wall clock if the file has one; every file has at least one of the two."""
        return self.wall or self.relative

    @property
    def relative_key(self) -> str | None:
        """Files of one drive share a relative clock when its column and form are the same."""
        return f"{self.relative.column} ({self.relative.form})" if self.relative is not None else None


def detect_clock(frame: pd.DataFrame, path: Path, mapping: TelemetryMap) -> LogClock:
    """The file's clock from the mapping if it names a column here, else from names and values."""
    if mapping.time_column is not None and mapping.time_column in frame.columns:
        column = read_clock_column(frame[mapping.time_column], mapping.time_form)
        if column is None or column.valid < 2:
            problem = f"time column {mapping.time_column!r} cannot be read as {mapping.time_form}"
            raise InputError(path, problem)
        column = replace(column, found_by="map")
        wall, relative = (column, None) if column.wall else (None, column)
    elif mapping.sample_rate_hz is not None:  # the user said how the rows are timed
        wall = relative = None
    else:
        candidates = [
            column
            for name in frame.columns
            if TIME_WORDS.intersection(name_tokens(name))
            and (column := read_clock_column(frame[name], "auto")) is not None
            and _looks_like_a_clock(column.seconds)
        ]
        candidates += _counters_by_value(frame, {c.column for c in candidates})
        wall = _best([c for c in candidates if c.wall])
        relative = _best([c for c in candidates if not c.wall])
    if wall is None and relative is None:
        if mapping.sample_rate_hz is None:
            raise InputError(
                path,
                "no time column (no column named like time/timestamp/date with readable times, "
                "and no elapsed counter; "
                f"{describe_columns(frame.columns)}); name it in --telemetry-map or give sample_rate_hz",
            )
        seconds = np.arange(len(frame), dtype=float) / mapping.sample_rate_hz
        relative = ClockColumn(f"row number / {mapping.sample_rate_hz:g} Hz", "sample_rate", seconds, False)
    if wall is not None and wall.naive:
        return _placed_in_utc(frame, wall, relative, mapping.timezone)
    return LogClock(wall, relative)


def read_clock_column(series: pd.Series, form: str) -> ClockColumn | None:
    """The column read as time in `form` ('auto' to infer it), or None if it is not time."""
    name = str(series.name)
    numbers = pd.to_numeric(series, errors="coerce")
    present = int(series.notna().sum())
    if present == 0:
        return None
    if form in _NUMERIC_FORMS and numbers.notna().sum() >= 0.9 * present:
        return _numeric_clock(name, numbers.to_numpy(dtype=float), form)
    if form in _NUMERIC_FORMS - {"auto"}:
        return None
    for string_form, formats in _STRING_FORMS:
        if form in ("auto", string_form):
            parsed = _parse_datetimes(series, formats)
            if parsed is not None and parsed.notna().sum() >= 0.9 * present:
                naive = parsed.dt.tz is None
                utc = parsed if naive else parsed.dt.tz_convert("UTC").dt.tz_localize(None)
                seconds = (utc - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy(dtype=float)
                return _without_placeholders(ClockColumn(name, string_form, seconds, True, naive))
    return None


def _without_placeholders(column: ClockColumn) -> ClockColumn:
    """A wall clock without the stamps loggers write before they know the time (a GPS without a
    fix writes 0 or -1, a clock not yet set its default date): zero, negative, or more than
    `PLACEHOLDER_DAYS` from the column's median. They become NaN (their rows are not placed)."""
    seconds = column.seconds
    finite = np.isfinite(seconds)
    if not (finite & (seconds > 0)).any():
        return column
    median = float(np.median(seconds[finite & (seconds > 0)]))  # however many rows wait for a fix
    placeholder = finite & ((seconds <= 0) | (np.abs(seconds - median) > PLACEHOLDER_DAYS * _DAY_S))
    if not placeholder.any():
        return column
    kept = np.where(placeholder, np.nan, seconds)
    return replace(column, seconds=kept, placeholders=int(placeholder.sum()))


def _numeric_clock(name: str, values: np.ndarray, form: str) -> ClockColumn | None:
    tokens = name_tokens(name)
    if form == "nmea_hhmmss" or form == "auto":
        of_day = nmea_seconds(values)
        if of_day is not None:
            return ClockColumn(name, "nmea_hhmmss", of_day, False)
        if form == "nmea_hhmmss":
            return None
    if form == "auto":
        scale = next((_SCALE_WORDS[t] for t in reversed(tokens) if t in _SCALE_WORDS), 1.0)
        stamps = values[np.isfinite(values) & (values > 0)]  # 0 and -1 are placeholders, not magnitudes
        magnitude = float(np.median(stamps)) if stamps.size else 0.0
        if scale == 1.0:
            for threshold, epoch_form, epoch_scale in _EPOCH_FORMS:
                if magnitude >= threshold:
                    return _without_placeholders(ClockColumn(name, epoch_form, values * epoch_scale, True))
        seconds = values * scale
        if magnitude * scale >= _EARLIEST_EPOCH_S:
            return _without_placeholders(ClockColumn(name, _EPOCH_NAMES[scale], seconds, True))
        unit = "ms" if scale == 1e-3 else "seconds"
        origin = "boot" if "boot" in tokens else "start"
        return ClockColumn(name, f"{unit}_from_{origin}", seconds, False)
    scale = {"epoch_ms": 1e-3, "epoch_us": 1e-6, "epoch_ns": 1e-9, "ms_from_start": 1e-3}.get(form, 1.0)
    column = ClockColumn(name, form, values * scale, form.startswith("epoch"))
    return _without_placeholders(column) if column.wall else column


def _parse_datetimes(series: pd.Series, formats: tuple[str, ...]) -> pd.Series | None:
    text = series.dropna().astype(str).str.strip()
    if text.empty:
        return None
    # offsets per row (a DST change moves them): read to UTC, never as mixed-offset objects
    aware = any("%z" in fmt for fmt in formats) or (
        formats == ("ISO8601",) and bool(_OFFSET_SUFFIX.search(text.iloc[0]))
    )
    parsed = None
    for fmt in formats:
        attempt = pd.to_datetime(text, format=fmt, errors="coerce", utc=aware)
        parsed = attempt if parsed is None else parsed.fillna(attempt)
    return parsed.reindex(series.index)


def _looks_like_a_clock(seconds: np.ndarray) -> bool:
    """Mostly distinct values (row order may be shuffled), or stamps that never fall, written with
    repeats (whole-second stamps, many rows per second): not a lap time that rarely moves. A clock
    that starts again (trips appended to one file) never falls between its restarts."""
    finite = seconds[np.isfinite(seconds)]
    if finite.size < 2 or np.ptp(finite) <= 0:
        return False
    distinct = np.unique(finite).size
    return distinct >= 0.5 * finite.size or (
        distinct >= 3 and (is_non_decreasing(finite) or bool(clock_restarts(seconds)))
    )


def clock_restarts(seconds: np.ndarray) -> list[int]:
    """Rows at which the clock starts again: it falls back by more than `RESTART_FALL_S` there and
    never falls between restarts, over at least `MIN_TRIP_ROWS` rows each (trips appended to one
    file). Falls in rows out of order (a log written unsorted) are no restarts: []."""
    shown = np.flatnonzero(np.isfinite(seconds))
    values = seconds[shown]
    falls = np.flatnonzero(np.diff(values) < -RESTART_FALL_S) + 1
    if falls.size == 0:
        return []
    pieces = np.split(values, falls)
    if all(piece.size >= MIN_TRIP_ROWS and is_non_decreasing(piece) for piece in pieces):
        return [int(shown[i]) for i in falls]
    return []


def _counters_by_value(frame: pd.DataFrame, taken: set[str]) -> list[ClockColumn]:
    """Numeric columns whose values are an elapsed counter though the name says no time (seconds)."""
    found = []
    for name in frame.columns:
        if name in taken or _NOT_SECONDS.search(name) or signal_of(name) is not None:
            continue
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
        if np.isfinite(values).sum() < 0.9 * frame[name].notna().sum() or not is_elapsed_counter(values):
            continue
        of_day = nmea_seconds(values)
        if of_day is not None:
            found.append(ClockColumn(name, "nmea_hhmmss", of_day, False, found_by="values"))
        else:
            found.append(ClockColumn(name, "seconds_from_start", values, False, found_by="values"))
    return found


def _best(columns: list[ClockColumn]) -> ClockColumn | None:
    """A named column of mostly distinct times first; else the most readable, most distinct one
    (carOBD: the run-time counter found by its values beats `TIME_SINCE_TROUBLE_CODES_CLEARED`,
    a named minute counter)."""

    def rank(column: ClockColumn) -> tuple[bool, int, int]:
        distinct = _distinct(column)
        return column.found_by == "name" and distinct >= 0.5 * column.valid, column.valid, distinct

    return max(columns, key=rank, default=None)


def _placed_in_utc(
    frame: pd.DataFrame, wall: ClockColumn, relative: ClockColumn | None, zone: tzinfo | None
) -> LogClock:
    """Naive local times placed in UTC row by row: in the mapped zone (its DST rules, the repeated
    hour of a fall-back told by row order), else by the offsets a sibling column states on each
    row (Torque's `GPS Time`: GMT+02:00 before a fall-back, GMT+01:00 after it)."""
    if zone is not None:
        offsets = _zone_offsets(wall.seconds, zone)
        note = f"{zone} (from --telemetry-map)"
    else:
        offsets, source = _sibling_offsets(frame, wall)
        note = f"{_offsets_text(offsets)} (from {source!r})" if source else "assumed UTC (no zone in the log)"
    return LogClock(replace(wall, seconds=wall.seconds - offsets), relative, note)


def _zone_offsets(naive_s: np.ndarray, zone: tzinfo) -> np.ndarray:
    """UTC offset (s) of each naive local time in `zone`; NaN for a time the zone skips (the hour
    of a spring-forward change). A time the zone has twice (the hour repeated at a fall-back) is in
    summer time until the clock has gone back in the rows before it, in standard time after."""
    finite = np.isfinite(naive_s)
    offsets = np.full(naive_s.shape, np.nan)
    values = naive_s[finite]
    local = pd.DatetimeIndex(pd.to_datetime(values, unit="s"))

    def utc_seconds(summer: bool) -> np.ndarray:
        placed = local.tz_localize(zone, ambiguous=np.full(len(local), summer), nonexistent="NaT")
        utc = placed.tz_convert("UTC").tz_localize(None)
        return (utc - pd.Timestamp("1970-01-01")).total_seconds().to_numpy()

    summer, standard = utc_seconds(True), utc_seconds(False)
    earlier_max = np.concatenate([[-np.inf], np.maximum.accumulate(values)[:-1]])
    went_back = earlier_max > values
    utc = np.where((summer != standard) & went_back, standard, summer)
    offsets[finite] = values - utc
    return offsets


def _sibling_offsets(frame: pd.DataFrame, wall: ClockColumn) -> tuple[np.ndarray, str | None]:
    """Per row, the naive clock minus a zoned sibling clock, in whole quarter hours; rows where the
    sibling is empty (no GPS fix yet) take the nearest row's offset."""
    for name in frame.columns:
        if name == wall.column or not TIME_WORDS.intersection(name_tokens(name)):
            continue
        column = read_clock_column(frame[name], "auto")
        if column is None or not column.wall or column.naive:
            continue
        difference = pd.Series(np.round((wall.seconds - column.seconds) / 900.0) * 900.0)
        if difference.notna().any():
            return difference.ffill().bfill().to_numpy(dtype=float), name
    return np.zeros(wall.seconds.shape), None


def _offsets_text(offsets: np.ndarray) -> str:
    """'UTC+02:00', or 'UTC+02:00 then UTC+01:00' where the offset changes (a DST change)."""
    shown: list[float] = []
    for offset in offsets[np.isfinite(offsets)]:
        if not shown or offset != shown[-1]:
            shown.append(float(offset))
    return " then ".join(_offset_text(offset) for offset in shown) if shown else "UTC+00:00"


def _offset_text(offset_s: float) -> str:
    sign = "+" if offset_s >= 0 else "-"
    minutes = int(round(abs(offset_s) / 60))
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _distinct(column: ClockColumn) -> int:
    return int(np.unique(column.seconds[np.isfinite(column.seconds)]).size)


# --- time columns recognised by their values ---------------------------------------------------


def nmea_seconds(values: np.ndarray) -> np.ndarray | None:
    """Seconds since midnight (UTC) per row if the column reads as NMEA `hhmmss(.ss)`, else None.

    Every finite value must be a valid time of day (hh < 24, mm < 60, ss < 60) and the log must
    cross a minute: a seconds counter spanning 100 s or more always holds values whose last two
    digits are 60-99, and within one minute both readings give the same time differences. A fall
    of more than 12 h between rows is midnight: the following rows are on the next day.
    """
    finite = np.isfinite(values)
    shown = values[finite]
    if shown.size < 2 or np.any(shown < 0) or np.any(shown >= 240000):
        return None
    minutes_part = np.floor(shown / 100.0)
    seconds_part = shown - 100.0 * minutes_part
    if np.any(minutes_part % 100 >= 60) or np.any(seconds_part >= 60):
        return None
    if np.unique(minutes_part).size < 2:
        return None
    of_day = np.floor(minutes_part / 100.0) * 3600.0 + (minutes_part % 100) * 60.0 + seconds_part
    days = np.concatenate([[0.0], np.cumsum(np.diff(of_day) < -_DAY_S / 2)])
    seconds = np.full(values.shape, np.nan)
    seconds[finite] = of_day + days * _DAY_S
    return seconds


def is_elapsed_counter(values: np.ndarray) -> bool:
    """True for a counter that only goes up from zero or more, like an engine run time.

    Non-decreasing in row order, not negative, and at least one distinct value per ten rows (a
    logger writing several rows per counter step; carOBD writes about 3.7 rows per step).
    """
    shown = values[np.isfinite(values)]
    if shown.size < _MIN_COUNTER_ROWS or np.any(shown < 0) or np.ptp(shown) <= 0:
        return False
    return bool(np.all(np.diff(shown) >= 0)) and np.unique(shown).size >= max(3, 0.1 * shown.size)


def is_non_decreasing(values: np.ndarray) -> bool:
    """True when the finite values never fall in row order (a clock written with repeats)."""
    shown = values[np.isfinite(values)]
    return shown.size < 2 or bool(np.all(np.diff(shown) >= 0))
