"""`report --fleet` over an event log of several drivers, vehicles and weeks: the rates, groups,
exposure, coverage and review figures, the links to drive reports, and escaping; each recording
counted once (re-analyses, replays and GUI sessions of it are the same drive), sessions with no
fleet identity apart, the selection options, "too little data" below the minimum exposure, plain
words, and a CJK driver name drawn in the charts without a missing glyph."""

import csv
import re
import warnings
from dataclasses import asdict, replace

import pytest

import main
from dms.core.config import Settings
from dms.core.types import Event
from dms.report import fleet_chart
from dms.report.fleet import Selection, fleet_figures
from dms.report.fleet_chart import chart_fonts, drawable, heatmap_png
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


def add_drive(store, tmp_path, n, driver, vehicle, day, seconds, speed, events, face_until=None, *,
              source=None, started="2026-11-29T10:00:00+00:00", source_info=None, **info_extra):
    report = str(tmp_path / "drives" / f"d{n}" / "report.html")
    info = {"duration_s": float(seconds), "batch": {"report": report}, **info_extra}
    if source_info:
        info["source"] = source_info
    if driver or vehicle:
        info["fleet"] = {"driver": driver, "vehicle": vehicle, "date": day}
    source = source or f"/fleet/{vehicle}/drive{n}.mp4"
    record = SessionRecord(f"2026-d{n}", source, started, "complete", info)
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
    assert alice["top_behaviour"] == "phone use"
    assert float(groups[("vehicle", "VAN-09")]["coverage"]) == 0.5
    assert float(groups[("week", "2026-W45")]["hours"]) == 0.5
    assert groups[("week", "2026-W46")]["drives"] == "2"
    behaviours = {r["behaviour"]: r for r in read(tmp_path / "fleet" / "fleet_behaviours.csv")}
    phone = behaviours["phone use"]
    assert (phone["events"], phone["critical"], phone["confirmed"], phone["rejected"]) == ("2", "1", "1", "1")
    assert float(phone["events_per_100km"]) == pytest.approx(100 * 2 / 60, abs=0.01)
    exposure = {(r["behaviour"], r["band"]): r for r in read(tmp_path / "fleet" / "fleet_exposure.csv")}
    assert float(exposure[("phone use", "50-90")]["seconds"]) == 13.0  # 10 s + 3 s at 60 km/h
    assert float(exposure[("phone use", "50-90")]["share_of_band_time"]) == pytest.approx(13 / 3600, abs=1e-4)
    drives = read(tmp_path / "fleet" / "fleet_drives.csv")
    assert [r["status"] for r in drives].count("failed") == 1
    assert {r["report"] for r in drives if r["status"] == "complete"} == {
        f"../drives/d{n}/report.html" for n in (1, 2, 3)}
    assert list(drives[0])[:4] == ["video", "driver", "vehicle", "date"]  # words first, ids last
    assert (groups[("week", "2026-W45")]["enough_hours"], fleet["enough_hours"]) == ("False", "True")


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


def test_an_unknown_rule_set_in_force_is_refused(fleet_log, capsys):
    """`--rules nosuch` wrote a fleet report as if the name meant something."""
    store, tmp_path = fleet_log
    out = tmp_path / "fleet"
    argv = ["report", "--fleet", "--db", str(store.path), "--out", str(out), "--rules", "nosuch"]
    assert main.main(argv) == 2
    assert capsys.readouterr().err.strip().startswith("error: nosuch: unknown rule set")
    assert not out.exists()


def test_a_driver_or_vehicle_no_drive_has_is_said(fleet_log, capsys):
    """A typo in --driver selected nothing and gave an empty fleet without a word."""
    store, tmp_path = fleet_log
    argv = ["report", "--fleet", "--db", str(store.path), "--out", str(tmp_path / "f"), "--no-progress",
            "--driver", "alcie", "--driver", "bob", "--vehicle", "VAN-07"]
    assert main.main(argv) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["warning: --driver alcie: no drive in the log has this driver (the log's: alice <b>, bob)"]


