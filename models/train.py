"""The training loop: SGD with warm-up + cosine, 5x learning rate on the new classifier, best-by-validation.

One `fit` serves a single CPU, one GPU, and torchrun jobs (DistributedDataParallel): every rank
runs it with its own DistContext; only rank 0 writes files and shows progress bars.
"""

from __future__ import annotations

import csv
import math
import os
import pickle
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Subset
from tqdm import tqdm

from models.checkpoints import CheckpointMeta, save_checkpoint
from models.distributed import DistContext, all_reduce_sum, barrier
from models.errors import ModelInputError
from models.losses import make_criterion, mixed_loss, mixup
from models.tsm import TSN

BEST_NAME, LAST_NAME, STATE_NAME, LOG_NAME = "best.pth", "last.pth", "train_state.pt", "log.csv"


@dataclass
class TrainConfig:
    """Optimiser and schedule settings; the defaults follow the TSM paper's fine-tuning recipe."""

    epochs: int = 25
    batch_size: int = 8
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 5e-4
    warmup_epochs: float = 1.0
    fc_lr_mult: float = 5.0
    loss: str = "ce"
    label_smoothing: float = 0.0
    focal_gamma: float = 2.0
    mixup_alpha: float = 0.0
    partial_bn: bool = False
    grad_clip: float = 20.0
    workers: int = 0
    seed: int = 0


@dataclass
class EpochLog:
    epoch: int
    lr: float
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    seconds: float


@dataclass
class FitResult:
    best_val_acc: float
    best_epoch: int
    history: list[EpochLog] = field(default_factory=list)
    out_dir: Path = Path(".")

    @property
    def best_path(self) -> Path:
        return self.out_dir / BEST_NAME


def param_groups(model: TSN, cfg: TrainConfig) -> list[dict]:
    """Backbone weights with weight decay; biases and norms without; the new classifier at fc_lr_mult x lr."""
    decay, no_decay, head = [], [], []
    for name, param in model.named_parameters():
        if name.startswith("new_fc."):
            head.append(param)
        elif param.ndim <= 1:
            no_decay.append(param)
        else:
            decay.append(param)
    return [
        {"params": decay, "lr": cfg.lr, "weight_decay": cfg.weight_decay},
        {"params": no_decay, "lr": cfg.lr, "weight_decay": 0.0},
        {"params": head, "lr": cfg.lr * cfg.fc_lr_mult, "weight_decay": cfg.weight_decay},
    ]


def warmup_cosine(optimizer: torch.optim.Optimizer, warmup_steps: int,
                  total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Per-iteration factor: linear warm-up to 1, then cosine down to 0 at total_steps."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def init_weights_from(model: TSN, source: TSN) -> int:
    """Copy every tensor of `source` whose name and shape match (a new class count drops only new_fc)."""
    target = model.state_dict()
    copied = {k: v for k, v in source.state_dict().items() if k in target and target[k].shape == v.shape}
    target.update(copied)
    model.load_state_dict(target)
    return sum(1 for k in copied if not k.endswith("num_batches_tracked"))


def _loader(dataset: Dataset, cfg: TrainConfig, ctx: DistContext, train: bool) -> DataLoader:
    if train:
        sampler = DistributedSampler(dataset, ctx.world_size, ctx.rank, shuffle=True, seed=cfg.seed) \
            if ctx.enabled else None
        return DataLoader(dataset, cfg.batch_size, shuffle=sampler is None, sampler=sampler,
                          num_workers=cfg.workers, drop_last=len(dataset) >= cfg.batch_size * ctx.world_size)
    # Validation: every rank takes every world_size-th clip, no padding, so the sums are exact.
    shard = Subset(dataset, range(ctx.rank, len(dataset), ctx.world_size))
    return DataLoader(shard, cfg.batch_size, shuffle=False, num_workers=cfg.workers)


def _atomic_save(obj: object, path: Path) -> None:
    tmp = path.with_name(path.name + ".part")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _write_log(path: Path, history: list[EpochLog]) -> None:
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, [f.name for f in fields(EpochLog)])
        writer.writeheader()
        writer.writerows(asdict(h) for h in history)
    os.replace(tmp, path)


@torch.no_grad()
def validate(model: nn.Module, loader: DataLoader, criterion: nn.Module, ctx: DistContext,
             progress: bool = False) -> tuple[float, float]:
    """Mean loss and top-1 accuracy over the whole validation set (summed over ranks)."""
    model.eval()
    loss_sum = correct = count = 0.0
    for clips, labels in tqdm(loader, desc="validate", leave=False, disable=not progress):
        clips, labels = clips.to(ctx.device), labels.to(ctx.device)
        logits = model(clips.flatten(0, 1))
        loss_sum += float(criterion(logits, labels)) * len(labels)
        correct += float((logits.argmax(1) == labels).sum())
        count += len(labels)
    loss_sum, correct, count = all_reduce_sum([loss_sum, correct, count], ctx)
    return loss_sum / max(count, 1), correct / max(count, 1)


