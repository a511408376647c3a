"""`batch` on a real local Ray cluster (2 CPUs) and on local processes: a folder of shared clips
and one corrupt file; every good drive logged once, the corrupt one failed, a second run skips
everything, and both engines log the same events."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from conftest import VIDEO

import main
from dms.core.config import Settings
from dms.core.errors import InputError
from dms.core.profile import CameraProfile
from dms.fleet.analyse import recipe_fingerprint
from dms.fleet.key import drive_key
from dms.fleet.manifest import drives_from_folder, read_manifest
from dms.pipeline.recipe import AnalysisRecipe
from dms.store import Store
from dms.store.content import file_sha256

CLIPS = {
    "VAN-07/alice/2026-11-02_am.mp4": "side_montage_a.mp4",
    "VAN-09/bob/2026-11-10.mp4": "ir_night_drowsy.mp4",
}
CORRUPT = "VAN-09/bob/2026-11-11_broken.mp4"
ROOT = Path(__file__).resolve().parents[1]
FAST = ["--analysis-fps", "2", "--no-progress"]  # 2 Hz keeps the runs short; the logic is the same


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    root = tmp_path_factory.mktemp("fleet")
    for name, clip in CLIPS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(VIDEO / clip, root / name)  # read in place, never copied
    (root / CORRUPT).write_bytes(random.Random(0).randbytes(40_000))  # some random bytes probe as audio
    return root


def batch(fleet, tmp, engine, *extra):
    return main.main(["batch", str(fleet), "--engine", engine, "--db", str(tmp / f"{engine}.sqlite"),
                      "--out", str(tmp / f"out_{engine}"), "--workers", "2", *FAST, *extra])


@pytest.fixture(scope="module")
def runs(fleet, tmp_path_factory):
    """Ray twice (the second run must skip everything), then local processes into another log."""
    tmp = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as env:
        # Ray's memory monitor off: on a shared machine above 95 % memory it kills the workers.
        env.setenv("RAY_memory_monitor_refresh_ms", "0")
        first = batch(fleet, tmp, "ray")
        second = batch(fleet, tmp, "ray")
    local = batch(fleet, tmp, "local")
    return tmp, first, second, local


def logged(db):
    with Store(db, create=False) as store:
        return {
            s.source: (s, [(e.behaviour, e.start_s, e.end_s, e.severity, e.peak_score, e.mean_score)
                           for e in store.events(s.id)], len(store.timeline(s.id)))
            for s in store.sessions()
        }


@pytest.mark.slow
def test_ray_logs_every_good_drive_once_and_the_corrupt_one_as_failed(fleet, runs):
    tmp, first, _, _ = runs
    assert first == 1  # one drive failed
    sessions = [s for s, _, _ in logged(tmp / "ray.sqlite").values()]
    assert len(sessions) == 3
    by_video = {s.source: s for s in sessions}
    for name in CLIPS:
        session = by_video[str(fleet / name)]
        assert session.status == "complete"
        assert session.info["batch"]["engine"] == "ray"
        assert (tmp / "out_ray" / name).with_suffix("").joinpath("report.html").is_file()
    broken = by_video[str(fleet / CORRUPT)]
    assert broken.status == "failed" and "not a readable video" in broken.info["error"]
    assert broken.info["batch"]["attempts"] == 2
    alice = by_video[str(fleet / "VAN-07/alice/2026-11-02_am.mp4")]
    assert alice.info["fleet"] == {
        "driver": "alice", "vehicle": "VAN-07", "date": "2026-11-02",
        "telemetry": [], "telemetry_offset_s": None,
    }
    assert alice.info["drive_figures"]["duration_s"] > 9


@pytest.mark.slow
def test_a_second_run_skips_everything(runs):
    tmp, _, second, _ = runs
    assert second == 0
    assert len(logged(tmp / "ray.sqlite")) == 3
    summary = (tmp / "out_ray" / "batch.csv").read_text()
    assert summary.count(",skipped,") == 3


@pytest.mark.slow
def test_ray_and_local_log_the_same_events(runs):
    tmp, _, _, local = runs
    assert local == 1
    ray_log, local_log = logged(tmp / "ray.sqlite"), logged(tmp / "local.sqlite")
    assert ray_log.keys() == local_log.keys()
    for video, (session, events, rows) in ray_log.items():
        other, other_events, other_rows = local_log[video]
        assert (session.status, events, rows) == (other.status, other_events, other_rows)
        assert session.info.get("drive_figures") == other.info.get("drive_figures")
    assert sum(len(events) for _, events, _ in ray_log.values()) >= 3
    assert (tmp / "out_local" / "batch.csv").read_text().count(",failed,") == 1


def test_folder_convention_reads_vehicle_driver_date_and_logs_beside(fleet, tmp_path):
    drives = {d.video.name: d for d in drives_from_folder(fleet)}
    bob = drives["2026-11-10.mp4"]
    assert (bob.vehicle, bob.driver, bob.day, bob.telemetry) == ("VAN-09", "bob", date(2026, 11, 10), ())
    (tmp_path / "2026-11-29").mkdir()
    os.symlink(VIDEO / "side_montage_a.mp4", tmp_path / "2026-11-29" / "drive1.mp4")
    (tmp_path / "2026-11-29" / "drive1.csv").write_text("t,speed\n0,1\n")
    (tmp_path / "2026-11-29" / "drive1.gnss.csv").write_text("t,lat\n0,1\n")
    (tmp_path / "2026-11-29" / "drive10.csv").write_text("t,speed\n0,1\n")  # another drive's log
    (only,) = drives_from_folder(tmp_path)
    assert (only.vehicle, only.driver, only.day) == (None, None, date(2026, 11, 29))
    assert [p.name for p in only.telemetry] == ["drive1.csv", "drive1.gnss.csv"]


def test_manifest_rows_and_their_errors(fleet, tmp_path):
    manifest = tmp_path / "fleet.csv"
    manifest.write_text(
        "video;driver;vehicle;date;telemetry\n"
        f"{fleet / 'VAN-07/alice/2026-11-02_am.mp4'};Alice <A>;V7;2026-11-03;\n"
    )
    (drive,) = read_manifest(manifest)
    assert (drive.driver, drive.vehicle, drive.day) == ("Alice <A>", "V7", date(2026, 11, 3))
    for body, problem in (
        ("video,date\nnope.mp4,\n", "video nope.mp4 not found"),
        (f"video,date\n{fleet / CORRUPT},29/11/2026\n", "is not YYYY-MM-DD"),
        (f"video,drvier\n{fleet / CORRUPT},x\n", "unknown manifest column(s) drvier"),
        ("driver\nx\n", "no 'video' column"),
    ):
        manifest.write_text(body)
        with pytest.raises(InputError, match=problem.replace("(", r"\(").replace(")", r"\)")):
            read_manifest(manifest)


def test_resume_key_follows_content_and_settings_not_the_name(fleet, tmp_path):
    recipe = AnalysisRecipe(Settings(), CameraProfile.load(None))
    video = fleet / "VAN-09/bob/2026-11-10.mp4"
    copy = tmp_path / "renamed.mp4"
    copy.write_bytes(video.read_bytes())
    key = drive_key(file_sha256(video), recipe_fingerprint(recipe), [], None)
    assert drive_key(file_sha256(copy), recipe_fingerprint(recipe), [], None) == key
    stricter = AnalysisRecipe(Settings(speed_gate_kmh=20.0), recipe.profile)
    assert drive_key(file_sha256(video), recipe_fingerprint(stricter), [], None) != key
    assert drive_key(file_sha256(video), recipe_fingerprint(recipe), [], 3.0) != key
    # the shipped classifier runs by default on a side-view profile: its weights enter the key
    side_profile = CameraProfile.load(Path(__file__).parents[1] / "data" / "profile_side.json")
    side = AnalysisRecipe(Settings(), side_profile)
    assert recipe_fingerprint(side)["checkpoint"] is not None
    assert recipe_fingerprint(recipe)["checkpoint"] is None
    off = AnalysisRecipe(Settings(), side.profile, checkpoint="none")
    assert recipe_fingerprint(off)["checkpoint"] is None


def sessions_in(db) -> int:
    """Sessions in the log so far (0 while it or its schema does not exist yet)."""
    if not db.exists():
        return 0
    try:
        with closing(sqlite3.connect(db)) as connection:
            return connection.execute("SELECT count(*) FROM sessions").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_ctrl_c_stops_scheduling_and_keeps_what_finished(tmp_path):
    """SIGINT once the first drive is in the log: the drive in flight is cancelled, the rest never
    start, the finished one stays whole, and the exit status is 130."""
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    clips = (("a.mp4", "side_montage_a.mp4"), ("b.mp4", "dusk_yawning.mp4"), ("c.mp4", "day_eating.mp4"))
    for name, clip in clips:
        os.symlink(VIDEO / clip, fleet / name)
    db, out = tmp_path / "log.sqlite", tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "batch", str(fleet), "--db", str(db), "--out", str(out),
         "--analysis-fps", "5", "--no-progress"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if sessions_in(db):
            break
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "finished drives are kept" in err
    (session,) = [s for s, _, _ in logged(db).values()]
    assert session.source == str(fleet / "a.mp4") and session.status == "complete"
    statuses = [line.split(",")[1] for line in (out / "batch.csv").read_text().splitlines()[1:]]
    assert statuses == ["analysed", "cancelled", "cancelled"]


def test_a_skipped_drive_takes_the_corrected_manifest_fields(fleet, tmp_path):
    """Nothing is analysed again (same key), but who drove it follows the manifest."""
    from dms.fleet.engines import LocalEngine
    from dms.fleet.manifest import FleetDrive
    from dms.fleet.run import BatchJob, run_batch
    from dms.pipeline.recipe import AnalysisRecipe
    from dms.store.records import SessionRecord

    video = fleet / "VAN-09/bob/2026-11-10.mp4"
    old = FleetDrive(video, driver="bob", vehicle="VAN-09", day=date(2026, 11, 10))
    with Store(tmp_path / "log.sqlite") as store:
        info = {"fleet": old.describe(), "batch": {"key": "k1"}}
        record = SessionRecord("s1", str(video), "2026-11-10T08:00:00", "complete", info)
        session = store.import_session(record, [], [], {})
        fixed = FleetDrive(video, driver="Roberta", vehicle="VAN-09", day=date(2026, 11, 10))
        job = BatchJob(fixed, "k1", 16.8, tmp_path / "out")
        run = run_batch([job], AnalysisRecipe(), store, LocalEngine(1), progress=False)
        assert [o.status for o in run.outcomes] == ["skipped"]
        record = store.session(session)
        assert record.info["fleet"]["driver"] == "Roberta" and record.status == "complete"
        assert record.info["batch"] == {"key": "k1"}


@pytest.mark.slow
def test_a_killed_worker_is_retried_once(tmp_path):
    """SIGKILL the local worker while it analyses: the pool is restarted and the drive is analysed
    on its second attempt, logged once."""
    import multiprocessing
    import threading

    from dms.commands.common import recipe_from_args
    from dms.fleet.engines import LocalEngine
    from dms.fleet.manifest import FleetDrive
    from dms.fleet.run import BatchJob, run_batch

    args = main.build_parser().parse_args(["batch", str(tmp_path), "--analysis-fps", "5"])
    recipe = recipe_from_args(args)
    video = VIDEO / "ir_night_drowsy.mp4"
    killed = []

    def kill_the_worker_once():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not multiprocessing.active_children():
            time.sleep(0.1)
        time.sleep(2.0)  # let it start on the drive
        for child in multiprocessing.active_children():
            os.kill(child.pid, signal.SIGKILL)
            killed.append(child.pid)

    killer = threading.Thread(target=kill_the_worker_once)
    killer.start()
    with Store(tmp_path / "log.sqlite") as store:
        job = BatchJob(FleetDrive(video), "k", 16.8, tmp_path / "out")
        run = run_batch([job], recipe, store, LocalEngine(1), progress=False, write_reports=False)
        killer.join()
        assert killed
        (outcome,) = run.outcomes
        assert (outcome.status, outcome.job.attempts) == ("analysed", 2)
        (session,) = store.sessions()
        assert session.status == "complete" and session.info["batch"]["attempts"] == 2


def test_progress_counts_drives_and_media_minutes():
    """The bar reads in drives and media minutes ("0.014 media h" told a person nothing)."""
    from dms.fleet.manifest import FleetDrive
    from dms.fleet.run import BatchJob, BatchProgress

    jobs = [BatchJob(FleetDrive(Path(f"{n}.mp4")), "k", seconds, Path("out"))
            for n, seconds in enumerate((50.0, 700.0, 30.0))]
    bar = BatchProgress(jobs, disable=True)
    assert bar.text() == "0/3 drives, 0.0/13.0 media min"
    bar.advance(jobs[0], "analysed")
    bar.advance(jobs[2], "failed")
    assert bar.text() == "2/3 drives, 1.3/13.0 media min, 1 failed"
    bar.advance(jobs[1], "skipped")  # the media left to analyse shrinks; the drives still count
    assert bar.text() == "3/3 drives, 1.3/1.3 media min, 1 skipped, 1 failed"
    bar.close()


def test_a_raylet_that_no_longer_answers_is_a_lost_node():
    """After a drive fails as a lost node makes it fail, the Ray engine asks each node's raylet
    (its node-manager port from ray.nodes()) rather than wait for the GCS's health checks."""
    import socket

    from dms.fleet.engines import raylet_answers

    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        assert raylet_answers({"NodeManagerAddress": "127.0.0.1", "NodeManagerPort": port})
    assert not raylet_answers({"NodeManagerAddress": "127.0.0.1", "NodeManagerPort": port})  # closed now
    assert raylet_answers({"NodeID": "ab"})  # nothing to ask: taken as alive
