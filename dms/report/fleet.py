"""The fleet report's figures: every recorded drive of the event log, counted once, grouped by
driver, vehicle, week and behaviour.

A drive is a recording: sessions are grouped by the recording's content key (info["recording"],
the SHA-256 of the video file, dms.store.content; for sessions logged before it was recorded, the
file's hash if it is still there, else its path). Of each recording's analysed sessions
(`complete` or `stopped_early`: batch runs, replays, GUI sessions) the latest one analysed with
the settings in force counts (the latest of all when none was); its driver, vehicle and date come
from the latest session of the recording that has them (a replay of a batch drive is that drive).
Recordings with no driver and no vehicle anywhere are listed apart and not counted. A recording
whose sessions all failed is a failed drive; running, cancelled and interrupted sessions are left
out and counted.

Rates: events per hour of analysed media; events per 100 km over the drives whose telemetry gave
a distance (their events over their kilometres, so drives without speed never dilute it);
coverage: the share of analysed time the drive's own coverage counts as monitored (the drive
report's "Coverage", dms.events.camera_health; dms.report.stats.drive_figures). A rate from less
than `Minimums` of exposure is marked too little data.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from dms.core.types import SEVERITIES, Event
from dms.report.stats import SPEED_BANDS, UNKNOWN_BAND, drive_figures
from dms.store.content import file_sha256
from dms.store.records import SessionRecord, to_json

ANALYSED = ("complete", "stopped_early")
NOT_GIVEN = "not given"  # a drive's driver or vehicle that no manifest or folder named
MIN_HOURS = 1.0  # a rate per hour from less drive time than this is "too little data"
MIN_KM = 50.0  # a rate per 100 km from fewer kilometres than this is "too little data"


@dataclass(frozen=True)
class Minimums:
    """The least exposure a rate needs to be shown as a figure (`report --fleet --min-hours/--min-km`)."""

    hours: float = MIN_HOURS
    km: float = MIN_KM


@dataclass(frozen=True)
class Selection:
    """Which drives the report covers (`--since/--until/--vehicle/--driver`); empty = all. A date
    limit leaves out undated drives (counted)."""

    since: date | None = None
    until: date | None = None
    vehicles: frozenset[str] = frozenset()
    drivers: frozenset[str] = frozenset()

    def dated(self) -> bool:
        return self.since is not None or self.until is not None

    def takes(self, drive: DriveFacts) -> bool:
        if self.vehicles and drive.vehicle not in self.vehicles:
            return False
        if self.drivers and drive.driver not in self.drivers:
            return False
        if self.dated():
            if drive.day is None:
                return False
            if (self.since and drive.day < self.since) or (self.until and drive.day > self.until):
                return False
        return True

    def describe(self) -> list[str]:
        """The selection in words, one line per limit (empty: every drive)."""
        lines = []
        if self.since or self.until:
            lines.append(f"drives from {self.since or 'the first'} to {self.until or 'the last'}")
        if self.vehicles:
            lines.append("vehicle " + ", ".join(sorted(self.vehicles)))
        if self.drivers:
            lines.append("driver " + ", ".join(sorted(self.drivers)))
        return lines
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
    analyses: int = 1  # analysed sessions of this recording (batch runs, replays, GUI sessions)
    other_settings: bool = False  # no analysis of it used the settings in force; the latest counts

    @property
    def name(self) -> str:
        """The video's file name (the full path is in the CSVs)."""
        return Path(self.source).name or self.source

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

    def enough_hours(self, minimums: Minimums) -> bool:
        return self.hours >= minimums.hours

    def enough_km(self, minimums: Minimums) -> bool:
        return self.km >= minimums.km

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
    failed: list[tuple[str, str, str]]  # (session, source, error) of recordings never analysed
    left_out: Counter  # status -> sessions neither analysed nor failed
    apart: list[DriveFacts]  # recordings without a driver or vehicle: listed, not counted
    sessions: int  # sessions read
    superseded: int  # analysed sessions of a counted recording that are not the one counted
    not_selected: int  # drives the selection left out
    selection: Selection
    minimums: Minimums
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