def _train_epoch(model: nn.Module, loader: DataLoader, optimizer: torch.optim.Optimizer,
                 scheduler: torch.optim.lr_scheduler.LambdaLR, criterion: nn.Module, cfg: TrainConfig,
                 ctx: DistContext, rng: np.random.Generator, desc: str,
                 progress: bool) -> tuple[float, float]:
    model.train()
    loss_sum = correct = count = 0.0
    bar = tqdm(loader, desc=desc, leave=False, disable=not progress)
    for clips, labels in bar:
        clips, labels = clips.to(ctx.device), labels.to(ctx.device)
        if cfg.mixup_alpha > 0:
            clips, labels_a, labels_b, lam = mixup(clips, labels, cfg.mixup_alpha, rng)
            logits = model(clips.flatten(0, 1))
            loss = mixed_loss(criterion, logits, labels_a, labels_b, lam)
            predicted = logits.argmax(1)
            hits = lam * (predicted == labels_a).sum() + (1 - lam) * (predicted == labels_b).sum()
        else:
            logits = model(clips.flatten(0, 1))
            loss = criterion(logits, labels)
            hits = (logits.argmax(1) == labels).sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        optimizer.step()
        scheduler.step()
        loss_sum += float(loss.detach()) * len(labels)
        correct += float(hits)
        count += len(labels)
        bar.set_postfix(loss=f"{loss_sum / count:.3f}", acc=f"{correct / count:.3f}")
    loss_sum, correct, count = all_reduce_sum([loss_sum, correct, count], ctx)
    return loss_sum / max(count, 1), correct / max(count, 1)


def fit(model: TSN, meta: CheckpointMeta, train_set: Dataset, val_set: Dataset, cfg: TrainConfig,
        out_dir: str | Path, resume: bool = False, ctx: DistContext | None = None,
        progress: bool = True) -> FitResult:
    """Train, validate every epoch, keep best.pth (by validation accuracy), last.pth, log.csv.

    With `resume`, continue from out_dir/train_state.pt (weights, optimiser, schedule, history).
    """
    ctx = ctx or DistContext()
    out_dir = Path(out_dir)
    torch.manual_seed(cfg.seed + ctx.rank)
    rng = np.random.default_rng(cfg.seed + ctx.rank)
    model.partial_bn(cfg.partial_bn)
    model.to(ctx.device).train()
    optimizer = torch.optim.SGD(param_groups(model, cfg), lr=cfg.lr, momentum=cfg.momentum)
    train_loader, val_loader = _loader(train_set, cfg, ctx, True), _loader(val_set, cfg, ctx, False)
    steps = len(train_loader)
    if steps == 0:
        raise ModelInputError("training set", "has no clips")
    scheduler = warmup_cosine(optimizer, round(cfg.warmup_epochs * steps), cfg.epochs * steps)
    criterion = make_criterion(cfg.loss, cfg.label_smoothing, cfg.focal_gamma)
    result = FitResult(best_val_acc=-1.0, best_epoch=-1, out_dir=out_dir)
    start_epoch = 0
    state_path = out_dir / STATE_NAME
    if resume:
        if not state_path.is_file():
            raise ModelInputError(state_path, "nothing to resume: no training state in this folder")
        try:
            state = torch.load(state_path, map_location=ctx.device, weights_only=True)
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
        except (OSError, RuntimeError, KeyError, ValueError, pickle.UnpicklingError) as exc:
            raise ModelInputError(state_path, f"cannot resume from this training state: {exc}") from exc
        start_epoch = int(state["epoch"]) + 1
        result.best_val_acc, result.best_epoch = float(state["best_val_acc"]), int(state["best_epoch"])
        result.history = [EpochLog(**h) for h in state["history"]]
        meta.training = {**meta.training, "best_val_acc": result.best_val_acc,
                         "best_epoch": result.best_epoch}
    net = DistributedDataParallel(model) if ctx.enabled else model
    show = progress and ctx.is_main
    if ctx.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
    for epoch in range(start_epoch, cfg.epochs):
        began = time.monotonic()
        if isinstance(train_loader.sampler, DistributedSampler):
            train_loader.sampler.set_epoch(epoch)
        lr = optimizer.param_groups[0]["lr"]
        train_loss, train_acc = _train_epoch(net, train_loader, optimizer, scheduler, criterion, cfg, ctx,
                                             rng, f"epoch {epoch + 1}/{cfg.epochs}", show)
        val_loss, val_acc = validate(net, val_loader, criterion, ctx, show)
        log = EpochLog(epoch, lr, train_loss, train_acc, val_loss, val_acc, time.monotonic() - began)
        result.history.append(log)
        if show:
            tqdm.write(f"epoch {epoch + 1}: train loss {train_loss:.4f} acc {train_acc:.3f} | "
                       f"val loss {val_loss:.4f} acc {val_acc:.3f}")
        if ctx.is_main:
            meta.training = {**meta.training, "epochs_done": epoch + 1, "val_acc": val_acc,
                             "config": asdict(cfg)}
            if val_acc > result.best_val_acc:
                result.best_val_acc, result.best_epoch = val_acc, epoch
                meta.training["best_val_acc"], meta.training["best_epoch"] = val_acc, epoch
                save_checkpoint(out_dir / BEST_NAME, model, meta)
            save_checkpoint(out_dir / LAST_NAME, model, meta)
            _write_log(out_dir / LOG_NAME, result.history)
            state = {"epoch": epoch, "best_val_acc": result.best_val_acc, "best_epoch": result.best_epoch,
                     "history": [asdict(h) for h in result.history], "model": model.state_dict(),
                     "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}
            _atomic_save(state, state_path)
        elif val_acc > result.best_val_acc:
            result.best_val_acc, result.best_epoch = val_acc, epoch
        barrier(ctx)
    return result
