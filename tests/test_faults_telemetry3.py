"""Issue 19, telemetry (faults/round3): text encodings a BOM names (and UTF-16 without one), several
trips in one file, clocks across a DST change, placeholder stamps of a GPS without a fix. Each on the
handed file, replayed with base_day4.mp4 (or base_ct_dst.mp4), and on members made here."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED

import main
from dms.core.errors import InputError
from dms.telemetry import load_track

FAULTS = SHARED / "faults"
ROUND3 = FAULTS / "round3"
BASE = FAULTS / "base_day4.mp4"
CONTROL = FAULTS / "telemetry" / "ok_control.csv"
FRAMES_T = np.round(np.arange(40) * 0.1, 1)  # base_day4.mp4 analysed at 10 Hz
KMH = 60.0 + 0.1 * np.arange(100)  # the members' speed: 60 km/h rising 1 km/h per second (0.1 s rows)


def replay(tmp_path, video, *extra):
    out = tmp_path / "out"
    code = main.main(["replay", str(video), "--out", str(out), "--db", str(tmp_path / "db.sqlite"),
                      "--no-progress", *extra])
    return code, out


def speeds(track, times=FRAMES_T):
    return np.array([track.at(float(t)).speed_kmh for t in times], dtype=float)


def control_speeds():
    return speeds(load_track([CONTROL]))


# --- text encodings -----------------------------------------------------------------------------


def test_the_handed_excel_unicode_text_replays_like_the_control(tmp_path):
    code, out = replay(tmp_path, BASE, "--telemetry", str(ROUND3 / "excel_unicode_text_utf16.txt"))
    assert code == 0
    timeline = pd.read_csv(out / "timeline.csv")
    assert len(timeline) == 40 and timeline["speed_kmh"].notna().all()
    assert timeline["speed_kmh"].iloc[0] == pytest.approx(60.0)
    assert timeline["speed_kmh"].mean() == pytest.approx(60.85, abs=0.05)


@pytest.mark.parametrize("separator", [",", "\t", ";"])
@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", ""), ("utf-8", "\ufeff"), ("utf-16-le", ""), ("utf-16-le", "\ufeff"), ("utf-16-be", ""),
     ("utf-16-be", "\ufeff"), ("utf-32-le", "\ufeff"), ("utf-32-be", "")],
)
def test_every_unicode_encoding_with_and_without_bom_reads_like_the_control(tmp_path, encoding, bom,
                                                                          separator):
    lines = CONTROL.read_text().splitlines()
    lines = [lines[0] + ",road"] + [line + ",Hauptstraße – Süd" for line in lines[1:]]  # text beyond ASCII
    text = "\n".join(line.replace(",", separator) for line in lines) + "\n"
    path = tmp_path / "log.txt"
    path.write_bytes((bom + text).encode(encoding))
    track = load_track([path])
    assert track.describe()["coverage_s"] == [0.0, 9.9]
    assert speeds(track) == pytest.approx(control_speeds())


def test_binary_data_that_looks_like_utf16_is_still_refused(tmp_path):
    path = tmp_path / "junk.txt"
    path.write_bytes(b"\x00\x01" + bytes(range(256)) * 30)
    with pytest.raises(InputError, match="binary data, not a CSV text file"):
        load_track([path])


# --- several trips in one file ------------------------------------------------------------------


def test_the_handed_restarted_log_is_one_error_line_naming_the_line(tmp_path, capsys):
    log = ROUND3 / "repeated_header_restart.csv"
    code, out = replay(tmp_path, BASE, "--telemetry", str(log))
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert [line for line in err if line.startswith("error:")] == err[-1:]
    assert err[-1].startswith(f"error: {log}: the log restarts at line 52 (the header repeats): 2 trips")
    assert not out.exists()


def trip_rows(start_kmh: float, stamps) -> list[str]:
    return [f"{stamp},{start_kmh + 0.1 * i:.1f}" for i, stamp in enumerate(stamps)]


@pytest.mark.parametrize("header_repeated", [True, False])
def test_three_relative_trips_are_refused_at_the_first_restart(tmp_path, header_repeated):
    header = "time_s,speed (km/h)"
    lines = [header]
    for n, kmh in enumerate((60.0, 20.0, 90.0)):
        if n and header_repeated:
            lines.append(header)
        lines += trip_rows(kmh, [f"{0.1 * i:.1f}" for i in range(50)])
    path = tmp_path / "trips.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as caught:
        load_track([path])
    reason = "the header repeats" if header_repeated else "the clock goes back 4.9 s"
    assert str(caught.value).startswith(f"{path}: the log restarts at line 52 ({reason}): 3 trips")
    assert "no wall-clock time" in str(caught.value)


@pytest.mark.parametrize("header_repeated", [True, False])
def test_of_three_wall_clock_trips_the_one_of_the_video_is_used_and_the_others_named(tmp_path,
                                                                                     header_repeated):
    header = "timestamp,speed_kmh"
    lines = [header]
    # each trip 10 s, appended newest first (a trip that follows the one before it in time is no
    # restart: its rows never share a time with another trip's)
    starts = [datetime(2024, 5, 1, hour, tzinfo=UTC) for hour in (11, 10, 9)]
    for n, (start, kmh) in enumerate(zip(starts, (20.0, 60.0, 90.0), strict=True)):
        if n and header_repeated:
            lines.append(header)
        stamps = [(start + timedelta(seconds=0.1 * i)).isoformat().replace("+00:00", "Z") for i in range(100)]
        lines += trip_rows(kmh, stamps)
    path = tmp_path / "trips.csv"
    path.write_text("\n".join(lines) + "\n")
    track = load_track([path], video_start=starts[1], video_duration_s=4.0)
    assert speeds(track) == pytest.approx(60.0 + FRAMES_T, abs=0.01)  # the second trip, never averaged
    trip = 102  # the first trip's header and 100 rows before it
    warning = track.describe()["warning"]
    assert f"holds 3 trips: used the one at lines {trip}-" in warning
    assert "lines 2-101" in warning and "left out" in warning
    with pytest.raises(InputError, match="none of them overlaps the video"):
        load_track([path], video_start=datetime(2024, 5, 2, tzinfo=UTC), video_duration_s=4.0)
    with pytest.raises(InputError, match="the video has no creation time"):
        load_track([path])


# --- clocks across a DST change -----------------------------------------------------------------


def test_the_handed_torque_log_across_the_fall_back_replays_in_utc(tmp_path):
    log = ROUND3 / "torque_dst_fallback.csv"
    code, out = replay(tmp_path, ROUND3 / "base_ct_dst.mp4", "--telemetry", str(log))
    assert code == 0
    timeline = pd.read_csv(out / "timeline.csv")
    assert len(timeline) == 40 and timeline["speed_kmh"].notna().all()
    assert timeline["speed_kmh"].iloc[0] == pytest.approx(62.0)
    assert np.all(np.diff(timeline["speed_kmh"]) > 0)  # one rising trip, no hour folded back onto it
    telemetry = json.loads((out / "events.json").read_text())["session"]["telemetry"]
    assert telemetry["files"][0]["timezone"] == "UTC+02:00 then UTC+01:00 (from 'GPS Time')"


def local_rows(first_utc: datetime, zone: ZoneInfo, rows: int = 100) -> list[datetime]:
    return [(first_utc + timedelta(seconds=0.1 * i)).astimezone(zone) for i in range(rows)]


# DST changes in Europe (fall back 2024-10-27 01:00 UTC, spring forward 2024-03-31 01:00 UTC) and
# the US (fall back 2024-11-03 06:00 UTC, spring forward 2024-03-10 07:00 UTC); each log starts 5 s before
CHANGES = [("Europe/Berlin", datetime(2024, 10, 27, 0, 59, 55, tzinfo=UTC)),
           ("Europe/Berlin", datetime(2024, 3, 31, 0, 59, 55, tzinfo=UTC)),
           ("America/New_York", datetime(2024, 11, 3, 5, 59, 55, tzinfo=UTC)),
           ("America/New_York", datetime(2024, 3, 10, 6, 59, 55, tzinfo=UTC))]


def assert_in_utc(track):
    times = np.round(np.arange(90) * 0.1, 1)
    assert speeds(track, times) == pytest.approx(KMH[:90], abs=0.01)


@pytest.mark.parametrize(("zone", "first"), CHANGES)
def test_a_torque_log_across_either_dst_change_is_placed_in_utc(tmp_path, zone, first):
    rows = ["GPS Time, Device Time,Speed (OBD)(km/h)"]
    for i, local in enumerate(local_rows(first, ZoneInfo(zone))):
        offset = local.utcoffset().total_seconds() / 3600
        gps = "-" if i < 5 else local.strftime("%a %b %d %H:%M:%S") + f" GMT{offset:+03.0f}:00 {local.year}"
        device = local.strftime("%d-%b-%Y %H:%M:%S.") + f"{local.microsecond // 1000:03d}"
        rows.append(f"{gps},{device},{KMH[i]:.1f}")
    path = tmp_path / "torque.csv"
    path.write_text("\n".join(rows) + "\n")
    track = load_track([path], video_start=first, video_duration_s=9.0)
    assert_in_utc(track)
    assert " then " in track.describe()["files"][0]["timezone"]


@pytest.mark.parametrize(("zone", "first"), CHANGES)
def test_a_log_of_naive_local_times_and_a_named_zone_is_placed_in_utc(tmp_path, zone, first):
    rows = ["time,speed_kmh"] + [f"{local.strftime('%Y-%m-%d %H:%M:%S.%f')},{KMH[i]:.1f}"
                                  for i, local in enumerate(local_rows(first, ZoneInfo(zone)))]
    path = tmp_path / "naive.csv"
    path.write_text("\n".join(rows) + "\n")
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"timezone": zone}))
    track = load_track([path], mapping_path=mapping, video_start=first, video_duration_s=9.0)
    assert_in_utc(track)
    assert track.describe()["files"][0]["timezone"] == f"{zone} (from --telemetry-map)"


def test_naive_times_the_zone_has_twice_or_never(tmp_path):
    """A log that lies inside the repeated hour only (its turn back not logged) is read as summer
    time; times the zone skips (the spring-forward hour, a clock set wrong) are left unplaced."""
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"timezone": "Europe/Berlin"}))
    repeated = [f"2024-10-27 02:10:{i / 10:04.1f},{KMH[i]:.1f}" for i in range(50)]
    skipped = [f"2024-03-31 02:10:{i / 10:04.1f},{KMH[i]:.1f}" for i in range(20)]
    after = [f"2024-03-31 03:00:{i / 10:04.1f},{KMH[i]:.1f}" for i in range(30)]
    cases = ((repeated, "2024-10-27T00:10:00+00:00"), (skipped + after, "2024-03-31T01:00:00+00:00"))
    for rows, start in cases:
        path = tmp_path / "naive.csv"
        path.write_text("\n".join(["time,speed_kmh", *rows]) + "\n")
        track = load_track([path], mapping_path=mapping)
        assert track.describe()["log_start_utc"] == start


def test_zoned_iso_stamps_whose_offset_changes_are_placed_in_utc(tmp_path):
    zone, first = CHANGES[0]
    rows = ["timestamp,speed_kmh"] + [f"{local.isoformat()},{KMH[i]:.1f}"
                                       for i, local in enumerate(local_rows(first, ZoneInfo(zone)))]
    path = tmp_path / "iso.csv"
    path.write_text("\n".join(rows) + "\n")
    assert_in_utc(load_track([path], video_start=first, video_duration_s=9.0))


def test_naive_local_times_across_the_fall_back_without_a_zone_say_so(tmp_path):
    zone, first = CHANGES[0]
    rows = ["time,speed_kmh"] + [f"{local.strftime('%Y-%m-%d %H:%M:%S.%f')},{KMH[i]:.1f}"
                                  for i, local in enumerate(local_rows(first, ZoneInfo(zone)))]
    path = tmp_path / "naive.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(InputError, match=r"clock goes back 3599.9 s \(the end of summer time\? name"):
        load_track([path], video_start=first)


def test_a_zone_that_is_not_one_is_one_error_line(tmp_path):
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"timezone": "Europe/Atlantis"}))
    with pytest.raises(InputError, match="nor a zone name like 'Europe/Berlin'"):
        load_track([CONTROL], mapping_path=mapping)


# --- placeholder stamps before a GPS fix ----------------------------------------------------------


def test_the_handed_no_fix_log_starts_at_its_first_real_stamp(tmp_path):
    code, out = replay(tmp_path, BASE, "--telemetry", str(ROUND3 / "gps_nofix_zero_epoch.csv"))
    assert code == 0
    timeline = pd.read_csv(out / "timeline.csv")
    assert len(timeline) == 40 and timeline["speed_kmh"].notna().all()
    assert timeline["speed_kmh"].iloc[0] == pytest.approx(60.5)
    telemetry = json.loads((out / "events.json").read_text())["session"]["telemetry"]
    assert telemetry["log_start_utc"] == "2024-05-01T10:00:00.500000+00:00"
    assert telemetry["files"][0]["placeholder_stamps"] == 5


FIRST_FIX = datetime(2024, 5, 1, 10, 0, 0, 500000, tzinfo=UTC)
PLACEHOLDERS = {  # what loggers write before they know the time, as epoch seconds
    "zero": 0.0, "minus one": -1.0, "GPS epoch": datetime(1980, 1, 6, tzinfo=UTC).timestamp(),
    "RTC default": datetime(2000, 1, 1, tzinfo=UTC).timestamp(),
    "week rollover": (FIRST_FIX - timedelta(weeks=1024)).timestamp(),
}


@pytest.mark.parametrize("form", ["epoch_ms", "epoch_s", "iso"])
@pytest.mark.parametrize("placeholder", list(PLACEHOLDERS))
def test_placeholder_stamps_are_ignored(tmp_path, form, placeholder):
    def written(epoch_s: float) -> str:
        if epoch_s in (0.0, -1.0) and form != "iso":
            return f"{epoch_s:.0f}"  # 0 and -1 as they are, whatever the column's unit
        if form == "epoch_ms":
            return str(round(epoch_s * 1000))
        if form == "epoch_s":
            return f"{epoch_s:.1f}"
        return datetime.fromtimestamp(epoch_s, UTC).isoformat().replace("+00:00", "Z")

    # a GPS may wait long for its first fix: more than half the rows for 0 and -1
    waiting = 120 if placeholder in ("zero", "minus one") else 5
    stamps = [PLACEHOLDERS[placeholder]] * waiting + [FIRST_FIX.timestamp() + 0.1 * i for i in range(100)]
    speed_of_row = [60.0 + 0.1 * i for i in range(len(stamps))]
    rows = ["timestamp,speed_kmh"] + [f"{written(s)},{speed_of_row[i]:.1f}" for i, s in enumerate(stamps)]
    rows.insert(waiting + 60, f"{written(PLACEHOLDERS[placeholder])},60.0")  # one more mid-log (a lost fix)
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n")
    track = load_track([path])
    described = track.describe()
    assert described["log_start_utc"] == FIRST_FIX.isoformat()
    assert described["files"][0]["placeholder_stamps"] == waiting + 1
    assert track.at(0.0).speed_kmh == pytest.approx(speed_of_row[waiting])
    assert np.isfinite(speeds(track)).all()
