"""Turn the train command's arguments into a model, its checkpoint metadata and the two data sets."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from torch.utils.data import Dataset

from models.augment import ClipTransform
from models.checkpoints import CheckpointMeta, load_checkpoint
from models.datasets.clip_dataset import ClipDataset
from models.datasets.loading import read_clips
from models.datasets.split import split_by_group
from models.errors import ModelInputError
from models.labelmap import load_label_map
from models.pretrained import init_from_imagenet
from models.train import TrainConfig, init_weights_from
from models.trunk import TrunkCache, cache_key
from models.tsm import TSN


@dataclass
class TrainingSetup:
    model: TSN
    meta: CheckpointMeta
    train_set: Dataset
    val_set: Dataset
    config: TrainConfig


def default_dataset(fmt: str) -> str:
    return "dms_events" if fmt in ("rawframes", "video", "paddle-frames", "paddle-video") else fmt


def dataset_classes(args: argparse.Namespace):
    """The data set's name and its classes in the label map (`--labels`, `--dataset`/`--format`)."""
    label_map = load_label_map(args.labels)
    name = args.dataset or default_dataset(args.format)
    try:
        return name, label_map.dataset(name)
    except KeyError as exc:
        raise ModelInputError(args.labels, str(exc.args[0])) from None


def steady_stills(args: argparse.Namespace, clips: list) -> bool:
    """Whether stills train the online model in its steady state (see TSN.set_steady)."""
    stills = all(c.kind == "image" for c in clips)
    mode = getattr(args, "stills", "auto")
    if mode == "steady" and not (stills and args.shift_mode == "online"):
        raise ModelInputError(args.train[0], "--stills steady needs a data set of still images and "
                                             "--shift-mode online")
    return mode == "steady" or (mode == "auto" and stills and args.shift_mode == "online")


def split_by_drivers(clips: list, drivers: str, origin) -> tuple[list, list]:
    """Validation = the clips of the named drivers; each name must occur in the data."""
    wanted = {d.strip() for d in drivers.split(",") if d.strip()}
    missing = wanted - {c.group for c in clips}
    if not wanted or missing:
        named = ", ".join(sorted(missing)) or "any driver"
        raise ModelInputError(origin, f"--val-drivers: no clips of {named}")
    return [c for c in clips if c.group not in wanted], [c for c in clips if c.group in wanted]


def first_aspect(clips: list) -> float:
    """Width/height of the first clip's first frame."""
    from models.datasets.frames import load_frames

    height, width = load_frames(clips[0], [0])[0].shape[:2]
    return width / height