def drive_facts(store, session: SessionRecord, identity: SessionRecord | None = None) -> DriveFacts:
    """A session of `store` as DriveFacts, its driver, vehicle and date from `identity` (default:
    itself); figures from info["drive_figures"] (written by batch), else from its timeline."""
    info = session.info
    fleet = (identity or session).info.get("fleet") or {}
    events = store.events(session.id)
    figures = info.get("drive_figures") or drive_figures(
        events, store.timeline(session.id), info.get("coverage"))
    return DriveFacts(
        session=session.id,
        source=session.source,
        status=session.status,
        driver=fleet.get("driver") or NOT_GIVEN,
        vehicle=fleet.get("vehicle") or NOT_GIVEN,
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


def recording_key(session: SessionRecord, hashed: dict[str, str | None]) -> str:
    """The recording a session analysed: its content key; a live camera session its own; else
    (sessions logged before the key was recorded) the hash of its file if the file is still
    there, else its path. `hashed` caches file hashes by path for one report."""
    content = (session.info.get("recording") or {}).get("sha256")
    if content:
        return content
    if (session.info.get("source") or {}).get("live"):
        return f"live:{session.id}"  # a camera session is a recording of its own
    if session.source not in hashed:
        try:
            hashed[session.source] = file_sha256(session.source) if Path(session.source).is_file() else None
        except OSError:
            hashed[session.source] = None
    return hashed[session.source] or f"path:{session.source}"


def _has_identity(session: SessionRecord) -> bool:
    fleet = session.info.get("fleet") or {}
    return bool(fleet.get("driver") or fleet.get("vehicle"))


def _in_force(session: SessionRecord, settings: dict | None) -> bool:
    return settings is None or session.info.get("settings") == settings


def recordings(store, settings: dict | None, progress=None):
    """Group the log's sessions by recording. Yields (counted session or None, the session giving
    the fleet identity or None, analysed sessions, failed sessions, other sessions) per recording;
    sessions newest first, as the store lists them. `settings` (asdict of Settings) picks the
    analysis in force; None takes the latest."""
    if settings is not None:
        settings = json.loads(to_json(settings))  # as the log holds it (tuples as lists)
    hashed: dict[str, str | None] = {}
    groups: dict[str, list[SessionRecord]] = defaultdict(list)
    for session in store.sessions():
        groups[recording_key(session, hashed)].append(session)
        if progress is not None:
            progress()
    for sessions in groups.values():
        analysed = [s for s in sessions if s.status in ANALYSED]
        failed = [s for s in sessions if s.status == "failed"]
        other = [s for s in sessions if s.status not in ANALYSED and s.status != "failed"]
        in_force = [s for s in analysed if _in_force(s, settings)]
        counted = (in_force or analysed or [None])[0]
        identity = next((s for s in sessions if _has_identity(s)), None)
        yield counted, identity, analysed, failed, other, not in_force


EVERY_DRIVE = Selection()
DEFAULT_MINIMUMS = Minimums()


def fleet_figures(store, progress=None, *, settings: dict | None = None, selection: Selection = EVERY_DRIVE,
                  minimums: Minimums = DEFAULT_MINIMUMS) -> FleetFigures:
    """Read every session of the event log and work out the fleet's figures, each recording once
    (see the module docstring). `progress` (optional) is called once per session read."""
    drives, apart, failed, left_out = [], [], [], Counter()
    sessions = superseded = not_selected = 0
    for counted, identity, analysed, failures, other, other_settings in recordings(store, settings, progress):
        sessions += len(analysed) + len(failures) + len(other)
        for session in other:
            left_out[session.status] += 1
        if counted is None:
            if failures:
                latest = failures[0]
                failed.append((latest.id, latest.source, str(latest.info.get("error") or "no reason logged")))
            continue
        drive = drive_facts(store, counted, identity)
        drive.analyses, drive.other_settings = len(analysed), other_settings
        if identity is None:
            apart.append(drive)
            continue
        if not selection.takes(drive):
            not_selected += 1
            continue
        superseded += len(analysed) - 1
        drives.append(drive)
    drives.sort(key=lambda d: (d.day or date.min, d.source))
    apart.sort(key=lambda d: d.source)
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
        drives=drives, failed=failed, left_out=left_out, apart=apart, sessions=sessions,
        superseded=superseded, not_selected=not_selected, selection=selection, minimums=minimums, total=total,
        by_driver=dict(sorted(by_driver.items())), by_vehicle=dict(sorted(by_vehicle.items())),
        by_week=dict(sorted(by_week.items())),
        behaviour_severity=dict(sorted(behaviour_severity.items(), key=lambda kv: -sum(kv[1].values()))),
        behaviour_km=dict(behaviour_km), exposure_s=dict(exposure), time_by_band_s=time_by_band,
        reviews=dict(sorted(reviews.items())),
    )
def duration(hours: float | None) -> str:
    """Drive time for a person: seconds below a minute, minutes below an hour, else hours."""
    if hours is None:
        return "–"
    if hours < 1 / 60:
        return f"{3600 * hours:.0f} s"
    return f"{60 * hours:.1f} min" if hours < 1 else f"{hours:.1f} h"


def span(seconds: float | None) -> str:
    """Seconds for a person: seconds below a minute, minutes below an hour, else hours."""
    if seconds is None:
        return "–"
    return f"{seconds:.1f} s" if seconds < 60 else duration(seconds / 3600)


def drive_rank(drive: DriveFacts) -> tuple:
    """Worst first: critical events per hour, then warnings per hour, then all events per hour."""
    hours = max(drive.hours, 1e-9)
    return (-drive.count("critical") / hours, -drive.count("warning") / hours, -len(drive.events) / hours)


def worst_drives(figures: FleetFigures, n: int = 10) -> list[DriveFacts]:
    """Drives with events, worst first (drive_rank); those shorter than the minimum drive time after
    the others, as their rates are too little data."""
    return sorted((d for d in figures.drives if d.events),
                  key=lambda d: (d.hours < figures.minimums.hours, *drive_rank(d)))[:n]


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
