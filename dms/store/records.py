"""The records that the event log (SQLite), events.json and the CSV files share, and their JSON.

One module that the store and the report both import, so that logging a drive loads nothing of
the report (plotting, templates). Keys follow the files: `behavior` as in events.json, which
other tools read, although the Python field is `behaviour` (docs/architecture.md, "Names").

JSON: numpy scalars and arrays, paths and tuples become plain JSON types; NaN and infinities
become null (JSON has no such numbers and readers of events.json should not have to guess).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dms.core.types import BEHAVIOURS, Event, FrameResult


@dataclass
class SessionRecord:
    """One analysed drive as the event log holds it. `info` holds duration_s, analysed_fps,
    classifier, telemetry, settings, ...

    `status`: "running", "complete", "stopped_early", "cancelled", "failed" (a batch drive that
    could not be analysed; info["error"] says why), or "interrupted" when the session was left
    "running" by a process that no longer exists.
    """

    id: str
    source: str
    started_at: str  # ISO-8601 wall time, UTC
    status: str
    info: dict = field(default_factory=dict)
    finished_at: str | None = None


def plain(value: object) -> object:
    """`value` as plain JSON types, non-finite numbers as None."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, str | int | bool):
        return value
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(value: object, indent: int | None = None) -> str:
    return json.dumps(plain(value), allow_nan=False, indent=indent)


VEHICLE_FIELDS: tuple[str, ...] = (
    "speed_kmh", "accel_long_ms2", "accel_lat_ms2", "steering_deg", "latitude", "longitude"
)


def _num(value: float | None, digits: int = 4) -> float | None:
    """Rounded float, None when unknown or not finite."""
    if value is None or not math.isfinite(float(value)):
        return None
    return round(float(value), digits)


def timeline_row(result: FrameResult) -> dict:
    """One analysed frame as a flat dict: scores, cues, PERCLOS, telemetry, classifier top, markers.

    Telemetry columns appear only when the frame had a vehicle state, classifier columns only
    when a classifier ran, the detector's ties (phone_at_ear, ..., the best box score there) only
    when the detector ran; unknown values are None.
    """
    scores = result.scores
    row: dict = {"frame": int(result.frame.index), "t": round(float(result.frame.t), 4)}
    for behaviour in BEHAVIOURS:
        row[f"score_{behaviour}"] = _num(scores.values.get(behaviour))
    for name, value in result.cues.as_dict().items():
        row[name] = _num(value)
    row["perclos"] = _num(scores.perclos)
    row["perclos_eyes_seen_s"] = _num(scores.perclos_seen_s, 2)
    monitoring = result.monitoring
    row["not_monitored"] = monitoring.not_monitored if monitoring is not None else None
    if scores.vehicle is not None:
        for name in VEHICLE_FIELDS:
            digits = 7 if name in ("latitude", "longitude") else 3
            row[name] = _num(getattr(scores.vehicle, name), digits)
    if result.probs is not None:
        top, prob = result.probs.top()
        row["clf_top"] = top
        row["clf_prob"] = _num(prob)
    if result.objects is not None:
        for name, value in vars(result.ties).items():
            row[name] = _num(value)
    row["markers"] = "|".join(result.markers)
    return row


def event_record(event: Event) -> dict:
    """An event as it appears in events.json (DESIGN.md schema, plus stationary and the review)."""
    return {
        "id": event.id,
        "behavior": event.behaviour,
        "start_s": _num(event.start_s, 3),
        "end_s": _num(event.end_s, 3),
        "severity": event.severity,
        "peak_score": _num(event.peak_score),
        "mean_score": _num(event.mean_score),
        "evidence": event.evidence,
        "speed_kmh": event.speed_kmh,
        "distance_m": _num(event.distance_m, 1),
        "stationary": event.stationary,
        "thumbnail": event.thumbnail,
        "clip": event.clip,
        "review": event.review,
        "relabel": event.relabel,
    }


def session_record(session: SessionRecord) -> dict:
    """The "session" object of events.json (DESIGN.md, "Files")."""
    info = session.info
    return {
        "id": session.id,
        "source": session.source,
        "started_at": session.started_at,
        "status": session.status,
        "duration_s": info.get("duration_s"),
        "analysed_fps": info.get("analysed_fps"),
        "classifier": info.get("classifier"),
        "detector": info.get("detector"),
        "classifier_note": info.get("classifier_note"),
        "telemetry": info.get("telemetry"),
        "stopped_early": info.get("stopped_early"),
        "rules": info.get("rules"),
        "gaps": info.get("gaps") or [],
        "coverage": info.get("coverage"),
    }
