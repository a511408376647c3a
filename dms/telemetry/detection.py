"""Finding the vehicle signals in a log by column name and unit, or as the mapping file says.

A column qualifies by its name parts (`GPS Speed (Meters/second)` -> speed in m/s) and by its
values (latitudes within ±90°, ...). Names of derived figures (average, max, 0-100 km/h time,
GPS-vs-OBD difference, wheel speeds) are skipped. Vehicle (OBD/CAN) speed is preferred to GPS
speed, then the column with more samples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dms.core.errors import InputError
from dms.telemetry.mapping import TelemetryMap
from dms.telemetry.names import name_tokens, signal_of
from dms.telemetry.units import (
    DEFAULT_UNITS,
    UNIT_TABLES,
    bracketed_parts,
    normalise_unit,
    unit_dimension,
    unit_factor,
    unit_in_name,
)

# Units of other quantities: a column stating one of these is not a vehicle signal ("Long Term(%)").
_OTHER_UNITS = frozenset(
    {"%", "s", "rpm", "psi", "kpa", "°c", "°f", "v", "km", "m", "l", "mpg", "kpl", "l/100km"}
)
_VEHICLE = frozenset({"obd", "vehicle", "can", "vss", "car"})
_SATELLITE = frozenset({"gps", "gnss"})
_RANGES = {
    "speed": (-5.0, 500.0),
    "accel_long": (-100.0, 100.0),
    "accel_lat": (-100.0, 100.0),
    "steering": (-1e4, 1e4),
    "latitude": (-90.0, 90.0),
    "longitude": (-180.0, 180.0),
    "heading": (-360.0, 720.0),
}


@dataclass(frozen=True)
class SignalColumn:
    """One signal found in one file, converted per row to canonical units (NaN = missing)."""

    signal: str
    column: str
    unit: str  # as the log gives it (canonical spelling): km/h, m/s, mph, g, rad, ...
    unit_source: str  # "named" (in the column name), "mapped" or "assumed"
    values: np.ndarray
    preference: int = 1  # speed: 2 vehicle (OBD/CAN), 1 unspecified, 0 satellite

    @property
    def valid(self) -> int:
        return int(np.isfinite(self.values).sum())


def detect_signals(frame: pd.DataFrame, path: Path, mapping: TelemetryMap) -> dict[str, SignalColumn]:
    """The best column per signal in this file; mapped columns win over detected ones."""
    found: dict[str, SignalColumn] = {}
    for name in frame.columns:
        signal = signal_of(name)
        if signal is None or signal in mapping.signals or _states_other_unit(signal, name):
            continue
        unknown = _unknown_unit(signal, name)
        if unknown is not None:
            known = ", ".join(sorted({u for u, _ in UNIT_TABLES[signal].values()}))
            raise InputError(
                path,
                f"column {name!r} states the unit {unknown!r}, which is not a {signal} unit this program "
                f"can convert (known: {known}, and other units Pint reads); "
                "give the column's unit in --telemetry-map",
            )
        column = _read_signal(frame[name], signal, None)
        if column is not None and _plausible(column) and _better(column, found.get(signal)):
            found[signal] = column
    for signal, override in mapping.signals.items():
        if override.column not in frame.columns:
            continue
        column = _read_signal(frame[override.column], signal, override.unit)
        if column is None:
            raise InputError(path, f"mapped {signal} column {override.column!r} holds no numbers")
        found[signal] = column
    return found


def _read_signal(series: pd.Series, signal: str, mapped_unit: str | None) -> SignalColumn | None:
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    if np.isfinite(values).sum() < 2:
        return None
    name = str(series.name)
    if mapped_unit is not None:
        unit, source = mapped_unit, "mapped"
    elif (named := unit_in_name(signal, name)) is not None:
        unit, source = named, "named"
    else:
        unit, source = DEFAULT_UNITS[signal], "assumed"
    canonical = unit_factor(signal, unit)
    if canonical is None:
        return None
    unit_name, factor = canonical
    tokens = set(name_tokens(name))
    preference = 2 if tokens & _VEHICLE else 0 if tokens & _SATELLITE else 1
    return SignalColumn(signal, name, unit_name, source, values * factor, preference)


def _plausible(column: SignalColumn) -> bool:
    low, high = _RANGES[column.signal]
    finite = column.values[np.isfinite(column.values)]
    if column.signal == "speed":
        finite = finite * 3.6  # the range is in km/h
    return bool(np.all((finite >= low) & (finite <= high)))


def _better(candidate: SignalColumn, current: SignalColumn | None) -> bool:
    if current is None:
        return True
    return (candidate.preference, candidate.valid) > (current.preference, current.valid)


def _states_other_unit(signal: str, name: str) -> bool:
    """True when a bracket in the name holds a unit of another quantity (`(%)`, `(rpm)`, `(kPa)`)."""
    for bracketed in bracketed_parts(name):
        unit = normalise_unit(bracketed)
        if not unit or unit_factor(signal, bracketed) is not None:
            continue
        if unit in _OTHER_UNITS or any(unit in table for table in UNIT_TABLES.values()):
            return True
        if signal in ("speed", "accel_long", "accel_lat") and unit_dimension(bracketed):
            return True
    return False


def _unknown_unit(signal: str, name: str) -> str | None:
    """A bracketed unit the name states that neither fits nor is known (`(mi/hh)`), else None.

    Only text written like a unit (a `/` or the word `per`) counts, so `(OBD)` or `(GPS)` are
    labels, not units. Such a column must not be read with an assumed unit.
    """
    if unit_in_name(signal, name) is not None:
        return None
    for bracketed in bracketed_parts(name):
        if re.search(r"/|\bper\b", bracketed, re.IGNORECASE) and unit_factor(signal, bracketed) is None:
            return bracketed
    return None
