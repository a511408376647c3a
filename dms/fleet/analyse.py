"""One drive's analysis as a batch worker runs it: the same pipeline as `replay`, logged into a
private SQLite file in a temporary folder, and handed back whole (session, events, timeline,
media bytes and the drive's fleet figures) so that the batch's driver process alone writes the
shared event log. Runs unchanged in a local worker process or as a Ray task on another machine."""

from __future__ import annotations

import os
import socket
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dms.config import Settings
from dms.fleet.key import file_sha256
from dms.fleet.manifest import FleetDrive
from dms.profile import CameraProfile
from dms.store import SessionRecord
from dms.types import Event


@dataclass(frozen=True)
class BatchRecipe:
    """How every drive of a batch is analysed (picklable; sent to each worker)."""

    settings: Settings
    profile: CameraProfile
    checkpoint: str | None = None
    backend: str = "torch"
    allow_offline: bool = False
    telemetry_map: str | None = None
    image_fps: float = 10.0


def recipe_fingerprint(recipe: BatchRecipe) -> dict:
    """The recipe as JSON-able data for the resume key: the checkpoint and the telemetry map by content."""
    return {
        "settings": asdict(recipe.settings),
        "profile": recipe.profile.to_dict(),
        "checkpoint": file_sha256(recipe.checkpoint) if recipe.checkpoint else None,
        "backend": recipe.backend if recipe.checkpoint else None,
        "allow_offline": recipe.allow_offline,
        "telemetry_map": file_sha256(recipe.telemetry_map) if recipe.telemetry_map else None,
        "image_fps": recipe.image_fps,
    }


class DriveError(RuntimeError):
    """A drive could not be analysed; the message names the file and the reason (picklable)."""


@dataclass
class DriveResult:
    """Everything one analysed drive adds to the event log, plus where and how long it ran."""

    video: str
    session: SessionRecord
    events: list[Event]
    timeline: list[dict]
    media: dict[str, bytes]  # path relative to the session's media folder -> bytes
    figures: dict  # dms.report.stats.drive_figures
    wall_s: float  # seconds the worker spent, opening the video to reading the log back
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)


def analyse_drive(recipe: BatchRecipe, drive: FleetDrive) -> DriveResult:
    """Analyse one drive into a private log and return it; raises DriveError on any failure."""
    try:
        return _analyse(recipe, drive)
    except Exception as exc:  # noqa: BLE001 - every failure becomes the drive's recorded reason
        raise DriveError(f"{drive.video}: {exc}" if str(drive.video) not in str(exc) else str(exc)) from None


def _analyse(recipe: BatchRecipe, drive: FleetDrive) -> DriveResult:
    from dms.build import build_pipeline, load_classifier, load_telemetry
    from dms.report.stats import drive_figures
    from dms.sources import open_source
    from dms.store import Store

    os.environ.setdefault("GLOG_minloglevel", "2")
    started = time.perf_counter()
    settings = recipe.settings
    with tempfile.TemporaryDirectory(prefix="dms-drive-") as tmp:
        store = Store(Path(tmp) / "drive.sqlite")
        try:
            opened = open_source(drive.video, analysis_fps=settings.analysis_fps, image_fps=recipe.image_fps)
            with opened as source:
                classifier = load_classifier(recipe.checkpoint, recipe.backend, recipe.allow_offline)
                telemetry = load_telemetry(
                    list(drive.telemetry), source, settings, recipe.telemetry_map, drive.telemetry_offset_s
                )
                pipeline, session_id = build_pipeline(
                    settings, recipe.profile, source=source, classifier=classifier, telemetry=telemetry,
                    store=store,
                )
                pipeline.run(source)
            session = store.session(session_id)
            events, timeline = store.events(session_id), store.timeline(session_id)
            media_dir = store.media_dir(session_id)
            media = {
                str(p.relative_to(media_dir)): p.read_bytes()
                for p in sorted(media_dir.rglob("*")) if p.is_file()
            } if media_dir.is_dir() else {}
        finally:
            store.close()
    return DriveResult(
        video=str(drive.video),
        session=session,
        events=events,
        timeline=timeline,
        media=media,
        figures=drive_figures(events, timeline),
        wall_s=time.perf_counter() - started,
    )
