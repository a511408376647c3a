"""The batch's driver process: plan the drives (resume keys, media length), hand them to an
engine, and write every result into the one event log and a report folder per drive.

Only this process writes the log: each finished drive is imported in one transaction, so the
log never holds half a drive. A drive whose key (see dms.fleet.key) is already in the log as
analysed, or as failed, is skipped. Ctrl-C stops scheduling, cancels the drives in flight and
keeps everything that finished. A skipped drive whose driver, vehicle, date or logs changed in
the manifest gets the new fleet fields (the analysis is the same: the key covers the logs).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

from dms.fleet.analyse import DriveError, DriveResult, recipe_fingerprint
from dms.fleet.key import drive_key, hash_files
from dms.fleet.manifest import FleetDrive
from dms.pipeline.recipe import AnalysisRecipe
from dms.store import Store
from dms.store.records import SessionRecord

DONE_STATUSES = ("complete", "stopped_early")
WAIT_S = 0.5  # how often the driver looks for finished drives and for Ctrl-C


@dataclass
class BatchJob:
    """One drive of the batch: what to analyse, its resume key, media length and report folder."""

    drive: FleetDrive
    key: str
    media_s: float | None
    report_dir: Path
    attempts: int = 0
    first_error: str | None = None  # why the first attempt failed, when it was run twice


@dataclass
class DriveOutcome:
    """How one drive of the batch ended: analysed, skipped, failed or cancelled (not finished)."""

    job: BatchJob
    status: str
    session: str | None = None
    events: int | None = None
    duration_s: float | None = None
    stopped_early: str | None = None
    error: str | None = None
    worker_wall_s: float | None = None
    node: str | None = None  # the Ray node that analysed it (its host for local workers)

    def row(self) -> dict:
        """One line of batch.csv."""
        drive = self.job.drive
        return {
            "video": str(drive.video), "status": self.status, "session": self.session,
            "events": self.events, "duration_s": self.duration_s, "stopped_early": self.stopped_early,
            "report": str(self.job.report_dir / "report.html") if self.status == "analysed" else None,
            "error": self.error, "driver": drive.driver, "vehicle": drive.vehicle,
            "date": drive.day.isoformat() if drive.day else None, "attempts": self.job.attempts,
            "first_error": self.job.first_error, "node": self.node, "key": self.job.key,
        }


@dataclass
class BatchRun:
    """What a batch run did, and how long its parts took (for `bench batch`)."""

    outcomes: list[DriveOutcome] = field(default_factory=list)
    cancelled: bool = False
    startup_s: float = 0.0
    wall_s: float = 0.0
    notes: list[str] = field(default_factory=list)  # what happened to the engine and the retries, in order
    lost_nodes: list[str] = field(default_factory=list)  # Ray nodes that left the cluster during the run

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def media_seconds(path: Path) -> float | None:
    """The video's length from its container header (None when it cannot be read)."""
    import av

    try:
        with av.open(str(path)) as container:
            if container.duration:
                return container.duration / 1_000_000
            stream = container.streams.video[0]
            if stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base)
    except (av.error.FFmpegError, IndexError, OSError, UnicodeDecodeError):
        return None
    return None


def plan(drives: list[FleetDrive], recipe: AnalysisRecipe, folder: Path, out: Path,
         progress: bool = True) -> list[BatchJob]:
    """A job per drive: content hashes of the videos and logs (a few files at once), resume key,
    media length and report folder (out/ + the video's path under `folder`, without suffix)."""
    fingerprint = recipe_fingerprint(recipe)
    files = [d.video for d in drives] + [p for d in drives for p in d.telemetry]
    sizes = {path: path.stat().st_size for path in files}
    bar = tqdm(total=sum(sizes.values()), desc="hashing", unit="B", unit_scale=True, disable=not progress,
               file=sys.stderr)
    with bar:
        hashes = hash_files(files, progress=lambda path: bar.update(sizes[path]))
    jobs = []
    for drive in drives:
        key = drive_key(hashes[drive.video], fingerprint, [hashes[p] for p in drive.telemetry],
                        drive.telemetry_offset_s)
        try:
            relative = Path(os.path.abspath(drive.video)).relative_to(os.path.abspath(folder)).with_suffix("")
        except ValueError:
            relative = Path(drive.video.stem)
        jobs.append(BatchJob(drive, key, media_seconds(drive.video), out / relative))
    return jobs


