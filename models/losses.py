"""Training objectives: cross-entropy with label smoothing, focal loss, and mixup of clips."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


class FocalLoss(nn.Module):
    """Cross-entropy scaled by (1 - p_true)^gamma, so the many easy "safe driving" clips weigh less."""

    def __init__(self, gamma: float = 2.0, label_smoothing: float = 0.0):
        super().__init__()
        self.gamma = gamma
        self.label_smoothing = label_smoothing

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        ce = F.cross_entropy(logits, target, reduction="none", label_smoothing=self.label_smoothing)
        p_true = torch.softmax(logits, dim=1).gather(1, target[:, None]).squeeze(1)
        return ((1 - p_true).pow(self.gamma) * ce).mean()


def make_criterion(kind: str, label_smoothing: float = 0.0, focal_gamma: float = 2.0) -> nn.Module:
    if kind == "ce":
        return nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    if kind == "focal":
        return FocalLoss(focal_gamma, label_smoothing)
    raise ValueError(f"unknown loss {kind!r}; expected 'ce' or 'focal'")


def mixup(clips: torch.Tensor, labels: torch.Tensor, alpha: float,
          rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]:
    """Blend each clip (N, T, 3, H, W) with another of the batch; returns (mixed, labels_a, labels_b, lam)."""
    lam = float(rng.beta(alpha, alpha))
    order = torch.from_numpy(rng.permutation(clips.shape[0]))
    return lam * clips + (1 - lam) * clips[order], labels, labels[order], lam


def mixed_loss(criterion: nn.Module, logits: torch.Tensor, labels_a: torch.Tensor, labels_b: torch.Tensor,
               lam: float) -> torch.Tensor:
    return lam * criterion(logits, labels_a) + (1 - lam) * criterion(logits, labels_b)
