"""Measuring the detector per source: box AP, box precision/recall and picture-level finding rates.

* AP (IoU >= 0.5, the PASCAL VOC criterion; all-point interpolated area under precision/recall),
  per class over the pictures of a source that have boxes of that class, with all the source's
  pictures' detections competing;
* at the threshold: box precision and recall (a detection is right when it overlaps an unmatched
  box of its class by IoU >= 0.5, greedily by score);
* per picture: `found` = share of pictures holding the object (with or without a box) that get at
  least one detection of it; `false` = share of pictures without it that get one (a shortcut shows
  here: cigarettes "found" in pictures of another source that has none).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torchvision.ops import box_iou
from tqdm import tqdm

from models.detect.cache import read_picture
from models.detect.inference import Detection, Detector
from models.detect.sources import Picture
from models.errors import ModelInputError

IOU = 0.5


@dataclass(frozen=True)
class ClassResult:
    """Per class and source; None where a figure has no pictures to stand on."""

    pictures_with: int
    pictures_without: int
    boxes: int
    ap: float | None
    box_precision: float | None
    box_recall: float | None
    found: float | None
    false: float | None
    box_hits: int = 0  # detections at the threshold that match a box (boxed pictures only)
    box_detections: int = 0  # detections at the threshold on boxed pictures


def detect_all(detector: Detector, pictures: list[Picture], batch_size: int = 8,
               progress: bool = True) -> list[list[Detection]]:
    """Every picture's detections at the detector's threshold (use a low one for AP)."""
    out = []
    for start in tqdm(range(0, len(pictures), batch_size), desc="detect", unit="batch", disable=not progress,
                      file=sys.stderr):
        out.extend(detector.detect_many([read_picture(p) for p in pictures[start : start + batch_size]]))
    return out


def _matches(picture: Picture, found: list[Detection], label: str) -> tuple[list[float], list[bool], int]:
    truth = torch.tensor([b for b, k in zip(picture.boxes, picture.labels, strict=True) if k == label],
                         dtype=torch.float64).reshape(-1, 4)
    dets = sorted((d for d in found if d.label == label), key=lambda d: -d.score)
    if not dets:
        return [], [], len(truth)
    ious = box_iou(torch.tensor([d.box for d in dets], dtype=torch.float64), truth) if len(truth) else None
    used, hits = set(), []
    for row in range(len(dets)):
        best, best_iou = None, IOU
        if ious is not None:
            for col in range(len(truth)):
                if col not in used and ious[row, col] >= best_iou:
                    best, best_iou = col, float(ious[row, col])
        if best is not None:
            used.add(best)
        hits.append(best is not None)
    return [d.score for d in dets], hits, len(truth)


def average_precision(scores: list[float], hits: list[bool], positives: int) -> float | None:
    """All-point interpolated AP of ranked detections; None without positives."""
    if positives == 0:
        return None
    order = np.argsort(-np.asarray(scores, np.float64), kind="stable")
    tp = np.cumsum(np.asarray(hits, bool)[order]) if len(order) else np.zeros(0)
    fp = np.cumsum(~np.asarray(hits, bool)[order]) if len(order) else np.zeros(0)
    recall = np.concatenate([[0.0], tp / positives, [tp[-1] / positives if len(tp) else 0.0]])
    precision = np.concatenate([[1.0], tp / np.maximum(tp + fp, 1), [0.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    return float(np.sum((recall[1:] - recall[:-1]) * precision[1:]))


def class_result(pictures: list[Picture], detections: list[list[Detection]], label: str,
                 threshold: float) -> ClassResult:
    scores, hits, positives = [], [], 0
    kept_hits, kept_dets, found, false, with_n, without_n = 0, 0, 0, 0, 0, 0
    boxed = any(label in p.labels for p in pictures)
    for picture, found_here in zip(pictures, detections, strict=True):
        if label in picture.unboxed:
            has, boxed_here = True, False
        else:
            has, boxed_here = label in picture.labels, True
        if boxed_here:
            s, h, n = _matches(picture, found_here, label)
            scores += s
            hits += h
            positives += n
            kept = [hit for score, hit in zip(s, h, strict=True) if score >= threshold]
            kept_hits += sum(kept)
            kept_dets += len(kept)
        fired = any(d.label == label and d.score >= threshold for d in found_here)
        with_n += has
        without_n += not has
        found += has and fired
        false += (not has) and fired
    return ClassResult(
        with_n, without_n, positives, average_precision(scores, hits, positives) if boxed else None,
        kept_hits / kept_dets if kept_dets and boxed else None,
        kept_hits / positives if positives else None,
        found / with_n if with_n else None, false / without_n if without_n else None, kept_hits, kept_dets)


def per_source(pictures: list[Picture], detections: list[list[Detection]], classes: list[str],
               threshold: float) -> dict[str, dict[str, ClassResult]]:
    """{source: {class: ClassResult}}, plus "all" over every picture."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(pictures):
        groups[p.source].append(i)
    groups["all"] = list(range(len(pictures)))
    return {source: {label: class_result([pictures[i] for i in idx], [detections[i] for i in idx], label,
                                         threshold) for label in classes}
            for source, idx in groups.items()}


THRESHOLDS = tuple(round(0.2 + 0.05 * i, 2) for i in range(12))  # 0.20 .. 0.75


def choose_threshold(pictures: list[Picture], detections: list[list[Detection]], classes: list[str],
                     grid: tuple[float, ...] = THRESHOLDS) -> float:
    """The score threshold with the best box F1 (all classes pooled) on `pictures` (validation ones)."""
    best, best_f1 = float(grid[0]), -1.0
    for threshold in grid:
        results = [class_result(pictures, detections, label, float(threshold)) for label in classes]
        hits = sum(r.box_hits for r in results)
        f1 = 2 * hits / max(sum(r.box_detections + r.boxes for r in results), 1)
        if f1 > best_f1:
            best, best_f1 = float(threshold), f1
    return best


def format_results(results: dict[str, dict[str, ClassResult]]) -> str:
    """A plain table: one line per source and class."""
    def pct(x):
        return "  -  " if x is None else f"{x:5.2f}"
    lines = [f"{'source':<24} {'object':<10} {'pics+':>5} {'pics-':>5} {'boxes':>5}"
             "   AP    P     R   found false"]
    for source, by_class in results.items():
        for label, r in by_class.items():
            if r.pictures_with == 0 and r.false is None:
                continue
            lines.append(f"{source:<24} {label:<10} {r.pictures_with:>5} {r.pictures_without:>5} "
                         f"{r.boxes:>5} {pct(r.ap)} {pct(r.box_precision)} {pct(r.box_recall)} "
                         f"{pct(r.found)} {pct(r.false)}")
    return "\n".join(lines)


def clip_detections(detector: Detector, path: Path, rate_hz: float = 2.0) -> list[tuple[float, list[str]]]:
    """[(time s, sorted labels found)] for frames of a video sampled at `rate_hz`; ModelInputError
    when the file does not open as a video."""
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise ModelInputError(path, "not a readable video")
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    step = max(1, round(fps / rate_hz))
    rows, index = [], 0
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            if index % step == 0:
                rows.append((round(index / fps, 2), sorted({d.label for d in detector.detect(frame)})))
            index += 1
    finally:
        capture.release()
    return rows
