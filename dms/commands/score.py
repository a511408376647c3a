"""`score EVENTS_JSON LABELS_CSV`: detected events against hand labels (found / missed / false)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from dms.errors import InputError
from dms.labels import load_labels, score_events
from dms.types import BEHAVIOURS


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("score", help="score a replay's events.json against hand labels")
    parser.add_argument("events", help="events.json written by replay or report")
    parser.add_argument("labels", help="labels CSV: behavior,start_s,end_s[,confidence,note]")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        events = json.loads(Path(args.events).read_text())["events"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(args.events, f"not an events.json ({exc})") from None
    labels = [lab for lab in load_labels(args.labels) if lab.behavior in BEHAVIOURS]
    rows = score_events(events, labels)
    if args.json:
        print(json.dumps({"events": args.events, "labels": args.labels, "scores": [asdict(r) for r in rows]}))
        return 0
    print(f"{'behaviour':16s} {'labelled':>8s} {'found':>6s} {'missed':>6s} {'false':>6s}")
    for r in rows:
        print(f"{r.behavior:16s} {r.labelled:8d} {r.found:6d} {r.missed:6d} {r.false_events:6d}")
    return 0
