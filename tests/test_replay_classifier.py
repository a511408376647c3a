"""Replay with a classifier checkpoint: the stage runs per analysed frame and feeds fusion.

The checkpoint is the classifier tests' untrained causal TSM: this checks the plumbing (loading,
preprocessing, per-frame probabilities into the timeline and the fused scores), not accuracy.
"""

import json

import pandas as pd
from conftest import CLASSES, MAPPING, VIDEO, make_checkpoint

import main


def test_replay_with_a_checkpoint_logs_the_classifier_and_fuses_its_output(tmp_path):
    checkpoint = make_checkpoint(tmp_path / "tsm.pth")
    out = tmp_path / "out"
    code = main.main(["replay", str(VIDEO / "ir_night_drowsy.mp4"), "--checkpoint", str(checkpoint),
                      "--out", str(out), "--db", str(tmp_path / "db.sqlite"), "--no-progress",
                      "--analysis-fps", "5"])
    assert code == 0
    session = json.loads((out / "events.json").read_text())["session"]
    assert session["classifier"]["checkpoint"].endswith("tsm.pth")
    assert list(session["classifier"]["classes"]) == list(CLASSES)
    timeline = pd.read_csv(out / "timeline.csv")
    assert timeline["clf_top"].isin(CLASSES).all() and timeline["clf_prob"].between(0, 1).all()
    mapped = {b for b in MAPPING.values() if b}
    scored = [b for b in mapped if timeline[f"score_{b}"].max() > 0]
    assert scored, "the classifier's behaviour probabilities reach the fused scores"
