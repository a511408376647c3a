"""The SQLite event log: round trip through SessionWriter, WAL reading, reviews, bad files."""

from __future__ import annotations

import sqlite3

import pytest
from test_store_samples import drive, frame_result, phone_event

from dms.core.errors import InputError
from dms.recorder.event_media import EventMediaRecorder
from dms.store import SCHEMA_VERSION, SessionWriter, Store, default_db_path
from dms.store.records import timeline_row


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "log" / "dms.sqlite") as s:
        yield s


def record_drive(store: Store, **kwargs) -> tuple[str, list, object]:
    session_id = store.create_session("drive.mp4", {"classifier": None, "settings": {"analysis_fps": 10}})
    recorder = SessionWriter(store, session_id)
    results, summary = drive(**kwargs)
    for result in results:
        recorder.on_frame(result)
    recorder.on_finish(summary)
    return session_id, results, summary


def test_round_trip_through_recorder(store, tmp_path):
    session_id, results, summary = record_drive(store)
    with Store(tmp_path / "log" / "dms.sqlite", create=False) as reader:
        session = reader.session(session_id)
        assert session.status == "complete"
        assert session.source == "drive.mp4"
        assert session.info["settings"] == {"analysis_fps": 10}
        assert session.info["duration_s"] == pytest.approx(9.9)
        assert session.info["frames"] == 100
        assert session.finished_at is not None
        events = reader.events(session_id)
        assert [e.id for e in events] == ["e0001", "e0002"]
        phone, closure = events
        assert (phone.start_s, phone.end_s, phone.severity) == (2.0, 5.0, "warning")
        assert phone.speed_kmh == {"start": 20.0, "mean": 35.0, "max": 50.0}
        assert phone.distance_m == pytest.approx(29.2)
        assert phone.stationary is False
        assert phone.evidence == {"cues": ["hand_at_ear"], "classes": {"phone_right": 0.81}}
        assert (closure.end_s, closure.severity, closure.stationary) == (9.9, "critical", None)
        timeline = reader.timeline(session_id)
        assert timeline == [timeline_row(r) for r in results]
        assert reader.latest_session_id() == session_id


def test_timeline_row_is_flat_and_complete():
    row = timeline_row(frame_result(30, markers=("harsh_braking", "harsh_acceleration")))
    assert row["frame"] == 30 and row["t"] == 3.0
    assert row["score_phone"] == 0.9 and row["score_yawning"] == 0.05
    assert row["hand_at_ear"] == 1.0 and row["mouth_open"] is None
    assert row["speed_kmh"] == 30.0 and row["steering_deg"] is None and row["latitude"] == 48.1
    assert row["clf_top"] == "phone_right" and row["clf_prob"] == pytest.approx(0.81)
    assert row["markers"] == "harsh_braking|harsh_acceleration"
    bare = timeline_row(frame_result(30, telemetry=False, classifier=False))
    assert "speed_kmh" not in bare and "clf_top" not in bare and bare["markers"] == ""


def test_open_event_is_visible_to_a_second_reader_before_it_closes(store):
    session_id = store.create_session("camera 0", {})
    recorder = SessionWriter(store, session_id, commit_interval_s=0.0)
    results, _ = drive()
    for result in results[:45]:
        recorder.on_frame(result)
    with Store(store.path, create=False) as reader:
        assert reader.session(session_id).status == "running"  # this process is alive
        (event,) = reader.events(session_id)
        # an open event's end follows the analysis: the last frame written
        assert (event.id, event.severity, event.end_s) == ("e0001", "warning", results[44].frame.t)
        assert len(reader.timeline(session_id)) == 45
        assert reader._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_commits_wait_for_the_interval(store):
    session_id = store.create_session("drive.mp4", {})
    recorder = SessionWriter(store, session_id, commit_interval_s=3600.0)
    for result in drive()[0][:30]:
        recorder.on_frame(result)
    with Store(store.path, create=False) as reader:
        assert reader.timeline(session_id) == []
    recorder.flush()
    with Store(store.path, create=False) as reader:
        assert len(reader.timeline(session_id)) == 30


def test_status_follows_the_summary(store):
    cancelled = store.create_session("a.mp4", {})
    store.finish_session(cancelled, {"cancelled": True, "stopped_early": None})
    truncated = store.create_session("b.mp4", {})
    store.finish_session(truncated, {"cancelled": False, "stopped_early": "corrupt frame at 12.3 s"})
    assert store.session(cancelled).status == "cancelled"
    assert store.session(truncated).status == "stopped_early"
    assert store.session(truncated).info["stopped_early"] == "corrupt frame at 12.3 s"
    assert {s.id for s in store.sessions()} == {cancelled, truncated}


