"""A cut in the footage (a picture that does not follow from the previous one) restarts every stage's
temporal state: the landmark graphs, the classifier's shift buffers (primed on the new picture) and
the fusion smoothing."""

from __future__ import annotations

import numpy as np
from conftest import VIDEO

from dms.classifier.stage import ClassifierStage
from dms.core.config import Settings
from dms.core.profile import CameraProfile
from dms.core.types import ClassProbs, Cue, Cues, Frame
from dms.events.tracker import EventTracker
from dms.fusion.scores import Fusion
from dms.perception.cuts import CutDetector
from dms.pipeline.loop import Pipeline
from dms.sources.readers import open_source
from models.shipped import SHIPPED_CHECKPOINT


class Recorded:
    """A landmark stage that reports head-down and remembers the cut flags it was given."""

    def __init__(self):
        self.cuts: list[bool | None] = []

    def __call__(self, frame: Frame, cut: bool | None = None) -> Cues:
        self.cuts.append(cut)
        return Cues(face_visible=Cue(1.0), head_yaw=Cue(0.0), head_pitch=Cue(0.0))


class PhoneThenNothing:
    """A classifier sure of a phone on bright pictures and of nothing on dark ones; counts resets."""

    classes = ("c0", "c1")

    def __init__(self):
        self.resets = 0

    def __call__(self, frame: Frame) -> ClassProbs:
        phone = 0.9 if frame.image.mean() > 100 else 0.05
        return ClassProbs(self.classes, np.array([1 - phone, phone]), {"phone": phone})

    def describe(self) -> dict:
        return {}

    def reset(self) -> None:
        self.resets += 1


def picture(level: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(level, 3, (48, 64, 3)), 0, 255).astype(np.uint8)


def test_a_cut_restarts_the_classifier_the_landmarks_and_the_smoothing():
    settings = Settings()
    landmarks, classifier = Recorded(), PhoneThenNothing()
    pipeline = Pipeline(landmarks=landmarks, fusion=Fusion(settings, CameraProfile.load()),
                        tracker=EventTracker(settings), classifier=classifier, cuts=CutDetector())
    frames = [Frame(i, i / 10, picture(180 if i < 30 else 40, i)) for i in range(60)]  # cut at 3.0 s
    results = [pipeline.step(frame) for frame in frames]
    assert landmarks.cuts == [False] * 30 + [True] + [False] * 29
    assert classifier.resets == 1
    phone = [r.scores.values["phone"] for r in results]
    assert phone[0] == 0.9  # the first frame's score is its evidence, not a ramp from zero
    assert phone[30] == 0.05  # after the cut: the new picture's evidence, not the old scene smoothed
    pipeline.run([])  # shuts the classifier thread down


def test_the_shipped_model_starts_primed_on_its_first_picture():
    """Trained on stills at the shift's steady state, the shipped model starts each restart with its
    buffers filled by the first picture: its first output is the steady state's, to within 0.02."""
    with open_source(VIDEO / "side_montage_a.mp4", analysis_fps=1) as source:
        image = [f.image for f in source][6]  # the drinking cut
    stage = ClassifierStage(SHIPPED_CHECKPOINT, backend="onnx", smooth_frames=1)
    assert stage.describe()["restart"] == "primed on the first picture"
    first = stage(Frame(0, 0.0, image)).probs
    for i in range(1, 15):
        steady = stage(Frame(i, i / 10, image)).probs
    assert np.abs(first - steady).max() < 0.02
    stage.reset()
    stage.primed_start = False  # as a model trained on clips starts: zero buffers
    cold = stage(Frame(0, 0.0, image)).probs
    assert np.abs(cold - steady).max() > 0.1
