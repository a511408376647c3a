"""What the analysis process needs to build the pipeline for a source: settings, camera profile,
classifier checkpoint, telemetry and the event log, all plain picklable values."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dms.build import build_pipeline, load_classifier, load_telemetry
from dms.config import Settings
from dms.pipeline import Pipeline
from dms.profile import CameraProfile
from dms.sources import FrameSource


@dataclass
class Analysis:
    """A ready pipeline for one source and the event log it writes to (closed with it)."""

    pipeline: Pipeline
    session_id: str | None
    has_classifier: bool
    has_telemetry: bool
    store: object | None = None

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


@dataclass(frozen=True)
class AnalysisRecipe:
    settings: Settings
    profile: CameraProfile
    checkpoint: Path | None = None
    telemetry: tuple[Path, ...] = ()  # one or more logs of the drive
    db_path: Path | None = None
    telemetry_map: Path | None = None
    telemetry_offset_s: float | None = None

    def build(self, source: FrameSource) -> Analysis:
        """Load the classifier and telemetry and assemble the pipeline (InputError on bad files)."""
        classifier = load_classifier(self.checkpoint)
        track = self.load_telemetry(source)
        store = None
        if self.db_path is not None:
            from dms.store import Store

            store = Store(self.db_path)
        try:
            pipeline, session_id = build_pipeline(
                self.settings, self.profile,
                source=source, classifier=classifier, telemetry=track, store=store,
            )
        except BaseException:
            if store is not None:
                store.close()
            raise
        return Analysis(pipeline, session_id, classifier is not None, track is not None, store)

    def load_telemetry(self, source: FrameSource):
        return load_telemetry(
            self.telemetry, source, self.settings, self.telemetry_map, self.telemetry_offset_s
        )
