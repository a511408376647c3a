"""`score EVENTS_JSON LABELS`: detected events against labels (found / missed / false); with
`--rules NAME` the conformance report (time to warning, missed and late warnings, false alerts
per hour of labelled normal driving); `score --scripted --rules NAME` checks every threshold of
a rule set on scripted streams, no video needed.

LABELS is a hand-label CSV (behavior,start_s,end_s[,confidence,note]) or an ASAM OpenLABEL file
(a DMD annotation, or a session exported with `report --format openlabel` after review).
"""

from __future__ import annotations

import argparse
import bisect
import json
import sys
from dataclasses import asdict
from pathlib import Path

from dms.core.errors import InputError
from dms.core.types import BEHAVIOURS
from dms.core.words import behaviour_words
from dms.scoring.labels import BehaviourScore, Label, load_labels, score_events


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "score", help="score a replay's events.json against labels (or a rule set)"
    )
    parser.add_argument("events", nargs="?", help="events.json written by replay or report")
    parser.add_argument(
        "labels", nargs="?", help="labels: CSV (behavior,start_s,end_s,...) or OpenLABEL JSON"
    )
    parser.add_argument("--rules", metavar="NAME|FILE", help="conformance report against this rule set")
    parser.add_argument(
        "--scripted",
        action="store_true",
        help="check every threshold of --rules on scripted streams (no events or labels)",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=0.5,
        help="seconds after the rule's time before a warning counts as late (default 0.5)",
    )
    parser.add_argument(
        "--label-fps",
        type=float,
        default=30.0,
        help="frame rate of an OpenLABEL annotation's frame numbers (default 30, DMD's)",
    )
    parser.add_argument(
        "--label-stream",
        default="face_camera",
        help="the annotation stream the video is (its sync shift applies; default face_camera)",
    )
    parser.add_argument("--out", type=Path, help="write conformance.json and conformance.html here")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def read_labels(path: str, fps: float, stream: str) -> list[Label]:
    if Path(path).suffix.lower() == ".json":
        from dms.scoring.openlabel import labels_from_openlabel

        return labels_from_openlabel(path, fps, stream)
    return load_labels(path)


def _speed_lookup(events_path: Path):
    """Speed at a media time from the timeline.csv beside events.json; None without one."""
    import pandas as pd

    timeline = events_path.with_name("timeline.csv")
    if not timeline.is_file():
        return None
    try:
        frame = pd.read_csv(timeline, usecols=lambda c: c in ("t", "speed_kmh"))
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(timeline, f"cannot read the timeline ({exc})") from None
    if "speed_kmh" not in frame or frame["speed_kmh"].isna().all():
        return None
    times, speeds = frame["t"].tolist(), frame["speed_kmh"].tolist()

    def speed_at(t: float) -> float | None:
        i = max(0, bisect.bisect_right(times, t) - 1)
        value = speeds[i] if i < len(speeds) else None
        return None if value is None or value != value else float(value)

    return speed_at


def run(args: argparse.Namespace) -> int:
    if args.scripted:
        return run_scripted(args)
    if not args.events or not args.labels:
        raise InputError("score", "give EVENTS_JSON and LABELS (or --scripted --rules NAME)")
    try:
        document = json.loads(Path(args.events).read_text(encoding="utf-8"))
        events, session = document["events"], document.get("session") or {}
    except FileNotFoundError:
        raise InputError(args.events, "events file not found") from None
    except IsADirectoryError:
        raise InputError(args.events, "is a folder; give the events.json inside it") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(args.events, f"not an events.json ({exc})") from None
    labels = read_labels(args.labels, args.label_fps, args.label_stream)
    if not labels:
        raise InputError(args.labels, "holds no labels")
    labels = analysed_labels(labels, session, args)
    if args.rules:
        return run_conformance(args, events, session, labels)
    labels = [lab for lab in labels if lab.behaviour in BEHAVIOURS]
    rows = score_events(events, labels)
    if args.json:
        scores = [_score_record(r) for r in rows]
        print(json.dumps({"events": args.events, "labels": args.labels, "scores": scores}))
        return 0
    print(f"{'behaviour':24s} {'labelled':>8s} {'found':>6s} {'missed':>6s} {'false':>6s}")
    for r in rows:
        name = behaviour_words(r.behaviour)
        print(f"{name:24s} {r.labelled:8d} {r.found:6d} {r.missed:6d} {r.false_events:6d}")
    return 0


def analysed_labels(labels: list[Label], session: dict, args: argparse.Namespace) -> list[Label]:
    """The labels that start before the analysed media ends (the session's last analysed frame
    plus one frame interval): what lies after a truncated, interrupted or shortened analysis was
    never seen, so it is neither found nor missed. A note on stderr says how many were left out."""
    last_t = session.get("duration_s")
    if not isinstance(last_t, int | float) or isinstance(last_t, bool):
        return labels  # an events.json that does not say how far the analysis went
    fps = session.get("analysed_fps")
    end = float(last_t) + (1.0 / fps if isinstance(fps, int | float) and fps > 0 else 0.0)
    kept = [lab for lab in labels if lab.start_s < end]
    if len(kept) < len(labels):
        print(f"note: {args.labels}: {len(labels) - len(kept)} label(s) start after the analysed media "
              f"ends ({end:.1f} s) and are not scored", file=sys.stderr)
    return kept


