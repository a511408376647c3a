"""Writes the fleet report folder: fleet.html (self-contained: CSS inline, charts as data URIs;
only the links to each drive's own report leave the page) and the CSV files behind it.
Rendered by jinja2 with autoescape, so drivers, vehicles, file names and errors are escaped."""

from __future__ import annotations

import base64
import csv
import sys
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from tqdm import tqdm

from dms.core.types import SEVERITIES
from dms.core.words import behaviour_words
from dms.report.files import staged_output
from dms.report.fleet import (
    BAND_LABELS,
    DEFAULT_MINIMUMS,
    EVERY_DRIVE,
    FleetFigures,
    Minimums,
    Rates,
    Selection,
    duration,
    fleet_figures,
    link,
    span,
    worst_drives,
    worst_events,
)
from dms.report.fleet_chart import exposure_png, heatmap_png, weekly_png
from dms.report.html import TEMPLATES

FILES = ("fleet.html", "fleet_drives.csv", "fleet_groups.csv", "fleet_behaviours.csv", "fleet_exposure.csv",
         "fleet_events.csv")
LOW_COVERAGE = 0.8  # drives monitored less than this share of their time are listed


def _num(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def group_row(kind: str, name: str, rates: Rates, minimums: Minimums = DEFAULT_MINIMUMS) -> dict:
    """One line of fleet_groups.csv (and of the report's driver, vehicle and week tables): the
    rates, the exposure they come from, and whether that exposure reaches the minimums (below
    them the page shows "too little data"; the CSV keeps the figure with the flag)."""
    return {
        "group_by": kind, "group": name, "drives": rates.drives, "hours": _num(rates.hours, 5),
        "km": _num(rates.km, 1) if rates.km else None, "events": rates.events,
        **{severity: rates.by_severity[severity] for severity in SEVERITIES},
        "events_per_h": _num(rates.per_hour()),
        "critical_per_h": _num(rates.per_hour(rates.by_severity["critical"])),
        "events_per_100km": _num(rates.per_100km),
        "enough_hours": rates.enough_hours(minimums), "enough_km": rates.enough_km(minimums),
        "coverage": _num(rates.coverage, 3),
        "top_behaviour": behaviour_words(rates.by_behaviour.most_common(1)[0][0])
        if rates.by_behaviour else None,
    }


def behaviour_rows(figures: FleetFigures) -> list[dict]:
    total = figures.total
    rows = []
    for behaviour, severities in figures.behaviour_severity.items():
        count = sum(severities.values())
        reviews = figures.reviews.get(behaviour, {})
        rows.append({
            "behaviour": behaviour_words(behaviour), "events": count,
            **{s: severities[s] for s in SEVERITIES},
            "events_per_h": _num(total.per_hour(count)),
            **{f"{s}_per_h": _num(total.per_hour(severities[s])) for s in SEVERITIES},
            "events_per_100km": _num(100 * figures.behaviour_km.get(behaviour, 0) / total.km)
            if total.km else None,
            "confirmed": reviews.get("confirmed", 0), "rejected": reviews.get("rejected", 0),
            "unreviewed": reviews.get("unreviewed", 0),
        })
    return rows


def exposure_rows(figures: FleetFigures) -> list[dict]:
    """Seconds of each behaviour per speed band and their share of all drive time in that band."""
    rows = []
    for behaviour, bands in sorted(figures.exposure_s.items()):
        for band in BAND_LABELS:
            seconds = bands.get(band, 0.0)
            time = figures.time_by_band_s.get(band, 0.0)
            rows.append({"behaviour": behaviour_words(behaviour), "band": band, "seconds": _num(seconds, 1),
                         "share_of_band_time": _num(seconds / time, 4) if time > 0 else None})
    return rows


def _drive_row(d, out_dir: Path, counted: bool, minimums: Minimums) -> dict:
    return {
        "video": d.name, "driver": d.driver, "vehicle": d.vehicle,
        "date": d.day.isoformat() if d.day else None,
        "counted": counted, "status": d.status, "hours": _num(d.hours, 5),
        "coverage": _num(d.monitored_hours / d.hours, 3) if d.hours > 0 else None,
        "km": _num(d.km, 2), "events": len(d.events), **{s: d.count(s) for s in SEVERITIES},
        "events_per_h": _num(len(d.events) / d.hours) if d.hours > 0 else None,
        "enough_hours": d.hours >= minimums.hours, "analyses": d.analyses,
        "other_settings": d.other_settings, "report": link(d.report, out_dir),
        "stopped_early": d.stopped_early,
        "path": d.source, "session": d.session,
    }


def drive_rows(figures: FleetFigures, out_dir: Path) -> list[dict]:
    """One row per recording: the drives counted, then those listed apart (no driver or vehicle),
    then the failed ones; the video's file name first, its path and session last."""
    rows = [_drive_row(d, out_dir, True, figures.minimums) for d in figures.drives]
    rows += [_drive_row(d, out_dir, False, figures.minimums) for d in figures.apart]
    for session, source, error in figures.failed:
        rows.append({"video": Path(source).name, "counted": False, "status": "failed", "error": error,
                     "path": source, "session": session})
    return rows


def event_rows(figures: FleetFigures, out_dir: Path) -> list[dict]:
    return [
        {"behaviour": behaviour_words(e.behaviour), "severity": e.severity, "video": d.name,
         "driver": d.driver, "vehicle": d.vehicle, "date": d.day.isoformat() if d.day else None,
         "start_s": e.start_s, "duration_s": round(e.end_s - e.start_s, 3),
         "peak_score": e.peak_score, "speed_max_kmh": (e.speed_kmh or {}).get("max"),
         "review": e.review or "unreviewed", "report": link(d.report, out_dir, e.id), "path": d.source,
         "session": d.session, "event": e.id}
        for d in figures.drives for e in d.events
    ]


def _write_csv(path: Path, rows: list[dict]) -> None:
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, list(columns) or ["none"])
        writer.writeheader()
        writer.writerows(rows)


