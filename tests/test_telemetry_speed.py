"""Issue 5, point 6: a 1-hour, 100 Hz log loads and aligns in under 2 s; per-frame lookups are cheap."""

from __future__ import annotations

import pandas as pd
import pytest

from dms.telemetry import load_track
from dms.telemetry.bench import measure, write_drive_log


def test_one_hour_at_100_hz_loads_in_under_two_seconds(tmp_path):
    path = write_drive_log(tmp_path / "drive.csv", duration_s=3600.0, rate_hz=100.0)
    result = measure(path)
    assert result["rows"] == 360_000
    assert result["duration_s"] == pytest.approx(3600.0, abs=0.1)
    assert result["load_s"] < 2.0, result
    assert result["at_us"] < 500, result  # one analysed frame at 10 Hz has 100 000 µs


def test_the_generated_log_reads_back_with_every_signal(tmp_path):
    path = write_drive_log(tmp_path / "drive.csv", duration_s=60.0, rate_hz=100.0)
    track = load_track([path])
    raw = pd.read_csv(path)
    assert set(track.describe()["signals"]) == {
        "speed", "accel_long", "accel_lat", "steering", "latitude", "longitude", "heading"
    }
    assert track.at(30.0).speed_kmh == pytest.approx(raw["speed_kmh"].iloc[3000])
    assert track.describe()["files"][0]["time_form"] == "epoch_ms"
