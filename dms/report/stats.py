"""Figures the report derives from events and timeline rows: exposure by speed band, PERCLOS, yawns."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dms.core.types import Event

# (label, lower km/h inclusive, upper km/h exclusive): fleet-style speed bands.
SPEED_BANDS: tuple[tuple[str, float, float], ...] = (
    ("0-10", 0.0, 10.0),
    ("10-50", 10.0, 50.0),
    ("50-90", 50.0, 90.0),
    ("90+", 90.0, math.inf),
)
UNKNOWN_BAND = "unknown"


@dataclass(frozen=True)
class PerclosSummary:
    """PERCLOS over a drive (None where never reported) and how much of the drive it could see:
    `eyes_seen_s` of `duration_s` analysed seconds had the eye state (open or closed) seen."""

    mean: float | None
    max: float | None
    t_max: float | None
    eyes_seen_s: float = 0.0
    duration_s: float = 0.0


def column(timeline: list[dict], name: str) -> np.ndarray:
    """A timeline column as floats, NaN where the value is unknown or absent."""
    return np.array([np.nan if r.get(name) is None else float(r[name]) for r in timeline], dtype=float)


def has_speed(timeline: list[dict]) -> bool:
    return any(r.get("speed_kmh") is not None for r in timeline)


def row_spans(t: np.ndarray) -> np.ndarray:
    """End of each row's time slice: the next row's time; the last row lasts one typical step."""
    if len(t) == 0:
        return t
    step = float(np.median(np.diff(t))) if len(t) > 1 else 0.0
    return np.append(t[1:], t[-1] + step)


def speed_band(speed_kmh: float) -> str:
    if math.isnan(speed_kmh):
        return UNKNOWN_BAND
    for label, low, high in SPEED_BANDS:
        if low <= speed_kmh < high:
            return label
    return SPEED_BANDS[0][0]  # negative readings (reversing noise) count as standing


def exposure_by_speed_band(events: list[Event], timeline: list[dict]) -> dict[str, dict[str, float]]:
    """Seconds of each behaviour's events spent in each speed band, from the timeline's speed.

    Each timeline row stands for the time until the next row; the part of that slice inside an
    event is counted in the band of the row's speed ("unknown" where the log has no coverage).
    """
    t = column(timeline, "t")
    ends = row_spans(t)
    speed = column(timeline, "speed_kmh")
    bands = [speed_band(s) for s in speed]
    exposure: dict[str, dict[str, float]] = {}
    for event in events:
        overlap = np.clip(np.minimum(ends, event.end_s) - np.maximum(t, event.start_s), 0.0, None)
        per_band = exposure.setdefault(
            event.behaviour, {label: 0.0 for label, _, _ in SPEED_BANDS} | {UNKNOWN_BAND: 0.0}
        )
        for i in np.nonzero(overlap)[0]:
            per_band[bands[i]] += float(overlap[i])
    return exposure


def perclos_summary(timeline: list[dict]) -> PerclosSummary | None:
    """None for an empty timeline; PERCLOS counts only the time with the eye state seen."""
    if not timeline:
        return None
    t = column(timeline, "t")
    span = row_spans(t) - t
    seen = round(float(span[~np.isnan(column(timeline, "eyes_closed"))].sum()), 1)
    duration = round(float(span.sum()), 1)
    values = column(timeline, "perclos")
    if np.isnan(values).all():
        return PerclosSummary(None, None, None, seen, duration)
    i = int(np.nanargmax(values))
    mean, peak = float(np.nanmean(values)), float(values[i])
    return PerclosSummary(mean, peak, float(timeline[i]["t"]), seen, duration)


def yawn_count(events: list[Event]) -> int:
    return sum(1 for e in events if e.behaviour == "yawning")


def markers(timeline: list[dict]) -> list[tuple[float, str]]:
    """(t, marker) for every timeline marker, e.g. harsh braking from telemetry."""
    return [
        (float(r["t"]), name)
        for r in timeline
        if r.get("markers")
        for name in str(r["markers"]).split("|")
        if name
    ]


def monitored(timeline: list[dict]) -> np.ndarray:
    """Per row: whether the driver was monitored, as the camera health stage judged it (the row's
    `not_monitored` reason is empty); rows logged before it was kept: face or upper body found."""
    if timeline and "not_monitored" in timeline[0]:
        return np.array([not r.get("not_monitored") for r in timeline], dtype=bool)
    face, body = column(timeline, "face_visible"), column(timeline, "body_visible")
    return (face == 1) | (body == 1)


def drive_figures(events: list[Event], timeline: list[dict], coverage: dict | None = None) -> dict:
    """What a fleet report needs of one drive, so it never has to read the drive's timeline again.

    Keys: `duration_s` (media seconds covered by the timeline), `monitored_s` (of those, the time
    the drive's own coverage counts as monitored: `coverage` is the session's info["coverage"],
    dms.events.camera_health, so the fleet and the drive report say the same; sessions logged
    without it count the rows with the driver visible), `speed_known_s`, `distance_km` (speed
    integrated over the rows, None without speed), `time_by_band_s` (drive time per speed band)
    and `exposure_s` (seconds of each behaviour's events per speed band, see
    exposure_by_speed_band; {} without speed).
    """
    t = column(timeline, "t")
    span = row_spans(t) - t if len(t) else t
    duration_s = round(float(span.sum()), 3)
    if coverage and isinstance(coverage.get("monitored_s"), int | float):
        monitored_s = min(float(coverage["monitored_s"]), duration_s)
    else:
        monitored_s = round(float(span[monitored(timeline)].sum()), 3) if len(t) else 0.0
    figures: dict = {
        "duration_s": duration_s,
        "monitored_s": monitored_s,
        "speed_known_s": 0.0,
        "distance_km": None,
        "time_by_band_s": {},
        "exposure_s": {},
    }
    if not has_speed(timeline):
        return figures
    speed = column(timeline, "speed_kmh")
    known = ~np.isnan(speed)
    figures["speed_known_s"] = round(float(span[known].sum()), 3)
    figures["distance_km"] = round(float(np.sum(np.clip(speed[known], 0.0, None) * span[known]) / 3600.0), 3)
    bands = np.array([speed_band(s) for s in speed])
    labels = [label for label, _, _ in SPEED_BANDS] + [UNKNOWN_BAND]
    figures["time_by_band_s"] = {label: round(float(span[bands == label].sum()), 3) for label in labels}
    figures["exposure_s"] = {
        behaviour: {band: round(s, 3) for band, s in per_band.items()}
        for behaviour, per_band in exposure_by_speed_band(events, timeline).items()
    }
    return figures
