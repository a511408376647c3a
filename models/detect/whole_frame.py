"""The alternative the detector is measured against: the whole-frame TSM classifier on each picture.

A still is run in the causal shift's steady state (`TSN.set_steady`: what the online model outputs
on a scene that does not move); "phone found" = the top class maps to the behaviour "phone"
(State Farm c1..c4) in the checkpoint's `class_to_behaviour`.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import torch
from tqdm import tqdm

from models.checkpoints import load_checkpoint
from models.detect.cache import read_picture
from models.detect.sources import PHONE, Picture
from models.preprocess import Preprocess


def phone_found_by_classifier(checkpoint: Path, pictures: list[Picture], progress: bool = True) -> dict:
    """{source: {"found": share of phone pictures, "false": share of the others, "pictures+": n,
    "pictures-": n}} (None for a share without pictures), plus "all"."""
    model, meta = load_checkpoint(checkpoint)
    model.set_steady(True)
    prep = Preprocess.from_meta(meta)
    phone_classes = {i for i, c in enumerate(meta.classes) if meta.class_to_behaviour.get(c) == PHONE}
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # found, with, false, without
    for p in tqdm(pictures, desc="classifier", unit="picture", disable=not progress, file=sys.stderr):
        with torch.inference_mode():
            top = int(model(prep(read_picture(p))).argmax(dim=1))
        for key in (p.source, "all"):
            c = counts[key]
            if p.has(PHONE):
                c[0] += top in phone_classes
                c[1] += 1
            else:
                c[2] += top in phone_classes
                c[3] += 1
    return {s: {"found": round(c[0] / c[1], 3) if c[1] else None, "pictures+": c[1],
                "false": round(c[2] / c[3], 3) if c[3] else None, "pictures-": c[3]}
            for s, c in counts.items()}
