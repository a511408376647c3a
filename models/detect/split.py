"""The detector's split: by source and by group (photo family, web picture, driver), never by frame.

* the smoking drama (`gadiskretek*`, one unit) and the State Farm drivers the shipped classifier
  was validated on (its checkpoint's `training["val_drivers"]`) are held out whole (`test`);
* of every other unit, `TEST_PERCENT` % are held out and `VAL_PERCENT` % validate (the score
  threshold is chosen on those), by a stable hash of the unit's name (models.detect.sources.bucket);
* State Farm pictures with a phone but no box (c1..c4) are never trained on.

`cap` keeps the measuring and the CPU training bounded: at most N pictures of a source, chosen by
a stable hash of the file name (so the same ones on every run).
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass

from models.detect.sources import DRAMA_PREFIX, Picture, bucket

TEST_PERCENT = 25
VAL_PERCENT = 10
STATEFARM_VAL_PERCENT = 15  # of the remaining drivers: about 2 of 16


@dataclass
class Split:
    train: list[Picture]
    val: list[Picture]
    test: list[Picture]

    def summary(self) -> dict:
        """{"train"|"val"|"test": {source: pictures}} and the held-out groups' count per source."""
        out: dict = {}
        for part in ("train", "val", "test"):
            counts: dict[str, int] = defaultdict(int)
            for p in getattr(self, part):
                counts[p.source] += 1
            out[part] = dict(sorted(counts.items()))
        out["test_drivers"] = sorted({p.group for p in self.test if p.source == "State Farm side view"})
        out["val_drivers"] = sorted({p.group for p in self.val if p.source == "State Farm side view"})
        return out


def split_pictures(pictures: list[Picture], held_out_drivers: list[str]) -> Split:
    """Assign every picture to train, val or test (see the module text)."""
    held = set(held_out_drivers)
    parts: dict[str, list[Picture]] = {"train": [], "val": [], "test": []}
    for p in pictures:
        statefarm = p.source == "State Farm side view"
        if p.group == DRAMA_PREFIX or (statefarm and p.group in held):
            part = "test"
        elif statefarm:
            part = "val" if bucket(p.group) < STATEFARM_VAL_PERCENT else "train"
        else:
            b = bucket(p.group)
            part = "test" if b < TEST_PERCENT else "val" if b < TEST_PERCENT + VAL_PERCENT else "train"
        if part == "train" and p.unboxed:
            continue
        parts[part].append(p)
    return Split(**parts)


def cap(pictures: list[Picture], limits: dict[str, int]) -> list[Picture]:
    """At most `limits[source]` pictures of each source named there (stable choice by file name)."""
    by_source: dict[str, list[Picture]] = defaultdict(list)
    for p in pictures:
        by_source[p.source].append(p)
    out = []
    for source, group in by_source.items():
        if source in limits and len(group) > limits[source]:
            group = sorted(group, key=lambda p: zlib.crc32(p.path.name.encode()))[: limits[source]]
        out.extend(group)
    return sorted(out, key=lambda p: str(p.path))
