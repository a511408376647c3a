"""`replay VIDEO`: analyse a recorded drive (or an image folder) headless, log it, write the report."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from dms.build import build_pipeline, load_classifier, load_telemetry
from dms.config import Settings
from dms.profile import CameraProfile
from dms.sources import FrameSource, open_source


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The analysis options shared by replay, gui, batch and bench."""
    parser.add_argument("--profile", help="camera profile JSON (default: data/profile_frontal.json)")
    parser.add_argument("--checkpoint", help="classifier checkpoint (.pth); without one, landmark cues only")
    parser.add_argument("--backend", choices=("torch", "onnx"), default="torch", help="classifier runtime")
    parser.add_argument(
        "--allow-offline",
        action="store_true",
        help="run bi-directional (offline) TSM weights causally anyway (they need causal fine-tuning)",
    )
    parser.add_argument("--settings", help="settings JSON (thresholds, timings, speed gate)")
    parser.add_argument(
        "--rules", metavar="NAME|FILE",
        help="rule set events are judged by: euro-ncap (default), eu-addw, eu-ddaw, or a rule set JSON file",
    )
    parser.add_argument("--analysis-fps", type=float, help="frames analysed per second (default 10; 0 = all)")
    parser.add_argument("--image-fps", type=float, default=10.0, help="playback rate of an image folder")
    parser.add_argument("--blur-faces", action="store_true", help="blur faces in thumbnails and clips")
    from dms.telemetry import add_arguments

    add_arguments(parser)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("replay", help="analyse a recorded drive and write its report")
    parser.add_argument("video", help="video file (mp4/avi/mkv...) or a folder of images")
    add_common_arguments(parser)
    parser.add_argument("--out", help="report folder (default: ./out/<session id>)")
    parser.add_argument("--db", help="event log SQLite file (default: in the user data folder)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def settings_from_args(args: argparse.Namespace) -> Settings:
    settings = Settings.load(args.settings) if args.settings else Settings()
    if args.analysis_fps is not None:
        settings = replace(settings, analysis_fps=args.analysis_fps)
    if args.blur_faces:
        settings = replace(settings, blur_faces=True)
    if getattr(args, "rules", None):
        from dms.rules import load_rule_set

        load_rule_set(args.rules, settings)  # a bad name or file is one error line before any work
        settings = replace(settings, rule_set=args.rules)
    return settings


def telemetry_from_args(args: argparse.Namespace, source: FrameSource, settings: Settings):
    return load_telemetry(args.telemetry, source, settings, args.telemetry_map, args.telemetry_offset)


def progress_bar(source: FrameSource, settings: Settings, disable: bool) -> tqdm:
    rate = settings.analysis_fps if settings.analysis_fps > 0 else source.fps
    total = int(source.duration_s * rate) + 1 if source.duration_s else None
    return tqdm(total=total, unit="frame", desc="analysing", disable=disable, file=sys.stderr, smoothing=0.1)


@contextmanager
def stop_on_interrupt():
    """Ctrl-C stops the analysis cleanly: what was analysed is logged and reported."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def run(args: argparse.Namespace) -> int:
    from dms.report import write_session_report
    from dms.store import Store, default_db_path

    settings = settings_from_args(args)
    profile = CameraProfile.load(args.profile)
    source = open_source(args.video, analysis_fps=settings.analysis_fps, image_fps=args.image_fps)
    with source:
        classifier = load_classifier(args.checkpoint, args.backend, args.allow_offline)
        telemetry = telemetry_from_args(args, source, settings)
        store = Store(args.db or default_db_path())
        pipeline, session_id = build_pipeline(
            settings, profile, source=source, classifier=classifier, telemetry=telemetry, store=store
        )
        bar = progress_bar(source, settings, args.no_progress)
        with stop_on_interrupt() as stop, bar:
            summary = pipeline.run(source, progress=lambda result: bar.update(1), stop=stop)
    out = Path(args.out or Path("out") / session_id)
    written = write_session_report(store, session_id, out, progress=not args.no_progress)
    store.close()
    if classifier is None:
        print("no classifier checkpoint: landmark cues only", file=sys.stderr)
    warning = telemetry.describe().get("warning") if telemetry is not None else None
    if warning:
        print(f"warning: telemetry: {warning}", file=sys.stderr)
    if summary.stopped_early:
        print(f"warning: {args.video}: stopped early: {summary.stopped_early}", file=sys.stderr)
    print(
        f"session {session_id}: {summary.frames} frames, {len(summary.events)} events, "
        f"{summary.last_t:.1f} s of media in {summary.wall_s:.1f} s; report: {written['report.html']}"
    )
    return 130 if summary.cancelled else 0
