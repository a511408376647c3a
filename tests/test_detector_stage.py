"""The object detector as a pipeline stage: its boxes reach fusion tied to the driver, the timeline
records the ties, the choice says which model ran on which view, and a bad file is one error line."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import VIDEO

import main
from dms.classifier.choice import OFF, choose_detector, choose_models
from dms.classifier.detector_stage import DetectorStage
from dms.core.config import Settings
from dms.core.profile import CameraProfile
from dms.core.types import Cue, Cues, Frame, Landmarks, ObjectBox, Objects
from dms.events.tracker import EventTracker
from dms.fusion.scores import Fusion
from dms.perception.object_ties import tie_objects
from dms.pipeline.loop import Pipeline
from dms.store.records import timeline_row
from models.detect.checkpoint import DetectorMeta, save_detector
from models.detect.net import build_detector

FRONTAL = CameraProfile.load()


@pytest.fixture(scope="module")
def untrained(tmp_path_factory):
    """A detector checkpoint of the shipped architecture with its initial weights (no training): the
    stage's plumbing, not its accuracy, is under test here."""
    path = tmp_path_factory.mktemp("det") / "untrained.pth"
    save_detector(path, build_detector(2, 320), DetectorMeta(classes=["phone", "cigarette"], threshold=0.01))
    return path


def test_the_stage_turns_detections_into_normalised_boxes(untrained):
    stage = DetectorStage(untrained)
    frame = Frame(0, 0.0, np.random.default_rng(0).integers(0, 255, (240, 320, 3), dtype=np.uint8))
    objects = stage(frame)
    assert objects.kinds == ("phone", "cigarette") and objects.boxes  # threshold 0.01: the weak boxes kept
    for box in objects.boxes:
        x0, y0, x1, y1 = box.box
        assert box.kind in objects.kinds and 0.0 <= box.score <= 1.0
        assert 0.0 <= x0 <= x1 <= 1.0 and 0.0 <= y0 <= y1 <= 1.0  # an untrained box may be clipped flat
    assert stage.describe()["checkpoint"] == str(untrained) and stage.describe()["threshold"] == 0.01


def test_it_detects_at_five_hertz_and_at_once_after_a_restart(untrained):
    stage = DetectorStage(untrained)
    picture = np.zeros((120, 160, 3), np.uint8)
    said = [stage(Frame(i, t, picture)) for i, t in enumerate((0.0, 0.1, 0.2, 0.3))]
    assert [s is not None for s in said] == [True, False, True, False]
    stage.reset()  # a cut
    assert stage(Frame(4, 0.35, picture)) is not None


def test_the_pipeline_ties_the_boxes_to_the_driver_and_the_timeline_keeps_them():
    pose = np.zeros((33, 4))
    pose[:, 3] = 0.9
    pose[0, :2], pose[7, :2], pose[8, :2] = (0.5, 0.3), (0.44, 0.3), (0.56, 0.3)
    pose[9, :2], pose[10, :2], pose[11, :2], pose[12, :2] = (0.48, 0.36), (0.52, 0.36), (0.4, 0.5), (0.6, 0.5)
    pose[[16, 18, 20, 22], :2] = (0.56, 0.3)  # the right hand at the right ear
    cues = Cues(hand_at_ear=Cue(1.0), landmarks=Landmarks(pose=pose))
    call = Objects((ObjectBox("phone", 0.9, (0.52, 0.24, 0.62, 0.36)),))
    settings = Settings()
    pipeline = Pipeline(landmarks=lambda frame: cues, fusion=Fusion(settings, FRONTAL),
                        tracker=EventTracker(settings), detector=lambda frame: call, tie=tie_objects)
    result = pipeline.step(Frame(0, 0.0, np.zeros((200, 200, 3), np.uint8)))
    assert result.objects == call and result.ties.phone_at_ear == 0.9
    assert result.scores.sources["phone"] == ("phone_at_ear", "hand_at_ear")
    row = timeline_row(result)
    assert row["phone_at_ear"] == 0.9 and row["cigarette_at_mouth"] == 0.0


def test_the_choice_names_the_detector_and_the_view(untrained):
    assert choose_detector(OFF, FRONTAL)[0] is None and "--detector none" in choose_detector(OFF, FRONTAL)[1]
    path, note = choose_detector(untrained, FRONTAL)
    assert path == untrained and note == "object detector: untrained.pth (frontal view)"
    both = choose_models(None, untrained, FRONTAL)
    assert both.classifier.checkpoint is None
    assert both.note.startswith("object detector: untrained.pth (frontal view); whole-frame classifier "
                                "not run")


def test_a_bad_detector_file_is_one_error_line(tmp_path, capsys):
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint")
    code = main.main(["replay", str(VIDEO / "ir_night_drowsy.mp4"), "--detector", str(bad), "--out",
                      str(tmp_path / "out"), "--db", str(tmp_path / "db.sqlite"), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1].startswith("error: ") and "bad.pth" in err[-1]
    assert not (tmp_path / "out").exists()
