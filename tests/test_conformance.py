"""The conformance report: time to warning, missed and late warnings, false alerts per hour of
labelled normal driving, on scripted drives (events from the real tracker) and labels."""

import json

import pytest

import main
from dms.core.config import Settings
from dms.core.types import BEHAVIOURS, Scores, VehicleState
from dms.events.tracker import EventTracker
from dms.rules import load_rule_set
from dms.scoring.conformance import check
from dms.scoring.labels import Label
from dms.scoring.openlabel import NORMAL_DRIVING
from dms.store.records import event_record

FPS = 10.0


def drive(spans: dict[str, list[tuple[float, float]]], duration: float, speed: float | None, rules: str):
    """events.json records of a scripted drive: each behaviour seen (score 1) inside its spans."""
    tracker = EventTracker(Settings(), load_rule_set(rules), has_telemetry=speed is not None)
    closed = []
    for i in range(int(duration * FPS) + 1):
        t = round(i / FPS, 3)
        values = dict.fromkeys(BEHAVIOURS, 0.0)
        for behaviour, windows in spans.items():
            values[behaviour] = float(any(a <= t <= b for a, b in windows))
        vehicle = None if speed is None else VehicleState(speed_kmh=speed)
        updates = tracker.step(Scores(i, t, values, {b: ("scripted",) for b in spans}, None, vehicle))
        closed += [u.event for u in updates if u.kind == "close"]
    closed += [u.event for u in tracker.finish(duration) if u.kind == "close"]
    return [event_record(e) for e in closed]


def test_on_time_late_missed_not_required_and_false_alerts():
    events = drive({"eyes_off_road": [(10.0, 14.0), (60.0, 61.5), (100.0, 103.5)]}, 180.0, 80.0, "euro-ncap")
    labels = [
        Label("eyes_off_road", 10.0, 14.0, "high"),  # 4 s: warning due at 13.0 s, given at 13.0 s
        Label("eyes_off_road", 30.0, 35.0, "high"),  # 5 s: the app saw nothing -> missed
        Label("eyes_off_road", 59.0, 61.5, "high"),  # 2.5 s: no warning required
        Label("eyes_off_road", 99.0, 103.5, "high"),  # labelled 1 s before the app saw it: 1 s late
    ]
    report = check(events, labels, load_rule_set("euro-ncap"), 180.0, lambda t: 80.0, tolerance_s=0.5)
    verdicts = [(v.start_s, v.verdict, v.time_to_warning_s) for v in report.labels]
    assert verdicts == [(10.0, "on time", 3.0), (30.0, "missed", None), (59.0, "not required", None),
                        (99.0, "late", 4.0)]
    assert report.labels[3].delay_s == pytest.approx(1.0)
    assert report.false_alerts == []
    row = report.summary()[0]
    assert (row["labelled"], row["required"], row["on_time"], row["late"], row["missed"]) == (4, 3, 1, 1, 1)
    # the same drive without the first label: its warning is a false alert in normal driving
    report = check(events, labels[1:], load_rule_set("euro-ncap"), 180.0, lambda t: 80.0)
    assert [(f.behaviour, f.at_s) for f in report.false_alerts] == [("eyes_off_road", 13.0)]
    normal = 180.0 - 5.0 - 2.5 - 4.5
    assert report.normal_s == pytest.approx(normal)
    assert report.false_per_hour == pytest.approx(round(1 / (normal / 3600), 1))


def test_addw_speed_bands_and_activation_decide_what_is_required():
    rules = load_rule_set("eu-addw")
    labels = [Label("eyes_off_road", 10.0, 15.0, "high")]  # 5 s
    slow = drive({"eyes_off_road": [(10.0, 15.0)]}, 30.0, 35.0, "eu-addw")
    fast = drive({"eyes_off_road": [(10.0, 15.0)]}, 30.0, 80.0, "eu-addw")
    parked = drive({"eyes_off_road": [(10.0, 15.0)]}, 30.0, 15.0, "eu-addw")
    assert check(slow, labels, rules, 30.0, lambda t: 35.0).labels[0].verdict == "not required"  # 6 s band
    on_time = check(fast, labels, rules, 30.0, lambda t: 80.0).labels[0]
    assert (on_time.verdict, on_time.threshold_s, on_time.time_to_warning_s) == ("on time", 3.5, 3.5)
    below = check(parked, labels, rules, 30.0, lambda t: 15.0).labels[0]
    assert below.verdict == "not required" and "active above 20 km/h" in below.note
    unknown = check(fast, labels, rules, 30.0, None)
    assert unknown.labels[0].threshold_s == 3.5 and "no speed for some labels" in unknown.notes[0]


