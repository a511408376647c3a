"""Time columns recognised by their values: NMEA `hhmmss.ss` time of day and elapsed counters.

GPS receivers write the time of day as NMEA 0183 does (`hhmmss.ss`, UTC, e.g. `100055.20` is
10:00:55.2); read as plain seconds it jumps 40 s at every minute and 4040 s at every hour. Engine
loggers write a run-time or elapsed counter (OBD-II PID 0x1F, "run time since engine start", in
seconds) under names such as carOBD's `ENGINE_RUN_TINE ()` that say no "time".
"""

from __future__ import annotations

import numpy as np

_DAY_S = 86400.0
_MIN_COUNTER_ROWS = 10


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
    return shown.size >= 2 and bool(np.all(np.diff(shown) >= 0))
