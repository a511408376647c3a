"""The one analysis recipe: every front end builds the same one from its options, it survives a
trip to another process, and `replay_drive` analyses a real drive from it."""

from __future__ import annotations

import json
import multiprocessing
import pickle

import pytest
from conftest import SHARED

import main
from dms.commands.common import recipe_from_args
from dms.core.config import Settings
from dms.core.errors import InputError
from dms.core.profile import CameraProfile
from dms.pipeline.drive import replay_drive
from dms.pipeline.recipe import AnalysisRecipe
from dms.rules import load_rule_set
from dms.store import Store
from ui.analysis_process import analysis_main

OPTIONS = ["--checkpoint", "tsm.onnx", "--backend", "onnx", "--allow-offline",
           "--rules", "eu-addw", "--profile", "data/profile_side.json", "--telemetry", "can.csv", "gnss.csv",
           "--telemetry-map", "map.json", "--telemetry-offset", "-20.5"]


def parsed(argv: list[str]):
    return main.build_parser().parse_args(argv)


def test_replay_batch_bench_and_gui_options_make_the_same_recipe():
    replay = recipe_from_args(parsed(["replay", "drive.mp4", *OPTIONS]))
    batch = recipe_from_args(parsed(["batch", "drives", *OPTIONS]))
    bench = recipe_from_args(parsed(["bench", "pipeline", "drive.mp4", *OPTIONS]))
    gui = recipe_from_args(parsed(["gui", *OPTIONS]), Settings())
    assert replay == batch == bench == gui
    assert (gui.checkpoint, gui.backend, gui.allow_offline) == ("tsm.onnx", "onnx", True)
    assert gui.profile == CameraProfile.load("data/profile_side.json")
    assert gui.telemetry == ("can.csv", "gnss.csv") and gui.telemetry_offset_s == -20.5
    assert gui.telemetry_map == "map.json" and gui.settings.rule_set == "eu-addw"


def test_replay_options_reach_the_settings():
    recipe = recipe_from_args(parsed(["replay", "d.mp4", "--analysis-fps", "4", "--blur-faces",
                                      "--image-fps", "2"]))
    assert recipe.settings.analysis_fps == 4 and recipe.settings.blur_faces and recipe.image_fps == 2
    defaults = recipe_from_args(parsed(["replay", "d.mp4"]))
    assert defaults == AnalysisRecipe()


def test_a_recipe_survives_pickling():
    args = parsed(["replay", "drive.mp4", *OPTIONS, "--analysis-fps", "5"])
    recipe = recipe_from_args(args, db_path="x.db")
    assert pickle.loads(pickle.dumps(recipe)) == recipe


def test_replay_drive_writes_the_report_it_returns(tmp_path):
    recipe = AnalysisRecipe(Settings(analysis_fps=0.0), image_fps=2.0, db_path=str(tmp_path / "db.sqlite"))
    result = replay_drive(recipe, SHARED / "images" / "statefarm", tmp_path / "sf")
    report = json.loads((tmp_path / "sf" / "events.json").read_text())
    assert result.report == tmp_path / "sf" / "report.html" and result.report.is_file()
    assert result.session_id == report["session"]["id"] and result.frames == 20
    assert result.events == len(report["events"]) and result.duration_s == pytest.approx(9.5)
    assert result.has_classifier  # the object detector runs on every view (the whole-frame TSM on side)
    assert result.stopped_early is None and not result.cancelled
    with Store(tmp_path / "db.sqlite") as store:
        assert store.session(result.session_id).status == "complete"


def test_replay_drive_on_a_missing_file_writes_no_session(tmp_path):
    recipe = AnalysisRecipe(db_path=str(tmp_path / "db.sqlite"))
    with pytest.raises(InputError, match="no such file"):
        replay_drive(recipe, tmp_path / "none.mp4", tmp_path / "out")
    assert not (tmp_path / "db.sqlite").exists()


def test_a_recipe_without_a_rule_set_takes_the_one_its_settings_name():
    assert AnalysisRecipe(Settings(rule_set="eu-addw")).rules == load_rule_set("eu-addw")
    assert AnalysisRecipe().rules == load_rule_set("euro-ncap")


def test_the_gui_analysis_process_opens_its_source_through_the_recipe():
    """The window's analysis process plays an image folder at the recipe's image rate (it once
    opened its source without the recipe, and dropped `image_fps`)."""
    context = multiprocessing.get_context("spawn")
    window_end, process_end = context.Pipe()
    inbox, outbox = context.Pipe(duplex=False)
    recipe = AnalysisRecipe(Settings(analysis_fps=0.0), checkpoint="none", detector="none", image_fps=2.0)
    folder = str(SHARED / "images" / "statefarm")
    process = context.Process(target=analysis_main, args=(folder, recipe, process_end, outbox, 100.0, True))
    process.start()
    outbox.close()
    messages = []
    try:
        while inbox.poll(120):
            kind, payload = inbox.recv()
            messages.append((kind, payload))
            if kind in ("done", "failed"):
                break
    finally:
        window_end.send(("stop", None))
        process.join(30)
    kinds = [kind for kind, _ in messages]
    assert kinds[-1] == "done", messages[-1]
    opened = next(payload for kind, payload in messages if kind == "opened")
    times = [payload.result.frame.t for kind, payload in messages if kind == "result"]
    assert opened["fps"] == 2.0 and times[:3] == [0.0, 0.5, 1.0]