def test_a_recording_is_one_drive_however_often_it_was_analysed(tmp_path):
    """A batch drive analysed with other settings and again with the settings in force, replayed
    from a copy elsewhere and watched in the GUI: one drive, from the analysis in force, with the
    batch's driver; a replayed recording nobody assigned is listed apart, not as a driver."""
    in_force = asdict(Settings())
    stricter = asdict(replace(Settings(), eye_closed_ratio=0.5))
    events = [ev(1, "phone", "warning", 10, 14)]
    with Store(tmp_path / "log.sqlite") as store:
        key = {"sha256": "a" * 64}
        add_drive(store, tmp_path, 1, "alice", "VAN-07", "2026-11-02", 3600, None, events,
                  source="/fleet/VAN-07/alice/am.mp4", started="2026-11-02T08:00:00+00:00",
                  recording=key, settings=in_force)
        add_drive(store, tmp_path, 2, "alice", "VAN-07", "2026-11-02", 3600, None, events * 0,
                  source="/fleet/VAN-07/alice/am.mp4", started="2026-11-03T08:00:00+00:00",
                  recording=key, settings=stricter)  # a threshold trial: not the settings in force
        add_drive(store, tmp_path, 3, None, None, None, 3600, None, events, source="/home/rev/copy of am.mp4",
                  started="2026-11-04T08:00:00+00:00", recording=key, settings=in_force)  # a replay
        add_drive(store, tmp_path, 4, None, None, None, 3600, None, [ev(2, "yawning", "info", 1, 3)],
                  source="/home/rev/copy of am.mp4", started="2026-11-05T08:00:00+00:00",
                  recording=key, settings=in_force)  # then watched in the GUI: the latest in force
        add_drive(store, tmp_path, 5, None, None, None, 600, None, [ev(3, "phone", "critical", 1, 9)],
                  source="/home/rev/dashcam.mp4", recording={"sha256": "b" * 64}, settings=in_force)
        for n in (6, 7):  # two GUI sessions on the live camera: two recordings, not one
            add_drive(store, tmp_path, n, None, None, None, 60, None, [], source="camera 0",
                      started=f"2026-11-0{n}T08:00:00+00:00", settings=in_force, source_info={"live": True})
        figures = fleet_figures(store, settings=in_force)
        (drive,) = figures.drives
        assert (drive.session, drive.driver, drive.vehicle) == ("2026-d4", "alice", "VAN-07")
        assert drive.analyses == 4
        assert not drive.other_settings and figures.superseded == 3
        assert list(figures.by_driver) == ["alice"] and figures.total.hours == 1.0
        assert [d.source for d in figures.apart] == ["/home/rev/dashcam.mp4", "camera 0", "camera 0"]
        assert fleet_figures(store, settings=in_force, selection=Selection(drivers=frozenset({"bob"}))
                             ).superseded == 0  # only the drives selected
        # Without the settings in force (another analysis rate, say) the latest analysis counts, marked.
        (latest,) = fleet_figures(store, settings=asdict(replace(Settings(), analysis_fps=2.0))).drives
        assert latest.session == "2026-d4" and latest.other_settings
    out = tmp_path / "fleet"
    assert main.main(["report", "--fleet", "--db", str(tmp_path / "log.sqlite"), "--out", str(out)]) == 0
    rows = read(out / "fleet_drives.csv")
    assert [(r["video"], r["counted"], r["driver"]) for r in rows] == [
        ("copy of am.mp4", "True", "alice"), ("dashcam.mp4", "False", "not given"),
        ("camera 0", "False", "not given"), ("camera 0", "False", "not given")]
    html = (out / "fleet.html").read_text()
    assert "Recordings without a driver or vehicle (not counted)" in html
    assert ">unknown<" not in html and "3 more" in html


def test_selection_by_date_vehicle_and_driver(fleet_log):
    store, tmp_path = fleet_log

    def drives(*options):
        out = tmp_path / f"fleet{len(options)}{abs(hash(options))}"
        assert main.main(["report", "--fleet", "--db", str(store.path), "--out", str(out), *options]) == 0
        rows = read(out / "fleet_drives.csv")
        return sorted((r["driver"], r["date"]) for r in rows if r["counted"] == "True")

    assert drives("--since", "2026-11-03") == [("alice <b>", "2026-11-10"), ("bob", "2026-11-10")]
    assert drives("--until", "2026-11-02") == [("alice <b>", "2026-11-02")]
    assert drives("--vehicle", "VAN-09") == [("bob", "2026-11-10")]
    assert drives("--driver", "alice <b>", "--since", "2026-11-05", "--until", "2026-11-30") == [
        ("alice <b>", "2026-11-10")]
    assert drives("--driver", "nobody") == []
    assert main.main(["report", "--fleet", "--db", str(store.path), "--since", "2026-11-10",
                      "--until", "2026-11-01"]) == 2


def test_rates_below_the_minimum_exposure_are_too_little_data(fleet_log):
    store, tmp_path = fleet_log
    out = tmp_path / "fleet"
    assert main.main(["report", "--fleet", "--db", str(store.path), "--out", str(out), "--min-hours", "3",
                      "--min-km", "100"]) == 0
    html = (out / "fleet.html").read_text()
    tiles = html[html.index('<div class="tiles">'):html.index("</div>\n<p")]
    assert tiles.count("too little data") == 3  # events and critical per hour (2 h), per 100 km (60 km)
    assert "over 2.0 h" in tiles and "over 60.0 km" in tiles
    assert "less than 3.0 h of drive time (per hour) or 100 km" in html
    groups = {(r["group_by"], r["group"]): r for r in read(out / "fleet_groups.csv")}
    assert groups[("fleet", "all drives")]["enough_hours"] == "False"
    assert float(groups[("fleet", "all drives")]["events_per_h"]) == 2.0  # the CSV keeps the figure
    assert main.main(["report", "--fleet", "--db", str(store.path), "--out", str(out), "--min-hours", "1",
                      "--min-km", "50"]) == 0
    tiles = (out / "fleet.html").read_text()
    assert '<b>2.0</b>events per hour' in tiles


