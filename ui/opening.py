"""Opening a source for analysis: the source, the classifier and telemetry, the pipeline and its
store session, all or nothing (a failure closes what was opened and raises InputError)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dms.build import build_pipeline, load_classifier
from dms.config import Settings
from dms.pipeline import Pipeline
from dms.profile import CameraProfile
from dms.sources import FrameSource, open_source


@dataclass
class Analysis:
    """What the main window needs to play one source."""

    source: FrameSource
    pipeline: Pipeline
    session_id: str | None
    has_classifier: bool
    has_telemetry: bool


def load_telemetry(path: Path | None):
    if path is None:
        return None
    from dms.telemetry import load_track

    return load_track(path)


def open_analysis(
    spec: str | int | Path,
    settings: Settings,
    profile: CameraProfile,
    *,
    checkpoint: Path | None = None,
    telemetry: Path | None = None,
    store=None,
) -> Analysis:
    source = open_source(spec, analysis_fps=settings.analysis_fps)
    try:
        classifier = load_classifier(checkpoint)
        track = load_telemetry(telemetry)
        pipeline, session_id = build_pipeline(
            settings, profile, source=source, classifier=classifier, telemetry=track, store=store
        )
    except BaseException:
        source.close()
        raise
    return Analysis(source, pipeline, session_id, classifier is not None, track is not None)
