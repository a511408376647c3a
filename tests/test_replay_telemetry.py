"""Replay with real and generated telemetry: speed context, distance, gating, timeline signals."""

import csv
import json

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED, VIDEO

import main

CLIP = VIDEO / "ir_night_drowsy.mp4"
COMMA = [SHARED / "telemetry" / f"comma2k19_{n}.csv" for n in ("can_speed_steering", "gnss", "imu")]


def replay(tmp_path, name, *telemetry, offset="0"):
    """Replay the clip with the logs; offset 0 = log start is video start (the clip's own creation
    time, 2013, is a camera clock that was never set and matches no log)."""
    out = tmp_path / name
    args = ["replay", str(CLIP), "--out", str(out), "--db", str(tmp_path / "db.sqlite"), "--no-progress"]
    assert main.main([*args, "--telemetry-offset", offset, "--telemetry", *map(str, telemetry)]) == 0
    return json.loads((out / "events.json").read_text()), out


def constant_speed_log(path, kmh: float):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["time_s", "speed_kmh"])
        for i in range(0, 301):
            writer.writerow([i / 10, kmh])
    return path


def test_real_log_gives_every_event_its_speed_and_distance(tmp_path):
    report, out = replay(tmp_path, "comma", *COMMA)
    session = report["session"]
    assert session["telemetry"]["alignment"]["rule"]
    events = [e for e in report["events"] if e["evidence"].get("rule") != "visual_time_sharing"]
    assert events, "the drowsy clip has eye closures"
    # Independent check: integrate the raw CAN speed column over each event (log start = video start).
    logs = [pd.read_csv(p) for p in COMMA]
    t0 = min(log["boot_time_s"].min() for log in logs)
    can = logs[0]
    t, v = can["boot_time_s"].to_numpy() - t0, can["speed_mps"].to_numpy()
    for event in events:
        inside = (t >= event["start_s"]) & (t <= event["end_s"])
        expected = np.trapz(v[inside], t[inside])
        assert event["distance_m"] == pytest.approx(expected, rel=0.1, abs=1.5)
        assert event["speed_kmh"]["max"] >= event["speed_kmh"]["mean"] > 10
        assert event["stationary"] is False
    timeline = pd.read_csv(out / "timeline.csv")
    assert timeline["speed_kmh"].notna().mean() > 0.95 and timeline["latitude"].notna().any()


def test_below_the_speed_gate_events_are_stationary_info(tmp_path):
    report, _ = replay(tmp_path, "parked", constant_speed_log(tmp_path / "parked.csv", 4.0))
    assert report["events"]
    assert all(e["stationary"] and e["severity"] == "info" for e in report["events"])
    assert all(e["speed_kmh"]["max"] == pytest.approx(4.0) for e in report["events"])


def test_moving_vehicle_keeps_the_severity_and_counts_distance(tmp_path):
    report, _ = replay(tmp_path, "moving", constant_speed_log(tmp_path / "moving.csv", 90.0))
    for event in report["events"]:
        assert event["stationary"] is False
        assert event["distance_m"] == pytest.approx(25.0 * (event["end_s"] - event["start_s"]), abs=3.0)
