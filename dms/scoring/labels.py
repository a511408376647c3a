"""Hand labels of a clip (behavior,start_s,end_s,confidence,note) scored against detected events.

A labelled interval is found when an event of a matching behaviour overlaps it; an event that
overlaps no label of its behaviour is a false event — but only where the labels say the
behaviour was observable (a behaviour absent from a clip's label file is not judged there).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dms.core.errors import InputError

# Which detected behaviours answer which label: without a classifier, eating at the mouth is
# reported as hand_at_mouth (DESIGN.md), so a `drinking` label is also found by it.
MATCHES: dict[str, tuple[str, ...]] = {
    "drinking": ("drinking", "hand_at_mouth"),
    "smoking": ("smoking", "hand_at_mouth"),
}


@dataclass(frozen=True)
class Label:
    """One labelled interval (seconds of media time); the CSV's `behavior` column."""

    behaviour: str
    start_s: float
    end_s: float
    confidence: str

    def holds(self, t: float, margin: float = 0.0) -> bool:
        """Does the interval, widened by `margin` seconds on both sides, contain time t?"""
        return self.start_s - margin <= t <= self.end_s + margin


@dataclass(frozen=True)
class BehaviourScore:
    behaviour: str
    labelled: int
    found: int
    missed: int
    false_events: int


LABEL_COLUMNS = ("behavior", "start_s", "end_s")  # required; `confidence` and `note` are optional


def load_labels(path: str | Path) -> list[Label]:
    """The project's one reader of a hand-label CSV (behavior,start_s,end_s[,confidence,note]);
    used by `score` and by the perception agreement check. InputError names the file and problem."""
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise InputError(path, "label file not found") from None
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(path, f"bad label file ({exc})") from None
    if not set(LABEL_COLUMNS) <= set(frame.columns):
        raise InputError(path, f"label file needs the columns {', '.join(LABEL_COLUMNS)}")
    confidence = frame["confidence"] if "confidence" in frame else pd.Series(["high"] * len(frame))
    try:
        return [
            Label(str(b), float(s), float(e), str(c))
            for b, s, e, c in zip(
                frame["behavior"], frame["start_s"], frame["end_s"], confidence, strict=True
            )
        ]
    except ValueError as exc:
        raise InputError(path, f"bad label file ({exc})") from None


def _overlaps(a0: float, a1: float, b0: float, b1: float) -> bool:
    return a0 < b1 and b0 < a1


def score_events(
    events: list[dict], labels: list[Label], behaviours: list[str] | None = None
) -> list[BehaviourScore]:
    """Found / missed labelled intervals and false events, per labelled behaviour.

    `events` are events.json records (behavior, start_s, end_s)."""
    wanted = behaviours or sorted({label.behaviour for label in labels})
    out = []
    for behaviour in wanted:
        answers = MATCHES.get(behaviour, (behaviour,))
        mine = [lab for lab in labels if lab.behaviour == behaviour]
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
