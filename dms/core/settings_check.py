"""Settings read and checked before any analysis: types, ranges, finite numbers, ordered pairs.

`load_settings` reads a settings file and checks it; `check_settings` raises one InputError
naming the file, the key (dotted, e.g. `rules.eyes_off_road.off`) and the problem, so a typo in a
settings file is one line and exit 2 before a frame is read, never a traceback or a silently odd
analysis.
"""

from __future__ import annotations

import json
import math
from dataclasses import fields
from pathlib import Path

from dms.core.config import BehaviourRule, FusionWeights, Settings
from dms.core.errors import InputError
from dms.core.types import BEHAVIOURS

# (low, high, low included): the range of each number; None = unbounded on that side. The GUI's
# settings dialog bounds its number boxes by these too.
RANGES: dict[str, tuple[float | None, float | None, bool]] = {
    "analysis_fps": (0.0, 240.0, True),
    "smoothing_s": (0.0, 60.0, True),
    "perclos_window_s": (0.0, None, False),
    "perclos_min_s": (0.0, None, True),
    "perclos_warning": (0.0, 1.0, False),
    "yaw_looking_back_deg": (0.0, 180.0, False),
    "eye_closed_ratio": (0.0, 1.0, False),
    "yawn_mouth_ratio": (0.0, None, False),
    "eyes_down_pitch_deg": (-90.0, 90.0, True),
    "unknown_hold_s": (0.0, None, True),
    "camera_degraded_s": (0.0, 10.0, False),
    "speed_gate_kmh": (0.0, None, True),
    "harsh_brake_ms2": (0.0, None, False),
    "harsh_accel_ms2": (0.0, None, False),
    "pre_roll_s": (0.0, 60.0, True),
    "post_roll_s": (0.0, 60.0, True),
}
_RULE_RANGES: dict[str, tuple[float | None, float | None, bool]] = {
    "on": (0.0, 1.0, True),
    "off": (0.0, 1.0, True),
    "min_s": (0.0, None, True),
    "gap_s": (0.0, None, True),
    "cooldown_s": (0.0, None, True),
    "smooth_s": (0.0, None, True),
}


def load_settings(path: str | Path) -> Settings:
    """Read and check a settings file (JSON, possibly partial); InputError naming file, key, problem."""
    try:
        settings = Settings.from_dict(json.loads(Path(path).read_text(encoding="utf-8-sig")))
    except FileNotFoundError:
        raise InputError(path, "settings file not found") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, not a settings file") from None
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise InputError(path, f"not a valid settings file ({exc})") from None
    return check_settings(settings, path)


def check_settings(settings: Settings, subject: object) -> Settings:
    """`settings` unchanged if every value is sound; else InputError(subject, 'key: problem')."""
    for name, (low, high, closed) in RANGES.items():
        _number(subject, name, getattr(settings, name), low, high, closed)
    for f in fields(FusionWeights):
        _number(subject, f"fusion.{f.name}", getattr(settings.fusion, f.name), 0.0, 1.0, True)
    for name in ("blur_faces", "sound"):
        if not isinstance(getattr(settings, name), bool):
            raise InputError(subject, f"{name}: must be true or false, not {getattr(settings, name)!r}")
    if not isinstance(settings.rule_set, str) or not settings.rule_set.strip():
        raise InputError(subject, f"rule_set: must be a rule set name or file, not {settings.rule_set!r}")
    if not isinstance(settings.rules, dict) or not settings.rules:
        raise InputError(subject, "rules: must be a non-empty object of behaviour rules")
    for behaviour, rule in settings.rules.items():
        if behaviour not in BEHAVIOURS:
            known = ", ".join(BEHAVIOURS)
            raise InputError(subject, f"rules.{behaviour}: unknown behaviour (known: {known})")
        _check_rule(subject, f"rules.{behaviour}", rule)
    return settings


def _check_rule(subject: object, key: str, rule: BehaviourRule) -> None:
    for name, (low, high, closed) in _RULE_RANGES.items():
        value = getattr(rule, name)
        if value is None and name == "smooth_s":
            continue
        _number(subject, f"{key}.{name}", value, low, high, closed)
    if rule.off > rule.on:
        raise InputError(subject, f"{key}.off: {rule.off} is above on ({rule.on}); off must not exceed on")


def _number(
    subject: object, key: str, value: object, low: float | None, high: float | None, closed: bool
) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(subject, f"{key}: must be a number, not {value!r}")
    if not math.isfinite(value):
        raise InputError(subject, f"{key}: must be a finite number, not {value}")
    below = low is not None and (value < low if closed else value <= low)
    if below or (high is not None and value > high):
        lower = "" if low is None else f"{'>=' if closed else '>'} {low:g}"
        upper = "" if high is None else f"<= {high:g}"
        allowed = " and ".join(part for part in (lower, upper) if part)
        raise InputError(subject, f"{key}: {value} is out of range (must be {allowed})")

