"""How long loading and aligning a long log takes, and what `at(t)` costs per analysed frame.

Issue 5 asks that a 1-hour, 100 Hz log add under 2 s to a replay. No such real log is shared, so a
drive of that size is written with the columns a CAN/IMU logger writes (epoch ms, km/h, m/s², deg).
Run: python main.py bench telemetry [--duration-s S] [--rate-hz HZ] [--json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from dms.core.config import Settings, analysis_period_s
from dms.telemetry.loader import load_track


def write_drive_log(path: Path, duration_s: float = 3600.0, rate_hz: float = 100.0, seed: int = 0) -> Path:
    """A drive of `duration_s` at `rate_hz`: speed wandering 0-130 km/h, with stops and hard brakes."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * rate_hz)
    t = np.arange(n) / rate_hz
    accel = np.repeat(rng.normal(0.0, 0.8, n // int(rate_hz) + 1), int(rate_hz))[:n]
    speed = np.clip(np.cumsum(accel) / rate_hz + 50.0 / 3.6, 0.0, 130 / 3.6)
    heading = np.cumsum(rng.normal(0.0, 0.05, n)) % 360
    north_m = np.cumsum(speed * np.cos(np.radians(heading))) / rate_hz
    east_m = np.cumsum(speed * np.sin(np.radians(heading))) / rate_hz
    frame = pd.DataFrame(
        {
            "timestamp_ms": np.round((1.7e9 + t) * 1000).astype(np.int64),
            "speed_kmh": np.round(speed * 3.6, 2),
            "accel_long_mps2": np.round(np.gradient(speed, t) + rng.normal(0, 0.3, n), 3),
            "accel_lat_mps2": np.round(rng.normal(0, 0.5, n), 3),
            "steering_angle_deg": np.round(rng.normal(0, 5, n), 1),
            "latitude": np.round(48.0 + north_m / 111_000, 7),
            "longitude": np.round(11.0 + east_m / 74_000, 7),
            "heading_deg": np.round(heading, 2),
        }
    )
    frame.to_csv(path, index=False)
    return path


def measure(path: Path) -> dict:
    """Seconds to load and align the log, and microseconds per `at()` / `markers_between()` call."""
    started = time.perf_counter()
    track = load_track([path])
    load_s = time.perf_counter() - started
    start, end = track.describe()["coverage_s"]
    frames = np.arange(start, end, analysis_period_s(Settings.analysis_fps))
    started = time.perf_counter()
    for t in frames:
        track.at(float(t))
    at_us = (time.perf_counter() - started) / frames.size * 1e6
    started = time.perf_counter()
    for t0, t1 in zip(frames[:-1], frames[1:], strict=True):
        track.markers_between(float(t0), float(t1))
    markers_us = (time.perf_counter() - started) / max(1, frames.size - 1) * 1e6
    return {
        "rows": int(track.describe()["signals"]["speed"]["samples"]),
        "duration_s": round(end - start, 1),
        "load_s": round(load_s, 3),
        "at_us": round(at_us, 2),
        "markers_between_us": round(markers_us, 2),
        "frames": int(frames.size),
        "per_hour_of_frames_s": round((at_us + markers_us) * frames.size / 1e6, 3),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration-s", type=float, default=3600.0, help="length of the written log (s)")
    parser.add_argument("--rate-hz", type=float, default=100.0, help="its sample rate (rows per second)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as folder:
        path = write_drive_log(Path(folder) / "drive.csv", args.duration_s, args.rate_hz)
        result = measure(path)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0
