"""A writer killed with SIGKILL mid-run: the log stays readable, earlier sessions are intact, and the
killed session keeps its rows up to about a second before the kill and reads as interrupted.

Run as a script, this file is the writer: it records frames until it is killed, printing
"<frame index> <monotonic time>" after each one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from test_store_samples import drive, frame_result, phone_event

from dms.core.types import EventUpdate
from dms.store import SessionWriter, Store

REPO = Path(__file__).resolve().parents[1]


def _write_until_killed(db: str) -> None:
    store = Store(db)
    session_id = store.create_session("killed.mp4", {})
    print(session_id, flush=True)
    recorder = SessionWriter(store, session_id)
    index = 0
    while True:
        updates = (EventUpdate("open", phone_event(start_s=index / 10)),) if index == 20 else ()
        recorder.on_frame(frame_result(index, updates))
        print(index, time.monotonic(), flush=True)
        index += 1
        time.sleep(0.01)


def _record_complete_session(store: Store) -> str:
    session_id = store.create_session("first.mp4", {})
    recorder = SessionWriter(store, session_id)
    results, summary = drive()
    for result in results:
        recorder.on_frame(result)
    recorder.on_finish(summary)
    return session_id


def test_sigkill_mid_run_loses_at_most_about_a_second(tmp_path):
    db = tmp_path / "dms.sqlite"
    with Store(db) as store:
        first = _record_complete_session(store)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "tests")]))
    child = subprocess.Popen(
        [sys.executable, __file__, str(db)], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        killed = child.stdout.readline().strip()
        seen_while_running = []
        printed_at: dict[int, float] = {}
        for line in child.stdout:
            index, at = int(line.split()[0]), float(line.split()[1])
            printed_at[index] = at
            if index in (150, 300):  # a second process reads while the writer writes (WAL)
                with Store(db, create=False) as reader:
                    seen_while_running.append(len(reader.timeline(killed)))
            if index >= 350:
                break
        child.send_signal(signal.SIGKILL)
        for line in child.stdout.read().splitlines():
            printed_at[int(line.split()[0])] = float(line.split()[1])
    finally:
        child.kill()
        child.wait()
    with Store(db, create=False) as store:
        assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        session = store.session(first)
        assert session.status == "complete"
        assert len(store.timeline(first)) == 100 and len(store.events(first)) == 2
        assert store.session(killed).status == "interrupted"
        timeline = store.timeline(killed)
        (event,) = store.events(killed)
        assert event.behaviour == "phone" and event.start_s == 2.0
    assert seen_while_running[0] > 0 and seen_while_running[1] > seen_while_running[0]
    frames = [row["frame"] for row in timeline]
    assert frames == list(range(len(frames)))
    stored_last, produced_last = frames[-1], max(printed_at)
    assert produced_last >= 350 and stored_last >= 100
    # Wall time between the last stored frame and the last frame produced before the kill: one commit
    # interval (1 s) plus one frame and the commit itself.
    lost_s = printed_at[produced_last] - printed_at[stored_last]
    print(f"frames {stored_last}/{produced_last} stored; lost {lost_s:.2f} s of analysis")
    assert lost_s <= 1.5


if __name__ == "__main__":
    _write_until_killed(sys.argv[1])
