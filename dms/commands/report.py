"""`python main.py report (SESSION_ID | --latest | --fleet) [--out DIR] [--db FILE]`: rebuild a session's
report folder (events.json, events.csv, timeline.csv, report.html, thumbs, clips) from the event log,
or write the fleet report over every drive in it (fleet.html and CSVs, docs/fleet.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from dms.core.errors import InputError


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
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dms.report import write_session_report
    from dms.store import Store, default_db_path

    db = args.db or default_db_path()
    if args.fleet:
        from dms.report.fleet_writer import write_fleet_report

        with Store(db, create=False) as store:
            written = write_fleet_report(store, args.out or Path("fleet-report"), progress=True)
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
        written = write_session_report(store, session_id, out, progress=True)
    for path in written.values():
        print(path)
    return 0
