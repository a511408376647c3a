"""Hand labels of a clip (behavior,start_s,end_s,confidence,note) scored against detected events.

A labelled interval is found when an event of a matching behaviour overlaps it; an event that
overlaps no label of its behaviour is a false event — but only where the labels say the
behaviour was observable (a behaviour absent from a clip's label file is not judged there).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dms.errors import InputError

# Which detected behaviours answer which label: without a classifier, eating at the mouth is
# reported as hand_at_mouth (DESIGN.md), so a `drinking` label is also found by it.
MATCHES: dict[str, tuple[str, ...]] = {
    "drinking": ("drinking", "hand_at_mouth"),
    "smoking": ("smoking", "hand_at_mouth"),
}


@dataclass(frozen=True)
class Label:
    behavior: str
    start_s: float
    end_s: float
    confidence: str


@dataclass(frozen=True)
class BehaviourScore:
    behavior: str
    labelled: int
    found: int
    missed: int
    false_events: int


def load_labels(path: str | Path) -> list[Label]:
    try:
        frame = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read labels ({exc})") from None
    missing = {"behavior", "start_s", "end_s"} - set(frame.columns)
    if missing:
        raise InputError(path, f"labels lack column(s) {', '.join(sorted(missing))}")
    confidence = frame["confidence"] if "confidence" in frame else pd.Series(["high"] * len(frame))
    return [
        Label(str(b), float(s), float(e), str(c))
        for b, s, e, c in zip(frame["behavior"], frame["start_s"], frame["end_s"], confidence, strict=True)
    ]


def _overlaps(a0: float, a1: float, b0: float, b1: float) -> bool:
    return a0 < b1 and b0 < a1


def score_events(
    events: list[dict], labels: list[Label], behaviours: list[str] | None = None
) -> list[BehaviourScore]:
    """Found / missed labelled intervals and false events, per labelled behaviour.

    `events` are events.json records (behavior, start_s, end_s)."""
    wanted = behaviours or sorted({label.behavior for label in labels})
    out = []
    for behaviour in wanted:
        answers = MATCHES.get(behaviour, (behaviour,))
        mine = [lab for lab in labels if lab.behavior == behaviour]
        candidates = [e for e in events if e["behavior"] in answers]
        found = sum(
            any(_overlaps(e["start_s"], e["end_s"], lab.start_s, lab.end_s) for e in candidates)
            for lab in mine
        )
        false = sum(
            not any(_overlaps(e["start_s"], e["end_s"], lab.start_s, lab.end_s) for lab in mine)
            for e in candidates
            if e["behavior"] == behaviour
        )
        out.append(BehaviourScore(behaviour, len(mine), found, len(mine) - found, false))
    return out
