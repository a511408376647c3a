"""`python main.py eval`: top-1, per-class precision/recall/F1, a confusion-matrix PNG, Grad-CAM heat maps."""

from __future__ import annotations

import argparse
from pathlib import Path

from models.datasets.loading import FORMATS
from models.shipped import LABEL_MAP, SHIPPED_CHECKPOINT


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("eval", help="evaluate a classifier checkpoint on labelled clips",
                              description="Print top-1 and per-class precision/recall/F1; write "
                                          "confusion.png, metrics.json and optional Grad-CAM heat maps.")
    p.add_argument("--checkpoint", type=Path, default=SHIPPED_CHECKPOINT,
                   help="checkpoint to evaluate (default: the shipped model, data/models/)")
    p.add_argument("--drivers", metavar="LIST|validation",
                   help="evaluate only these drivers (comma-separated), or 'validation': those the "
                        "checkpoint records it was validated on (never trained on)")
    p.add_argument("--segments", type=int, metavar="N",
                   help="the checkpoint's segment count when it does not state it (else guessed: 8)")
    p.add_argument("--format", choices=FORMATS, required=True, help="annotation format of --list")
    p.add_argument("--list", nargs="+", type=Path, required=True, help="list/annotation file(s) to evaluate")
    p.add_argument("--root", type=Path, help="media folder (default: the list's)")
    p.add_argument("--dataset", help="label-map entry naming the classes (default: from --format)")
    p.add_argument("--labels", type=Path, default=LABEL_MAP, help="label map (data/labels.json)")
    p.add_argument("--dmd-stream", default="body_camera")
    p.add_argument("--sampling", default="auto", choices=("auto", "segment", "dense"),
                   help="auto: dense for online checkpoints (as trained), TSN segments otherwise")
    p.add_argument("--dense-stride", type=int, help="default: the stride recorded at training")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", type=Path, required=True, help="folder for confusion.png and metrics.json")
    p.add_argument("--heatmaps", type=int, nargs="*", metavar="CLIP",
                   help="Grad-CAM heat maps of these clip numbers (0-based; none given: the first 4)")
    p.add_argument("--heatmap-format", choices=("png", "gif"), default="png")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from models.commands.evaluation_run import run_evaluation

    report = run_evaluation(args)
    print(report)
    return 0
