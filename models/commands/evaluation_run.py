"""The eval command's work: load a checkpoint and clips, score them, write the matrix and heat maps."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from models.augment import ClipTransform
from models.checkpoints import CheckpointMeta, class_names, guess_note, load_checkpoint
from models.commands.training_setup import dataset_classes
from models.datasets.clip_dataset import ClipDataset
from models.datasets.loading import read_clips
from models.errors import ModelInputError
from models.evaluate import behaviour_report, build_report, format_report, predict, save_confusion_png
from models.gradcam import gradcam, overlay, save_heatmaps


def eval_transform(meta: CheckpointMeta) -> ClipTransform:
    """The app's preprocessing for this checkpoint: short side to scale_size, centre crop, its mean/std."""
    return ClipTransform(meta.input_size, False, meta.scale_size, mean=tuple(meta.mean), std=tuple(meta.std),
                         channel_order=meta.channel_order, resize=meta.resize, aspect=meta.aspect)


def displayable(clip: torch.Tensor, transform: ClipTransform) -> list[np.ndarray]:
    """Undo the normalisation: (T, 3, H, W) network input -> RGB uint8 frames."""
    array = clip.permute(0, 2, 3, 1).numpy() * np.asarray(transform.std) + np.asarray(transform.mean)
    if transform.channel_order == "BGR":
        array = array[..., ::-1]
    return [np.ascontiguousarray(f) for f in np.clip(array * 255, 0, 255).astype(np.uint8)]


def select_drivers(clips: list, drivers: str | None, meta: CheckpointMeta, checkpoint, listing) -> list:
    """The clips of `drivers` (comma-separated, or "validation": the checkpoint's validation drivers);
    None: all clips. A name without clips in `listing` is a ModelInputError naming the list."""
    if drivers is None:
        return clips
    if drivers.strip() == "validation":
        wanted = set(meta.training.get("val_drivers") or [])
        if not wanted:
            raise ModelInputError(checkpoint, "records no validation drivers; name them with --drivers")
    else:
        wanted = {d.strip() for d in drivers.split(",") if d.strip()}
        if not wanted:
            raise ModelInputError(listing, "--drivers names no driver")
    chosen = [c for c in clips if c.group in wanted]
    missing = wanted - {c.group for c in chosen}
    if missing:
        known = sorted({c.group for c in clips})
        listed = ", ".join(known[:12]) + (" ..." if len(known) > 12 else "")
        raise ModelInputError(listing, f"--drivers: no clips of {', '.join(sorted(missing))} "
                                       f"(drivers listed: {listed})")
    return chosen


def run_evaluation(args: argparse.Namespace) -> str:
    model, meta = load_checkpoint(args.checkpoint, args.segments)
    if guess_note(meta):
        print(f"warning: {args.checkpoint}: {guess_note(meta)}", file=sys.stderr)
    name, classes = dataset_classes(args)
    if meta.classes == class_names(meta.num_class) and meta.num_class == len(classes.classes):
        # An official or PaddleVideo file names no classes (class_00 ...): they are the data set's, in order.
        meta.classes, meta.class_to_behaviour = list(classes.classes), classes.class_to_behaviour()
    if list(classes.classes) != list(meta.classes):
        raise ModelInputError(args.checkpoint, f"its classes are not those of data set {name} "
                                               f"({len(meta.classes)} vs {len(classes.classes)} classes)")
    clips = select_drivers(read_clips(args.format, args.list, args.root, classes, args.dmd_stream,
                                      getattr(args, "suffix", None)),
                           getattr(args, "drivers", None), meta, args.checkpoint, args.list[0])
    dense = args.sampling == "dense" or (args.sampling == "auto" and meta.shift_mode == "online")
    stride = (args.dense_stride or meta.training.get("dense_stride") or 1) if dense else None
    transform = eval_transform(meta)
    # Stills and an online model: what it outputs on a still scene once its buffers hold that scene.
    steady = meta.shift_mode == "online" and all(c.kind == "image" for c in clips)
    model.set_steady(steady)
    dataset = ClipDataset(clips, 1 if steady else meta.n_segment, transform, stride)
    loader = DataLoader(dataset, args.batch_size, shuffle=False, num_workers=args.workers)
    truth, predicted = predict(model, loader)
    report = build_report(truth, predicted, tuple(meta.classes))

    args.out.mkdir(parents=True, exist_ok=True)
    save_confusion_png(report, args.out / "confusion.png")
    behaviours = behaviour_report(report, meta.class_to_behaviour)
    metrics = {"checkpoint": str(args.checkpoint), "dataset": name, **report.as_dict(),
               "drivers": sorted({c.group for c in clips}), "behaviours": behaviours.as_dict()}
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=1), encoding="utf-8")
    save_confusion_png(behaviours, args.out / "confusion_behaviours.png")
    drivers = sorted({c.group for c in clips})
    lines = [f"drivers: {', '.join(drivers)}" if len(drivers) <= 12 else f"{len(drivers)} drivers",
             format_report(report), "per behaviour:", format_report(behaviours),
             f"wrote {args.out / 'confusion.png'}, confusion_behaviours.png and {args.out / 'metrics.json'}"]
    if args.heatmaps is not None:
        chosen = args.heatmaps or list(range(min(4, len(dataset))))
        bad = [i for i in chosen if not 0 <= i < len(dataset)]
        if bad:
            raise ModelInputError(args.list[0], f"no clip number(s) {bad}; there are {len(dataset)} clips")
        folder = args.out / "heatmaps"
        folder.mkdir(exist_ok=True)
        for index in tqdm(chosen, desc="grad-cam"):
            clip, label = dataset[index]
            cams, explained = gradcam(model, clip)
            target = folder / f"clip{index:04d}_true-{meta.classes[label]}_pred-{meta.classes[explained]}"
            save_heatmaps(overlay(displayable(clip, transform), cams),
                          Path(f"{target}.{args.heatmap_format}"))
        lines.append(f"wrote {len(chosen)} heat map(s) into {folder}")
    return "\n".join(lines)
