"""The `--telemetry-map` file: column names and units that override detection.

Example (data/telemetry_map.example.json):
    {"time": {"column": "ENGINE_RUN_TINE ()", "form": "seconds_from_start"},
     "sample_rate_hz": null, "timezone": null,
     "signals": {"speed": {"column": "VEHICLE_SPEED ()", "unit": "km/h"}}}
"""

from __future__ import annotations

import json
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, timedelta, timezone, tzinfo
from pathlib import Path

from dms.core.errors import InputError
from dms.telemetry.units import UNIT_TABLES, unit_factor

TIME_FORMS: tuple[str, ...] = (
    "auto",
    "epoch_s",
    "epoch_ms",
    "epoch_us",
    "epoch_ns",
    "iso8601",
    "device_time",
    "android_time",
    "seconds_from_start",
    "seconds_from_boot",
    "ms_from_start",
    "nmea_hhmmss",
)
SIGNALS: tuple[str, ...] = tuple(UNIT_TABLES)


@dataclass(frozen=True)
class SignalOverride:
    column: str
    unit: str | None = None


@dataclass(frozen=True)
class TelemetryMap:
    """What the user told us about the logs; empty fields leave detection in charge."""

    time_column: str | None = None
    time_form: str = "auto"
    sample_rate_hz: float | None = None  # for logs without any clock column: row i is at i / rate
    # zone of naive wall-clock times (a phone's local time): a fixed offset or an IANA zone with
    # its DST rules (zoneinfo)
    timezone: tzinfo | None = None
    signals: dict[str, SignalOverride] = field(default_factory=dict)


def parse_utc_offset(text: str) -> timezone | None:
    """'+08:00', '-0530', 'UTC' or 'Z' as a fixed-offset zone; None if it is not one of these."""
    if text.strip().upper() in ("UTC", "Z", "GMT"):
        return UTC
    match = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?", text.strip().upper())
    if match is None:
        return None
    sign = 1 if match.group(1) == "+" else -1
    return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0)))


def parse_zone(value: object) -> tzinfo | None:
    """A fixed offset (parse_utc_offset) or an IANA zone name ('Europe/Berlin', the tz database
    through zoneinfo); None if `value` is neither."""
    if not isinstance(value, str) or not value.strip():
        return None
    fixed = parse_utc_offset(value)
    if fixed is not None:
        return fixed
    try:
        return zoneinfo.ZoneInfo(value.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


def load_mapping(path: Path | str) -> TelemetryMap:
    """Read and check a mapping file; any problem is an InputError naming the file."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(path, "telemetry map not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"telemetry map is not readable JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise InputError(path, "telemetry map must be a JSON object")
    unknown = set(raw) - {"time", "sample_rate_hz", "timezone", "signals"}
    if unknown:
        expected = "time, sample_rate_hz, timezone, signals"
        raise InputError(path, f"unknown keys {sorted(unknown)}; expected {expected}")
    time_spec = raw.get("time") or {}
    if not isinstance(time_spec, dict):
        raise InputError(path, '"time" must be an object like {"column": "...", "form": "auto"}')
    form = time_spec.get("form", "auto")
    if form not in TIME_FORMS:
        raise InputError(path, f"time form {form!r} is not one of {', '.join(TIME_FORMS)}")
    rate = raw.get("sample_rate_hz")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float) or rate <= 0):
        raise InputError(path, f"sample_rate_hz must be a positive number, not {rate!r}")
    zone = None
    if raw.get("timezone") is not None:
        zone = parse_zone(raw["timezone"])
        if zone is None:
            raise InputError(path, f"timezone {raw['timezone']!r} is not an offset like '+08:00' or 'UTC', "
                                   "nor a zone name like 'Europe/Berlin'")
    return TelemetryMap(
        time_column=time_spec.get("column"),
        time_form=form,
        sample_rate_hz=float(rate) if rate is not None else None,
        timezone=zone,
        signals=_signal_overrides(path, raw.get("signals") or {}),
    )


def _signal_overrides(path: Path, spec: object) -> dict[str, SignalOverride]:
    if not isinstance(spec, dict):
        example = '{"speed": {"column": "...", "unit": "km/h"}}'
        raise InputError(path, f'"signals" must be an object like {example}')
    overrides = {}
    for name, entry in spec.items():
        if name not in SIGNALS:
            raise InputError(path, f"unknown signal {name!r}; known: {', '.join(SIGNALS)}")
        if not isinstance(entry, dict) or not isinstance(entry.get("column"), str):
            raise InputError(path, f'signal {name!r} needs {{"column": "...", "unit": ...}}')
        unit = entry.get("unit")
        if unit is not None and unit_factor(name, str(unit)) is None:
            known = ", ".join(sorted({u for u, _ in UNIT_TABLES[name].values()}))
            raise InputError(path, f"unit {unit!r} of {name!r} is not known (known: {known})")
        overrides[name] = SignalOverride(entry["column"], str(unit) if unit is not None else None)
    return overrides
