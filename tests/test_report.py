"""The report folder: events.json schema, CSVs, a self-contained escaped report.html, exposure by
speed band, atomic output and the `report` command."""

from __future__ import annotations

import base64
import csv
import json
import re
from dataclasses import replace
from html.parser import HTMLParser

import cv2
import numpy as np
import pytest
from test_store_samples import drive

import main
from dms.core.types import BEHAVIOURS, SEVERITIES, Event
from dms.core.words import evidence_rows
from dms.report import NO_CLASSIFIER, write_report, write_session_report
from dms.report.stats import exposure_by_speed_band, perclos_summary
from dms.store import SessionWriter, Store

HOSTILE = '<script>alert("x")</script>'


def record(store: Store, source: str = "drive.mp4", info: dict | None = None, **kwargs) -> str:
    session_id = store.create_session(source, info if info is not None else {
        "classifier": {"checkpoint": "tsm_r50.pth", "classes": ["safe", "phone_right", "drinking"]},
        "telemetry": {  # the shape of dms.telemetry's describe()
            "files": [{"path": "/logs/torque.csv", "time_column": "Device Time", "time_form": "device time",
                       "signals": {"speed": {"column": "Speed (OBD)(km/h)", "unit": "km/h"}}}],
            "alignment": {"rule": "same start", "offset_s": 0.0, "reason": "the video has no creation time"},
            "coverage_s": [0.0, 600.0], "video_covered_s": 9.9,
            "harsh": {"brake_ms2": 3.5, "accel_ms2": 3.0, "acceleration": "derived from speed", "markers": 1},
        },
    })
    recorder = SessionWriter(store, session_id)
    results, summary = drive(**kwargs)
    for result in results:
        recorder.on_frame(result)
    recorder.on_finish(summary)
    return session_id


def add_media(store: Store, session_id: str) -> None:
    """What the clip recorder leaves: a 640x480 thumbnail and a short clip per event."""
    media = store.media_dir(session_id)
    (media / "thumbs").mkdir(parents=True)
    (media / "clips").mkdir()
    image = np.full((480, 640, 3), (40, 120, 200), dtype=np.uint8)
    for event in store.events(session_id):
        cv2.imwrite(str(media / "thumbs" / f"{event.id}.jpg"), image)
        writer = cv2.VideoWriter(str(media / "clips" / f"{event.id}.mp4"), cv2.VideoWriter_fourcc(*"mp4v"),
                                 10, (64, 48))
        for _ in range(5):
            writer.write(image[:48, :64])
        writer.release()
        media_paths = {"thumbnail": f"thumbs/{event.id}.jpg", "clip": f"clips/{event.id}.mp4"}
        store.record(session_id, [], [(replace(event, **media_paths), False)])


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "dms.sqlite") as s:
        yield s


