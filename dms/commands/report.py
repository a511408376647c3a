"""`python main.py report (SESSION_ID | --latest | --fleet) [--out DIR] [--db FILE]`: rebuild a session's
report folder (events.json, events.csv, timeline.csv, report.html, thumbs, clips) from the event log,
or write the fleet report over every drive in it, each recording once (fleet.html and CSVs,
docs/fleet.md; selected with --since/--until/--vehicle/--driver)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path

from dms.commands.common import add_rules_argument, settings_from_args
from dms.core.config import Settings
from dms.core.errors import InputError
from dms.report.fleet import MIN_HOURS, MIN_KM, Minimums, Selection
from dms.rules import load_rule_set


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0: {text!r}")
    return value


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="rebuild a session's report from the event log")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("session_id", nargs="?", help="session id (see the GUI's history or events.json)")
    which.add_argument("--latest", action="store_true", help="the most recent session")
    which.add_argument("--fleet", action="store_true", help="fleet report over every drive in the log")
    parser.add_argument("--out", type=Path, help="output folder (default ./report-<id> or ./fleet-report)")
    parser.add_argument("--db", type=Path, help="event log (default: the user data folder, or $DMS_DB)")
    parser.add_argument(
        "--format", choices=("html", "openlabel"), default="html",
        help="html: the report folder (default); openlabel: openlabel.json, the events with their review "
             "as ASAM OpenLABEL",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    fleet = parser.add_argument_group("fleet report (--fleet)")
    fleet.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="only drives on or after this day")
    fleet.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="only drives on or before this day")
    fleet.add_argument("--vehicle", action="append", default=[], help="only this vehicle (repeat for more)")
    fleet.add_argument("--driver", action="append", default=[], help="only this driver (repeat for more)")
    fleet.add_argument("--min-hours", type=_positive, default=MIN_HOURS, metavar="H",
                       help="drive time a rate per hour needs; less is 'too little data' "
                       f"(default {MIN_HOURS:g} h)")
    fleet.add_argument("--min-km", type=_positive, default=MIN_KM, metavar="KM",
                       help="distance a rate per 100 km needs; less is 'too little data' "
                       f"(default {MIN_KM:g} km)")
    fleet.add_argument("--settings", help="the settings in force (JSON; default: the defaults): of a "
                       "recording analysed several times, the latest analysis with these settings counts")
    fleet.add_argument("--analysis-fps", type=float, help="the analysis rate in force, as batch was given it "
                       f"(default {Settings.analysis_fps:g})")
    add_rules_argument(fleet)
    parser.set_defaults(func=run)


def fleet_options(args: argparse.Namespace) -> dict:
    """The fleet report's settings in force, selection and minimums from the options."""
    if args.since and args.until and args.since > args.until:
        raise InputError("--since", f"{args.since} is after --until {args.until}")
    settings = settings_from_args(args)
    load_rule_set(settings.rule_set)  # an unknown name or a bad file is refused, as replay refuses it
    return {
        "settings": asdict(settings),
        "selection": Selection(args.since, args.until, frozenset(args.vehicle), frozenset(args.driver)),
        "minimums": Minimums(args.min_hours, args.min_km),
    }


def unknown_names(store, args: argparse.Namespace) -> list[str]:
    """A line for each --driver / --vehicle that no session of the log names (a typo selects
    nothing and the report would read as an empty fleet)."""
    known: dict[str, set[str]] = {"driver": set(), "vehicle": set()}
    for session in store.sessions():
        fleet = session.info.get("fleet") or {}
        for kind, names in known.items():
            if fleet.get(kind):
                names.add(str(fleet[kind]))
    lines = []
    for kind, names in known.items():
        for name in getattr(args, kind):
            if name not in names:
                listed = ", ".join(sorted(names)[:10]) or "none"
                lines.append(f"--{kind} {name}: no drive in the log has this {kind} (the log's: {listed})")
    return lines


def run(args: argparse.Namespace) -> int:
    from dms.report import write_session_report
    from dms.store import Store, default_db_path

    db = args.db or default_db_path()
    if args.fleet:
        from dms.report.fleet_writer import write_fleet_report

        options = fleet_options(args)
        with Store(db, create=False) as store:
            for line in unknown_names(store, args):
                print(f"warning: {line}", file=sys.stderr)
            written = write_fleet_report(store, args.out or Path("fleet-report"),
                                         progress=not args.no_progress, **options)
        print(written["fleet.html"])
        return 0
    with Store(db, create=False) as store:
        session_id = args.session_id
        if args.latest:
            session_id = store.latest_session_id()
            if session_id is None:
                raise InputError(db, "the event log has no sessions yet")
        out = args.out or Path(f"report-{session_id}")
        if args.format == "openlabel":
            from dms.scoring.openlabel import write_session_openlabel

            print(write_session_openlabel(store, session_id, out))
            return 0
        written = write_session_report(store, session_id, out, progress=not args.no_progress)
    for path in written.values():
        print(path)
    return 0
