"""ASAM OpenLABEL: the real DMD annotation read as labels; a session's events (with review and
relabel) exported and read back identically by the same reader; exported reviews as labels."""

import json
from pathlib import Path

import pytest

import main
from dms.core.config import Settings
from dms.core.errors import InputError
from dms.events.tracker import EventTracker
from dms.rules import load_rule_set
from dms.scoring.openlabel import (
    NORMAL_DRIVING,
    events_from_openlabel,
    labels_from_openlabel,
    write_session_openlabel,
)
from dms.scoring.scripted import stream
from dms.store import Store
from dms.store.records import event_record
from models.datasets.openlabel import read_openlabel

ANNOTATIONS = Path(__file__).resolve().parents[2] / "shared" / "data" / "annotations"
DMD = ANNOTATIONS / "dmd_gA_1_s1_rgb_ann_distraction.json"


def test_the_dmd_annotation_reads_as_labels():
    labels = labels_from_openlabel(DMD, fps=30.0)
    by = {}
    for lab in labels:
        by.setdefault(lab.behaviour, []).append(lab)
    assert {b: len(v) for b, v in by.items()} == {
        "eyes_off_road": 40, "drinking": 5, "console": 3, NORMAL_DRIVING: 24,
    }
    first = by["eyes_off_road"][0]  # not_looking_road frames 34-43 of the face stream (shift 0)
    assert (first.start_s, first.end_s) == (round(34 / 30, 3), round(44 / 30, 3))
    body = labels_from_openlabel(DMD, fps=30.0, stream="body_camera")  # frame_shift 15
    assert min(lab.start_s for lab in body if lab.behaviour == "eyes_off_road") == round((34 - 15) / 30, 3)
    assert max(lab.end_s for lab in labels) == pytest.approx(6777 / 30, abs=0.01)


def events_of_a_drive() -> list:
    tracker = EventTracker(Settings(), load_rule_set("euro-ncap"), has_telemetry=True)
    updates = [u for s in stream("eyes_off_road", 7.0, 80.0) for u in tracker.step(s)]
    updates += [u for s in stream("phone", 3.0, 80.0) for u in tracker.step(s)]
    closed = [u.event for u in updates if u.kind == "close"]
    assert {e.behaviour for e in closed} >= {"eyes_off_road", "unresponsive"}
    return closed


def test_a_session_exports_and_reads_back_identically(tmp_path):
    store = Store(tmp_path / "dms.sqlite")
    session = store.create_session("drive.mp4", {"source": {"fps": 25.0}, "rules": {"name": "euro-ncap"}})
    events = events_of_a_drive()
    store.record(session, [], [(e, False) for e in events])
    store.finish_session(session, {"duration_s": 12.0})
    first, second = store.events(session)[:2]
    store.set_review(first.id, "confirmed", None, session)
    store.set_review(second.id, "rejected", "looking_back", session)
    path = write_session_openlabel(store, session, tmp_path / "out")
    document = json.loads(path.read_text())["openlabel"]
    assert document["metadata"]["schema_version"] == "1.0.0" and document["metadata"]["name"] == session
    action = document["actions"]["0"]
    assert action["type"] == "dms/" + first.behaviour
    frames = {"frame_start": round(first.start_s * 25), "frame_end": round(first.end_s * 25)}
    assert action["frame_intervals"] == [frames]
    back = events_from_openlabel(read_openlabel(path))
    stored = [event_record(e) for e in store.events(session)]
    assert len(back) == len(stored)
    for got, want in zip(back, stored, strict=True):
        evidence = want["evidence"]
        fields = ("id", "behavior", "start_s", "end_s", "peak_score", "mean_score", "severity", "review",
                  "relabel", "stationary")
        from_evidence = ("rule", "rule_set", "clause", "warning_at_s", "critical_at_s")
        assert got == {**{k: want[k] for k in fields}, **{k: evidence.get(k) for k in from_evidence},
                       "why": evidence["why"]}
    assert back[0]["review"] == "confirmed"
    assert (back[1]["review"], back[1]["relabel"]) == ("rejected", "looking_back")
    labels = labels_from_openlabel(path)  # only reviewed events are labels
    assert [(lab.behaviour, lab.start_s) for lab in labels] == sorted(
        [(first.behaviour, first.start_s), ("looking_back", second.start_s)], key=lambda x: (x[1], x[0]))
    store.close()


def test_report_format_openlabel_command(tmp_path, capsys):
    db = tmp_path / "dms.sqlite"
    with Store(db) as store:
        session = store.create_session("drive.mp4", {})
        store.record(session, [], [(e, False) for e in events_of_a_drive()])
        store.finish_session(session, {"duration_s": 12.0})
    argv = ["report", session, "--db", str(db), "--out", str(tmp_path / "r"), "--format", "openlabel"]
    assert main.main(argv) == 0
    assert capsys.readouterr().out.strip().endswith("openlabel.json")
    assert len(events_from_openlabel(read_openlabel(tmp_path / "r" / "openlabel.json"))) >= 2


def test_a_bad_openlabel_file_is_one_error_naming_it(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(InputError, match="bad.json: not an OpenLABEL/VCD annotation"):
        labels_from_openlabel(bad)
    bad.write_text('{"openlabel": {"actions": {"0": {"type": "gaze_on_road/not_looking_road", '
                   '"frame_intervals": [{"frame_start": 9, "frame_end": 3}]}}}}')
    with pytest.raises(InputError, match=r"bad.json: action 0: ends \(3\) before start \(9\)"):
        labels_from_openlabel(bad)


def test_an_exported_session_without_reviews_is_no_label_file(tmp_path):
    """Scored against an export nobody reviewed, every event was 'not labelled' and the whole drive
    passed for normal driving (0 false alerts); it is one error naming the file instead."""
    with Store(tmp_path / "dms.sqlite") as store:
        session = store.create_session("drive.mp4", {})
        store.record(session, [], [(e, False) for e in events_of_a_drive()])
        store.finish_session(session, {"duration_s": 12.0})
        path = write_session_openlabel(store, session, tmp_path / "out")
    with pytest.raises(InputError, match="openlabel.json: an exported session labels only its reviewed"):
        labels_from_openlabel(path)


def test_score_refuses_a_label_file_without_labels(tmp_path, capsys):
    events = tmp_path / "events.json"
    events.write_text(json.dumps({"session": {"id": "s", "duration_s": 10.0}, "events": []}))
    labels = tmp_path / "labels.csv"
    labels.write_text("behavior,start_s,end_s\n")
    assert main.main(["score", str(events), str(labels)]) == 2
    assert capsys.readouterr().err.strip() == f"error: {labels}: holds no labels"