class _Resources(HTMLParser):
    """Every URL the page would load or link to, and every tag name."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.urls += [value for name, value in attrs if name in ("src", "href", "srcset", "data", "action")]


def resources(html: str) -> _Resources:
    parser = _Resources()
    parser.feed(html)
    return parser


def test_report_files_and_events_json_schema(store, tmp_path):
    session_id = record(store)
    add_media(store, session_id)
    written = write_session_report(store, session_id, tmp_path / "out")
    assert sorted(written) == ["events.csv", "events.json", "report.html", "timeline.csv"]
    data = json.loads(written["events.json"].read_text())
    assert set(data) == {"session", "events"}
    session = data["session"]
    keys = {"id", "source", "duration_s", "analysed_fps", "classifier", "telemetry", "stopped_early"}
    assert keys <= set(session)
    assert session["id"] == session_id and session["duration_s"] == pytest.approx(9.9)
    assert session["classifier"]["classes"] == ["safe", "phone_right", "drinking"]
    assert session["stopped_early"] is None
    required = {"id", "behavior", "start_s", "end_s", "severity", "peak_score", "mean_score", "evidence",
                "speed_kmh", "distance_m", "thumbnail", "clip"}
    for event in data["events"]:
        assert required <= set(event)
        assert event["behavior"] in BEHAVIOURS and event["severity"] in SEVERITIES
        assert isinstance(event["start_s"], float) and event["end_s"] >= event["start_s"]
        assert 0.0 <= event["mean_score"] <= event["peak_score"] <= 1.0
        assert isinstance(event["evidence"], dict)
        assert event["speed_kmh"] is None or set(event["speed_kmh"]) == {"start", "mean", "max"}
        assert (tmp_path / "out" / event["thumbnail"]).is_file()
        assert (tmp_path / "out" / event["clip"]).is_file()
    assert [e["thumbnail"] for e in data["events"]] == ["thumbs/e0001.jpg", "thumbs/e0002.jpg"]
    with written["events.csv"].open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["behavior"], r["duration_s"], r["speed_max_kmh"]) for r in rows] == [
        ("phone", "3.0", "50.0"), ("eyes_closed", "2.9", "")]
    assert json.loads(rows[0]["evidence"])["classes"] == {"phone_right": 0.81}
    with written["timeline.csv"].open() as f:
        timeline = list(csv.DictReader(f))
    assert len(timeline) == 100
    assert {"frame", "t", "score_phone", "hand_at_ear", "perclos", "speed_kmh", "clf_top", "markers"} <= set(
        timeline[0])
    assert timeline[60]["markers"] == "harsh_braking" and timeline[30]["speed_kmh"] == "30.0"
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".staging")]


def test_html_is_self_contained_and_embeds_thumbnails_and_chart(store, tmp_path):
    session_id = record(store)
    add_media(store, session_id)
    html = write_session_report(store, session_id, tmp_path / "out")["report.html"].read_text()
    page = resources(html)
    assert not {"script", "link", "iframe", "object"} & page.tags
    assert "http://" not in html and "https://" not in html and "url(" not in html
    assert all(url.startswith("data:image/") or re.fullmatch(r"clips/[\w.-]+\.mp4", url) for url in page.urls)
    images = [url for url in page.urls if url.startswith("data:image/")]
    assert len(images) == 3  # the chart and both thumbnails
    thumbs = [u for u in images if u.startswith("data:image/jpeg;base64,")]
    decoded = cv2.imdecode(np.frombuffer(base64.b64decode(thumbs[0].split(",", 1)[1]), np.uint8), 1)
    assert decoded.shape == (240, 320, 3)
    chart = next(u for u in images if u.startswith("data:image/png;base64,"))
    chart_image = cv2.imdecode(np.frombuffer(base64.b64decode(chart.split(",", 1)[1]), np.uint8), 1)
    assert chart_image.shape[1] == 1100 and chart_image.shape[0] > 400  # bands and the speed trace
    for text in ("tsm_r50.pth (3 classes)",
                 "torque.csv; time from column Device Time (device time); speed [km/h]",
                 "same start, log starts at 0.0 s of media (the video has no creation time)",
                 "below -3.5 / above 3.0 m/s², 1 marker(s) in the log", "harsh braking &times; 1",
                 "Distraction exposure by speed", "90+ km/h", "Yawns"):
        assert text in html


def test_hostile_names_and_labels_are_escaped(store, tmp_path):
    session_id = record(store, source=f"{HOSTILE}.mp4", info={"classifier": None, "telemetry": None})
    store.set_review("e0001", "rejected", f"<b>{HOSTILE}</b>", session_id)
    hostile = {"note": '<img src=x onerror="alert(1)">', HOSTILE: 1}
    event = replace(store.events(session_id)[0], evidence=hostile)
    session = store.session(session_id)
    html = write_report(tmp_path / "out", session, [event], store.timeline(session_id), None)[
        "report.html"].read_text()
    assert "<script" not in html and "<img src=x" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;.mp4" in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert resources(html).tags.isdisjoint({"script", "b"})


def test_without_classifier_or_telemetry(store, tmp_path):
    bare = {"classifier": None, "telemetry": None}
    session_id = record(store, info=bare, telemetry=False, classifier=False)
    written = write_session_report(store, session_id, tmp_path / "out")
    html = written["report.html"].read_text()
    assert NO_CLASSIFIER in html and "No telemetry: speed unknown." in html
    session = json.loads(written["events.json"].read_text())["session"]
    assert session["classifier"] is None and session["telemetry"] is None
    assert all(e["thumbnail"] is None for e in json.loads(written["events.json"].read_text())["events"])


def test_stopped_early_reason_is_reported(store, tmp_path):
    session_id = store.create_session("cut.mp4", {})
    store.finish_session(session_id, {"stopped_early": "corrupt data after frame 312 (10.4 s)"})
    html = write_session_report(store, session_id, tmp_path / "out")["report.html"].read_text()
    assert "Stopped early" in html and "corrupt data after frame 312 (10.4 s)" in html
    assert "No events." in html


def test_exposure_by_speed_band_and_perclos(store):
    session_id = record(store)
    exposure = exposure_by_speed_band(store.events(session_id), store.timeline(session_id))
    # Speed is 10 km/h per second of media: the phone event (2.0-5.0 s) runs at 20-49 km/h, the eye
    # closure (7.0-9.9 s) at 70-89 km/h until 9.0 s and 90-99 km/h after.
    assert exposure["phone"] == pytest.approx({"0-10": 0, "10-50": 3.0, "50-90": 0, "90+": 0, "unknown": 0})
    assert exposure["eyes_closed"] == pytest.approx({"0-10": 0, "10-50": 0, "50-90": 2.0, "90+": 0.9,
                                                     "unknown": 0})
    perclos = perclos_summary(store.timeline(session_id))
    assert perclos.max == pytest.approx(0.099) and perclos.t_max == pytest.approx(9.9)


def test_speed_outside_the_log_counts_as_unknown():
    timeline = [{"t": t / 10, "speed_kmh": None if t < 10 else 60.0} for t in range(30)]
    event = Event("e1", "console", 0.5, 2.0, "info", 0.8, 0.7)
    assert exposure_by_speed_band([event], timeline)["console"] == pytest.approx(
        {"0-10": 0, "10-50": 0, "50-90": 1.0, "90+": 0, "unknown": 0.5})


def test_media_paths_outside_the_media_dir_are_ignored(store, tmp_path):
    session_id = record(store)
    (tmp_path / "secret.jpg").write_bytes(b"not for the report")
    event = store.events(session_id)[0]
    store.record(session_id, [], [(replace(event, thumbnail="../../secret.jpg"), False)])
    written = write_session_report(store, session_id, tmp_path / "out")
    assert json.loads(written["events.json"].read_text())["events"][0]["thumbnail"] is None
    assert not (tmp_path / "out" / "thumbs").exists()


def test_a_failure_leaves_the_output_folder_untouched(store, tmp_path):
    session_id = record(store)
    out = tmp_path / "out"
    out.mkdir()
    (out / "events.json").write_text("earlier report")
    events = store.events(session_id)
    events[1] = replace(events[1], evidence={"cue": object()})  # cannot be written as JSON
    with pytest.raises(TypeError):
        write_report(out, store.session(session_id), events, store.timeline(session_id), None)
    assert [p.name for p in out.iterdir()] == ["events.json"]
    assert (out / "events.json").read_text() == "earlier report"


def test_rebuilding_gives_the_same_files(store, tmp_path):
    session_id = record(store)
    add_media(store, session_id)
    first = write_session_report(store, session_id, tmp_path / "a")
    second = write_session_report(store, session_id, tmp_path / "b")
    for name in ("events.json", "events.csv", "timeline.csv"):
        assert first[name].read_bytes() == second[name].read_bytes()


def test_report_command(store, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(main, "COMMANDS", ("dms.commands.report",))  # independent of other commands' state
    session_id = record(store)
    assert main.main(["report", "--latest", "--db", str(store.path), "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "report.html").is_file()
    capsys.readouterr()
    assert main.main(["report", "--latest", "--no-progress", "--db", str(store.path), "--out",
                      str(tmp_path / "quiet")]) == 0
    assert "report:" not in capsys.readouterr().err  # like replay and batch: no progress bar
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DMS_DB", str(store.path))
    assert main.main(["report", session_id]) == 0
    rebuilt = json.loads((tmp_path / f"report-{session_id}" / "events.json").read_text())
    assert rebuilt["session"]["id"] == session_id
    capsys.readouterr()
    assert main.main(["report", "20990101-000000-dead", "--db", str(store.path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {store.path}: no session '20990101-000000-dead' in this event log"]
    assert main.main(["report", "--latest", "--db", str(tmp_path / "none.sqlite")]) == 2
    assert "no event log" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite").exists()


def test_the_event_table_says_why_each_event_alerted_and_names_the_rule_set(store, tmp_path):
    rules = {"name": "eu-addw", "title": "EU Advanced Driver Distraction Warning", "source": "EU 2023/2590",
             "speed_unchecked": "rule set eu-addw: the speed conditions of eyes_off_road cannot be checked"}
    session_id = record(store, info={"classifier": None, "telemetry": None, "rules": rules})
    event = store.events(session_id)[0]
    why = ["Raised by the head pose (100% of frames).", HOSTILE]
    event = replace(event, evidence={**event.evidence, "why": why})
    session = store.session(session_id)
    written = write_report(tmp_path / "out", session, [event], store.timeline(session_id), None)
    html = written["report.html"].read_text()
    assert "<th>explanation</th>" in html and "<p>Raised by the head pose (100% of frames).</p>" in html
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "eu-addw: EU Advanced Driver Distraction Warning (EU 2023/2590)" in html
    assert "cannot be checked" in html
    assert "<li>why:" not in html  # the explanation is not repeated as a raw evidence item
    saved = json.loads(written["events.json"].read_text())
    assert saved["session"]["rules"]["name"] == "eu-addw"
    assert saved["events"][0]["evidence"]["why"][0].startswith("Raised by")


def test_the_report_reads_in_plain_words(store, tmp_path):
    """A headline; row numbers, behaviour names and evidence rows instead of ids, keys and JSON;
    "Why it alerted" only over an event that alerted; the head-pose reference said in words; the
    title is the file name."""

    session_id = record(store, source="/fleet/van 7/drive.mp4", info={"classifier": None, "telemetry": None})
    base = store.events(session_id)[0]
    evidence = {"sources": {"hand_at_ear": 1.0}, "frames": 40, "rule_set": "euro-ncap", "warning_at_s": 3.04,
                "warning_by": "timer", "why": ["Raised by a landmark cue."], "thumbnail_s": 2.9}
    warned = replace(base, id="a1b2c3d4e5f6", behaviour="phone", start_s=1.0, end_s=5.0, severity="warning",
                     speed_kmh={"start": 70.0, "mean": 71.0, "max": 72.0}, stationary=False,
                     evidence=evidence)
    quiet = replace(base, id="0f0f0f0f0f0f", behaviour="eyes_closed", start_s=6.0, end_s=6.6, severity="info",
                    evidence={"sources": {"eyes_closed": 1.0}, "why": ["No alert."]})
    written = write_report(tmp_path / "out", store.session(session_id), [warned, quiet],
                           store.timeline(session_id), None)
    html = written["report.html"].read_text()
    assert "<title>Drive report: drive.mp4</title>" in html and "<h1>Drive report: drive.mp4</h1>" in html
    assert ('<p class="headline">1 warning: phone use 4.0 s at 71 km/h; 1 more event logged without an '
            "alert.</p>") in html
    assert '<td class="num">1</td>\n<td>phone use' in html and "<td>a1b2c3d4e5f6</td>" not in html
    assert "<td>eyes closed" in html
    assert html.count("<h3>Why it alerted</h3>") == 1 and "<h3>Logged without an alert</h3>" in html
    assert "<tr><th>Supported by</th><td>a hand at the ear 100% of frames</td></tr>" in html
    assert "<tr><th>Warning at</th><td>3.04 s, by the duration timer</td></tr>" in html
    assert "<tr><th>Thumbnail</th><td>the frame at 2.90 s</td></tr>" in html
    assert "{&#34;" not in html and '{"' not in html and "warning_by" not in html
    from dms.report.summary import head_reference_text

    camera = {"straight_ahead_deg": None, "expected_deg": [-70.0, 0.0], "camera_reference_s": 9.9}
    assert head_reference_text(camera) == (
        "Head turns were measured from the camera profile's expected straight-ahead pose (the head turned "
        "70° from the camera) for the whole drive: the driver never looked steadily ahead long enough to "
        "learn their own.")
    learned = {"straight_ahead_deg": [-2.0, -12.0], "expected_deg": [0.0, 0.0], "camera_reference_s": 3.2,
               "settled_at_s": 3.2}
    assert head_reference_text(learned) == (
        "Head turns were measured from the driver's own straight-ahead pose (the head facing the camera, 12° "
        "down), learned at 3.2 s; for the first 3.2 s from the camera profile's expected pose (the driver "
        "facing the camera).")


def test_a_headline_counts_alerts_and_names_the_worst():
    from dms.report.summary import headline

    def ev(behaviour, severity, start, end, speed=None, stationary=None):
        return Event(behaviour, behaviour, start, end, severity, 1.0, 1.0,
                     speed_kmh=None if speed is None else {"mean": speed}, stationary=stationary)

    assert headline([]) == "No alerts and no events."
    assert headline([ev("eyes_closed", "info", 1, 1.6), ev("yawning", "info", 3, 4),
                     ev("eyes_closed", "info", 5, 5.5)]) == \
        "No alerts; 3 events logged (eyes closed × 2, yawning)."
    parked = ev("phone", "warning", 0, 9, 3.0, stationary=True)
    assert headline([parked]).startswith("No alerts; 1 event logged")
    assert headline([ev("phone", "warning", 10, 14, 71.0), ev("looking_back", "critical", 20, 23.5)]) == \
        "1 critical, 1 warning: looking back 3.5 s, phone use 4.0 s at 71 km/h."


def test_telemetry_clocks_and_rule_ids_read_in_words():
    """The summary says how a log's time column counts in words, never the code's form names
    (seconds_from_start, epoch_ms); every rule id of a built-in rule set has its words."""
    from conftest import SHARED

    from dms.core.words import RULE_WORDS
    from dms.report.summary import telemetry_rows
    from dms.rules import load_rule_set
    from dms.telemetry import load_track

    logs = ([SHARED / "faults" / "telemetry" / "ok_control.csv"],
            [SHARED / "telemetry" / "comma2k19_can_speed_steering.csv",
             SHARED / "telemetry" / "comma2k19_gnss.csv"],
            [SHARED / "faults" / "round3" / "gps_nofix_zero_epoch.csv"])
    for paths in logs:
        description = load_track(paths, video_duration_s=4.0).describe()
        text = " ".join(v for _, v in telemetry_rows(description, True))
        assert not re.search(r"\b(epoch|seconds|ms)_\w+", text), text
        assert "no wall-clock start" not in text
    relative = dict(telemetry_rows(load_track(logs[0], video_duration_s=4.0).describe(), True))
    assert relative["Telemetry clock"] == ("column time_s, seconds from the log's start; "
                                           "no date or time of day in the log")
    assert "time from column time_s (seconds from the log's start)" in relative["Telemetry file"]
    for name in ("euro-ncap", "eu-addw", "eu-ddaw"):
        rules = load_rule_set(name)
        assert all(t.rule in RULE_WORDS for t in rules.timings.values() if t.rule), name


def test_the_models_row_names_files_and_runtimes_in_words():
    from dms.report.summary import _models_text

    classifier = {"checkpoint": "/home/me/data/models/tsm_statefarm_side.pth", "classes": list("abcdefghij"),
                  "backend": "onnx"}
    text = _models_text(classifier, {"checkpoint": "/x/detector_phone_cigarette.pth"}, "side view")
    assert text == ("side view (detector detector_phone_cigarette.pth; "
                    "classifier tsm_statefarm_side.pth (10 classes, run by ONNX Runtime))")
    assert "/home/me" not in text


def test_a_perclos_escalation_s_evidence_reads_in_words():
    """The rows of an eyes-closed warning PERCLOS raised (ir_night_drowsy.mp4 read "Perclos eyes seen s")."""
    rows = evidence_rows({"perclos": 0.365, "perclos_eyes_seen_s": 11.52, "warning_at_s": 10.92,
                          "warning_by": "perclos"})
    # the values as the event ended; the explanation gives PERCLOS when the warning was raised
    assert rows[0] == ("PERCLOS at the event's end", "0.365 (share of time with the eyes closed)")
    assert rows[1] == ("Eyes seen in the PERCLOS window at the event's end", "11.52 s")
    assert rows[2][0] == "Warning at" and "PERCLOS" in rows[2][1]
