"""The one analysis recipe: every choice that decides how a source is analysed, as plain values.

Every front end builds one (`dms.commands.common.recipe_from_args` for the commands, the GUI from
its command line and dialogs) and hands it to the engine, which assembles the same pipeline from
it. A recipe holds only picklable values (settings, profile, strings, numbers), so another process
(the GUI's analysis process, a batch worker) can rebuild the pipeline from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dms.core.config import Settings
from dms.core.errors import model_errors_as_input_errors
from dms.core.profile import CameraProfile
from dms.pipeline.build import build_pipeline, classifier_stage, load_classifier, load_telemetry
from dms.pipeline.loop import Pipeline
from dms.rules import RuleSet, load_rule_set
from dms.sources.readers import IMAGE_FPS, FrameSource, open_source


@dataclass
class Analysis:
    """A ready pipeline for one source, with the stages it was built from and the event log it
    writes to (owned: closed with the analysis)."""

    pipeline: Pipeline
    session_id: str | None
    classifier: object | None = None  # the ClassifierStage (whole-frame TSM), or None
    detector: object | None = None  # the DetectorStage (phones, cigarettes), or None
    telemetry: object | None = None  # the TelemetryTrack, or None
    store: object | None = None  # the dms.store.Store, or None without an event log
    classifier_note: str = ""  # which models run on which view, or why not (dms.classifier.choice)

    @property
    def has_classifier(self) -> bool:
        """Whether a model that sees what the hands hold runs (the classifier or the detector)."""
        return self.classifier is not None or self.detector is not None

    @property
    def has_telemetry(self) -> bool:
        return self.telemetry is not None

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    def __enter__(self) -> Analysis:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class AnalysisRecipe:
    """How to analyse a source.

    `checkpoint` is the classifier checkpoint as the user gave it (a path; None = the shipped model
    where the profile's view matches it; "none" = off), passed as is to `dms.pipeline.build.load_classifier`,
    and `detector` the object detector's (None = the shipped one, on every view; "none" = off);
    `backend` is "auto" (onnxruntime where installed), "torch" or "onnx"; `allow_offline` lets
    bi-directional TSM weights run causally. `telemetry` lists the drive's vehicle logs (paths),
    `telemetry_map` a column mapping JSON and `telemetry_offset_s` a manual clock offset in seconds.
    `rules` is the rule set in force, resolved once from the settings' `rule_set` (by
    `recipe_from_args`, or the GUI's settings dialog, which edits it; left out: resolved here from
    `settings.rule_set`); its alert timings are its own.
    `segments` is the TSM segment count of a checkpoint that does not state it (None: read or
    guessed, see models.checkpoints). `image_fps` is the playback rate of an image folder (images
    per second). `db_path` is the
    SQLite event log the session is written to; None analyses without logging.
    """

    settings: Settings = field(default_factory=Settings)
    profile: CameraProfile = field(default_factory=CameraProfile.load)
    checkpoint: str | None = None
    detector: str | None = None
    backend: str = "auto"
    allow_offline: bool = False
    segments: int | None = None
    telemetry: tuple[str, ...] = ()
    telemetry_map: str | None = None
    telemetry_offset_s: float | None = None
    image_fps: float = IMAGE_FPS
    db_path: str | None = None
    rules: RuleSet | None = None  # None: the settings' rule_set, resolved in __post_init__

    def __post_init__(self) -> None:
        if self.rules is None:
            object.__setattr__(self, "rules", load_rule_set(self.settings.rule_set))

    def open_source(self, spec: str | int | Path, display_max_side: int | None = None) -> FrameSource:
        """The frame source for a file, folder, URL or camera index (InputError if it cannot open);
        with `display_max_side`, each frame also carries a display copy at most that many px (a
        window showing the drive)."""
        return open_source(spec, analysis_fps=self.settings.analysis_fps, image_fps=self.image_fps,
                           display_max_side=display_max_side)

    def load_classifier(self):
        """`(ClassifierStage or None, DetectorStage or None, note)`; the note says which ran on which
        view, or why not. InputError on a checkpoint that cannot be used."""
        with model_errors_as_input_errors():
            return load_classifier(self.checkpoint, self.backend, self.allow_offline, self.profile,
                                   self.detector, self.segments)

    def classifier_stage(self, smooth_frames: int | None = None):
        """The classifier stage of the recipe's own checkpoint, whatever the profile's view
        (`classify`); InputError on a checkpoint that cannot be used."""
        with model_errors_as_input_errors():
            return classifier_stage(self.checkpoint, self.backend, self.allow_offline, self.segments,
                                    smooth_frames)

    def load_telemetry(self, source: FrameSource):
        """The telemetry track aligned to `source`, or None without logs (InputError on a bad log)."""
        return load_telemetry(
            self.telemetry, source, self.settings, self.telemetry_map, self.telemetry_offset_s
        )

    def build(self, source: FrameSource) -> Analysis:
        """Load the classifier and telemetry, open the event log and assemble the pipeline.

        Raises InputError on a bad checkpoint or log; nothing is left open then.
        """
        classifier, detector, note = self.load_classifier()
        track = self.load_telemetry(source)
        store = None
        if self.db_path is not None:
            from dms.store import Store

            store = Store(self.db_path)
        try:
            pipeline, session_id = build_pipeline(
                self.settings, self.profile,
                source=source, classifier=classifier, telemetry=track, store=store, classifier_note=note,
                detector=detector, rules=self.rules,
            )
        except BaseException:
            if store is not None:
                store.close()
            raise
        return Analysis(pipeline, session_id, classifier, detector, track, store, note)
