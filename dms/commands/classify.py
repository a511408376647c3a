"""`classify VIDEO --checkpoint C`: the online TSM's per-frame probabilities for a recording."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from tqdm import tqdm

from dms.classifier.choice import BACKENDS
from dms.core.config import Settings
from dms.core.words import behaviour_words
from dms.pipeline.recipe import AnalysisRecipe


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("classify", help="per-frame classifier probabilities for a video")
    parser.add_argument("video", help="video file or a folder of images")
    parser.add_argument("--checkpoint", required=True,
                        help="classifier checkpoint (.pth, PaddleVideo .pdparams or .onnx), e.g. "
                             "data/models/tsm_statefarm_side.pth")
    parser.add_argument("--backend", choices=BACKENDS, default="auto",
                        help="classifier runtime (auto: onnxruntime where installed)")
    parser.add_argument(
        "--analysis-fps",
        type=float,
        default=Settings().analysis_fps,
        help="frames analysed per second (default %(default)s; 0 = all)",
    )
    parser.add_argument("--smooth", type=int, default=3, help="frames of probability smoothing (default 3)")
    parser.add_argument(
        "--allow-offline",
        action="store_true",
        help="run bi-directional (offline) weights online anyway (accuracy unknown)",
    )
    parser.add_argument("--segments", type=int, metavar="N",
                        help="the checkpoint's segment count when it does not state it (else guessed: 8)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from models.checkpoints import guess_note

    recipe = AnalysisRecipe(
        settings=replace(Settings(), analysis_fps=args.analysis_fps), checkpoint=args.checkpoint,
        backend=args.backend, allow_offline=args.allow_offline, segments=args.segments,
    )
    stage = recipe.classifier_stage(smooth_frames=args.smooth)
    if guess_note(stage.meta):
        print(f"warning: {args.checkpoint}: {guess_note(stage.meta)}", file=sys.stderr)
    if stage.meta.view:
        print(f"note: {args.checkpoint}: trained for the {stage.meta.view} camera view only; on another view "
              "its output means nothing (replay and the GUI do not run it there)", file=sys.stderr)
    rows = []
    with recipe.open_source(args.video) as source:
        for frame in tqdm(source, desc="classify", unit="frame", disable=args.no_progress, file=sys.stderr):
            probs = stage(frame)
            top, p = probs.top()
            rows.append(
                {
                    "index": frame.index,
                    "t": round(frame.t, 3),
                    "top": top,
                    "top_prob": round(p, 4),
                    "probs": {c: round(float(v), 4) for c, v in zip(probs.classes, probs.probs, strict=True)},
                    "behaviours": {b: round(v, 4) for b, v in probs.behaviours.items()},
                }
            )
    if args.json:
        print(json.dumps({"video": str(args.video), "classifier": stage.describe(), "frames": rows}))
        return 0
    for row in rows:
        print(_table_row(row, stage.behaviour_of))
    return 0


def _table_row(row: dict, behaviour_of: dict[str, str | None]) -> str:
    """One frame as a table line a person reads: the top class with the behaviour it stands for,
    and each behaviour's probability, in words ("c1 (phone use) 0.91  phone use 0.93, ...")."""
    mapped = behaviour_of.get(row["top"])
    top = f"{row['top']} ({behaviour_words(mapped) if mapped else 'no monitored behaviour'})"
    behaviours = ", ".join(f"{behaviour_words(b)} {v:.2f}" for b, v in sorted(row["behaviours"].items()))
    return f"{row['t']:8.2f}s  {top:<36} {row['top_prob']:.2f}  {behaviours}"
