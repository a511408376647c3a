"""The telemetry options shared by `replay` and `gui`."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("telemetry")
    group.add_argument(
        "--telemetry", nargs="+", type=Path, metavar="CSV",
        help="vehicle log(s) of the drive: one CSV, or several logged apart (e.g. CAN, GNSS, IMU)",
    )
    group.add_argument(
        "--telemetry-map", type=Path, metavar="JSON",
        help="time column/form and signal columns/units that override detection "
        "(see data/telemetry_map.example.json)",
    )
    group.add_argument(
        "--telemetry-offset", type=float, metavar="SECONDS",
        help="media time (s) at which the log starts; negative if the log started before the video. "
        "Default: by absolute time when both carry it, else the log starts with the video",
    )
