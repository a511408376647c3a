"""Evaluation: top-1, per-class precision/recall/F1 and the confusion matrix of a classifier on clips."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm import tqdm


@dataclass(frozen=True)
class ClassScore:
    name: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class EvalReport:
    """confusion[i, j] counts clips of true class i predicted as j."""

    classes: tuple[str, ...]
    confusion: np.ndarray
    top1: float
    per_class: tuple[ClassScore, ...]

    def as_dict(self) -> dict:
        return {"top1": self.top1, "clips": int(self.confusion.sum()), "classes": list(self.classes),
                "confusion": self.confusion.tolist(),
                "per_class": [vars(c) for c in self.per_class]}


@torch.no_grad()
def predict(model: nn.Module, loader: DataLoader, device: str = "cpu",
            progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """True and predicted labels of every clip the loader yields."""
    model.eval().to(device)
    truth, predicted = [], []
    for clips, labels in tqdm(loader, desc="evaluate", disable=not progress):
        logits = model(clips.to(device).flatten(0, 1))
        truth.append(labels.numpy())
        predicted.append(logits.argmax(1).cpu().numpy())
    return np.concatenate(truth), np.concatenate(predicted)


def build_report(truth: np.ndarray, predicted: np.ndarray, classes: tuple[str, ...]) -> EvalReport:
    n = len(classes)
    confusion = np.bincount(truth * n + predicted, minlength=n * n).reshape(n, n)
    scores = []
    for i, name in enumerate(classes):
        tp = confusion[i, i]
        precision = tp / confusion[:, i].sum() if confusion[:, i].sum() else 0.0
        recall = tp / confusion[i].sum() if confusion[i].sum() else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append(ClassScore(name, float(precision), float(recall), float(f1), int(confusion[i].sum())))
    top1 = float(np.trace(confusion) / confusion.sum()) if confusion.sum() else 0.0
    return EvalReport(tuple(classes), confusion, top1, tuple(scores))


NO_BEHAVIOUR = "none"


def behaviour_report(report: EvalReport, class_to_behaviour: dict[str, str | None]) -> EvalReport:
    """The same predictions scored per behaviour: classes mapping to one behaviour are merged, and
    classes mapping to no behaviour (safe driving, ...) become "none". Rows and columns of the
    class confusion matrix are summed, so a phone-right clip predicted phone-left counts as right."""
    names = [class_to_behaviour.get(c) or NO_BEHAVIOUR for c in report.classes]
    behaviours = tuple(dict.fromkeys([NO_BEHAVIOUR, *names]))
    index = np.array([behaviours.index(n) for n in names])
    merged = np.zeros((len(behaviours), len(behaviours)), dtype=report.confusion.dtype)
    np.add.at(merged, (index[:, None], index[None, :]), report.confusion)
    truth = np.repeat(np.arange(len(behaviours)), merged.sum(axis=1))
    predicted = np.concatenate([np.repeat(np.arange(len(behaviours)), row) for row in merged])
    return build_report(truth, predicted, behaviours)


def format_report(report: EvalReport) -> str:
    width = max(12, *(len(c) for c in report.classes))
    lines = [f"top-1 {report.top1:.4f} over {int(report.confusion.sum())} clips",
             f"{'class':<{width}} precision recall     f1  support"]
    lines += [f"{c.name:<{width}} {c.precision:9.3f} {c.recall:6.3f} {c.f1:6.3f} {c.support:8d}"
              for c in report.per_class]
    return "\n".join(lines)


def save_confusion_png(report: EvalReport, path: str | Path) -> None:
    """Row-normalised confusion matrix with counts, written with matplotlib's non-GUI backend."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = len(report.classes)
    rows = report.confusion.sum(axis=1, keepdims=True)
    share = np.divide(report.confusion, rows, out=np.zeros(report.confusion.shape), where=rows > 0)
    side = max(4.0, 0.45 * n + 2)
    fig = Figure(figsize=(side, side))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), report.classes, rotation=90, fontsize=7)
    ax.set_yticks(range(n), report.classes, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"top-1 {report.top1:.3f}")
    if n <= 30:
        for i in range(n):
            for j in range(n):
                if report.confusion[i, j]:
                    ax.text(j, i, str(report.confusion[i, j]), ha="center", va="center", fontsize=6,
                            color="white" if share[i, j] > 0.5 else "black")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
