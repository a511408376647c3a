"""`python main.py gui` (also the default command): the desktop app on a camera, recording or folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from platformdirs import user_config_dir

from dms.telemetry import add_arguments as add_telemetry_arguments


def settings_path() -> Path:
    return Path(user_config_dir("dms", appauthor=False)) / "settings.json"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("gui", help="the desktop app (default): live camera or replay")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--camera", type=int, metavar="N", help="camera index (default 0)")
    source.add_argument("--video", type=Path, metavar="FILE", help="a recording (or a folder of images)")
    parser.add_argument("--profile", type=Path, metavar="JSON", help="camera profile (wheel/console regions)")
    parser.add_argument("--checkpoint", type=Path, metavar="PTH",
                        help="classifier checkpoint (.pth, or an exported .onnx)")
    parser.add_argument("--db", type=Path, metavar="FILE", help="event log (default: the user's data folder)")
    parser.add_argument("--settings", type=Path, metavar="JSON",
                        help="settings file (default: saved by the app)")
    parser.add_argument("--rules", metavar="NAME|FILE",
                        help="rule set: euro-ncap (default), eu-addw, eu-ddaw, or a rule set JSON file")
    add_telemetry_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check every input before a window opens, so bad input is one line and exit code 2."""
    from dms.config import Settings
    from dms.errors import InputError
    from dms.profile import CameraProfile
    from dms.sources import open_source
    from dms.store import Store, default_db_path
    from ui.opening import AnalysisRecipe

    saved = args.settings or settings_path()
    settings = Settings.load(saved) if args.settings or saved.is_file() else Settings()
    if args.rules:
        from dataclasses import replace

        from dms.rules import load_rule_set

        load_rule_set(args.rules, settings)
        settings = replace(settings, rule_set=args.rules)
    profile = CameraProfile.load(args.profile)
    inputs = [(args.video, "recording"), (args.checkpoint, "checkpoint")]
    inputs += [(path, "telemetry CSV") for path in args.telemetry or ()]
    for path, what in inputs:
        if path is not None and not path.exists():
            raise InputError(path, f"{what} not found")
    telemetry = tuple(args.telemetry or ())
    if args.camera is not None:  # a camera asked for by number must open; without one, the app falls back
        open_source(args.camera).close()
    if args.video is not None:  # a bad recording or telemetry log is one line and exit 2, before any window
        with open_source(args.video) as source:
            AnalysisRecipe(settings, profile, telemetry=telemetry, telemetry_map=args.telemetry_map,
                           telemetry_offset_s=args.telemetry_offset).load_telemetry(source)
    store = Store(args.db or default_db_path())

    from ui.app import application, run_window
    from ui.main_window import MainWindow

    app = application()  # kept alive for the whole run
    window = MainWindow(
        settings, profile, store=store, checkpoint=args.checkpoint, telemetry=telemetry,
        telemetry_map=args.telemetry_map, telemetry_offset_s=args.telemetry_offset, settings_path=saved,
    )
    if args.video is not None:
        window.open_source(args.video)
    else:
        window.open_default_camera(args.camera or 0)
    try:
        return run_window(app, window)
    finally:
        store.close()