def logged_keys(store: Store) -> dict[str, SessionRecord]:
    """Sessions of earlier batch runs by resume key: analysed ones first, else failed ones."""
    found: dict[str, SessionRecord] = {}
    for session in store.sessions():
        key = (session.info.get("batch") or {}).get("key")
        if not key or session.status not in (*DONE_STATUSES, "failed"):
            continue
        if key not in found or found[key].status == "failed":
            found[key] = session
    return found


class BatchProgress:
    """One bar over the drives' media minutes (the ETA from media done per minute of wall time),
    showing the drives done of all and the media minutes done of all, e.g.
    `batch:  40%|####  | 3/8 drives, 12.5/31.2 media min, 1 failed [00:30<00:45]`."""

    def __init__(self, jobs: list[BatchJob], disable: bool):
        total_min = sum(j.media_s or 0.0 for j in jobs) / 60
        self.left_min = total_min
        self.drives = len(jobs)
        self.done = self.failed = self.skipped = 0
        self.bar = tqdm(
            total=total_min, disable=disable, file=sys.stderr,
            bar_format="batch: {percentage:3.0f}%|{bar}| {desc} [{elapsed}<{remaining}]",
        )
        self._show()

    def advance(self, job: BatchJob, status: str) -> None:
        self.done += 1
        self.failed += status == "failed"
        self.skipped += status == "skipped"
        minutes = min((job.media_s or 0.0) / 60, self.left_min)
        self.left_min -= minutes
        if status == "skipped":
            self.bar.total -= minutes  # the ETA counts work to do, not drives skipped
        else:
            self.bar.n += minutes
        self._show()

    def text(self) -> str:
        """What the bar shows after its percentage: drives and media minutes done, skips, failures."""
        text = f"{self.done}/{self.drives} drives, {self.bar.n:.1f}/{self.bar.total:.1f} media min"
        if self.skipped:
            text += f", {self.skipped} skipped"
        if self.failed:
            text += f", {self.failed} failed"
        return text

    def _show(self) -> None:
        self.bar.set_description_str(self.text(), refresh=True)

    def note(self, line: str) -> None:
        """A warning line above the bar (printed the same without a bar)."""
        tqdm.write(f"warning: {line}", file=sys.stderr)

    def close(self) -> None:
        self.bar.close()


