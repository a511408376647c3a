"""`report --fleet` over an event log of several drivers, vehicles and weeks: the rates, groups,
exposure, coverage and review figures, the links to drive reports, and escaping."""

import csv

import pytest

import main
from dms.core.types import Event
from dms.store import Store
from dms.store.records import SessionRecord


def timeline(seconds: int, speed_kmh: float | None, face_until: float) -> list[dict]:
    """Rows at 1 Hz: the driver visible until `face_until`, a constant speed (or none)."""
    rows = []
    for t in range(seconds):
        row = {"frame": t, "t": float(t), "face_visible": 1.0 if t < face_until else 0.0, "body_visible": 0.0}
        if speed_kmh is not None:
            row["speed_kmh"] = speed_kmh
        rows.append(row)
    return rows


def add_drive(store, tmp_path, n, driver, vehicle, day, seconds, speed, events, face_until=None):
    info = {"duration_s": float(seconds), "fleet": {"driver": driver, "vehicle": vehicle, "date": day},
            "batch": {"report": str(tmp_path / "drives" / f"d{n}" / "report.html")}}
    record = SessionRecord(f"2026-d{n}", f"/fleet/{vehicle}/drive{n}.mp4", "2026-11-29T10:00:00+00:00",
                           "complete", info)
    rows = timeline(seconds, speed, seconds if face_until is None else face_until)
    return store.import_session(record, events, rows, {})


def ev(i, behaviour, severity, start, end, review=None):
    return Event(f"e{i}", behaviour, start, end, severity, 0.9, 0.8, review=review)


@pytest.fixture
def fleet_log(tmp_path):
    store = Store(tmp_path / "fleet.sqlite")
    # alice: two 30-minute drives at 60 km/h in week 45 and 46 (60 km in all), three events
    add_drive(store, tmp_path, 1, "alice <b>", "VAN-07", "2026-11-02", 1800, 60.0,
              [ev(1, "phone", "critical", 10, 20, review="confirmed"),
               ev(2, "eyes_off_road", "warning", 30, 34)])
    add_drive(store, tmp_path, 2, "alice <b>", "VAN-07", "2026-11-10", 1800, 60.0,
              [ev(3, "phone", "warning", 100, 103, review="rejected")])
    # bob: one hour without telemetry, the driver visible half the time, one info event
    add_drive(store, tmp_path, 3, "bob", "VAN-09", "2026-11-10", 3600, None, [ev(4, "yawning", "info", 5, 7)],
              face_until=1800)
    store.record_failure("/fleet/VAN-09/<script>alert(1)</script>.mp4", {"error": "not a readable video <x>"})
    yield store, tmp_path
    store.close()


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_fleet_rates_by_group_behaviour_and_week(fleet_log):
    store, tmp_path = fleet_log
    assert main.main(["report", "--fleet", "--db", str(store.path), "--out", str(tmp_path / "fleet")]) == 0
    groups = {(r["group_by"], r["group"]): r for r in read(tmp_path / "fleet" / "fleet_groups.csv")}
    fleet = groups[("fleet", "all drives")]
    assert (fleet["drives"], float(fleet["hours"]), float(fleet["km"])) == ("3", 2.0, 60.0)
    assert fleet["events"] == "4"
    assert float(fleet["events_per_h"]) == 2.0  # 4 events in 2 h
    assert float(fleet["events_per_100km"]) == 5.0  # alice's 3 events over her 60 km; bob had no speed
    assert float(fleet["coverage"]) == 0.75  # bob seen half of his hour
    alice = groups[("driver", "alice <b>")]
    assert (float(alice["events_per_h"]), float(alice["critical_per_h"])) == (3.0, 1.0)
    assert alice["top_behaviour"] == "phone"
    assert float(groups[("vehicle", "VAN-09")]["coverage"]) == 0.5
    assert float(groups[("week", "2026-W45")]["hours"]) == 0.5
    assert groups[("week", "2026-W46")]["drives"] == "2"
    behaviours = {r["behaviour"]: r for r in read(tmp_path / "fleet" / "fleet_behaviours.csv")}
    phone = behaviours["phone"]
    assert (phone["events"], phone["critical"], phone["confirmed"], phone["rejected"]) == ("2", "1", "1", "1")
    assert float(phone["events_per_100km"]) == pytest.approx(100 * 2 / 60, abs=0.01)
    exposure = {(r["behaviour"], r["band"]): r for r in read(tmp_path / "fleet" / "fleet_exposure.csv")}
    assert float(exposure[("phone", "50-90")]["seconds"]) == 13.0  # 10 s + 3 s at 60 km/h
    assert float(exposure[("phone", "50-90")]["share_of_band_time"]) == pytest.approx(13 / 3600, abs=1e-4)
    drives = read(tmp_path / "fleet" / "fleet_drives.csv")
    assert [r["status"] for r in drives].count("failed") == 1
    assert {r["report"] for r in drives if r["status"] == "complete"} == {
        f"../drives/d{n}/report.html" for n in (1, 2, 3)}


def test_fleet_page_is_self_contained_escaped_and_links_events(fleet_log):
    store, tmp_path = fleet_log
    assert main.main(["report", "--fleet", "--db", str(store.path), "--out", str(tmp_path / "fleet")]) == 0
    html = (tmp_path / "fleet" / "fleet.html").read_text()
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "alice &lt;b&gt;" in html and "not a readable video &lt;x&gt;" in html
    assert "http://" not in html and "https://" not in html
    assert html.count("data:image/png;base64,") == 3  # heat map, weekly trend, exposure
    assert 'href="../drives/d1/report.html#event-e1"' in html  # the worst event: alice's critical phone
    assert "#event-e3" not in html  # rejected by a reviewer: not among the worst events


def test_fleet_report_of_a_missing_log_is_one_error(tmp_path, capsys):
    assert main.main(["report", "--fleet", "--db", str(tmp_path / "none.sqlite")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
