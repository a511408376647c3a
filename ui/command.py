"""`python main.py gui` (also the default command): the desktop app on a camera, recording or folder."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from platformdirs import user_config_dir

from dms.commands.common import add_classifier_arguments, add_rules_argument, add_telemetry_arguments
from dms.core.config import Settings, holds_rule_set_timings
from dms.core.errors import InputError
from dms.core.settings_check import load_settings


def settings_path() -> Path:
    return Path(user_config_dir("dms", appauthor=False)) / "settings.json"


def saved_settings(path: Path) -> Settings:
    """The settings the app saved at `path` (defaults when there are none). A file saved by an earlier
    version, whose settings still held the alert timings the rule set owns now, is set aside beside
    it as `settings.json.old` (kept, not deleted) with a warning, and the defaults are used: the app
    starts instead of refusing its own file. Any other problem is the file's InputError."""
    if not path.is_file():
        return Settings()
    try:
        return load_settings(path)
    except InputError:
        try:
            old = holds_rule_set_timings(json.loads(path.read_text(encoding="utf-8-sig")))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            old = False
        if not old:
            raise
    kept = path.with_name(path.name + ".old")
    path.replace(kept)
    print(f"warning: {path}: saved by an earlier version with alert timings that the rule set holds "
          f"now (docs/rules.md); set aside as {kept.name}, the default settings are used", file=sys.stderr)
    return Settings()


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("gui", help="the desktop app (default): live camera or replay")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--camera", type=int, metavar="N", help="camera index (default 0)")
    source.add_argument("--video", type=Path, metavar="FILE", help="a recording (or a folder of images)")
    add_classifier_arguments(parser)
    parser.add_argument("--db", type=Path, metavar="FILE", help="event log (default: the user's data folder)")
    parser.add_argument("--settings", type=Path, metavar="JSON",
                        help="settings file (default: saved by the app)")
    add_rules_argument(parser)
    add_telemetry_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check every input before a window opens, so bad input is one line and exit code 2."""
    from dms.commands.common import recipe_from_args
    from dms.core.errors import InputError
    from dms.store import Store, default_db_path

    saved = args.settings or settings_path()
    settings = load_settings(saved) if args.settings else saved_settings(saved)
    db_path = args.db or default_db_path()
    recipe = recipe_from_args(args, settings, db_path=db_path)
    inputs = [(args.video, "recording"), (recipe.checkpoint, "checkpoint")]
    inputs += [(path, "telemetry CSV") for path in recipe.telemetry]
    for path, what in inputs:
        if path is not None and not Path(path).exists():
            raise InputError(path, f"{what} not found")
    if args.camera is not None:  # a camera asked for by number must open; without one, the app falls back
        recipe.open_source(args.camera).close()
    if args.video is not None:  # a bad recording or telemetry log is one line and exit 2, before any window
        with recipe.open_source(args.video) as source:
            recipe.load_telemetry(source)
    store = Store(db_path)

    from ui.app import application, run_window
    from ui.main_window import MainWindow

    app = application()  # kept alive for the whole run
    window = MainWindow(recipe, store=store, settings_path=saved)
    if args.video is not None:
        window.open_source(args.video)
    else:
        window.open_default_camera(args.camera or 0)
    try:
        return run_window(app, window)
    finally:
        store.close()
