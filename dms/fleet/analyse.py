"""One drive's analysis as a batch worker runs it: the same pipeline as `replay`, logged into a
private SQLite file in a temporary folder, and handed back whole (session, events, timeline,
media bytes and the drive's fleet figures) so that the batch's driver process alone writes the
shared event log. Runs unchanged in a local worker process or as a Ray task on another machine."""

from __future__ import annotations

import os
import socket
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from dms.core.types import Event
from dms.fleet.manifest import FleetDrive
from dms.pipeline.recipe import AnalysisRecipe
from dms.store.content import file_sha256
from dms.store.records import SessionRecord


def recipe_fingerprint(recipe: AnalysisRecipe) -> dict:
    """The recipe as JSON-able data for the resume key: the checkpoint and the telemetry map by content
    (a drive's own logs and offset enter its key apart, see dms.fleet.key)."""
    from dms.classifier.choice import choose_classifier, resolve_backend

    classifier = choose_classifier(recipe.checkpoint, recipe.profile).checkpoint  # the shipped one too
    return {
        "settings": asdict(recipe.settings),
        "profile": recipe.profile.to_dict(),
        "checkpoint": file_sha256(classifier) if classifier else None,
        "backend": resolve_backend(recipe.backend) if classifier else None,
        "allow_offline": recipe.allow_offline,
        "telemetry_map": file_sha256(recipe.telemetry_map) if recipe.telemetry_map else None,
        "image_fps": recipe.image_fps,
        "rules": asdict(replace(recipe.rules, origin="")),  # the rule set in force, by content
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
    node: str | None = None  # the Ray node that ran it (dms.fleet.engines.node_name), for Ray tasks


def analyse_drive(recipe: AnalysisRecipe, drive: FleetDrive) -> DriveResult:
    """Analyse one drive into a private log and return it; raises DriveError on any failure."""
    try:
        return _analyse(recipe, drive)
    except Exception as exc:  # noqa: BLE001 - every failure becomes the drive's recorded reason
        raise DriveError(f"{drive.video}: {exc}" if str(drive.video) not in str(exc) else str(exc)) from None


def _analyse(recipe: AnalysisRecipe, drive: FleetDrive) -> DriveResult:
    from dms.report.stats import drive_figures

    os.environ.setdefault("GLOG_minloglevel", "2")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dms-drive-") as tmp:
        drive_recipe = replace(
            recipe,
            telemetry=tuple(str(p) for p in drive.telemetry),
            telemetry_offset_s=drive.telemetry_offset_s,
            db_path=str(Path(tmp) / "drive.sqlite"),
        )
        with drive_recipe.open_source(drive.video) as source, drive_recipe.build(source) as analysis:
            analysis.pipeline.run(source, stopped_early=lambda: source.stopped_early)
            store, session_id = analysis.store, analysis.session_id
            session = store.session(session_id)
            events, timeline = store.events(session_id), store.timeline(session_id)
            media_dir = store.media_dir(session_id)
            media = {
                str(p.relative_to(media_dir)): p.read_bytes()
                for p in sorted(media_dir.rglob("*")) if p.is_file()
            } if media_dir.is_dir() else {}
    return DriveResult(
        video=str(drive.video),
        session=session,
        events=events,
        timeline=timeline,
        media=media,
        figures=drive_figures(events, timeline, session.info.get("coverage")),
        wall_s=time.perf_counter() - started,
    )
