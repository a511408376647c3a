"""`python main.py eval`: labelled pictures or clips through the whole analysis, and the classifier alone.

Every format runs what `replay` runs (dms.scoring.pipeline_eval: landmarks, the classifier where the camera
profile's view lets it run, the object detector, their ties, fusion) and prints per-behaviour
precision/recall and how often each region and detection was found (`pipeline.json`). The list
formats (State Farm, rawframes, DMD, ...) also score the classifier checkpoint alone, class by class
(models.commands.evaluation_run: top-1, per-class precision/recall/F1, confusion PNGs,
`metrics.json`, optional Grad-CAM heat maps). `--format folders ROOT` reads a torchvision
ImageFolder tree: ROOT/phone/, ROOT/smoking/, ROOT/drinking/, ROOT/none/, ...
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
from tqdm import tqdm

from dms.classifier.choice import OFF
from dms.commands.common import add_classifier_arguments, add_rules_argument, recipe_from_args
from dms.core.errors import InputError
from dms.core.profile import DEFAULT_PROFILE_PATH
from dms.scoring.pipeline_eval import (
    NONE,
    LabelledItem,
    PipelineEval,
    behaviour_scores,
    folder_items,
    format_found,
    format_scores,
    found_shares,
)
from models.datasets.loading import FORMATS
from models.shipped import LABEL_MAP, SHIPPED_CHECKPOINT

FOLDERS = "folders"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "eval", help="evaluate the analysis (and a classifier checkpoint) on labelled pictures or clips",
        description="Run labelled pictures or clips through the whole analysis (as replay does) and print "
                    "per-behaviour precision/recall and how often each region and detection was found; for "
                    "the list formats also the classifier's top-1 and per-class scores (confusion.png, "
                    "metrics.json, optional Grad-CAM heat maps).")
    p.add_argument("folder", nargs="?", type=Path, metavar="ROOT",
                   help="--format folders: one folder per behaviour (phone/, smoking/, drinking/, none/ ...)")
    p.add_argument("--format", choices=(*FORMATS, FOLDERS), required=True, help="annotation format")
    p.add_argument("--list", nargs="+", type=Path, help="list/annotation file(s) (the other formats)")
    add_classifier_arguments(p)
    p.add_argument("--settings", help="settings JSON (thresholds; every key: --help-settings)")
    add_rules_argument(p)
    p.add_argument("--drivers", metavar="LIST|validation",
                   help="evaluate only these drivers (comma-separated), or 'validation': those the "
                        "checkpoint records it was validated on (never trained on)")
    p.add_argument("--segments", type=int, metavar="N",
                   help="the checkpoint's segment count when it does not state it (else guessed: 8)")
    p.add_argument("--root", type=Path, help="media folder of --list (default: the list's)")
    p.add_argument("--dataset", help="label-map entry naming the classes (default: from --format)")
    p.add_argument("--labels", type=Path, default=LABEL_MAP, help="label map (data/labels.json)")
    p.add_argument("--dmd-stream", default="body_camera")
    p.add_argument("--suffix",
                    help="PaddleVideo's `suffix` for --format paddle-frames (the frame file pattern, "
                         "default img_{:05}.jpg) or paddle-video (appended to each file name)")
    p.add_argument("--sampling", default="auto", choices=("auto", "segment", "dense"),
                   help="auto: dense for online checkpoints (as trained), TSN segments otherwise")
    p.add_argument("--dense-stride", type=int, help="default: the stride recorded at training")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", type=Path, required=True, help="folder for pipeline.json (and metrics.json)")
    p.add_argument("--heatmaps", type=int, nargs="*", metavar="CLIP",
                   help="Grad-CAM heat maps of these clip numbers (0-based; none given: the first 4)")
    p.add_argument("--heatmap-format", choices=("png", "gif"), default="png")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from models.commands.evaluation_run import run_evaluation

    if args.format != FOLDERS and args.profile is None:
        args.profile = profile_of_checkpoint_view(args.checkpoint)
    recipe = recipe_from_args(args)
    if args.format == FOLDERS:
        if args.folder is None:
            raise InputError("--format folders", "give the folder tree: eval --format folders ROOT --out DIR")
        items = folder_items(args.folder)
    else:
        if not args.list:
            raise InputError(f"--format {args.format}", "give the list/annotation file(s) with --list")
        given = args.checkpoint not in (None, OFF)
        args.checkpoint = Path(args.checkpoint) if given else SHIPPED_CHECKPOINT
        print(run_evaluation(args))
        items = clip_items(args)
    evaluation = PipelineEval(recipe)
    with tqdm(total=len(items), unit="item", desc="analysing", disable=args.no_progress,
              file=sys.stderr) as bar:
        results = evaluation.run(items, progress=lambda done: bar.update(1))
    note = evaluation.note
    print(f"whole analysis ({recipe.profile.view} camera profile; {note}):")
    scores, shares = behaviour_scores(results), found_shares(results, evaluation.detector_ran)
    print(format_scores(scores))
    print(format_found(shares))
    args.out.mkdir(parents=True, exist_ok=True)
    report = {"profile_view": recipe.profile.view, "models": note, "items": len(results),
              "behaviours": [vars(s) for s in scores], "found": shares,
              "per_item": [{"item": r.name, "truth": r.truth, "group": r.group, "decided": sorted(r.decided),
                            "not_monitored": sorted(r.not_monitored), "found": sorted(r.found),
                            "classifier_top": r.top_class} for r in results]}
    (args.out / "pipeline.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(f"wrote {args.out / 'pipeline.json'}")
    return 0


def profile_of_checkpoint_view(checkpoint: str | None) -> str | None:
    """The shipped camera profile of the view the checkpoint (None: the shipped model) records, so
    a list format's whole analysis runs the checkpoint it scores; None (the default profile) when
    it records no view, is off, or no shipped profile has that view. Says which on stderr."""
    from dms.classifier.choice import checkpoint_view

    if checkpoint is not None and str(checkpoint).strip().lower() == OFF:
        return None
    view = checkpoint_view(Path(checkpoint) if checkpoint else SHIPPED_CHECKPOINT)
    profile = DEFAULT_PROFILE_PATH.with_name(f"profile_{view}.json")
    if view is None or not profile.is_file():
        return None
    print(f"camera profile: {profile.name} (the checkpoint's {view} view; --profile to choose another)",
          file=sys.stderr)
    return str(profile)


def clip_items(args: argparse.Namespace) -> list[LabelledItem]:
    """The clips of a list format as pipeline items, each labelled with its class's behaviour."""
    from models.checkpoints import read_meta
    from models.commands.evaluation_run import select_drivers
    from models.commands.training_setup import dataset_classes
    from models.datasets.frames import clip_length, load_frames
    from models.datasets.loading import read_clips

    _, classes = dataset_classes(args)
    clips = select_drivers(read_clips(args.format, args.list, args.root, classes, args.dmd_stream,
                                      getattr(args, "suffix", None)),
                           args.drivers, read_meta(args.checkpoint), args.checkpoint, args.list[0])
    behaviour = classes.class_to_behaviour()

    def frames(clip):
        return lambda: [cv2.cvtColor(f, cv2.COLOR_RGB2BGR)
                        for f in load_frames(clip, range(clip_length(clip)))]

    return [LabelledItem(str(c.source), behaviour.get(classes.classes[c.label]) or NONE, c.group, frames(c))
            for c in clips]
