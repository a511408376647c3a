"""Issue 11, point 8: signals and live streams. SIGTERM and Ctrl-C end a replay cleanly (open events
closed, the session interrupted, the report written); a live stream that stalls is noticed, logged
as a gap and reconnected in the same session; a stop is answered even while the stream stalls.

The stream is a real MJPEG-over-HTTP server (as IP cameras serve) on localhost, read by OpenCV's
FFmpeg backend exactly as a camera URL is."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import cv2
import pytest
from conftest import SHARED

from dms.sources.readers import open_source
from dms.store import Store

ROOT = Path(__file__).resolve().parents[1]
BASE = SHARED / "faults" / "base_day4.mp4"
LONG = SHARED / "video" / "day_eating.mp4"


# --- signals --------------------------------------------------------------------------------------


def wait_for_rows(db: Path, rows: int, process: subprocess.Popen, timeout_s: float = 240.0) -> None:
    """Until the replay has committed `rows` timeline rows (it is then well into the analysis)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(db) as check:
                    if check.execute("SELECT COUNT(*) FROM timeline").fetchone()[0] >= rows:
                        return
            except sqlite3.OperationalError:
                pass
        time.sleep(0.2)
    raise AssertionError("the replay did not get going")


@pytest.mark.parametrize(("signum", "name"), [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "Ctrl-C")])
def test_a_signal_ends_a_replay_cleanly(tmp_path, signum, name):
    db, out = tmp_path / "events.sqlite", tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "main.py", "replay", str(LONG), "--db", str(db), "--out", str(out), "--no-progress"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for_rows(db, 20, process)
        process.send_signal(signum)
        _, err = process.communicate(timeout=240)
    finally:
        process.kill()
    assert process.returncode == 130 and "Traceback" not in err
    assert f"interrupted by {name} at " in err  # the terminal says so, not only the exit status
    report = json.loads((out / "events.json").read_text())
    assert report["session"]["status"] == "interrupted"
    with Store(db, create=False) as store:
        session = store.session(report["session"]["id"])
        assert session.info["interrupted_by"] == name
        frames = len(store.timeline(session.id))
        with sqlite3.connect(db) as check:
            assert check.execute("SELECT COUNT(*) FROM events WHERE is_open = 1").fetchone()[0] == 0
    assert 20 <= frames < 149  # what was analysed, not the whole 14.9 s drive
    assert (out / "report.html").is_file()


# --- live streams ---------------------------------------------------------------------------------


class MjpegCamera:
    """An IP camera on localhost: multipart JPEG frames at 10/s. On the first connection, once
    `stall_now` is set or `stall_after` frames were sent, it stops sending for `stall_s` and drops
    the connection; the second connection serves `frames` frames, and then the camera is gone
    (404). `stalled` is set while it stalls."""

    def __init__(self, stall_after: int, stall_s: float, frames: int = 40):
        with av.open(str(BASE)) as container:
            pictures = [f.to_ndarray(format="bgr24") for _, f in zip(range(40), container.decode(video=0),
                                                                      strict=False)]
        self.jpegs = [cv2.imencode(".jpg", cv2.resize(p, (320, 180)))[1].tobytes() for p in pictures]
        self.stall_after, self.stall_s, self.frames = stall_after, stall_s, frames
        self.connections = 0
        self.stalled = threading.Event()
        self.stall_now = threading.Event()
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                camera.connections += 1
                first = camera.connections == 1
                if camera.connections > 2:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                try:
                    for i in range(camera.stall_after + 1 if first else camera.frames):
                        if first and (i == camera.stall_after or camera.stall_now.is_set()):
                            camera.stalled.set()
                            time.sleep(camera.stall_s)
                            return
                        jpeg = camera.jpegs[i % len(camera.jpegs)]
                        head = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                        self.wfile.write(head % len(jpeg) + jpeg + b"\r\n")
                        self.wfile.flush()
                        time.sleep(0.1)
                except OSError:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/stream.mjpg"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_stalled_stream_is_a_gap_and_reconnects_in_the_same_session(tmp_path):
    from dms.core.config import Settings
    from dms.core.profile import CameraProfile
    from dms.pipeline.build import build_pipeline

    camera = MjpegCamera(stall_after=3000, stall_s=3.0)
    settings = Settings()
    store = Store(tmp_path / "events.sqlite")
    try:
        with open_source(camera.url, analysis_fps=settings.analysis_fps) as source:
            source.reconnect_for_s = 4.0  # then the camera is gone for good: the run ends
            pipeline, session_id = build_pipeline(settings, CameraProfile.load(), source=source, store=store)
            # The camera stalls once the analysis runs (loading the models takes a while).
            summary = pipeline.run(source, progress=lambda result: camera.stall_now.set(),
                                   stopped_early=lambda: source.stopped_early)
            described = source.describe()
    finally:
        camera.close()
    assert camera.connections >= 3 and described["reconnects"] == 1
    assert "did not come back within 4 s" in summary.stopped_early
    stall = described["stalls"][0]
    assert stall[1] is not None and stall[1] - stall[0] >= 2.0  # the stream stalled, then came back
    assert len(summary.gaps) == 1 and summary.gaps[0][1] - summary.gaps[0][0] >= 2.0
    times = [row["t"] for row in store.timeline(session_id)]
    assert len(store.sessions()) == 1 and times[-1] > summary.gaps[0][1]  # frames after the gap
    assert store.session(session_id).info["gaps"] == [list(summary.gaps[0])]
    store.close()


def test_a_stop_is_answered_while_the_stream_stalls():
    camera = MjpegCamera(stall_after=5, stall_s=30.0, frames=0)  # it never sends a frame again
    stop = threading.Event()

    def press_ctrl_c():  # 2.5 s into the stall
        camera.stalled.wait(30)
        time.sleep(2.5)
        stop.set()

    threading.Thread(target=press_ctrl_c, daemon=True).start()
    try:
        with open_source(camera.url) as source:
            source.stop_with(stop)
            frames = [frame.t for frame in source]
            assert stop.is_set() and 1 <= len(frames) <= 6  # ended on the stop: no frame came after the stall
            assert source.stalls and source.stalls[0][1] is None  # noticed, never came back
            assert source.stopped_early is None  # still trying to reconnect when stopped
    finally:
        camera.close()
