"""The fleet report's figures: every analysed drive of the event log, grouped by driver, vehicle,
week and behaviour.

Rates: events per hour of analysed media; events per 100 km over the drives whose telemetry gave
a distance (their events over their kilometres, so drives without speed never dilute it);
coverage: the share of analysed time with the driver visible to the landmark stage (face or
upper body found, dms.report.stats.monitored). Drives are `complete` or `stopped_early`
sessions; `failed` ones count in coverage only; running, cancelled and interrupted ones are left
out and counted.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from dms.core.types import SEVERITIES, Event
from dms.report.stats import SPEED_BANDS, UNKNOWN_BAND, drive_figures

ANALYSED = ("complete", "stopped_early")
UNKNOWN = "unknown"
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
BAND_LABELS: tuple[str, ...] = tuple(label for label, _, _ in SPEED_BANDS) + (UNKNOWN_BAND,)


@dataclass
class DriveFacts:
    """One analysed drive as the fleet report sees it."""

    session: str
    source: str
    status: str
    driver: str
    vehicle: str
    day: date | None
    hours: float
    monitored_hours: float
    km: float | None
    time_by_band_s: dict[str, float]
    exposure_s: dict[str, dict[str, float]]
    events: list[Event]
    report: str | None  # absolute path of the drive's report.html, when batch wrote one
    stopped_early: str | None = None

    def count(self, severity: str | None = None) -> int:
        return sum(1 for e in self.events if severity is None or e.severity == severity)


@dataclass
class Rates:
    """Events of a group of drives and the exposure they came from."""

    drives: int = 0
    hours: float = 0.0
    monitored_hours: float = 0.0
    km: float = 0.0  # over the drives with a distance
    events: int = 0
    events_with_km: int = 0  # events of the drives with a distance
    by_severity: Counter = field(default_factory=Counter)
    by_behaviour: Counter = field(default_factory=Counter)

    def add(self, drive: DriveFacts) -> None:
        self.drives += 1
        self.hours += drive.hours
        self.monitored_hours += drive.monitored_hours
        self.events += len(drive.events)
        if drive.km:
            self.km += drive.km
            self.events_with_km += len(drive.events)
        self.by_severity.update(e.severity for e in drive.events)
        self.by_behaviour.update(e.behaviour for e in drive.events)

    def per_hour(self, count: int | None = None) -> float | None:
        count = self.events if count is None else count
        return count / self.hours if self.hours > 0 else None

    @property
    def per_100km(self) -> float | None:
        return 100 * self.events_with_km / self.km if self.km > 0 else None

    @property
    def coverage(self) -> float | None:
        return self.monitored_hours / self.hours if self.hours > 0 else None


@dataclass
class FleetFigures:
    """Everything the fleet report shows (see dms.report.fleet_writer)."""

    drives: list[DriveFacts]
    failed: list[tuple[str, str, str]]  # (session, source, error)
    left_out: Counter  # status -> sessions neither analysed nor failed
    total: Rates
    by_driver: dict[str, Rates]
    by_vehicle: dict[str, Rates]
    by_week: dict[str, Rates]  # ISO week "2026-W48", dated drives only
    behaviour_severity: dict[str, Counter]  # behaviour -> severity -> events
    behaviour_km: dict[str, int]  # behaviour -> events of drives with a distance
    exposure_s: dict[str, dict[str, float]]  # behaviour -> speed band -> seconds
    time_by_band_s: dict[str, float]
    reviews: dict[str, Counter]  # behaviour -> confirmed / rejected / unreviewed


def _day(info: dict, fleet: dict) -> date | None:
    """The drive's day: the manifest's, else the video's own creation time; None when neither."""
    for text in (fleet.get("date"), (info.get("source") or {}).get("creation_time")):
        if text:
            try:
                return datetime.fromisoformat(str(text)).date()
            except ValueError:
                continue
    return None


