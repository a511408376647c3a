"""`eval --format folders ROOT`: an ImageFolder tree of shared pictures through the whole analysis,
per-behaviour precision/recall and how often each region was found; bad trees give one error line."""

from __future__ import annotations

import json

import pytest
from conftest import SHARED

import main
from dms.core.types import BEHAVIOURS
from dms.scoring.pipeline_eval import behaviour_scores, folder_items

STATEFARM = SHARED / "images" / "statefarm"
PHONES = SHARED / "phone_images"
SMOKING = SHARED / "smoking_images" / "valid" / "images"


def calls(n: int) -> list:
    """The first `n` many-angle in-car photos whose boxes include a phone at the ear (class 0)."""
    found = []
    for label in sorted((PHONES / "labels").glob("*.txt")):
        if any(line.split()[:1] == ["0"] for line in label.read_text().splitlines()):
            found.append(PHONES / "images" / f"{label.stem}.jpg")
        if len(found) == n:
            return found
    return found


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """phone/ (2 calls), smoking/ (1), drinking/ (State Farm c6, 2), none/ (c0, 2): links to the shared
    pictures, in a temporary folder."""
    root = tmp_path_factory.mktemp("folders")
    picked = {"phone": calls(2), "smoking": sorted(SMOKING.glob("mendeley*"))[:1],
              "drinking": sorted((STATEFARM / "c6").glob("*.jpg")),
              "none": sorted((STATEFARM / "c0").glob("*.jpg"))}
    for behaviour, files in picked.items():
        (root / behaviour).mkdir()
        for f in files:
            (root / behaviour / f.name).symlink_to(f)
    return root


@pytest.fixture(scope="module")
def side_eval(tree, tmp_path_factory):
    out = tmp_path_factory.mktemp("eval")
    code = main.main(["eval", "--format", "folders", str(tree), "--profile", "data/profile_side.json",
                      "--out", str(out), "--no-progress"])
    assert code == 0
    return json.loads((out / "pipeline.json").read_text())


def test_every_picture_runs_through_the_analysis_and_the_figures_add_up(side_eval, tree):
    assert side_eval["items"] == 7 and side_eval["profile_view"] == "side"
    assert "whole-frame classifier: shipped model (side camera view)" in side_eval["models"]
    items = side_eval["per_item"]
    assert {i["truth"] for i in items} == {"phone", "smoking", "drinking", "none"}
    assert all(i["classifier_top"] is not None for i in items)  # the TSM ran on every picture
    by = {s["behaviour"]: s for s in side_eval["behaviours"]}
    for behaviour, score in by.items():
        labelled = [i for i in items if i["truth"] == behaviour]
        decided = [i for i in items
                   if (behaviour in i["decided"] if behaviour != "none" else not i["decided"])]
        assert score["support"] == len(labelled) and score["decided"] == len(decided)
        hits = [i for i in decided if i["truth"] == behaviour]
        if decided:
            assert score["precision"] == pytest.approx(len(hits) / len(decided))
    # State Farm's drinking stills, on the view the classifier was trained for
    assert by["drinking"]["recall"] == 1.0
    # the found-rates are shares of each label's pictures
    assert set(side_eval["found"]) == {"phone", "smoking", "drinking", "none"}
    assert all(0.0 <= share <= 1.0 for found in side_eval["found"].values() for share in found.values())
    assert side_eval["found"]["none"]["body"] == 1.0  # the State Farm driver's shoulders


def test_what_no_model_can_see_is_counted_as_not_monitored(side_eval):
    """Smoking needs the detector's cigarette; without a detector it is not monitored, never a "no"."""
    by = {s["behaviour"]: s for s in side_eval["behaviours"]}
    if "object detector not run" in side_eval["models"] or "object detector off" in side_eval["models"]:
        assert by["smoking"]["not_monitored"] == by["smoking"]["support"] == 1
        assert all("smoking" in i["not_monitored"] for i in side_eval["per_item"])
    else:
        assert by["smoking"]["not_monitored"] == 0


def test_folder_items_read_the_imagefolder_layout(tree):
    items = folder_items(tree)
    assert len(items) == 7 and {i.truth for i in items} <= {*BEHAVIOURS, "none"}
    assert all(len(i.frames()) == 1 and i.frames()[0].ndim == 3 for i in items[:2])
    assert behaviour_scores([]) == []


@pytest.mark.parametrize("make, problem", [
    (lambda root: (root / "texting").mkdir(), "not a behaviour folder"),
    (lambda root: (root / "phone").mkdir(), "no pictures in its behaviour folders"),
    (lambda root: ((root / "phone").mkdir(), (root / "phone" / "a.jpg").write_text("no picture")),
     "cannot read the picture"),
])
def test_a_bad_tree_gives_one_error_line_and_exit_2(tmp_path, capsys, make, problem):
    root = tmp_path / "root"
    root.mkdir()
    make(root)
    code = main.main(["eval", "--format", "folders", str(root), "--out", str(tmp_path / "out"),
                      "--no-progress", "--detector", "none", "--checkpoint", "none"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1].startswith("error: ") and problem in err[-1]
    assert not (tmp_path / "out" / "pipeline.json").exists()


def test_folders_needs_its_root(tmp_path, capsys):
    assert main.main(["eval", "--format", "folders", "--out", str(tmp_path)]) == 2
    assert "give the folder tree" in capsys.readouterr().err


def test_the_tables_name_behaviours_in_words():
    """What eval prints names behaviours as a reviewer says them, never the code's ids."""
    from dms.scoring.pipeline_eval import BehaviourScore, format_found, format_scores

    table = format_scores([BehaviourScore("looking_back", 0.0, None, 0, 5, 0),
                           BehaviourScore("drinking", 1.0, 0.5, 2, 1, 0)])
    assert "looking back " in table and "drinking or eating " in table
    assert "looking_back" not in table
    found = format_found({"hands_off_wheel": {"face": 0.5}})
    assert "  hands off the wheel: " in found and "hands_off_wheel" not in found