def _uri(png: bytes | None) -> str | None:
    return None if png is None else "data:image/png;base64," + base64.b64encode(png).decode()


def _fmt(value, digits: int = 2, suffix: str = "") -> str:
    return "–" if value is None else f"{value:.{digits}f}{suffix}"


def render_fleet_html(context: dict) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True)
    env.filters["f"] = _fmt
    env.filters["duration"] = duration
    env.filters["span"] = span
    env.filters["pct"] = lambda v: "–" if v is None else f"{100 * v:.0f} %"
    env.filters["words"] = behaviour_words
    return env.get_template("fleet.html.j2").render(**context)


def write_fleet_report(store, out_dir: str | Path, progress: bool = False, *, settings: dict | None = None,
                       selection: Selection = EVERY_DRIVE, minimums: Minimums = DEFAULT_MINIMUMS
                       ) -> dict[str, Path]:
    """Read the whole event log and write the fleet report folder; returns the files by name.
    `settings` (asdict of the Settings in force) picks each recording's analysis (see
    dms.report.fleet); `selection` and `minimums` as `report --fleet` gives them."""
    out_dir = Path(out_dir)
    sessions = len(store.sessions())
    bar = tqdm(total=sessions, desc="fleet report", unit="session", disable=not progress, file=sys.stderr)
    with bar:
        figures = fleet_figures(store, progress=bar.update, settings=settings, selection=selection,
                                minimums=minimums)
    groups = [group_row("fleet", "all drives", figures.total, minimums)]
    tables = (("driver", figures.by_driver), ("vehicle", figures.by_vehicle), ("week", figures.by_week))
    for kind, table in tables:
        groups += [group_row(kind, name, rates, minimums) for name, rates in table.items()]
    behaviours = behaviour_rows(figures)
    drives = drive_rows(figures, out_dir)
    counted = [r for r in drives if r.get("counted")]
    low = [r for r in counted if r.get("coverage") is not None and r["coverage"] < LOW_COVERAGE]
    with staged_output(out_dir) as staging:
        _write_csv(staging / "fleet_drives.csv", drives)
        _write_csv(staging / "fleet_groups.csv", groups)
        _write_csv(staging / "fleet_behaviours.csv", behaviours)
        _write_csv(staging / "fleet_exposure.csv", exposure_rows(figures))
        _write_csv(staging / "fleet_events.csv", event_rows(figures, out_dir))
        html = render_fleet_html({
            "total": groups[0],
            "figures": figures,
            "minimums": minimums,
            "selection": selection.describe(),
            "apart": [r for r in drives if not r.get("counted") and r["status"] != "failed"],
            "failed": [(Path(source).name, source, error) for _, source, error in figures.failed],
            "left_out": sorted(figures.left_out.items()),
            "severities": SEVERITIES,
            "behaviours": behaviours,
            "drivers": [g for g in groups if g["group_by"] == "driver"],
            "vehicles": [g for g in groups if g["group_by"] == "vehicle"],
            "weeks": [g for g in groups if g["group_by"] == "week"],
            "undated": sum(1 for d in figures.drives if d.day is None),
            "worst_drives": [
                (r, link(d.report, out_dir)) for d in worst_drives(figures)
                for r in [next(x for x in counted if x["session"] == d.session)]
            ],
            "worst_events": [(d, e, link(d.report, out_dir, e.id)) for d, e in worst_events(figures)],
            "bands": BAND_LABELS,
            "exposure": {b: v for b, v in sorted(figures.exposure_s.items()) if sum(v.values()) > 0},
            "time_by_band": figures.time_by_band_s,
            "low_coverage": low,
            "low_coverage_limit": LOW_COVERAGE,
            "reviews": behaviours,
            "heatmap": _uri(heatmap_png(figures)),
            "weekly": _uri(weekly_png(figures)),
            "exposure_chart": _uri(exposure_png(figures)),
        })
        (staging / "fleet.html").write_text(html, encoding="utf-8")
    return {name: out_dir / name for name in FILES}
