"""Issue 11, point 7: storage faults. A full event log or report folder, and an event log whose write
lock another process holds, are one `error:` line and a non-zero exit, never a traceback; the
event log stays intact and the session says it was interrupted."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SHARED

import main
from dms.core.config import Settings
from dms.core.errors import StorageError
from dms.core.profile import CameraProfile
from dms.pipeline.build import build_pipeline
from dms.sources.readers import open_source
from dms.store import Store

ROOT = Path(__file__).resolve().parents[1]
VIDEO = SHARED / "faults" / "base_day4.mp4"


@pytest.fixture
def lock_holder(tmp_path):
    """Another process holding the event log's write lock (an open write transaction)."""
    db = tmp_path / "events.sqlite"
    Store(db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\n"
         "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "c.execute('BEGIN IMMEDIATE'); print('held', flush=True); time.sleep(120)", str(db)],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    yield db
    holder.kill()
    holder.wait()


def test_a_held_write_lock_is_retried_then_one_clear_error(lock_holder):
    store = Store(lock_holder, lock_timeout_s=0.5)
    with pytest.raises(StorageError) as caught:
        store.create_session("drive.mp4", {})
    message = str(caught.value)
    assert message.startswith(f"{lock_holder}: the event log is locked by another process")
    assert "0.5 s" in message and "\n" not in message
    store.close()


def test_replay_with_a_held_write_lock_is_one_error_line(lock_holder, tmp_path, capsys):
    code = main.main(["replay", str(VIDEO), "--db", str(lock_holder), "--out", str(tmp_path / "out"),
                      "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith(f"error: {lock_holder}: the event log is locked by another process")
    assert "Traceback" not in "\n".join(err)


def test_a_full_event_log_stops_with_the_log_intact_and_the_session_interrupted(tmp_path):
    db = tmp_path / "events.sqlite"
    store = Store(db)
    settings = Settings()
    with open_source(VIDEO, analysis_fps=settings.analysis_fps) as source:
        pipeline, session_id = build_pipeline(settings, CameraProfile.load(), source=source, store=store)
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count = {pages + 2}")  # the disk fills up after 8 KB
        with pytest.raises(StorageError) as caught:
            pipeline.run(source)
    assert "the disk is full" in str(caught.value) and "\n" not in str(caught.value)
    store.close()
    with sqlite3.connect(db) as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    reopened = Store(db, create=False)
    session = reopened.session(session_id)
    assert session.status == "interrupted" and "disk is full" in session.info["interrupted_by"]
    assert len(reopened.timeline(session_id)) < 40  # what was committed before the disk filled
    reopened.close()


def _file_size_limit():
    """Writes beyond 64 KB fail with EFBIG (a full disk for this process) instead of a signal."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (65_536, 65_536))


def test_a_report_folder_that_cannot_take_the_files_is_one_error_line(tmp_path):
    db = tmp_path / "events.sqlite"
    with Store(db) as store:
        session_id = store.create_session("drive.mp4", {})
        rows = [{"frame": i, "t": i / 10, "score_phone": 0.1, "head_yaw": 1.5} for i in range(6000)]
        store.record(session_id, rows, [])  # a 10-minute drive: timeline.csv alone is over 64 KB
        store.finish_session(session_id, {"duration_s": 600.0, "frames": 6000})
    out = tmp_path / "report"
    result = subprocess.run(
        [sys.executable, "main.py", "report", session_id, "--db", str(db), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, preexec_fn=_file_size_limit, timeout=300,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert lines[-1].startswith(f"error: {out}: cannot write the report (File too large)")
    assert f"main.py report {session_id}" in lines[-1]
    assert not (out / "report.html").exists()  # staged: nothing half-written in place
