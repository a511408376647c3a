"""Telemetry on the real logs in ../shared/data/telemetry: detection, merge, alignment, distance."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED

from dms.events.tracker import EventSpeed
from dms.telemetry import load_track

LOGS = SHARED / "telemetry"
TORQUE = LOGS / "torque_tracklog.csv"
COMMA = [LOGS / "comma2k19_can_speed_steering.csv", LOGS / "comma2k19_gnss.csv", LOGS / "comma2k19_imu.csv"]
CAROBD = LOGS / "carobd_drive1.csv"
EXAMPLE_MAP = Path(__file__).resolve().parents[1] / "data" / "telemetry_map.example.json"


@pytest.fixture(scope="module")
def torque():
    return load_track([TORQUE])


@pytest.fixture(scope="module")
def torque_raw():
    raw = pd.read_csv(TORQUE, na_values=["-"], skipinitialspace=True)
    raw.columns = [c.strip() for c in raw.columns]
    device = pd.to_datetime(raw["Device Time"], format="%d-%b-%Y %H:%M:%S.%f")
    raw["t"] = (device - device.iloc[0]).dt.total_seconds()
    return raw


@pytest.fixture(scope="module")
def comma():
    return load_track(COMMA)


@pytest.fixture(scope="module")
def comma_can():
    can = pd.read_csv(COMMA[0])
    can["t"] = can["boot_time_s"] - _comma_boot_start()
    return can


def _comma_boot_start() -> float:
    return min(pd.read_csv(path, usecols=["boot_time_s"])["boot_time_s"].min() for path in COMMA)


def _trapezoid(t: np.ndarray, speed_ms: np.ndarray) -> float:
    return float(np.sum(0.5 * (speed_ms[1:] + speed_ms[:-1]) * np.diff(t)))


def _event_speed(track, frame_times) -> tuple[dict | None, float | None]:
    """An event's speed and distance as the event tracker gives them, over analysed frames at
    `frame_times` (media seconds)."""
    speed = EventSpeed()
    for t in frame_times:
        speed.add(track.at(float(t)))
    return speed.summary()


# --- Torque Pro: 179 columns, '-' for missing, device time in the phone's zone -------------------


def test_torque_columns_units_and_clock_are_detected(torque):
    described = torque.describe()
    log = described["files"][0]
    assert log["rows"] == 2662
    assert log["time_column"] == "Device Time"
    assert log["time_form"] == "device_time"
    assert log["timezone"] == "UTC+08:00 (from 'GPS Time')"
    signals = log["signals"]
    assert signals["speed"] == {"column": "Speed (OBD)(km/h)", "unit": "km/h", "unit_from": "named"}
    assert signals["latitude"]["column"] == "Latitude"
    assert signals["longitude"]["column"] == "Longitude"
    assert signals["heading"]["column"] == "Bearing"
    assert "steering" not in signals  # Torque has no steering angle; fuel trims are not longitudes
    assert described["log_start_utc"] == "2022-02-22T22:34:27.403000+00:00"
    assert described["alignment"]["rule"] == "log start = video start"
    assert described["harsh"]["acceleration"] == "derived from speed"


def test_torque_speed_is_interpolated_between_raw_samples(torque, torque_raw):
    speed = torque_raw.dropna(subset=["Speed (OBD)(km/h)"])
    i = 1200
    t0, t1 = speed["t"].iloc[i], speed["t"].iloc[i + 1]
    v0, v1 = speed["Speed (OBD)(km/h)"].iloc[i], speed["Speed (OBD)(km/h)"].iloc[i + 1]
    middle = torque.at((t0 + t1) / 2).speed_kmh
    assert middle == pytest.approx((v0 + v1) / 2, abs=1e-6)
    assert torque.at(t0).speed_kmh == pytest.approx(v0)
    assert torque.at(-1.0).speed_kmh is None  # before the log: unknown, not extrapolated
    assert torque.at(speed["t"].iloc[-1] + 1.0).speed_kmh is None
    assert torque.at(1000.0).latitude == pytest.approx(3.0, abs=0.1)  # Kuala Lumpur area


def test_torque_distance_matches_trapezoid_and_the_cars_own_counter(torque, torque_raw):
    speed = torque_raw.dropna(subset=["Speed (OBD)(km/h)"])
    independent = _trapezoid(speed["t"].to_numpy(), speed["Speed (OBD)(km/h)"].to_numpy() / 3.6)
    first, last = speed["t"].iloc[0] + 1e-6, speed["t"].iloc[-1] - 1e-6  # inside, despite float rounding
    total = torque.at(last).odometer_m - torque.at(first).odometer_m
    assert total == pytest.approx(independent, rel=1e-6)
    # The ECU's "distance since codes cleared" counts whole km: 41992 -> 42030 over this trip.
    ecu = torque_raw["Distance travelled since codes cleared(km)"].dropna()
    assert abs(total / 1000 - (ecu.iloc[-1] - ecu.iloc[0])) < 1.5


def test_torque_event_speed_over_a_window(torque, torque_raw):
    speed = torque_raw.dropna(subset=["Speed (OBD)(km/h)"])
    window = speed[(speed["t"] >= speed["t"].iloc[600]) & (speed["t"] <= speed["t"].iloc[660])]
    t = window["t"].to_numpy()
    summary, distance = _event_speed(torque, t)  # analysed frames on the log's own samples
    kmh = window["Speed (OBD)(km/h)"].to_numpy()
    assert distance == pytest.approx(_trapezoid(t, kmh / 3.6), abs=0.051)
    assert summary["start"] == pytest.approx(kmh[0], abs=0.051)
    assert summary["max"] == pytest.approx(kmh.max(), abs=0.051)
    assert summary["mean"] == pytest.approx(kmh.mean(), abs=0.051)


def test_torque_harsh_braking_markers_sit_on_real_decelerations(torque, torque_raw):
    speed = torque_raw.dropna(subset=["Speed (OBD)(km/h)"])
    t = speed["t"].to_numpy()
    slope = np.diff(speed["Speed (OBD)(km/h)"].to_numpy() / 3.6) / np.diff(t)
    braking = [m for m, name in torque.markers() if name == "harsh_braking"]
    assert braking, "this trip has hard stops"
    for marker in braking:
        near = np.abs((t[:-1] + t[1:]) / 2 - marker) <= 1.0
        assert slope[near].min() <= -3.5
    assert len(load_track([TORQUE], harsh_brake_ms2=6.0).markers()) < len(torque.markers())
    first = braking[0]
    assert torque.markers_between(first - 0.1, first) == ["harsh_braking"]
    assert torque.markers_between(first, first + 0.1) == []  # (t0, t1]: each marker reported once


# --- comma2k19: CAN, GNSS and IMU logged apart, boot clock + UTC in the GNSS file -----------------


def test_comma_files_merge_on_the_boot_clock(comma):
    described = comma.describe()
    assert described["clock"] == "boot_time_s (seconds_from_boot)"
    sources = {name: s["source"] for name, s in described["signals"].items()}
    assert sources["speed"] == "comma2k19_can_speed_steering.csv: speed_mps"  # CAN, 100 Hz, over GNSS
    assert sources["steering"] == "comma2k19_can_speed_steering.csv: steering_angle_deg"
    assert sources["latitude"] == "comma2k19_gnss.csv: latitude_deg"
    assert sources["heading"] == "comma2k19_gnss.csv: bearing_deg"
    assert sources["accel_long"] == "comma2k19_imu.csv: acc_forward_mps2"
    assert sources["accel_lat"] == "comma2k19_imu.csv: acc_right_mps2"
    assert described["signals"]["speed"]["unit"] == "m/s"
    assert described["harsh"]["acceleration"] == "measured"
    assert 80 < described["sample_rate_hz"] < 120


def test_comma_wall_clock_comes_from_the_gnss_utc_column(comma):
    gnss = pd.read_csv(COMMA[1])
    boot_to_utc = float(np.median(gnss["utc_timestamp_ms"] / 1000 - gnss["boot_time_s"]))
    expected = datetime.fromtimestamp(_comma_boot_start() + boot_to_utc, UTC)
    logged = datetime.fromisoformat(comma.describe()["log_start_utc"])
    assert abs((logged - expected).total_seconds()) < 0.001


def test_comma_interpolation_and_coverage(comma, comma_can):
    t, v = comma_can["t"].to_numpy(), comma_can["speed_mps"].to_numpy()
    for x in (5.0, 17.3, 42.123):
        assert comma.at(x).speed_kmh == pytest.approx(np.interp(x, t, v) * 3.6, rel=1e-9)
    state = comma.at(30.0)
    assert state.latitude == pytest.approx(37.7257, abs=0.001)
    assert 0 <= state.heading_deg < 360
    assert comma.at(-0.5).speed_kmh is None and comma.at(61.0).speed_kmh is None


def test_comma_distance_matches_trapezoid_and_gnss_track(comma, comma_can):
    t, v = comma_can["t"].to_numpy(), comma_can["speed_mps"].to_numpy()
    mask = (t >= 10) & (t <= 50)
    start, end = t[mask][0], t[mask][-1]
    summary, distance = _event_speed(comma, np.linspace(start, end, round((end - start) * 10) + 1))
    assert distance == pytest.approx(_trapezoid(t[mask], v[mask]), abs=0.051)
    # 10 Hz frames on a 100 Hz CAN speed: the mean of the frames is the distance over the time.
    assert summary["mean"] == pytest.approx(distance / (end - start) * 3.6, abs=0.1)
    assert summary["max"] == pytest.approx(v[mask].max() * 3.6, abs=0.2)
    assert summary["max"] >= summary["mean"] > 0
    # Independently of the speed sensor: the GNSS positions' path length over the same span.
    gnss = pd.read_csv(COMMA[1])
    lat, lon = np.deg2rad(gnss["latitude_deg"].to_numpy()), np.deg2rad(gnss["longitude_deg"].to_numpy())
    a = np.sin(np.diff(lat) / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(np.diff(lon) / 2) ** 2
    path_m = float(np.sum(2 * 6371000 * np.arcsin(np.sqrt(a))))
    gnss_t = gnss["boot_time_s"].to_numpy() - _comma_boot_start()
    _, travelled = _event_speed(comma, np.linspace(gnss_t[0], gnss_t[-1], 600))
    assert travelled == pytest.approx(path_m, rel=0.03)


def test_comma_absolute_alignment_with_a_video_creation_time(comma, comma_can):
    log_start = datetime.fromisoformat(comma.describe()["log_start_utc"])
    track = load_track(COMMA, video_start=log_start + timedelta(seconds=5), video_duration_s=30.0)
    described = track.describe()
    assert described["alignment"]["rule"] == "absolute time"
    assert described["alignment"]["offset_s"] == pytest.approx(-5.0, abs=1e-3)
    assert described["video_covered_s"] == pytest.approx(30.0)
    t, v = comma_can["t"].to_numpy(), comma_can["speed_mps"].to_numpy()
    assert track.at(0.0).speed_kmh == pytest.approx(np.interp(5.0, t, v) * 3.6, rel=1e-6)
    explicit = load_track(COMMA, offset_s=2.0, video_start=log_start)
    assert explicit.describe()["alignment"]["rule"] == "explicit offset"
    assert explicit.at(7.0).speed_kmh == pytest.approx(np.interp(5.0, t, v) * 3.6, rel=1e-6)
    assert explicit.at(1.0).speed_kmh is None  # before the log starts


def test_a_video_whose_clock_misses_the_log_is_reported_as_not_overlapping():
    # ir_night_drowsy.mp4 carries creation_time 2013-01-01 12:38:29Z (an unset camera clock).
    camera_clock = datetime(2013, 1, 1, 12, 38, 29, tzinfo=UTC)
    track = load_track(COMMA, video_start=camera_clock, video_duration_s=16.76)
    described = track.describe()
    assert described["alignment"]["rule"] == "absolute time"
    assert described["video_covered_s"] == 0.0
    assert "--telemetry-offset" in described["warning"]
    assert track.at(10.0).speed_kmh is None


# --- carOBD: OBD-II columns, no clock column ----------------------------------------------------


def test_carobd_without_a_map_finds_the_engine_run_time_by_its_values():
    # Issue 11: the counter's name (`ENGINE_RUN_TINE ()`) says no "time"; its values do.
    track = load_track([CAROBD])
    log = track.describe()["files"][0]
    assert log["time_column"] == "ENGINE_RUN_TINE ()"
    assert log["time_form"] == "seconds_from_start" and log["time_found_by"] == "values"
    mapped = load_track([CAROBD], mapping_path=EXAMPLE_MAP)
    assert track.describe()["coverage_s"] == mapped.describe()["coverage_s"] == [0.0, 1330.0]
    frames = np.linspace(0.0, 1330.0, 13301)
    assert _event_speed(track, frames)[1] == pytest.approx(_event_speed(mapped, frames)[1])


def test_carobd_with_the_example_map_uses_the_engine_run_time(tmp_path):
    track = load_track([CAROBD], mapping_path=EXAMPLE_MAP)
    log = track.describe()["files"][0]
    assert log["time_column"] == "ENGINE_RUN_TINE ()"
    assert log["signals"] == {"speed": {"column": "VEHICLE_SPEED ()", "unit": "km/h", "unit_from": "mapped"}}
    raw = pd.read_csv(CAROBD, skipinitialspace=True, index_col=False)
    per_second = raw.groupby("ENGINE_RUN_TINE ()")["VEHICLE_SPEED ()"].mean()  # repeated times averaged
    t, kmh = per_second.index.to_numpy(), per_second.to_numpy()
    summary, distance = _event_speed(track, t)
    assert distance == pytest.approx(_trapezoid(t, kmh / 3.6), abs=0.051)
    assert summary["max"] == pytest.approx(kmh.max(), abs=0.051)


def test_carobd_with_a_sample_rate_map(tmp_path):
    mapping = tmp_path / "obd.json"
    mapping.write_text(json.dumps({"sample_rate_hz": 1.0}))
    track = load_track([CAROBD], mapping_path=mapping)
    raw = pd.read_csv(CAROBD, skipinitialspace=True, index_col=False)
    assert track.describe()["files"][0]["time_form"] == "sample_rate"
    assert track.describe()["signals"]["speed"]["unit_from"] == "assumed"  # OBD-II reports km/h
    assert track.at(100.0).speed_kmh == pytest.approx(raw["VEHICLE_SPEED ()"].iloc[100])
    assert track.describe()["coverage_s"] == [0.0, float(len(raw) - 1)]


def test_torque_map_overrides_detection(tmp_path, torque_raw):
    mapping = tmp_path / "torque.json"
    mapping.write_text(json.dumps({
        "time": {"column": "GPS Time", "form": "android_time"},
        "signals": {"speed": {"column": "GPS Speed (Meters/second)", "unit": "m/s"}},
    }))
    track = load_track([TORQUE], mapping_path=mapping)
    log = track.describe()["files"][0]
    assert (log["time_column"], log["time_form"], log["timezone"]) == ("GPS Time", "android_time", None)
    assert log["signals"]["speed"]["column"] == "GPS Speed (Meters/second)"
    assert log["signals"]["speed"]["unit_from"] == "mapped"
    assert track.describe()["log_start_utc"] == "2022-02-22T22:37:13+00:00"  # first GPS fix, 06:37:13 +08:00
    gps = torque_raw.dropna(subset=["GPS Time", "GPS Speed (Meters/second)"])
    fixes = [datetime.strptime(text, "%a %b %d %H:%M:%S GMT%z %Y") for text in gps["GPS Time"]]
    seconds = np.array([(fix - fixes[0]).total_seconds() for fix in fixes])
    per_second = pd.Series(gps["GPS Speed (Meters/second)"].to_numpy()).groupby(seconds).mean()
    expected = np.interp(100.0, per_second.index, per_second.to_numpy()) * 3.6
    assert track.at(100.0).speed_kmh == pytest.approx(expected, rel=1e-9)
