"""Issue 11, telemetry: the handed fault logs and other members of each kind (separators, units,
time forms), each against the control log `ok_control.csv` (60.0 km/h at t = 0, 0.1 s rows)."""

from __future__ import annotations

import json
import warnings
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED

import main
from dms.core.errors import InputError
from dms.telemetry import load_track

FAULTS = SHARED / "faults"
LOGS = FAULTS / "telemetry"
CONTROL = LOGS / "ok_control.csv"
FRAMES_T = np.round(np.arange(40) * 0.1, 1)  # base_day4.mp4 analysed at 10 Hz


@pytest.fixture(scope="module")
def control():
    raw = pd.read_csv(CONTROL)
    return raw["time_s"].to_numpy(), raw["speed (km/h)"].to_numpy()


def speeds(track, times=FRAMES_T):
    return np.array([track.at(float(t)).speed_kmh for t in times], dtype=float)


def strict_load(paths, **kwargs):
    """load_track with every warning an error: no pandas warning may reach the terminal."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return load_track(paths, **kwargs)


# --- separators and decimal marks ---------------------------------------------------------------


def test_semicolon_and_decimal_comma_give_the_control_values():
    track = strict_load([LOGS / "eu_semicolon_decimal_comma.csv"])
    assert speeds(track) == pytest.approx(speeds(load_track([CONTROL])))
    assert track.at(0.0).speed_kmh == pytest.approx(60.0)


@pytest.mark.parametrize(
    ("separator", "decimal"), [("\t", ","), ("|", "."), (";", "."), ("\t", "."), ("|", ",")]
)
def test_every_common_separator_and_decimal_mark(tmp_path, control, separator, decimal):
    t, kmh = control
    path = tmp_path / "log.csv"
    rows = [f"time_s{separator}Speed (km/h)"]
    rows += [f"{a:.1f}{separator}{b:.2f}".replace(".", decimal) if decimal == "," else
             f"{a:.1f}{separator}{b:.2f}" for a, b in zip(t, kmh, strict=True)]
    path.write_text("\n".join(rows) + "\n")
    track = strict_load([path])
    assert track.describe()["coverage_s"] == [0.0, 9.9]
    assert speeds(track) == pytest.approx(np.interp(FRAMES_T, t, kmh), abs=0.006)


# --- units in headers ---------------------------------------------------------------------------


def test_mi_per_h_header_is_honoured_in_replay(tmp_path):
    out = tmp_path / "out"
    args = ["replay", str(FAULTS / "base_day4.mp4"), "--out", str(out), "--db", str(tmp_path / "db.sqlite"),
            "--no-progress", "--telemetry", str(LOGS / "speed_mi_per_h.csv")]
    assert main.main(args) == 0
    timeline = pd.read_csv(out / "timeline.csv")
    assert len(timeline) == 40 and timeline["speed_kmh"].notna().all()
    assert timeline["speed_kmh"].mean() == pytest.approx(60.85, abs=0.05)
    signal = json.loads((out / "events.json").read_text())["session"]["telemetry"]["signals"]["speed"]
    assert signal["unit"] == "mi/h" and signal["unit_from"] == "named"


@pytest.mark.parametrize(
    ("header", "per_kmh"),
    [("Vehicle Speed (mph)", 1 / 1.609344), ("speed [m/sec]", 1 / 3.6), ("SOG (knots)", 1 / 1.852),
     ("speed (mi/hr)", 1 / 1.609344), ("speed (ft/s)", 1 / 1.09728), ("Speed (km/hr)", 1.0),
     ("speed (m/s)", 1 / 3.6), ("speed_mph", 1 / 1.609344)],
)
def test_a_unit_in_the_header_is_honoured(tmp_path, control, header, per_kmh):
    t, kmh = control
    path = tmp_path / "log.csv"
    pd.DataFrame({"time_s": t, header: kmh * per_kmh}).to_csv(path, index=False)
    track = strict_load([path])
    assert speeds(track) == pytest.approx(np.interp(FRAMES_T, t, kmh), rel=1e-9)
    assert track.describe()["signals"]["speed"]["unit_from"] == "named"


@pytest.mark.parametrize("unit", ["km/hx", "miles per fortnite", "furlong/xyz"])
def test_a_unit_in_the_header_that_is_not_understood_is_refused_in_one_line(tmp_path, control, unit):
    t, kmh = control
    path = tmp_path / "log.csv"
    pd.DataFrame({"time_s": t, f"Speed ({unit})": kmh}).to_csv(path, index=False)
    with pytest.raises(InputError) as caught:
        load_track([path])
    message = str(caught.value)
    assert repr(unit) in message and str(path) in message and "\n" not in message


# --- time forms ---------------------------------------------------------------------------------


def test_nmea_time_of_day_with_an_offset():
    track = strict_load([LOGS / "nmea_hhmmss.csv"], offset_s=-3.0, video_duration_s=4.0)
    described = track.describe()
    assert described["files"][0]["time_form"] == "nmea_hhmmss"
    assert described["coverage_s"] == [-3.0, 6.9]
    assert not np.isnan(speeds(track)).any()
    assert track.at(3.0).speed_kmh == pytest.approx(59.4)


@pytest.mark.parametrize(
    ("start", "decimals"), [((10, 59, 55.0), 2), ((23, 59, 58.0), 1), ((9, 0, 41.0), 0)]
)
def test_nmea_time_across_an_hour_and_midnight(tmp_path, control, start, decimals):
    t, kmh = control
    step = 1.0 if decimals == 0 else 0.1
    times = datetime(2026, 1, 1, *map(int, start[:2])) + timedelta(seconds=start[2])
    stamps = [times + timedelta(seconds=i * step) for i in range(len(t))]
    text = [f"{s:%H%M%S}" + (f"{s.microsecond / 1e6:.{decimals}f}"[1:] if decimals else "") for s in stamps]
    path = tmp_path / "gps.csv"
    pd.DataFrame({"gps_utc_time": text, "speed_kmh": kmh}).to_csv(path, index=False)
    track = strict_load([path])
    assert track.describe()["files"][0]["time_form"] == "nmea_hhmmss"
    assert track.describe()["coverage_s"] == pytest.approx([0.0, (len(t) - 1) * step])


def test_whole_second_stamps_with_many_rows_per_second_are_averaged(tmp_path):
    rows_per_second, seconds = 10, 20
    kmh = 50.0 + np.arange(rows_per_second * seconds) * 0.1
    start = datetime(2026, 3, 1, 8, 0, 0)
    stamps = [(start + timedelta(seconds=i // rows_per_second)).isoformat() for i in range(kmh.size)]
    path = tmp_path / "dashcam.csv"
    pd.DataFrame({"timestamp": stamps, "speed_kmh": kmh}).to_csv(path, index=False)
    track = strict_load([path])
    assert track.describe()["coverage_s"] == [0.0, seconds - 1.0]
    per_second = kmh.reshape(seconds, rows_per_second).mean(axis=1)
    assert speeds(track, np.arange(seconds, dtype=float)) == pytest.approx(per_second)


def test_an_elapsed_counter_named_without_time_is_the_clock(tmp_path, control):
    t, kmh = control
    counter = np.floor(t * 2) / 2  # a run-time counter in 0.5 s steps, two rows per step
    path = tmp_path / "obd.csv"
    pd.DataFrame({"RUN_TINE ()": counter, "VEHICLE_SPEED ()": kmh, "RPM ()": 1500 + 10 * np.sin(t)}).to_csv(
        path, index=False
    )
    track = strict_load([path])
    log = track.describe()["files"][0]
    assert (log["time_column"], log["time_found_by"]) == ("RUN_TINE ()", "values")
    assert track.describe()["coverage_s"] == [0.0, 9.5]


def test_the_carobd_log_loads_without_a_map_or_a_warning():
    track = strict_load([SHARED / "telemetry" / "carobd_drive1.csv"])
    assert track.describe()["files"][0]["time_column"] == "ENGINE_RUN_TINE ()"
