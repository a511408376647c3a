"""Time forms, units, messy rows and gaps, on small logs written the way other loggers write them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from dms.events.tracker import EventSpeed
from dms.telemetry import load_track
from dms.telemetry.timebase import read_clock_column

START = datetime(2024, 5, 1, 8, 0, 0, tzinfo=UTC)


def _write(path, header, rows):
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    ("header", "stamp", "form"),
    [
        ("timestamp", lambda s: f"{START.timestamp() + s:.3f}", "epoch_s"),
        ("timestamp", lambda s: f"{(START.timestamp() + s) * 1e3:.0f}", "epoch_ms"),
        ("time_us", lambda s: f"{(START.timestamp() + s) * 1e6:.0f}", "epoch_us"),
        ("datetime", lambda s: (START + timedelta(seconds=s)).isoformat().replace("+00:00", "Z"), "iso8601"),
        ("Device Time", lambda s: (START + timedelta(seconds=s)).strftime("%d-%b-%Y %H:%M:%S.%f")[:-3],
         "device_time"),
    ],
)
def test_wall_clock_forms_align_by_absolute_time(tmp_path, header, stamp, form):
    rows = [f"{stamp(s)},{36.0 + s}" for s in range(0, 20)]
    path = _write(tmp_path / "log.csv", f"{header},speed_kmh", rows)
    track = load_track([path], video_start=START + timedelta(seconds=5))
    described = track.describe()
    assert described["files"][0]["time_form"] == form
    assert described["log_start_utc"] == START.isoformat()
    assert described["alignment"]["rule"] == "absolute time"
    assert track.at(0.0).speed_kmh == pytest.approx(41.0)  # media 0 = log second 5
    assert track.at(2.5).speed_kmh == pytest.approx(43.5)


def test_relative_clocks_start_with_the_video(tmp_path):
    path = _write(tmp_path / "log.csv", "elapsed_time_ms,speed_mph", [f"{1000 * s},{s}" for s in range(10)])
    track = load_track([path], video_start=START)
    described = track.describe()
    assert described["files"][0]["time_form"] == "ms_from_start"
    assert described["alignment"] == {"rule": "log start = video start", "offset_s": 0.0,
                                      "reason": "the log has no wall-clock time"}
    assert track.at(4.0).speed_kmh == pytest.approx(4 * 1.609344)


def test_naive_local_time_uses_the_mapped_zone(tmp_path):
    local = START + timedelta(hours=8)
    rows = [f"{(local + timedelta(seconds=s)).strftime('%Y-%m-%d %H:%M:%S')},{50}" for s in range(5)]
    path = _write(tmp_path / "log.csv", "time,speed_kmh", rows)
    assert load_track([path]).describe()["files"][0]["timezone"] == "assumed UTC (no zone in the log)"
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"timezone": "+08:00"}))
    track = load_track([path], mapping_path=mapping, video_start=START)
    assert track.describe()["log_start_utc"] == START.isoformat()
    assert track.describe()["alignment"]["offset_s"] == 0.0


def test_units_are_converted(tmp_path):
    rows = [f"{s},{s * 0.1},{0.2},{0.1},{0.5}" for s in range(10)]
    path = _write(tmp_path / "log.csv", "t,speed (m/s),accel_long (g),lateral_acc_g,steering_rad", rows)
    state = load_track([path]).at(5.0)
    assert state.speed_kmh == pytest.approx(0.5 * 3.6)
    assert state.accel_long_ms2 == pytest.approx(0.2 * 9.80665)
    assert state.accel_lat_ms2 == pytest.approx(0.1 * 9.80665)
    assert state.steering_deg == pytest.approx(np.degrees(0.5))


def test_unsorted_duplicated_and_missing_rows(tmp_path):
    rows = ["3,30", "1,10", "2,-", "2,20", "0,0", "1,12", "4,", "5,NaN", "6,60"]
    path = _write(tmp_path / "log.csv", "time_s,speed_kmh", rows)
    track = load_track([path])
    assert track.at(1.0).speed_kmh == pytest.approx(11.0)  # the two samples at t=1 averaged
    assert track.at(2.5).speed_kmh == pytest.approx(25.0)
    assert track.at(4.5).speed_kmh == pytest.approx(45.0)  # 3 -> 6 s: a short hole, interpolated
    assert track.describe()["signals"]["speed"]["samples"] == 5


def test_a_long_gap_is_unknown_not_interpolated(tmp_path):
    times = list(range(0, 10)) + list(range(40, 50))
    path = _write(tmp_path / "log.csv", "time_s,speed_kmh", [f"{t},{50}" for t in times])
    track = load_track([path])
    assert track.at(5.0).speed_kmh == pytest.approx(50.0)
    assert track.at(25.0).speed_kmh is None and track.at(25.0).odometer_m is None
    assert track.at(45.0).speed_kmh == pytest.approx(50.0)
    speed = EventSpeed()
    for t in np.arange(20.0, 30.0, 0.1):  # an event inside the gap, at 10 analysed frames a second
        speed.add(track.at(t))
    assert speed.summary() == (None, None)


def test_heading_interpolates_across_north(tmp_path):
    path = _write(tmp_path / "log.csv", "time_s,heading_deg,speed_kmh", ["0,350,10", "1,10,10", "2,30,10"])
    track = load_track([path])
    assert track.at(0.5).heading_deg == pytest.approx(0.0, abs=1e-9)
    assert track.at(0.75).heading_deg == pytest.approx(5.0)
    assert track.at(1.5).heading_deg == pytest.approx(20.0)


def test_harsh_markers_from_an_accelerometer(tmp_path):
    t = np.arange(0, 30, 0.01)
    accel = np.where((t >= 10) & (t < 12), -5.0, 0.0) + np.where((t >= 20) & (t < 21.5), 4.0, 0.0)
    speed = 20 + np.cumsum(accel) * 0.01
    rows = [f"{a:.2f},{b:.4f},{c:.3f}" for a, b, c in zip(t, speed, accel, strict=True)]
    path = _write(tmp_path / "log.csv", "time_s,speed_mps,accel_long_mps2", rows)
    track = load_track([path])
    names = [name for _, name in track.markers()]
    assert names == ["harsh_braking", "harsh_acceleration"]
    braking, accelerating = (when for when, _ in track.markers())
    assert 10 <= braking < 12 and 20 <= accelerating < 21.5
    assert track.markers_between(9.0, 15.0) == ["harsh_braking"]
    assert load_track([path], harsh_brake_ms2=6.0).markers_between(0.0, 30.0) == ["harsh_acceleration"]
    assert load_track([path], harsh_accel_ms2=4.5).markers_between(0.0, 30.0) == ["harsh_braking"]


def test_clock_column_reader_rejects_non_times():
    assert read_clock_column(pd.Series(["red", "green"], name="time"), "auto") is None
    stamps = pd.Series(["2024-05-01T08:00:00+02:00", "2024-05-01T08:00:01+02:00"], name="t")
    column = read_clock_column(stamps, "auto")
    assert column is not None and column.wall and not column.naive
    assert column.seconds[0] == pytest.approx(START.timestamp() - 7200)
