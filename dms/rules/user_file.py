"""A user's rule set from a JSON file: optionally a named base rule set, then its own rules.

    {"name": "my-fleet", "title": "...", "source": "our fleet policy 2026-03",
     "base": "euro-ncap",
     "timings": {"phone": {"warning_s": 1.0, "critical_s": 3.0, "clause": "policy 4.2"},
                 "eyes_off_road": {"warning_s": null, "bands": [[20, 6.0], [50, 3.5]],
                                   "active_above_kmh": 20, "clause": "policy 4.1"},
                 "smoking": null},
     "time_sharing": {"total_s": 10, "window_s": 30, "reset_s": 2, "clause": "..."},
     "unresponsive": null, "zone_yaw_deg": 55}

A timing given replaces the base's for that behaviour; null removes it (logged, never alerted).
Unknown keys, and a value of the wrong JSON kind (a number written as text, true/false, a list
where one number goes), are one error naming the file and the key.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields, replace
from pathlib import Path

from dms.core.errors import InputError, is_json_number, shown_value
from dms.core.types import BEHAVIOURS
from dms.rules.model import RuleSet, SpeedBand, TimeSharing, Timing, Unresponsive

TOP_KEYS = {
    "name",
    "title",
    "source",
    "base",
    "timings",
    "time_sharing",
    "unresponsive",
    "zone_yaw_deg",
    "zone_clause",
}


def _checked(path: Path, what: str, data: object, cls: type) -> dict:
    if not isinstance(data, dict):
        raise InputError(path, f"{what} must be an object")
    unknown = set(data) - {f.name for f in fields(cls)}
    if unknown:
        raise InputError(path, f"{what}: unknown key(s) {', '.join(sorted(unknown))}")
    return data


def _number(path: Path, where: str, value: object, null: bool = False) -> float | None:
    """A non-negative finite number of seconds, km/h or degrees (JSON null too where `null`);
    a string, bool, list or object is one InputError naming the file and the key."""
    if value is None and null:
        return None
    if not is_json_number(value) or value < 0:
        kind = "a non-negative number or null" if null else "a non-negative number"
        raise InputError(path, f"{where}: must be {kind}, not {shown_value(value)}")
    return float(value)


def _text(path: Path, where: str, value: object) -> str:
    if not isinstance(value, str):
        raise InputError(path, f"{where}: must be text, not {shown_value(value)}")
    return value


def _values(path: Path, what: str, data: object, cls: type) -> dict:
    """`data`'s keys of `cls` checked for their JSON kind: text fields text, the others numbers."""
    values = dict(_checked(path, what, data, cls))
    for key, value in values.items():
        if key in ("rule", "clause"):
            values[key] = _text(path, f"{what}.{key}", value)
        elif key != "bands":
            values[key] = _number(path, f"{what}.{key}", value, null=cls is Timing)
    return values


def _bands(path: Path, where: str, data: object) -> tuple[SpeedBand, ...]:
    if not isinstance(data, list) or not all(isinstance(b, list) and len(b) == 2 for b in data):
        problem = f"must be a list of [above km/h, warning s] pairs, not {shown_value(data)}"
        raise InputError(path, f"{where}: {problem}")
    return tuple(SpeedBand(_number(path, where, a), _number(path, where, w)) for a, w in data)


def _timing(path: Path, behaviour: str, data: object) -> Timing:
    where = f"timings.{behaviour}"
    values = _values(path, where, data, Timing)
    values["bands"] = _bands(path, f"{where}.bands", values.get("bands", []))
    timing = Timing(**{"warning_s": None, **values})
    warning, critical = timing.warning_s, timing.critical_s
    if warning is not None and critical is not None and critical < warning:
        problem = f"{timing.critical_s} is below warning_s ({timing.warning_s})"
        raise InputError(path, f"{where}.critical_s: {problem}")
    return timing


def load_user_rule_set(path: str | Path, base_loader) -> RuleSet:
    """The rule set in `path`; `base_loader(name)` gives a named base rule set."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(path, "rule set file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"not a rule set JSON file ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(path, "a rule set file holds one JSON object")
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise InputError(path, f"unknown key(s) {', '.join(sorted(unknown))}")
    base = base_loader(_text(path, "base", data["base"])) if data.get("base") else RuleSet(name="", title="",
                                                                                           source="")
    timings = dict(base.timings)
    given = data.get("timings") or {}
    if not isinstance(given, dict):
        raise InputError(path, f"timings: must be an object of behaviours, not {shown_value(given)}")
    for behaviour, timing in given.items():
        if behaviour not in BEHAVIOURS:
            raise InputError(path, f"timings: unknown behaviour {behaviour!r}")
        if timing is None:
            timings.pop(behaviour, None)
        else:
            timings[behaviour] = _timing(path, behaviour, timing)
    changes: dict = {"timings": timings, "origin": str(path)}
    for key, cls in (("time_sharing", TimeSharing), ("unresponsive", Unresponsive)):
        if key in data:
            value = data[key]
            changes[key] = None if value is None else cls(**_values(path, key, value, cls))
    sharing = changes.get("time_sharing")
    if sharing is not None and sharing.total_s > sharing.window_s:
        raise InputError(path, f"time_sharing.total_s: {sharing.total_s} exceeds window_s "
                               f"({sharing.window_s}); it can never be reached")
    if "zone_yaw_deg" in data:
        changes["zone_yaw_deg"] = _number(path, "zone_yaw_deg", data["zone_yaw_deg"], null=True)
    for key in ("name", "title", "source", "zone_clause"):
        if key in data:
            changes[key] = _text(path, key, data[key])
    ruleset = replace(base, **changes)
    if not ruleset.name:
        ruleset = replace(ruleset, name=path.stem)
    return ruleset


def save_rule_set(rules: RuleSet, path: str | Path) -> RuleSet:
    """Write `rules` whole (no base) as a rule set file that `load_user_rule_set` reads back equal;
    the rule set as it now is, with `path` as its origin. OSError when it cannot be written."""
    path = Path(path)
    data = {
        "name": rules.name, "title": rules.title, "source": rules.source,
        "timings": {behaviour: {**asdict(timing), "bands": [[b.above_kmh, b.warning_s] for b in timing.bands]}
                    for behaviour, timing in rules.timings.items()},
        "time_sharing": asdict(rules.time_sharing) if rules.time_sharing is not None else None,
        "unresponsive": asdict(rules.unresponsive) if rules.unresponsive is not None else None,
        "zone_yaw_deg": rules.zone_yaw_deg, "zone_clause": rules.zone_clause,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return replace(rules, origin=str(path))
