"""The telemetry options as replay and gui parse them."""

from __future__ import annotations

import argparse
from pathlib import Path

from dms.telemetry import add_arguments


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser


def test_several_logs_a_map_and_a_negative_offset():
    args = _parser().parse_args(
        ["--telemetry", "can.csv", "gnss.csv", "imu.csv", "--telemetry-map", "map.json",
         "--telemetry-offset", "-20.5"]
    )
    assert args.telemetry == [Path("can.csv"), Path("gnss.csv"), Path("imu.csv")]
    assert args.telemetry_map == Path("map.json")
    assert args.telemetry_offset == -20.5


def test_all_optional():
    args = _parser().parse_args([])
    assert (args.telemetry, args.telemetry_map, args.telemetry_offset) == (None, None, None)