def test_session_ids_are_readable_and_unique(store):
    ids = [store.create_session("x.mp4", {}) for _ in range(30)]
    assert len(set(ids)) == 30
    date, time, suffix = ids[0].split("-")
    assert len(date) == 8 and len(time) == 6 and len(suffix) == 4


def test_review(store):
    session_id, _, _ = record_drive(store)
    store.set_review("e0001", "confirmed", "phone")
    phone = store.events(session_id)[0]
    assert (phone.review, phone.relabel) == ("confirmed", "phone")
    store.set_review("e0001", None, None)
    assert store.events(session_id)[0].review is None
    with pytest.raises(InputError, match="review must be"):
        store.set_review("e0001", "maybe", None)
    with pytest.raises(InputError, match="no such event"):
        store.set_review("e9999", "rejected", None)


def test_repeated_event_ids_need_the_session(store):
    first, _, _ = record_drive(store)
    second, _, _ = record_drive(store)
    with pytest.raises(InputError, match="several sessions"):
        store.set_review("e0001", "rejected", None)
    store.set_review("e0001", "rejected", None, session_id=second)
    assert store.events(first)[0].review is None
    assert store.events(second)[0].review == "rejected"


def test_the_writer_stores_events_with_the_media_written_for_them(store):
    """Thumbnail with the opening row, clip once its post-roll has passed, and files where the rows say."""
    session_id = store.create_session("drive.mp4", {})
    media_dir = store.media_dir(session_id)
    media = EventMediaRecorder(media_dir, pre_roll_s=1.0, post_roll_s=0.5, fps=10)
    writer = SessionWriter(store, session_id, media, commit_interval_s=0.0)
    results, summary = drive()
    for result in results:
        writer.on_frame(result)
        if result.frame.index == 20:  # the phone event opened on this frame
            (phone,) = store.events(session_id)
            assert phone.thumbnail == "thumbs/e0001.jpg" and phone.clip is None
    writer.on_finish(summary)
    events = store.events(session_id)
    assert [(e.thumbnail, e.clip) for e in events] == [
        (f"thumbs/{e.id}.jpg", f"clips/{e.id}.mp4") for e in events
    ]
    assert all((media_dir / e.thumbnail).is_file() and (media_dir / e.clip).is_file() for e in events)
    assert not media.pending()


def test_non_finite_values_are_stored_as_unknown(store):
    session_id = store.create_session("drive.mp4", {"gain": float("nan")})
    result = frame_result(3)
    result.scores.values["phone"] = float("nan")
    store.record(session_id, [timeline_row(result)], [(phone_event(peak_score=0.9, distance_m=None), True)])
    assert store.timeline(session_id)[0]["score_phone"] is None
    assert store.session(session_id).info == {"gain": None}


def test_unknown_session_is_an_input_error(store):
    with pytest.raises(InputError, match="no session 'nope'"):
        store.session("nope")
    with pytest.raises(InputError):
        store.events("nope")
    assert store.latest_session_id() is None


def test_media_dir_is_beside_the_db(store):
    assert store.media_dir("20261122-183412-ab12") == store.path.parent / "media" / "20261122-183412-ab12"


def test_bad_files(tmp_path):
    with pytest.raises(InputError, match="no event log"):
        Store(tmp_path / "missing.sqlite", create=False)
    with pytest.raises(InputError, match="is a folder"):
        Store(tmp_path)
    (tmp_path / "file").write_text("a file, not a folder")
    with pytest.raises(InputError, match="cannot open or create"):
        Store(tmp_path / "file" / "dms.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database at all, just text" * 100)
    with pytest.raises(InputError, match="junk.sqlite: not a DMS event log"):
        Store(junk)
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE songs (title TEXT)")
    with pytest.raises(InputError, match="not a DMS event log"):
        Store(foreign)
    newer = tmp_path / "newer.sqlite"
    Store(newer).close()
    with sqlite3.connect(newer) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(InputError, match="newer"):
        Store(newer)


def test_default_db_path(monkeypatch, tmp_path):
    monkeypatch.setenv("DMS_DB", str(tmp_path / "x.sqlite"))
    assert default_db_path() == tmp_path / "x.sqlite"
    monkeypatch.delenv("DMS_DB")
    assert default_db_path().name == "dms.sqlite"
    assert "dms" in default_db_path().parent.parts[-1]