def drive_facts(store, session) -> DriveFacts:
    """A session of `store` as DriveFacts; figures from info["drive_figures"] (written by batch),
    else computed from its timeline."""
    info = session.info
    fleet = info.get("fleet") or {}
    events = store.events(session.id)
    figures = info.get("drive_figures") or drive_figures(events, store.timeline(session.id))
    return DriveFacts(
        session=session.id,
        source=session.source,
        status=session.status,
        driver=fleet.get("driver") or UNKNOWN,
        vehicle=fleet.get("vehicle") or UNKNOWN,
        day=_day(info, fleet),
        hours=(figures.get("duration_s") or 0.0) / 3600,
        monitored_hours=(figures.get("monitored_s") or 0.0) / 3600,
        km=figures.get("distance_km"),
        time_by_band_s=figures.get("time_by_band_s") or {},
        exposure_s=figures.get("exposure_s") or {},
        events=events,
        report=(info.get("batch") or {}).get("report"),
        stopped_early=info.get("stopped_early"),
    )


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def fleet_figures(store, progress=None) -> FleetFigures:
    """Read every session of the event log and work out the fleet's figures.
    `progress` (optional) is called once per session read."""
    drives, failed, left_out = [], [], Counter()
    for session in store.sessions():
        if session.status in ANALYSED:
            drives.append(drive_facts(store, session))
        elif session.status == "failed":
            failed.append((session.id, session.source, str(session.info.get("error") or "unknown reason")))
        else:
            left_out[session.status] += 1
        if progress is not None:
            progress()
    drives.sort(key=lambda d: (d.day or date.min, d.source))
    total = Rates()
    by_driver: dict[str, Rates] = defaultdict(Rates)
    by_vehicle: dict[str, Rates] = defaultdict(Rates)
    by_week: dict[str, Rates] = defaultdict(Rates)
    behaviour_severity: dict[str, Counter] = defaultdict(Counter)
    behaviour_km: Counter = Counter()
    exposure: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(BAND_LABELS, 0.0))
    time_by_band = dict.fromkeys(BAND_LABELS, 0.0)
    reviews: dict[str, Counter] = defaultdict(Counter)
    for drive in drives:
        total.add(drive)
        by_driver[drive.driver].add(drive)
        by_vehicle[drive.vehicle].add(drive)
        if drive.day is not None:
            by_week[iso_week(drive.day)].add(drive)
        for event in drive.events:
            behaviour_severity[event.behaviour][event.severity] += 1
            reviews[event.behaviour][event.review or "unreviewed"] += 1
            if drive.km:
                behaviour_km[event.behaviour] += 1
        for behaviour, bands in drive.exposure_s.items():
            for band, seconds in bands.items():
                exposure[behaviour][band] = exposure[behaviour].get(band, 0.0) + seconds
        for band, seconds in drive.time_by_band_s.items():
            time_by_band[band] = time_by_band.get(band, 0.0) + seconds
    return FleetFigures(
        drives=drives, failed=failed, left_out=left_out, total=total,
        by_driver=dict(sorted(by_driver.items())), by_vehicle=dict(sorted(by_vehicle.items())),
        by_week=dict(sorted(by_week.items())),
        behaviour_severity=dict(sorted(behaviour_severity.items(), key=lambda kv: -sum(kv[1].values()))),
        behaviour_km=dict(behaviour_km), exposure_s=dict(exposure), time_by_band_s=time_by_band,
        reviews=dict(sorted(reviews.items())),
    )


def drive_rank(drive: DriveFacts) -> tuple:
    """Worst first: critical events per hour, then warnings per hour, then all events per hour."""
    hours = max(drive.hours, 1e-9)
    return (-drive.count("critical") / hours, -drive.count("warning") / hours, -len(drive.events) / hours)


def worst_drives(figures: FleetFigures, n: int = 10) -> list[DriveFacts]:
    return sorted((d for d in figures.drives if d.events), key=drive_rank)[:n]


def worst_events(figures: FleetFigures, n: int = 15) -> list[tuple[DriveFacts, Event]]:
    """Worst first: severity, then duration, then peak score. Rejected events are left out."""
    pairs = [(d, e) for d in figures.drives for e in d.events if e.review != "rejected"]
    pairs.sort(key=lambda p: (-SEVERITY_RANK.get(p[1].severity, 0), -(p[1].end_s - p[1].start_s),
                              -p[1].peak_score))
    return pairs[:n]


def link(report: str | None, out_dir: Path, event_id: str | None = None) -> str | None:
    """The drive report's path relative to the fleet report folder (with the event's anchor)."""
    if not report:
        return None
    relative = Path(os.path.relpath(report, out_dir.resolve())).as_posix()
    return f"{relative}#event-{event_id}" if event_id else relative