def test_dmd_normal_driving_is_what_the_labels_call_so():
    events = drive({"phone": [(5.0, 9.0)], "eyes_off_road": [(20.0, 25.0)]}, 40.0, 60.0, "euro-ncap")
    labels = [Label(NORMAL_DRIVING, 0.0, 18.0, "high"), Label("eyes_off_road", 20.0, 25.0, "high")]
    report = check(events, labels, load_rule_set("euro-ncap"), 40.0, lambda t: 60.0)
    assert report.normal_s == 18.0
    assert report.false_alerts == []  # phone is not judged: the labels say nothing of it
    labels.append(Label("phone", 30.0, 31.0, "high"))
    report = check(events, labels, load_rule_set("euro-ncap"), 40.0, lambda t: 60.0)
    assert [f.behaviour for f in report.false_alerts] == ["phone"]


def test_score_rules_command_writes_the_conformance_report(tmp_path, capsys):
    events = drive({"eyes_off_road": [(10.0, 14.0)]}, 30.0, None, "eu-addw")
    path = tmp_path / "events.json"
    path.write_text(json.dumps({"session": {"id": "s", "source": "<drive>.mp4", "duration_s": 30.0},
                                "events": events}))
    labels = tmp_path / "labels.csv"
    labels.write_text("behavior,start_s,end_s\neyes_off_road,10.0,14.0\n")
    argv = ["score", str(path), str(labels), "--rules", "eu-addw", "--out", str(tmp_path / "c")]
    assert main.main(argv) == 0
    out = capsys.readouterr().out
    assert "rule set eu-addw" in out and "no speed for some labels" in out
    assert "\neyes off the road " in out and "eyes_off_road" not in out  # the table in words
    data = json.loads((tmp_path / "c" / "conformance.json").read_text())
    assert data["intervals"][0]["verdict"] == "on time" and data["intervals"][0]["time_to_warning_s"] == 3.5
    html = (tmp_path / "c" / "conformance.html").read_text()
    assert "&lt;drive&gt;.mp4" in html and "<drive>" not in html and "on time" in html
    assert main.main(["score", "--scripted", "--rules", "eu-ddaw"]) == 0
    assert "14 of 14 threshold cases land within one analysed frame" in capsys.readouterr().out


