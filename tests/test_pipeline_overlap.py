"""Two frames overlapped (`Pipeline.run`): frame N+1's landmarks run while frame N's models finish,
and every frame's result is the one `step` gives, in order."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from conftest import SHARED

from dms.core.config import Settings
from dms.core.profile import CameraProfile
from dms.core.types import Cue, Cues, Frame
from dms.events.tracker import EventTracker
from dms.fusion.scores import Fusion
from dms.pipeline.loop import Pipeline
from dms.pipeline.recipe import AnalysisRecipe

BASE = SHARED / "faults" / "base_day4.mp4"
SIDE = CameraProfile.load("data/profile_side.json")


class Log:
    def __init__(self):
        self.calls: list[str] = []

    def on_frame(self, result) -> None:
        self.calls.append(f"result {result.frame.index}")

    def on_finish(self, summary) -> None:
        self.calls.append("finish")


def scripted(log: Log) -> Pipeline:
    def landmarks(frame):
        log.calls.append(f"landmarks {frame.index}")
        return Cues(hand_at_ear=Cue(0.0))

    settings = Settings()
    return Pipeline(landmarks=landmarks, fusion=Fusion(settings, SIDE), tracker=EventTracker(settings),
                    detector=lambda frame: None, observers=[log])


def frames(n: int):
    return [Frame(i, i / 10, np.zeros((60, 80, 3), np.uint8)) for i in range(n)]


def test_run_perceives_the_next_frame_before_it_concludes_this_one():
    log = Log()
    scripted(log).run(frames(3))
    assert log.calls == ["landmarks 0", "landmarks 1", "result 0", "landmarks 2", "result 1", "result 2",
                         "finish"]


def test_without_overlap_each_result_comes_before_the_next_frame():
    log = Log()
    scripted(log).run(frames(3), overlap=False)
    assert log.calls == ["landmarks 0", "result 0", "landmarks 1", "result 1", "landmarks 2", "result 2",
                         "finish"]


def _analysed(overlap: bool):
    recipe = AnalysisRecipe(profile=SIDE)  # the shipped TSM and detector both run on the side view
    results = []
    with recipe.open_source(BASE) as source, recipe.build(source) as analysis:
        assert analysis.classifier is not None and analysis.detector is not None
        summary = analysis.pipeline.run(source, progress=results.append, overlap=overlap)
    return results, summary


def _without_ids(updates):
    """Updates as compared: an event's id is drawn afresh in each run."""
    return [replace(u, event=replace(u.event, id="")) for u in updates]


def test_a_real_drive_gives_the_same_results_overlapped_or_one_frame_at_a_time():
    overlapped, summary = _analysed(True)
    stepped, reference = _analysed(False)
    assert len(overlapped) == len(stepped) == 40
    for a, b in zip(overlapped, stepped, strict=True):
        assert a.frame.t == b.frame.t
        np.testing.assert_array_equal(a.probs.probs, b.probs.probs)
        assert a.objects == b.objects and a.ties == b.ties
        assert a.scores == b.scores and _without_ids(a.updates) == _without_ids(b.updates)
    assert [(e.behaviour, e.start_s, e.end_s) for e in summary.events] == \
        [(e.behaviour, e.start_s, e.end_s) for e in reference.events]
    assert any(r.objects is not None for r in overlapped)  # the detector did run (5 Hz)