def test_the_page_is_in_plain_words(fleet_log):
    store, tmp_path = fleet_log
    out = tmp_path / "fleet"
    assert main.main(["report", "--fleet", "--db", str(store.path), "--out", str(out)]) == 0
    html = (out / "fleet.html").read_text()
    text = re.sub(r"<[^>]+>", " ", html.split("<body>", 1)[1])
    for key in ("eyes_off_road", "2026-d1", "e1 ", "/fleet/VAN-07/drive1.mp4"):
        assert key not in text, key  # no internal keys, session ids or full paths in the words shown
    assert "eyes off the road" in text and "phone use" in text and "drive1.mp4" in text
    assert "<title>Fleet report</title>" in html


def cjk_fleet(tmp_path):
    with Store(tmp_path / "log.sqlite") as store:
        add_drive(store, tmp_path, 1, "山田 太郎", "VAN-07", "2026-11-02", 3600, None,
                  [ev(1, "phone", "warning", 1, 5)])
        return fleet_figures(store)


def glyph_warnings(figures) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = heatmap_png(figures)
    assert png and png.startswith(b"\x89PNG")
    return [str(w.message) for w in caught if "missing from" in str(w.message)]


def test_a_cjk_driver_name_is_drawn_without_a_missing_glyph(tmp_path):
    assert glyph_warnings(cjk_fleet(tmp_path)) == []
    families, _ = chart_fonts()
    if len(families) > 1:  # a CJK font is installed (README: fonts-noto-cjk): the name is drawn as it is
        assert drawable("山田 太郎") == "山田 太郎"
    else:
        assert drawable("山田 太郎") == "?? ??"
    assert drawable("alice Ödön") == "alice Ödön"


def test_without_a_cjk_font_the_chart_draws_question_marks_not_boxes(tmp_path, monkeypatch):
    monkeypatch.setattr(fleet_chart, "CJK_FONT_FILES", ())  # a machine without fonts-noto-cjk
    chart_fonts.cache_clear()
    try:
        assert chart_fonts()[0] == ("DejaVu Sans",)
        assert drawable("山田 太郎") == "?? ??"
        assert glyph_warnings(cjk_fleet(tmp_path)) == []
    finally:
        chart_fonts.cache_clear()


@pytest.mark.slow
def test_a_replay_records_the_content_key_batch_uses(tmp_path):
    """Two replays of one clip under two names: both sessions carry the file's SHA-256 (the hash
    batch keys drives on), and the fleet report lists the recording once, analysed twice."""
    import os

    from conftest import VIDEO

    from dms.store.content import file_sha256

    clip = VIDEO / "side_montage_a.mp4"
    renamed = tmp_path / "renamed.mp4"
    os.symlink(clip, renamed)
    db = tmp_path / "log.sqlite"
    for n, video in enumerate((clip, renamed)):
        assert main.main(["replay", str(video), "--db", str(db), "--out", str(tmp_path / f"r{n}"),
                          "--analysis-fps", "2"]) == 0
    with Store(db, create=False) as store:
        sessions = store.sessions()
        assert [s.info["recording"]["sha256"] for s in sessions] == [file_sha256(clip)] * 2
        figures = fleet_figures(store)
    assert figures.drives == [] and [(d.name, d.analyses) for d in figures.apart] == [("renamed.mp4", 2)]



def test_monitored_is_the_drive_reports_coverage(tmp_path):
    """A far camera: the upper body is found on every row but the face on none, and the drive's
    coverage counts 10 % monitored. The fleet says 10 % too, not the rows with a body found; a
    session logged without a coverage still counts the rows with the driver visible."""
    far = {"share": 0.1, "monitored_s": 6.0, "drive_s": 60.0, "not_monitored_s": {"face too small": 54.0}}
    body_only = [{**row, "body_visible": 1.0} for row in timeline(60, None, face_until=0)]
    with Store(tmp_path / "log.sqlite") as store:
        for n, driver, coverage in ((1, "alice", far), (2, "bob", None)):
            fleet = {"driver": driver, "vehicle": "VAN-07", "date": "2026-11-02"}
            info = {"duration_s": 60.0, "fleet": fleet}
            if coverage:
                info["coverage"] = coverage
            record = SessionRecord(f"2026-d{n}", f"/fleet/VAN-07/{driver}.mp4", "2026-11-02T08:00:00+00:00",
                                   "complete", info)
            store.import_session(record, [], body_only, {})
        monitored = {d.driver: d.monitored_hours * 3600 for d in fleet_figures(store).drives}
    assert monitored == {"alice": pytest.approx(6.0), "bob": pytest.approx(60.0)}
