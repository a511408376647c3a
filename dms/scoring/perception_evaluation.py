"""Measures the landmark cues against hand-labelled clips: per-frame agreement and time per frame.

For every clip in DATA_DIR/video with a label file in DATA_DIR/labels: the share of labelled
frames where each cue agrees with the label and the median milliseconds per analysed frame
(`python main.py eval-perception DATA_DIR`, dms/commands/eval_perception.py, prints the tables; the
tests use the same functions).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from dms.core.config import Settings
from dms.core.profile import CameraProfile
from dms.core.types import Cues
from dms.perception.cues import LandmarkCues
from dms.scoring.labels import Label
from dms.sources.readers import open_source

INSIDE_MARGIN_S = 0.1  # label boundaries are checked to about +-0.1 s
AWAY_MARGIN_S = 0.3  # "away" starts this far from any labelled interval of the behaviour


@dataclass
class CueRun:
    """The cues of every analysed frame of one source, and how long each frame took: wall time,
    and CPU time of the process (all threads), which other work on a shared machine inflates less."""

    times: list[float] = field(default_factory=list)
    cues: list[Cues] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return float(np.median(self.ms)) if self.ms else 0.0

    @property
    def median_cpu_ms(self) -> float:
        return float(np.median(self.cpu_ms)) if self.cpu_ms else 0.0


@dataclass(frozen=True)
class Agreement:
    """How often a cue said what the labels say, over the frames where the cue was known."""

    cue: str
    behaviour: str
    inside: tuple[int, int]  # (frames agreeing, frames known) inside labelled intervals
    outside: tuple[int, int]  # the same away from them (the cue should say "no")
    unknown_inside: int

    @staticmethod
    def share(pair: tuple[int, int]) -> float | None:
        return pair[0] / pair[1] if pair[1] else None


def run_cues(
    spec: str | Path,
    profile: CameraProfile | None = None,
    settings: Settings | None = None,
    analysis_fps: float = Settings.analysis_fps,
    image_fps: float = 1.0,
    progress: bool = False,
) -> CueRun:
    """Analyse a video or image folder with a fresh LandmarkCues, as the pipeline would."""
    settings = settings or Settings()
    run = CueRun()
    with (
        open_source(spec, analysis_fps=analysis_fps, image_fps=image_fps) as source,
        LandmarkCues(profile or CameraProfile.load(), settings) as landmarks,
    ):
        for frame in tqdm(source, desc=Path(spec).name, unit="frame", disable=not progress):
            started, cpu_started = time.perf_counter(), time.process_time()
            cues = landmarks(frame)
            run.ms.append((time.perf_counter() - started) * 1000.0)
            run.cpu_ms.append((time.process_time() - cpu_started) * 1000.0)
            run.times.append(frame.t)
            run.cues.append(cues)
    return run


@dataclass(frozen=True)
class CueCheck:
    """Which cue answers a labelled behaviour, and how; `score_away` is False where the labels
    leave the rest of the clip unobserved (hands: absence means "not visible", not "on the wheel")."""

    cue: str
    says: Callable[[Cues], bool | None]  # None when the cue is unknown on that frame
    score_away: bool = True


def cue_checks(settings: Settings, profile: CameraProfile) -> dict[str, CueCheck]:
    """Label behaviour -> the cue check that measures it."""

    def known(cue, test):
        return None if cue.value is None else bool(test(cue.value))

    def off_road(c: Cues) -> bool | None:
        if c.head_yaw.value is None:
            return None
        yaw_low, yaw_high = profile.road_yaw_deg
        pitch_low, pitch_high = profile.road_pitch_deg
        pitch = c.head_pitch.value
        if not yaw_low <= c.head_yaw.value <= yaw_high:
            return True
        return None if pitch is None else not pitch_low <= pitch <= pitch_high  # as fusion judges it

    return {
        "hand_at_mouth": CueCheck("hand_at_mouth", lambda c: known(c.hand_at_mouth, lambda v: v >= 1)),
        "hand_at_ear": CueCheck("hand_at_ear", lambda c: known(c.hand_at_ear, lambda v: v >= 1)),
        "eyes_closed": CueCheck("eyes_closed", lambda c: known(c.eyes_closed, lambda v: v >= 1)),
        "yawning": CueCheck(
            "mouth_open", lambda c: known(c.mouth_open, lambda v: v > settings.yawn_mouth_ratio)
        ),
        "eyes_off_road": CueCheck("head_yaw/pitch", off_road),
        "console": CueCheck("hand_in_console", lambda c: known(c.hand_in_console, lambda v: v >= 1)),
        "one_hand_off_wheel": CueCheck(
            "hands_on_wheel", lambda c: known(c.hands_on_wheel, lambda v: v == 1), score_away=False
        ),
        "hands_off_wheel": CueCheck(
            "hands_on_wheel", lambda c: known(c.hands_on_wheel, lambda v: v == 0), score_away=False
        ),
    }


def agreements(
    run: CueRun,
    labels: list[Label],
    settings: Settings | None = None,
    profile: CameraProfile | None = None,
) -> list[Agreement]:
    """Per labelled behaviour that a cue measures: agreement inside and away from its intervals."""
    checks = cue_checks(settings or Settings(), profile or CameraProfile.load())
    results = []
    for behaviour in sorted({label.behaviour for label in labels} & set(checks)):
        check = checks[behaviour]
        intervals = [label for label in labels if label.behaviour == behaviour]
        inside, outside, unknown_inside = [0, 0], [0, 0], 0
        for t, cues in zip(run.times, run.cues, strict=True):
            said = check.says(cues)
            if any(i.holds(t, -INSIDE_MARGIN_S) for i in intervals):
                if said is None:
                    unknown_inside += 1
                else:
                    inside[0] += said
                    inside[1] += 1
            elif (
                check.score_away
                and said is not None
                and not any(i.holds(t, AWAY_MARGIN_S) for i in intervals)
            ):
                outside[0] += not said
                outside[1] += 1
        results.append(Agreement(check.cue, behaviour, tuple(inside), tuple(outside), unknown_inside))
    return results
