"""What the analysing commands share: their options, the one recipe built from them, and Ctrl-C.

`replay`, `batch`, `bench pipeline` and `gui` take the same analysis options; `recipe_from_args`
is the one place that turns them into an `AnalysisRecipe`.
"""

from __future__ import annotations

import argparse
import math
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from dms.core.config import Settings
from dms.core.errors import InputError
from dms.core.profile import CameraProfile
from dms.core.settings_check import check_settings, load_settings
from dms.pipeline.recipe import AnalysisRecipe
from dms.rules import load_rule_set
from dms.sources.readers import IMAGE_FPS


def add_classifier_arguments(parser: argparse.ArgumentParser) -> None:
    """--profile, --checkpoint, --detector, --backend, --allow-offline (also taken by `gui`)."""
    parser.add_argument("--profile", metavar="JSON",
                        help="camera profile JSON (default: data/profile_frontal.json)")
    parser.add_argument("--checkpoint", metavar="PTH",
                        help="classifier checkpoint (.pth, PaddleVideo .pdparams, or an exported .onnx); "
                        "default: the shipped model "
                        "when the camera profile's view is the one it was trained for (side); "
                        "'none': off")
    parser.add_argument("--detector", metavar="PTH",
                        help="phone and cigarette detector checkpoint; default: the shipped one, on every "
                        "camera view; 'none': off")
    parser.add_argument("--backend", choices=("auto", "torch", "onnx"), default="auto",
                        help="classifier runtime (auto: onnxruntime, the faster one on CPU)")
    parser.add_argument(
        "--allow-offline",
        action="store_true",
        help="run bi-directional (offline) TSM weights causally anyway (they need causal fine-tuning)",
    )


def add_rules_argument(parser: argparse.ArgumentParser) -> None:
    """--rules NAME|FILE (also taken by `gui`)."""
    parser.add_argument(
        "--rules", metavar="NAME|FILE",
        help="rule set events are judged by: euro-ncap (default), eu-addw, eu-ddaw, or a rule set JSON file",
    )


def add_telemetry_arguments(parser: argparse.ArgumentParser) -> None:
    """--telemetry CSV..., --telemetry-map JSON, --telemetry-offset SECONDS (also taken by `gui`)."""
    group = parser.add_argument_group("telemetry")
    group.add_argument(
        "--telemetry", nargs="+", metavar="CSV",
        help="vehicle log(s) of the drive: one CSV, or several logged apart (e.g. CAN, GNSS, IMU)",
    )
    group.add_argument(
        "--telemetry-map", metavar="JSON",
        help="time column/form and signal columns/units that override detection "
        "(see data/telemetry_map.example.json)",
    )
    group.add_argument(
        "--telemetry-offset", type=float, metavar="SECONDS",
        help="media time (s) at which the log starts; negative if the log started before the video. "
        "Default: by absolute time when both carry it, else the log starts with the video",
    )


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The analysis options shared by replay, batch and bench."""
    add_classifier_arguments(parser)
    parser.add_argument("--settings",
                        help="settings JSON (thresholds, timings, speed gate; every key: --help-settings)")
    add_rules_argument(parser)
    parser.add_argument("--analysis-fps", type=float,
                        help=f"frames analysed per second (default {Settings.analysis_fps:g}; 0 = all)")
    parser.add_argument("--image-fps", type=float,
                        help=f"playback rate of an image folder (default {IMAGE_FPS:g}/s)")
    parser.add_argument("--blur-faces", action="store_true", help="blur faces in thumbnails and clips")
    add_telemetry_arguments(parser)


def settings_from_args(args: argparse.Namespace, settings: Settings | None = None) -> Settings:
    """`settings` (else --settings FILE, else the defaults) with --analysis-fps, --blur-faces and
    --rules (the rule set's name or file) applied on top."""
    if settings is None:
        settings = load_settings(args.settings) if args.settings else Settings()
    if getattr(args, "analysis_fps", None) is not None:
        settings = check_settings(replace(settings, analysis_fps=args.analysis_fps), "--analysis-fps")
    if getattr(args, "blur_faces", False):
        settings = replace(settings, blur_faces=True)
    if getattr(args, "rules", None):
        settings = replace(settings, rule_set=args.rules)
    return settings


def _text(value) -> str | None:
    return None if value is None else str(value)


def recipe_from_args(
    args: argparse.Namespace, settings: Settings | None = None, db_path=None
) -> AnalysisRecipe:
    """The analysis recipe the options describe (InputError on a bad settings or profile file).

    Every command that analyses (replay, batch, bench, gui, eval) builds its recipe here.
    `settings` replaces what --settings would give (the GUI's saved settings; the other options
    still apply on top); `db_path` is the event log to write (None: no log).
    """
    for option in ("telemetry_offset", "image_fps"):
        value = getattr(args, option, None)
        if value is not None and not math.isfinite(value):
            raise InputError(f"--{option.replace('_', '-')}", f"must be a finite number, not {value}")
    extra = {"image_fps": args.image_fps} if getattr(args, "image_fps", None) is not None else {}
    settings = settings_from_args(args, settings)
    return AnalysisRecipe(
        settings=settings,
        rules=load_rule_set(settings.rule_set),  # resolved once: InputError on a bad name or file
        profile=CameraProfile.load(args.profile),
        checkpoint=_text(args.checkpoint),
        detector=_text(args.detector),
        backend=args.backend,
        allow_offline=args.allow_offline,
        telemetry=tuple(str(p) for p in getattr(args, "telemetry", None) or ()),  # eval takes none
        telemetry_map=_text(getattr(args, "telemetry_map", None)),
        telemetry_offset_s=getattr(args, "telemetry_offset", None),
        db_path=_text(db_path),
        **extra,
    )


class Interrupt(threading.Event):
    """A stop event that remembers what set it (`reason`: "Ctrl-C", "SIGTERM")."""

    reason: str | None = None

    def interrupt(self, reason: str) -> None:
        self.reason = self.reason or reason
        self.set()


@contextmanager
def stop_on_interrupt() -> Iterator[Interrupt]:
    """Ctrl-C (SIGINT) and SIGTERM set the yielded event, so the analysis stops cleanly: open
    events are closed, the session is closed as interrupted, and what was analysed is reported."""
    stop = Interrupt()
    names = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}
    previous = {signum: signal.signal(signum, lambda signum, _: stop.interrupt(names[signum]))
                for signum in names}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
