"""Training the detector on cached trunk views: AdamW, linear warm-up then cosine decay.

Only blocks 14..17 of MobileNetV2, the pyramid and the FCOS head learn (models/detect/net.py);
each epoch visits every picture once, in one of its cached augmented views.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass

import numpy as np
import torch
from torchvision.models.detection import FCOS

from models.detect.cache import TrunkViews
from models.detect.net import losses_from_trunk


@dataclass(frozen=True)
class DetectorTrainConfig:
    epochs: int = 8
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 30
    input_size: int = 320
    seed: int = 0


def _lr_factor(step: int, total: int, warmup: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def fit(model: FCOS, views: TrunkViews, config: DetectorTrainConfig, progress: bool = True) -> list[dict]:
    """Train `model` in place; returns one {"epoch", "loss", "classification", "bbox_regression",
    "bbox_ctrness", "seconds"} per epoch (mean losses), printing each epoch when `progress`."""
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    rng = np.random.default_rng(config.seed)
    n = len(views)
    steps_per_epoch = math.ceil(n / config.batch_size)
    total = config.epochs * steps_per_epoch
    step, log = 0, []
    model.train()
    for epoch in range(config.epochs):
        started, sums, batches = time.monotonic(), {}, 0
        order = rng.permutation(n)
        chosen = rng.integers(0, views.views, n)
        for start in range(0, n, config.batch_size):
            idx = order[start : start + config.batch_size]
            v = chosen[idx]
            s8 = views.s8[v, idx].float()
            s16 = views.s16[v, idx].float()
            targets = [{"boxes": torch.from_numpy(views.boxes[vi][i]).reshape(-1, 4),
                        "labels": torch.from_numpy(views.labels[vi][i])}
                       for vi, i in zip(v, idx, strict=True)]
            for group in optimiser.param_groups:
                group["lr"] = config.lr * _lr_factor(step, total, config.warmup_steps)
            losses = losses_from_trunk(model, s8, s16, targets, config.input_size)
            loss = sum(losses.values())
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 10.0)
            optimiser.step()
            step += 1
            batches += 1
            for k, value in losses.items():
                sums[k] = sums.get(k, 0.0) + float(value.detach())
        row = {"epoch": epoch + 1, "loss": sum(sums.values()) / batches,
               **{k: s / batches for k, s in sums.items()}, "seconds": time.monotonic() - started}
        log.append(row)
        if progress:
            print(f"epoch {epoch + 1}/{config.epochs}: loss {row['loss']:.3f} (classes "
                  f"{row['classification']:.3f}, boxes {row['bbox_regression']:.3f}, centre-ness "
                  f"{row['bbox_ctrness']:.3f}), {row['seconds']:.0f} s", file=sys.stderr, flush=True)
    model.eval()
    return log