def build_training(args: argparse.Namespace) -> TrainingSetup:
    name, classes = dataset_classes(args)
    suffix = getattr(args, "suffix", None)
    train_clips = read_clips(args.format, args.train, args.root, classes, args.dmd_stream, suffix)
    if args.val:
        val_clips = read_clips(args.format, args.val, args.root, classes, args.dmd_stream, suffix)
    elif getattr(args, "val_drivers", None):
        train_clips, val_clips = split_by_drivers(train_clips, args.val_drivers, args.train[0])
    else:
        try:
            train_clips, val_clips = split_by_group(train_clips, args.val_fraction, args.seed)
        except ValueError as exc:
            raise ModelInputError(args.train[0], f"cannot split for validation: {exc}; give --val") from None

    arch, shift_div, shift_place = args.arch, args.shift_div, args.shift_place
    source = source_meta = None
    imagenet = args.init is not None and str(args.init) == "imagenet"
    if args.init and not imagenet:
        source, source_meta = load_checkpoint(args.init)
        arch, shift_div, shift_place = source_meta.arch, source_meta.shift_div, source_meta.shift_place
    # Input geometry and camera view: as given, else as the checkpoint fine-tuned from, else TSN's.
    inherited = source_meta or CheckpointMeta("mobilenetv2", 1, ["x"], {"x": None})
    input_size = getattr(args, "input_size", None) or inherited.input_size
    freeze = getattr(args, "freeze_blocks", 0)
    ds = getattr(args, "ds", None) or (source_meta.ds if source_meta else None)
    ds_group_norm = bool(getattr(args, "ds_group_norm", False) or (source_meta and source_meta.ds_group_norm))
    ds_first_block = freeze if ds and arch == "mobilenetv2" else 0
    shift_order = source_meta.shift_order if source_meta else "next-first"  # PaddleVideo: previous-first
    model = TSN(len(classes.classes), n_segment=args.n_segment, base_model=arch, shift_div=shift_div,
                shift_place=shift_place, shift_mode=args.shift_mode, dropout=args.dropout, ds=ds,
                ds_group_norm=ds_group_norm, ds_first_block=ds_first_block, input_size=input_size,
                shift_order=shift_order)
    if source is not None:
        init_weights_from(model, source)
    if imagenet:
        init_from_imagenet(model)
    steady = steady_stills(args, train_clips + val_clips)
    model.set_steady(steady)
    if freeze:
        model.freeze_trunk(freeze)

    dense = args.sampling == "dense" or (args.sampling == "auto" and args.shift_mode == "online")
    stride = args.dense_stride if dense else None
    perm = None
    if args.flip:
        perm = tuple(classes.flip_permutation() or range(len(classes.classes)))
    resize = getattr(args, "resize", None) or inherited.resize
    view = getattr(args, "view", None) or inherited.view
    aspect = None
    if resize == "frame":
        aspect = getattr(args, "aspect", None) or inherited.aspect or first_aspect(train_clips)
    scale = round(input_size * 256 / 224)
    train_tf = ClipTransform(input_size, True, scale, colour_jitter=args.colour_jitter,
                             flip_permutation=perm, resize=resize, aspect=aspect)
    val_tf = ClipTransform(input_size, False, scale, resize=resize, aspect=aspect)
    frames_per_clip = 1 if steady else args.n_segment
    meta = CheckpointMeta(
        arch=arch, num_class=len(classes.classes), classes=list(classes.classes),
        class_to_behaviour=classes.class_to_behaviour(), n_segment=args.n_segment, shift_div=shift_div,
        shift_place=shift_place, shift_mode=args.shift_mode, input_size=input_size, scale_size=scale,
        channel_order="RGB", frame_rate=(args.fps / stride) if (dense and args.fps) else None,
        resize=resize, aspect=aspect, view=view, ds=ds, ds_group_norm=ds_group_norm,
        ds_first_block=ds_first_block, shift_order=shift_order,
        training={"dataset": name, "format": args.format,
                  "sampling": "steady" if steady else ("dense" if dense else "segment"),
                  "dense_stride": None if steady else stride, "init": str(args.init) if args.init else None,
                  "train_clips": len(train_clips), "val_clips": len(val_clips),
                  "val_drivers": sorted({c.group for c in val_clips}), "frozen_blocks": freeze},
    )
    config = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay,
        warmup_epochs=args.warmup_epochs, fc_lr_mult=args.fc_lr_mult, loss=args.loss,
        label_smoothing=args.label_smoothing, focal_gamma=args.focal_gamma, mixup_alpha=args.mixup,
        partial_bn=args.partial_bn if args.partial_bn is not None else args.init is not None,
        workers=args.workers, seed=args.seed,
    )
    train_set = ClipDataset(train_clips, frames_per_clip, train_tf, stride)
    val_set = ClipDataset(val_clips, frames_per_clip, val_tf, stride)
    if freeze and steady:
        views = getattr(args, "cached_views", 3)
        meta.training["cached_views"] = views
        folder = getattr(args, "trunk_cache", None)
        train_set = cached_trunk(model, train_set, train_clips, views, "train", folder, args.workers)
        val_set = cached_trunk(model, val_set, val_clips, 1, "validation", folder, args.workers)
    return TrainingSetup(model, meta, train_set, val_set, config)


def cached_trunk(model: TSN, dataset: ClipDataset, clips: list, views: int, name: str, folder,
                 workers: int) -> TrunkCache:
    """The frozen trunk's output for `views` views of each clip; kept in `folder` (if given) for
    later runs with the same trunk, images and transform, which then train on the same views."""
    key = cache_key(model, clips, dataset.transform, views)
    path = folder / f"{name}.pt" if folder else None
    cache = TrunkCache.load(path, key) if path else None
    if cache is not None:
        print(f"trunk cache: {name} views from {path}", flush=True)
        return cache
    cache = TrunkCache(model, dataset, views, f"cache {name}", workers=workers)
    if path:
        cache.save(path, key)
    return cache