def _score_record(score: BehaviourScore) -> dict:
    """One row of `score --json`, keyed as events.json spells the behaviour (`behavior`)."""
    record = asdict(score)
    return {"behavior": record.pop("behaviour"), **record}


def run_conformance(args, events: list[dict], session: dict, labels: list[Label]) -> int:
    from dms.rules import load_rule_set
    from dms.scoring.conformance import check

    rules = load_rule_set(args.rules)
    speed_at = _speed_lookup(Path(args.events))
    duration = float(session.get("duration_s") or max([lab.end_s for lab in labels] + [0.0]))
    report = check(events, labels, rules, duration, speed_at, args.tolerance)
    data = {
        "rule_set": rules.describe(),
        "events": args.events,
        "labels": args.labels,
        "tolerance_s": report.tolerance_s,
        "normal_driving_s": report.normal_s,
        "false_alerts_per_hour": report.false_per_hour,
        "notes": report.notes,
        "summary": report.summary(),
        "intervals": [
            {**asdict(v), "time_to_warning_s": v.time_to_warning_s, "delay_s": v.delay_s}
            for v in report.labels
        ],
        "false_alerts": [asdict(f) for f in report.false_alerts],
        "rules": [asdict(r) for r in report.rules],
        "overall": report.overall,
    }
    if args.out:
        write_conformance(args.out, data, report, session, args, speed_at is not None, len(labels))
    if args.json:
        print(json.dumps(data))
        return 0
    print(f"rule set {rules.name}: {rules.title}")
    print(
        f"{'behaviour':24s} {'labelled':>8s} {'required':>8s} {'on time':>7s} {'late':>5s} {'missed':>6s} "
        f"{'median ttw':>10s} {'false':>5s}"
    )
    for r in report.summary():
        ttw = "-" if r["median_time_to_warning_s"] is None else f"{r['median_time_to_warning_s']:.2f} s"
        print(
            f"{behaviour_words(r['behaviour']):24s} {r['labelled']:8d} {r['required']:8d} {r['on_time']:7d} "
            f"{r['late']:5d} "
            f"{r['missed']:6d} {ttw:>10s} {r['false_alerts']:5d}"
        )
    rate = "-" if report.false_per_hour is None else f"{report.false_per_hour:.1f} per hour"
    print(
        f"false alerts: {len(report.false_alerts)} in {report.normal_s:.1f} s of labelled normal "
        f"driving ({rate})"
    )
    for note in report.notes:
        print(f"note: {note}")
    width = max((len(behaviour_words(r.behaviour)) for r in report.rules), default=10)
    for r in report.rules:
        print(f"rule {behaviour_words(r.behaviour):{width}s}  {r.verdict:12s}  {r.why}")
    print(f"overall: {report.overall}")
    return 0


def write_conformance(
    out: Path, data: dict, report, session: dict, args, has_speed: bool, n_labels: int
) -> None:
    from dms.report.html import _environment
    from dms.store.records import to_json

    out.mkdir(parents=True, exist_ok=True)
    (out / "conformance.json").write_text(to_json(data, indent=1), encoding="utf-8")
    html = (
        _environment()
        .get_template("conformance.html.j2")
        .render(
            c=report,
            summary=report.summary(),
            source=Path(str(session.get("source") or args.events)).name,
            events_path=args.events,
            labels_path=args.labels,
            n_labels=n_labels,
            speed_text="from the timeline beside events.json"
            if has_speed
            else "unknown (no telemetry in the timeline)",
        )
    )
    (out / "conformance.html").write_text(html, encoding="utf-8")
    print(out / "conformance.html", file=sys.stderr if args.json else sys.stdout)  # --json: stdout is JSON


def run_scripted(args: argparse.Namespace) -> int:
    from dms.core.config import Settings
    from dms.rules import RULE_SET_NAMES, load_rule_set
    from dms.scoring.scripted import run_case, run_time_sharing, threshold_cases, time_sharing_cases

    settings = Settings()
    names = [args.rules] if args.rules else list(RULE_SET_NAMES)
    failed = total = 0
    for name in names:
        rules = load_rule_set(name)
        for case in threshold_cases(rules, settings):
            outcome = run_case(case, settings, rules)
            total += 1
            failed += not outcome.ok
            at = "-" if outcome.at_s is None else f"{outcome.at_s:.2f} s"
            due = "-" if case.due_s is None else f"{case.due_s:.2f} s"
            print(
                f"{'ok  ' if outcome.ok else 'FAIL'} {case.name}: expected {case.expected} due {due}, "
                f"got {outcome.severity} at {at}"
            )
        for label, frames, fires, due in time_sharing_cases(rules):
            at = run_time_sharing(frames, settings, rules)
            ok = (at is not None) == fires and (due is None or abs(at - due) <= 0.1 + 1e-9)
            total += 1
            failed += not ok
            print(
                f"{'ok  ' if ok else 'FAIL'} {label}: {'fires' if fires else 'silent'} expected, "
                f"{'fired at ' + format(at, '.2f') + ' s' if at is not None else 'silent'}"
            )
    print(f"{total - failed} of {total} threshold cases land within one analysed frame (10 Hz)")
    return 0 if failed == 0 else 1
