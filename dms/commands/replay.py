"""`replay VIDEO`: analyse a recorded drive (or an image folder) headless, log it, write the report."""

from __future__ import annotations

import argparse
import sys

from dms.commands.common import add_common_arguments, recipe_from_args, stop_on_interrupt
from dms.core.errors import InputError
from dms.pipeline.drive import replay_drive


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("replay", help="analyse a recorded drive and write its report")
    parser.add_argument("video", help="video file (mp4/avi/mkv...) or a folder of images")
    add_common_arguments(parser)
    parser.add_argument("--out", help="report folder (default: ./out/<session id>)")
    parser.add_argument("--db", help="event log SQLite file (default: in the user data folder)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dms.report.files import check_out_dir

    recipe = recipe_from_args(args, db_path=args.db)
    for option in ("telemetry_map", "telemetry_offset"):
        if getattr(args, option) is not None and not args.telemetry:
            flag = f"--{option.replace('_', '-')}"
            raise InputError(flag, "given without --telemetry: there is no vehicle log for it to apply to")
    check_out_dir(args.out or "out")
    with stop_on_interrupt() as stop:
        result = replay_drive(recipe, args.video, args.out, progress=not args.no_progress, stop=stop)
    print(result.classifier_note, file=sys.stderr)
    if result.telemetry_warning:
        print(f"warning: telemetry: {result.telemetry_warning}", file=sys.stderr)
    if result.stopped_early:
        print(f"warning: {args.video}: stopped early: {result.stopped_early}", file=sys.stderr)
    if result.cancelled:
        print(f"warning: {args.video}: interrupted by {stop.reason or 'a stop request'} at "
              f"{result.duration_s:.1f} s; the report covers what was analysed up to there", file=sys.stderr)
    print(
        f"session {result.session_id}: {result.frames} frames, {result.events} events, "
        f"{result.duration_s:.1f} s of media in {result.wall_s:.1f} s; report: {result.report}"
    )
    print(result.headline)
    return 130 if result.cancelled else 0