def test_score_json_keys_the_behaviour_as_events_json_does(tmp_path, capsys):
    """Python fields say `behaviour`; what a command writes keeps the files' `behavior`."""
    events = drive({"eyes_off_road": [(10.0, 14.0)]}, 30.0, None, "euro-ncap")
    path = tmp_path / "events.json"
    path.write_text(json.dumps({"session": {"id": "s", "duration_s": 30.0}, "events": events}))
    labels = tmp_path / "labels.csv"
    labels.write_text("behavior,start_s,end_s\neyes_off_road,10.0,14.0\n")
    assert main.main(["score", str(path), str(labels), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)["scores"]
    expected = {"behavior": "eyes_off_road", "labelled": 1, "found": 1, "missed": 0, "false_events": 0}
    assert scores == [expected]
    assert {e["behavior"] for e in events} == {"eyes_off_road"}


def test_a_dmd_session_scores_without_hand_conversion(tmp_path, capsys):
    from pathlib import Path

    dmd = (Path(__file__).resolve().parents[2] / "shared" / "data" / "annotations"
           / "dmd_gA_1_s1_rgb_ann_distraction.json")
    events = drive({"eyes_off_road": [(17.2, 19.5)]}, 226.0, 60.0, "euro-ncap")  # frames 517-578 looked away
    path = tmp_path / "events.json"
    path.write_text(json.dumps({"session": {"id": "s", "source": "gA_1_s1 face", "duration_s": 225.9},
                                "events": events}))
    assert main.main(["score", str(path), str(dmd), "--rules", "euro-ncap", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {r["behaviour"]: r for r in data["summary"]}
    assert set(rows) == {"eyes_off_road", "drinking", "console"}
    away = [i for i in data["intervals"] if i["behaviour"] == "eyes_off_road"]
    assert len(away) == 40 and rows["eyes_off_road"]["required"] == sum(
        i["end_s"] - i["start_s"] >= 3.0 for i in away)
    assert data["normal_driving_s"] > 60  # the safe_drive intervals
    first = [i for i in away if i["start_s"] <= 17.3 <= i["end_s"]][0]
    assert first["seen_at_s"] == pytest.approx(17.2)


def test_labels_after_the_analysed_media_are_not_scored_as_missed(tmp_path, capsys):
    """A drive analysed to 4.0 s (cut, interrupted or a shortened copy) is not scored on labels
    that start after that: it never saw them, so they are left out with a note, not missed."""
    events = drive({"eyes_off_road": [(2.0, 3.4)]}, 3.9, None, "euro-ncap")
    path = tmp_path / "events.json"
    path.write_text(json.dumps({"session": {"id": "s", "duration_s": 3.9, "analysed_fps": 10.0},
                                "events": events}))
    labels = tmp_path / "labels.csv"
    labels.write_text("behavior,start_s,end_s\neyes_off_road,2.15,3.3\neyes_off_road,13.25,14.9\n")
    assert main.main(["score", str(path), str(labels), "--json"]) == 0
    out, err = capsys.readouterr()
    expected = {"behavior": "eyes_off_road", "labelled": 1, "found": 1, "missed": 0, "false_events": 0}
    assert json.loads(out)["scores"] == [expected]
    assert f"note: {labels}: 1 label(s) start after the analysed media ends (4.0 s)" in err


def test_each_rule_gets_a_verdict_and_the_drive_an_overall_line():
    rules = load_rule_set("euro-ncap")
    events = drive({"eyes_off_road": [(10.0, 14.0)]}, 60.0, 60.0, "euro-ncap")
    labels = [Label("eyes_off_road", 10.0, 14.0, "high")]
    report = check(events, labels, rules, 60.0, lambda t: 60.0)
    verdicts = {r.behaviour: (r.verdict, r.why) for r in report.rules}
    assert set(verdicts) == set(rules.timings)
    assert verdicts["eyes_off_road"] == ("met", "1 of 1 required warnings on time, no false alert")
    assert verdicts["phone"] == ("not testable", "no labels of phone use on this drive")
    n = len(rules.timings)
    assert report.overall == f"Met: eyes off the road. {n - 1} of {n} rules not testable on this drive."
    # a required warning missed: not met
    report = check(events, labels + [Label("eyes_off_road", 30.0, 35.0, "high")], rules, 60.0, lambda t: 60.0)
    assert [(r.verdict, r.why) for r in report.rules if r.behaviour == "eyes_off_road"] == [
        ("not met", "1 of 2 required warnings on time, 1 missed")]
    assert report.overall.startswith("Not met: eyes off the road.")
    # glances too short to test the rule
    short = drive({"eyes_off_road": [(10.0, 12.0)]}, 60.0, 60.0, "euro-ncap")
    report = check(short, [Label("eyes_off_road", 10.0, 12.0, "high")], rules, 60.0, lambda t: 60.0)
    assert [(r.verdict, r.why) for r in report.rules if r.behaviour == "eyes_off_road"] == [
        ("not testable", "no labelled eyes off the road lasted the 3 s warning time (longest 2.0 s)")]
    assert report.overall.startswith("Nothing testable: this drive's labels test none of the")


def test_a_speed_dependent_rule_is_not_testable_without_speed(tmp_path, capsys):
    events = drive({"eyes_off_road": [(10.0, 14.0)]}, 30.0, None, "eu-addw")
    path = tmp_path / "events.json"
    session = {"id": "s", "source": "a.mp4", "duration_s": 30.0}
    path.write_text(json.dumps({"session": session, "events": events}))
    labels = tmp_path / "labels.csv"
    labels.write_text("behavior,start_s,end_s\nnormal,0.0,1.0\neyes_off_road,10.0,14.0\n")
    argv = ["score", str(path), str(labels), "--rules", "eu-addw", "--out", str(tmp_path / "c")]
    assert main.main(argv) == 0
    out = capsys.readouterr().out
    assert "rule eyes off the road  not testable  no speed: its warning time or activation depends" in out
    assert "overall: Nothing testable: this drive's labels test none of the" in out
    assert "false alerts: 0 in 1.0 s of labelled normal driving" in out  # the 0-1 s normal label, exactly
    data = json.loads((tmp_path / "c" / "conformance.json").read_text())
    assert data["normal_driving_s"] == 1.0 and data["overall"].startswith("Nothing testable")
    assert {r["verdict"] for r in data["rules"]} == {"not testable"}
    html = (tmp_path / "c" / "conformance.html").read_text()
    assert '<td class="r-not-testable">not testable</td>' in html and "eyes off the road" in html


def perclos_warned(start: float, end: float) -> dict:
    """An eyes_closed events.json record warned by PERCLOS 0.5 s into the closure."""
    return {"id": "e1", "behavior": "eyes_closed", "start_s": start, "end_s": end, "severity": "warning",
            "stationary": None, "evidence": {"warning_at_s": start + 0.5, "warning_by": "perclos"}}


def test_an_alert_is_judged_by_its_true_cause():
    rules = load_rule_set("euro-ncap")
    short = check([perclos_warned(10.0, 11.0)], [Label("eyes_closed", 10.0, 11.0, "high")], rules, 30.0)
    verdict = short.labels[0]
    assert (verdict.verdict, verdict.warned_at_s) == ("not required", None)  # not the 1.5 s timer's warning
    assert verdict.note == "warned at 10.50 s by PERCLOS (drowsiness), not by this rule's timer"
    long = check([perclos_warned(10.0, 12.5)], [Label("eyes_closed", 10.0, 12.5, "high")], rules, 30.0)
    assert long.labels[0].verdict == "missed" and "by PERCLOS" in long.labels[0].note
    # in normal driving a PERCLOS warning is a false alert that says what raised it
    false = check([perclos_warned(20.0, 21.0)], [Label("eyes_closed", 10.0, 11.0, "high")], rules, 30.0)
    assert [(f.at_s, f.cause) for f in false.false_alerts] == [(20.5, "perclos")]


def test_labels_split_per_cut_are_one_stretch_and_normal_driving_is_counted_exactly():
    """side_montage_a's labels: normal 0-1 s, phone cut by cut 1-2, 2-3, 3-4, 4-5 s: one 4 s phone
    use whose 2 s warning is required, and 1 s of labelled normal driving (was 0.0)."""
    rules = load_rule_set("euro-ncap")
    events = drive({"phone": [(1.0, 5.0)]}, 10.0, None, "euro-ncap")
    labels = [Label("normal", 0.0, 1.0, "high")]
    labels += [Label("phone", float(a), a + 1.0, "high") for a in range(1, 5)]
    labels.append(Label("console", 5.0, 6.0, "high"))
    report = check(events, labels, rules, 10.0)
    assert [(v.behaviour, v.start_s, v.end_s, v.verdict) for v in report.labels] == [
        ("phone", 1.0, 5.0, "on time"), ("console", 5.0, 6.0, "not required")]
    assert report.normal_s == 1.0 and "3 label(s) continue the one before them" in report.notes[0]
    assert [r.verdict for r in report.rules if r.behaviour == "phone"] == ["met"]


def test_a_missing_or_folder_events_file_is_one_plain_error(tmp_path, capsys):
    """No errno text: the file is missing, or a report folder was given for its events.json."""
    from conftest import LABELS

    labels = LABELS / "side_montage_a.csv"
    assert main.main(["score", str(tmp_path / "none.json"), str(labels)]) == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'none.json'}: events file not found"
    assert main.main(["score", str(tmp_path), str(labels)]) == 2
    folder = f"error: {tmp_path}: is a folder; give the events.json inside it"
    assert capsys.readouterr().err.strip() == folder
