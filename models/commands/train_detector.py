"""`python main.py train-detector`: train the phone / cigarette detector (models/detect/) on a CPU.

Reads the three folders, splits them by source and group, caches the frozen ImageNet trunk for a
few augmented views of each training picture, trains, chooses the score threshold on the
validation pictures and writes `--out/detector.pth` (with its sources, split and terms) and
`--out/log.json`. The held-out pictures are for `eval-detector`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from models.errors import ModelInputError

STATEFARM = "State Farm side view"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from models.commands.detector_data import add_data_arguments

    p = subparsers.add_parser("train-detector", help="train the phone / cigarette detector",
                              formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                              description="Train the phone / cigarette detector (MobileNetV2 + FCOS) on the "
                                          "boxed pictures; writes detector.pth and log.json into --out.")
    add_data_arguments(p)
    p.add_argument("--statefarm-train", type=int, default=150,
                   help="State Farm stills (no phone, no cigarette) trained on as negatives")
    p.add_argument("--statefarm-val", type=int, default=60,
                   help="State Farm stills of the validation drivers the threshold is chosen on")
    p.add_argument("--max-per-source", type=int,
                   help="at most N pictures of each source in every part (a quick run)")
    p.add_argument("--views", type=int, default=2, help="augmented views cached per training picture")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=2e-3, help="peak AdamW learning rate")
    p.add_argument("--input-size", type=int, default=320, help="square network input, px (multiple of 32)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (one is fastest on a busy shared CPU, where spinning threads "
                        "wait on each other)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import torch

    from models.commands.detector_data import held_out_drivers, read_split
    from models.detect import DETECTOR_CLASSES
    from models.detect.augment import DetectionAugment
    from models.detect.cache import build_trunk_views
    from models.detect.checkpoint import TERMS, DetectorMeta, save_detector
    from models.detect.evaluate import choose_threshold, detect_all
    from models.detect.inference import Detector
    from models.detect.net import build_detector
    from models.detect.split import cap
    from models.detect.train import DetectorTrainConfig, fit
    from models.pretrained import init_features_from_imagenet

    if args.out.exists() and not args.out.is_dir():
        raise ModelInputError(args.out, "exists and is not a folder")
    if args.input_size < 64 or args.input_size % 32:
        raise ModelInputError("--input-size", f"must be a multiple of 32 from 64, not {args.input_size}")
    started = time.monotonic()
    drivers = held_out_drivers()
    split = read_split(args, drivers)
    limit = args.max_per_source
    train = cap(split.train, {STATEFARM: args.statefarm_train})
    val = cap(split.val, {STATEFARM: args.statefarm_val})
    if limit:
        sources = {p.source for p in split.train + split.val}
        train, val = cap(train, dict.fromkeys(sources, limit)), cap(val, dict.fromkeys(sources, limit))
    if not train or not val:
        raise ModelInputError(args.phone_images, "no pictures left to train or validate on")
    summary = {"train": _counts(train), "val": _counts(val), "test": split.summary()["test"],
               "test_drivers": split.summary()["test_drivers"], "val_drivers": split.summary()["val_drivers"]}
    print(f"training on {len(train)} pictures, choosing the threshold on {len(val)}; held out: "
          + ", ".join(f"{n} {s}" for s, n in summary["test"].items()), file=sys.stderr, flush=True)
    torch.manual_seed(args.seed)
    torch.set_num_threads(max(1, args.threads))
    classes = list(DETECTOR_CLASSES)
    model = build_detector(len(classes), args.input_size)
    init_features_from_imagenet(model.backbone.features)
    augment = DetectionAugment(args.input_size)
    views = build_trunk_views(model, train, classes, augment, args.views, args.seed,
                              progress=not args.no_progress)
    print(f"cached {views.views} views of {len(views)} pictures ({views.nbytes() / 2**20:.0f} MiB)",
          file=sys.stderr, flush=True)
    config = DetectorTrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                                 input_size=args.input_size, seed=args.seed)
    log = fit(model, views, config)
    probe = Detector(model, DetectorMeta(classes, args.input_size, 0.5), threshold=0.05)
    threshold = choose_threshold(val, detect_all(probe, val, progress=not args.no_progress), classes)
    meta = DetectorMeta(classes, args.input_size, threshold, training={
        "sources": {"phone_images": str(args.phone_images), "smoking_images": str(args.smoking_images),
                    "statefarm": str(args.statefarm)},
        "split": summary, "recipe": {**asdict(config), "views": args.views, "augment": asdict(augment),
                                     "statefarm_train": args.statefarm_train,
                                     "statefarm_val": args.statefarm_val, "max_per_source": limit},
        "threshold_chosen_on": "validation pictures (best box F1, classes pooled)",
        "final_loss": log[-1]["loss"], "minutes": (time.monotonic() - started) / 60, "terms": TERMS})
    args.out.mkdir(parents=True, exist_ok=True)
    save_detector(args.out / "detector.pth", model, meta)
    (args.out / "log.json").write_text(json.dumps({"epochs": log, "split": summary, "threshold": threshold},
                                                  indent=1))
    print(f"threshold {threshold:.2f} (validation); {(time.monotonic() - started) / 60:.1f} min; "
          f"checkpoint {args.out / 'detector.pth'}")
    return 0


def _counts(pictures) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in pictures:
        counts[p.source] = counts.get(p.source, 0) + 1
    return dict(sorted(counts.items()))
