"""Assembles a Pipeline from the user's choices; shared by replay, the GUI, batch and bench."""

from __future__ import annotations

import sys
from dataclasses import asdict, replace
from pathlib import Path

from dms.core.config import Settings, analysis_period_s, analysis_rate
from dms.core.profile import CameraProfile
from dms.events.camera_health import CameraHealth
from dms.events.tracker import EventTracker
from dms.fusion.scores import Fusion
from dms.pipeline.loop import Pipeline
from dms.recorder.event_media import EventMediaRecorder
from dms.rules import RuleSet, load_rule_set
from dms.sources.readers import FrameSource, VideoFileSource


def classifier_stage(checkpoint: str | Path, backend: str = "auto", allow_offline: bool = False,
                     segments: int | None = None, smooth_frames: int | None = None):
    """The one constructor of the classifier stage: `checkpoint` (.pth or .onnx) on `backend`
    ("auto": onnxruntime where installed), `segments` for a checkpoint that does not state its
    segment count, `smooth_frames` of probability smoothing (None: the stage's default).
    InputError or ModelInputError on a checkpoint that cannot be used."""
    from dms.classifier.choice import resolve_backend
    from dms.classifier.stage import ClassifierStage

    options = {} if smooth_frames is None else {"smooth_frames": smooth_frames}
    return ClassifierStage(checkpoint, backend=resolve_backend(backend), allow_offline=allow_offline,
                           n_segment=segments, **options)


def load_classifier(checkpoint: str | Path | None, backend: str = "auto", allow_offline: bool = False,
                    profile: CameraProfile | None = None, detector: str | Path | None = None,
                    segments: int | None = None):
    """`(ClassifierStage or None, DetectorStage or None, note)`: the stages
    `dms.classifier.choice.choose_models` picks for `checkpoint` (None = the shipped TSM where the
    profile's view matches it, "none" = off) and `detector` (None = the shipped detector, on every
    view; "none" = off), and the one line that says which ran on which view."""
    from dms.classifier.choice import choose_models

    choice = choose_models(checkpoint, detector, profile or CameraProfile.load())
    stage = found = None
    if choice.classifier.checkpoint is not None:
        stage = classifier_stage(choice.classifier.checkpoint, backend, allow_offline, segments)
    if choice.detector is not None:
        from dms.classifier.detector_stage import DetectorStage

        found = DetectorStage(choice.detector)
    return stage, found, choice.note


def load_telemetry(
    paths, source: FrameSource, settings: Settings, mapping_path=None, offset_s: float | None = None
):
    """The telemetry track of one or more logs, aligned to `source`; None without logs."""
    if not paths:
        return None
    from dms.telemetry import load_track

    return load_track(
        paths,
        mapping_path=mapping_path,
        offset_s=offset_s,
        video_start=source.creation_time,
        video_duration_s=source.duration_s,
        harsh_brake_ms2=settings.harsh_brake_ms2,
        harsh_accel_ms2=settings.harsh_accel_ms2,
    )


def session_info(
    source: FrameSource | None, settings: Settings, profile: CameraProfile, classifier, telemetry,
    rules: RuleSet, classifier_note: str | None = None, detector=None,
) -> dict:
    """What the store and the report say about how a session was analysed; `classifier_note` says
    which classifier runs, or why none does (see dms.classifier.choice)."""
    return {
        "source": source.describe() if source is not None else None,
        "classifier": classifier.describe() if classifier is not None else None,
        "detector": detector.describe() if detector is not None else None,
        "classifier_note": classifier_note,
        "telemetry": telemetry.describe() if telemetry is not None else None,
        "settings": asdict(settings),
        "profile": profile.to_dict(),
        "rules": {**rules.describe(), "speed_unchecked": speed_unchecked(rules, telemetry)},
    }


def speed_unchecked(rules: RuleSet, telemetry) -> str | None:
    """What a rule set cannot check without a speed log, in words (None when nothing)."""
    return None if telemetry is not None else rules.without_speed()


def judged_profile(rules: RuleSet, profile: CameraProfile) -> CameraProfile:
    """The camera profile with the rule set's distraction zone (e.g. ADDW's +/-55 degrees)."""
    if rules.zone_yaw_deg is None:
        return profile
    return replace(profile, road_yaw_deg=(-rules.zone_yaw_deg, rules.zone_yaw_deg))


def max_frame_gap_s(settings: Settings, source: FrameSource | None) -> float:
    """Frames further apart than this leave the time between unknown (Pipeline.max_frame_gap_s):
    the unknown-hold, or 1.5 analysis periods when frames come rarer; a live source 2 s (a stall,
    not a slow analysis that drops frames)."""
    period = analysis_period_s(settings.analysis_fps)
    floor = 2.0 if source is not None and source.is_live else 1.5 * period
    return max(settings.unknown_hold_s, floor)


def build_pipeline(
    settings: Settings,
    profile: CameraProfile,
    *,
    source: FrameSource | None = None,
    classifier=None,
    telemetry=None,
    store=None,
    classifier_note: str | None = None,
    detector=None,
    rules: RuleSet | None = None,
) -> tuple[Pipeline, str | None]:
    """A ready pipeline, and the id of the store session it writes (None without a store).

    `rules` is the rule set in force (the recipe's, resolved once; None: the settings' rule_set).
    `classifier` is a ClassifierStage and `detector` a DetectorStage (see load_classifier) or None
    each; `telemetry` a loaded
    TelemetryTrack or None. With a store, one SessionWriter logs every frame and event as it
    happens, and each event gets a thumbnail and a clip in the store's media folder.
    """
    from dms.perception.cues import LandmarkCues
    from dms.perception.cuts import CutDetector
    from dms.perception.object_ties import tie_objects

    rules = rules or load_rule_set(settings.rule_set)
    unchecked = speed_unchecked(rules, telemetry)
    if unchecked:
        print(f"warning: {unchecked}", file=sys.stderr)
    profile = judged_profile(rules, profile)
    tracker = EventTracker(settings, rules, has_telemetry=telemetry is not None)
    pipeline = Pipeline(
        landmarks=LandmarkCues(profile, settings, telemetry=telemetry),
        fusion=Fusion(settings, profile),
        tracker=tracker,
        classifier=classifier,
        detector=detector,
        tie=tie_objects,
        telemetry=telemetry,
        max_frame_gap_s=max_frame_gap_s(settings, source),
        health=CameraHealth(settings, view=profile.view),
        cuts=CutDetector(),
    )
    session_id = None
    if store is not None:
        from dms.store import SessionWriter
        from dms.store.content import BackgroundHash

        name = source.name if source is not None else ""
        info = session_info(source, settings, profile, classifier, telemetry, rules, classifier_note,
                            detector)
        session_id = store.create_session(name, info)
        fps = analysis_rate(settings.analysis_fps, source.fps if source else Settings.analysis_fps)
        media_recorder = EventMediaRecorder(
            store.media_dir(session_id),
            pre_roll_s=settings.pre_roll_s,
            post_roll_s=settings.post_roll_s,
            fps=fps,
            blur=settings.blur_faces,
            lookback_s=tracker.lookback_s,
        )
        recording = BackgroundHash(source.path) if isinstance(source, VideoFileSource) else None
        pipeline.observers.append(SessionWriter(store, session_id, media_recorder, recording=recording))
    return pipeline, session_id
