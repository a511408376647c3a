"""Labelled pictures and clips through the replay pipeline: per-behaviour precision and recall of what the
whole analysis decides, and how often each region and detection was found (issue 18, item 2).

Every item runs through the very pipeline `replay` builds from the same recipe (landmarks, the
classifier where it runs, the object detector, their ties to the ears, mouth and hands, fusion), as
a drive of its own: the landmark tracking, the classifier's buffers and the fusion smoothing restart
on it. A still is one frame; fusion's first frame is its own evidence (no smoothing from zero), so a
behaviour is *decided* where its score on the item reaches the rule's `on` threshold (on any frame
of a clip). A behaviour no model of this recipe can see (`monitored`) is "not monitored", never a
"no".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from dms.core.config import analysis_rate
from dms.core.errors import InputError
from dms.core.types import BEHAVIOURS, Frame, FrameResult
from dms.core.words import behaviour_words
from dms.pipeline.recipe import AnalysisRecipe
from dms.sources.picture import shrink
from dms.sources.readers import IMAGE_SUFFIXES

NONE = "none"
# The behaviours an eval decides: the distractions a model sees (the others are landmark cues, measured
# on clips by dms.scoring.perception_evaluation).
DECIDED = ("phone", "smoking", "drinking", "console", "looking_back")
ITEM_GAP_S = 100.0  # media time between items: more than any frame gap, so fusion starts afresh


@dataclass(frozen=True)
class LabelledItem:
    """One labelled picture or clip: `truth` a behaviour or "none", `group` its driver or source
    folder, `frames()` its pictures (BGR uint8) in order."""

    name: str
    truth: str
    group: str
    frames: Callable[[], Iterable[np.ndarray]]


@dataclass(frozen=True)
class ItemResult:
    """What the pipeline decided on one item, what it could not see, and what it found there."""

    name: str
    truth: str
    group: str
    decided: frozenset[str]
    not_monitored: frozenset[str]
    found: frozenset[str]  # regions and detections seen on at least one frame (FOUND names)
    top_class: str | None  # the classifier's most probable class on the last frame, where it ran


# What "found" counts, in a reader's words.
FOUND = {
    "face": "face (face mesh)",
    "body": "body (pose: shoulders)",
    "hand": "a hand (hand model or pose wrist)",
    "phone_box": "a phone box (detector)",
    "cigarette_box": "a cigarette box (detector)",
    "phone_at_ear": "a phone at an ear",
    "phone_in_hand": "a phone in a hand",
    "cigarette_at_mouth": "a cigarette at the mouth",
    "cigarette_in_hand": "a cigarette in a hand",
}
LANDMARK_REGIONS = ("face", "body", "hand")


def folder_items(root: Path) -> list[LabelledItem]:
    """The pictures of an ImageFolder tree: ROOT/<behaviour or none>/**/*.jpg (png, ...).

    InputError naming the folder when ROOT is no folder, a class folder is no behaviour this
    product reports, or there is no picture at all.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(root, "not a folder (expected one folder per behaviour: phone/, none/ ...)")
    known = (*BEHAVIOURS, NONE)
    items = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name not in known:
            raise InputError(folder, f"not a behaviour folder; expected one of {', '.join(known)}")
        pictures = (p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        for path in sorted(pictures):
            group = path.parent.name if path.parent != folder else folder.name
            items.append(LabelledItem(str(path.relative_to(root)), folder.name, group, _still(path)))
    if not items:
        raise InputError(root, "no pictures in its behaviour folders")
    return items


def _still(path: Path) -> Callable[[], list[np.ndarray]]:
    def read() -> list[np.ndarray]:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise InputError(path, "cannot read the picture")
        return [image]

    return read


@dataclass
class PipelineEval:
    """Runs items through one pipeline built from `recipe` (no event log); `results` in order."""

    recipe: AnalysisRecipe
    results: list[ItemResult] = field(default_factory=list)
    note: str = ""  # which models ran on which view (dms.classifier.choice), once run
    detector_ran: bool = False

    def run(self, items: list[LabelledItem],
            progress: Callable[[int], None] | None = None) -> list[ItemResult]:
        analysis = self.recipe.build(None)
        pipeline, self.note = analysis.pipeline, analysis.classifier_note
        self.detector_ran = pipeline.detector is not None
        on = {b: self.recipe.settings.rule(b).on for b in DECIDED}
        seen = monitored(pipeline.classifier, pipeline.detector)
        rate = analysis_rate(self.recipe.settings.analysis_fps, self.recipe.image_fps)  # a folder's rate
        try:
            for k, item in enumerate(items):
                if pipeline.classifier is not None:
                    pipeline.classifier.reset()
                pipeline.landmarks.reset()
                frames = (Frame(i, k * ITEM_GAP_S + i / rate, shrink(image))
                          for i, image in enumerate(item.frames()))
                self.results.append(_score(item, (pipeline.step(f) for f in frames), on, seen))
                if progress is not None:
                    progress(k + 1)
        finally:
            pipeline.landmarks.close()
            analysis.close()
        return self.results


def monitored(classifier, detector) -> set[str]:
    """The decided behaviours some model (or cue) of the pipeline can see: phone with the classifier's
    phone or the detector's phones, smoking only with the detector's cigarettes, drinking only with
    the classifier's (the detector has no cup); console and looking back always have landmark cues."""
    clf = set(classifier.behaviour_of.values()) if classifier is not None else set()
    kinds = set(detector.kinds) if detector is not None else set()
    seen = {"console", "looking_back"} | (clf & {"phone", "drinking"})
    seen |= {"phone"} if "phone" in kinds else set()
    seen |= {"smoking"} if "cigarette" in kinds else set()
    return seen


def _score(item: LabelledItem, results: Iterator[FrameResult], on: dict[str, float],
           seen: set[str]) -> ItemResult:
    decided: set[str] = set()
    found: set[str] = set()
    top = None
    for result in results:
        decided |= {b for b, threshold in on.items() if result.scores.values.get(b, 0.0) >= threshold}
        found |= _found(result)
        top = result.probs.top()[0] if result.probs is not None else None
    blind = frozenset(set(on) - seen)
    return ItemResult(item.name, item.truth, item.group, frozenset(decided), blind, frozenset(found), top)


def _found(result: FrameResult) -> set[str]:
    cues, found = result.cues, set()
    if cues.face_visible.value:
        found.add("face")
    if cues.body_visible.value:
        found.add("body")
    marks = cues.landmarks
    if marks.left_hand is not None or marks.right_hand is not None or cues.hand_at_mouth.known:
        found.add("hand")
    if result.objects is not None:
        found |= {f"{kind}_box" for kind in result.objects.kinds if result.objects.of(kind)}
    found |= {name for name, value in vars(result.ties).items() if value}
    return found


@dataclass(frozen=True)
class BehaviourScore:
    """Precision and recall of one decided behaviour over the items (None: no item to measure it on)."""

    behaviour: str
    precision: float | None
    recall: float | None
    support: int  # items labelled with it
    decided: int  # items it was decided on
    not_monitored: int  # items labelled with it on which nothing could see it


def behaviour_scores(results: list[ItemResult]) -> list[BehaviourScore]:
    """Per decided behaviour present in the labels or the decisions; "none" is right when nothing
    was decided on an item."""
    scores = []
    for behaviour in (*DECIDED, NONE):
        if behaviour == NONE:
            hits = [not r.decided for r in results]
        else:
            hits = [behaviour in r.decided for r in results]
        truth = [r.truth == behaviour for r in results]
        if not any(truth) and not any(hits):
            continue
        tp = sum(h and t for h, t in zip(hits, truth, strict=True))
        decided, support = sum(hits), sum(truth)
        blind = sum(t and behaviour in r.not_monitored for r, t in zip(results, truth, strict=True))
        scores.append(BehaviourScore(behaviour, tp / decided if decided else None,
                                     tp / support if support else None, support, decided, blind))
    return scores


def found_shares(results: list[ItemResult], detector_ran: bool) -> dict[str, dict[str, float]]:
    """Per label: the share of its items on which each region (and, where the detector ran, each
    detection) was found."""
    names = [n for n in FOUND if detector_ran or n in LANDMARK_REGIONS]
    out: dict[str, dict[str, float]] = {}
    for truth in sorted({r.truth for r in results}):
        mine = [r for r in results if r.truth == truth]
        counts = Counter(name for r in mine for name in r.found)
        out[truth] = {name: round(counts[name] / len(mine), 3) for name in names}
    return out


def format_scores(scores: list[BehaviourScore]) -> str:
    """The scores as a terminal table, behaviours in words (a label folder's own name otherwise)."""
    def cell(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    names = [behaviour_words(s.behaviour) for s in scores]
    width = max([len("behaviour"), *map(len, names)]) + 2
    head = f"{'behaviour':<{width}}{'precision':>10}{'recall':>8}{'labelled':>10}{'decided':>9}"
    lines = [head + f"{'not seen by any model':>23}"]
    lines += [f"{name:<{width}}{cell(s.precision):>10}{cell(s.recall):>8}{s.support:>10}{s.decided:>9}"
              f"{s.not_monitored:>23}" for name, s in zip(names, scores, strict=True)]
    return "\n".join(lines)


def format_found(shares: dict[str, dict[str, float]]) -> str:
    lines = ["found on (share of the pictures of each label):"]
    for truth, found in shares.items():
        parts = ", ".join(f"{FOUND[name]} {100 * share:.0f}%" for name, share in found.items())
        lines.append(f"  {behaviour_words(truth)}: {parts}")
    return "\n".join(lines)
