"""Flat records for the timeline and the event files: one dict per analysed frame or event."""

from __future__ import annotations

import math

from dms.types import BEHAVIOURS, Event, FrameResult

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
    when a classifier ran; unknown values are None.
    """
    scores = result.scores
    row: dict = {"frame": int(result.frame.index), "t": round(float(result.frame.t), 4)}
    for behaviour in BEHAVIOURS:
        row[f"score_{behaviour}"] = _num(scores.values.get(behaviour))
    for name, value in result.cues.as_dict().items():
        row[name] = _num(value)
    row["perclos"] = _num(scores.perclos)
    if scores.vehicle is not None:
        for name in VEHICLE_FIELDS:
            digits = 7 if name in ("latitude", "longitude") else 3
            row[name] = _num(getattr(scores.vehicle, name), digits)
    if result.probs is not None:
        top, prob = result.probs.top()
        row["clf_top"] = top
        row["clf_prob"] = _num(prob)
    row["markers"] = "|".join(result.markers)
    return row


def event_record(event: Event) -> dict:
    """An event as it appears in events.json (DESIGN.md schema, plus stationary and the review)."""
    return {
        "id": event.id,
        "behavior": event.behavior,
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