@contextmanager
def stop_on_interrupt():
    """Ctrl-C sets the event instead of raising, so a drive being written is never cut in half."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def run_batch(jobs: list[BatchJob], recipe: AnalysisRecipe, store: Store, engine, *, progress: bool = True,
              retry_failed: bool = False, write_reports: bool = True) -> BatchRun:
    """Analyse every job not already in the log on `engine` (see dms.fleet.engines); returns the
    outcome of each job in the order of `jobs`."""
    run = BatchRun()
    started = time.perf_counter()
    earlier = logged_keys(store)
    outcomes: dict[int, DriveOutcome] = {}
    queue: deque[int] = deque()
    bar = BatchProgress(jobs, disable=not progress)
    for i, job in enumerate(jobs):
        logged = earlier.get(job.key)
        if logged is not None and (logged.status != "failed" or not retry_failed):
            if logged.info.get("fleet") != job.drive.describe():  # the manifest was corrected since
                store.update_info(logged.id, {"fleet": job.drive.describe()})
            outcomes[i] = _skipped(job, logged)
            bar.advance(job, "skipped")
        else:
            queue.append(i)
    in_flight: dict = {}
    try:
        if queue:
            run.startup_s = engine.start()
        with stop_on_interrupt() as stop:
            while (queue or in_flight) and not stop.is_set():
                while queue and len(in_flight) < engine.capacity:
                    i = queue.popleft()
                    jobs[i].attempts += 1
                    in_flight[engine.submit(recipe, jobs[i].drive)] = i
                for handle in engine.wait(list(in_flight), WAIT_S):
                    i = in_flight.pop(handle)
                    outcome = _collect(engine, handle, jobs[i], store, write_reports)
                    if outcome is None:  # failed once: once more
                        error = _with_video(jobs[i], jobs[i].first_error)
                        _tell(run, bar, f"{error}; analysing it once more")
                        queue.appendleft(i)
                        continue
                    outcomes[i] = outcome
                    bar.advance(jobs[i], outcome.status)
                for line in engine.news():
                    _tell(run, bar, line)
            run.cancelled = stop.is_set()
        if in_flight:
            engine.cancel(list(in_flight))
    finally:
        bar.close()
        run.lost_nodes = list(engine.lost_nodes)
        engine.close()
    for i in [*in_flight.values(), *queue]:
        outcomes[i] = DriveOutcome(jobs[i], "cancelled")
    run.outcomes = [outcomes[i] for i in range(len(jobs))]
    run.wall_s = time.perf_counter() - started
    return run


def _with_video(job: BatchJob, error: str) -> str:
    """The error with the drive's video in front, unless it already names it."""
    video = str(job.drive.video)
    return error if video in error else f"{video}: {error}"


def _tell(run: BatchRun, bar: BatchProgress, line: str) -> None:
    run.notes.append(line)
    bar.note(line)


def _skipped(job: BatchJob, logged: SessionRecord) -> DriveOutcome:
    info = logged.info
    return DriveOutcome(
        job, "skipped", session=logged.id, duration_s=info.get("duration_s"),
        stopped_early=info.get("stopped_early"),
        error=f"failed before: {info.get('error')} (--retry-failed tries again)" if logged.status == "failed"
        else None,
    )


def _collect(engine, handle, job: BatchJob, store: Store, write_reports: bool) -> DriveOutcome | None:
    """Store a finished drive (or its failure); None when it failed and should be tried once more."""
    try:
        result = engine.result(handle)
    except DriveError as exc:
        if job.attempts < 2:
            job.first_error = str(exc)
            return None
        info = {"error": str(exc), "fleet": job.drive.describe(), "batch": _batch_info(job, engine)}
        session = store.record_failure(str(job.drive.video), info)
        return DriveOutcome(job, "failed", session=session, error=str(exc))
    session = _import(store, job, result, engine)
    if write_reports:
        from dms.report import write_session_report

        write_session_report(store, session, job.report_dir)
    info = result.session.info
    return DriveOutcome(
        job, "analysed", session=session, events=len(result.events), duration_s=info.get("duration_s"),
        stopped_early=info.get("stopped_early"), worker_wall_s=result.wall_s, node=result.node or result.host,
    )


def _batch_info(job: BatchJob, engine, result: DriveResult | None = None) -> dict:
    info = {"key": job.key, "engine": engine.name, "attempts": job.attempts,
            "report": str((job.report_dir / "report.html").resolve())}
    if job.first_error:
        info["first_error"] = job.first_error
    if result is not None:
        info |= {"worker_host": result.host, "worker_node": result.node,
                 "worker_wall_s": round(result.wall_s, 3)}
    return info


def _import(store: Store, job: BatchJob, result: DriveResult, engine) -> str:
    info = {
        **result.session.info,
        "fleet": job.drive.describe(),
        "batch": _batch_info(job, engine, result),
        "drive_figures": result.figures,
    }
    record = replace(result.session, info=info)
    return store.import_session(record, result.events, result.timeline, result.media)
