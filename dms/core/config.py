"""Detection thresholds, all user-editable: when a cue counts, when a behaviour's score is an event.

When an event becomes a warning or a critical alert (durations, speed bands, critical speeds,
visual time-sharing) is the rule set's alone (dms.rules: Euro NCAP by default), so one number has
one owner. Settings name the rule set in force (`rule_set`); fleet products gate alerts by speed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path


def analysis_period_s(analysis_fps: float) -> float:
    """Media seconds between analysed frames: 1 / `analysis_fps`, or 0 (every frame) when it is 0.
    The one place the analysis rate (`Settings.analysis_fps`, frames per second) is turned into
    time; the sources thin by it, the pipeline's gap limit and the clips' rate follow from it."""
    return 1.0 / analysis_fps if analysis_fps > 0 else 0.0


def analysis_rate(analysis_fps: float, native_fps: float) -> float:
    """Frames analysed per second of media: `analysis_fps`, or every frame (`native_fps`, the
    source's own rate) when it is 0."""
    return analysis_fps if analysis_fps > 0 else native_fps


@dataclass(frozen=True)
class BehaviourRule:
    """When one behaviour's score is an event (detection; when an event alerts is the rule set's:
    dms.rules, docs/rules.md).

    on/off: hysteresis thresholds on the smoothed score. min_s: shortest event kept.
    gap_s: a drop below `off` shorter than this does not end the event.
    cooldown_s: after an event ends, a new one of the same behaviour is not opened (announced)
    before this long has passed; it keeps its true start time when it is.
    """

    on: float = 0.6
    off: float = 0.4
    min_s: float = 1.0
    gap_s: float = 0.5
    cooldown_s: float = 2.0
    smooth_s: float | None = None  # score smoothing time constant; None = Settings.smoothing_s


# Alert timings that settings files held before the rule set owned them (docs/rules.md).
RULE_SET_KEYS = frozenset({"warning_s", "critical_s", "speed_critical"})
RULE_SET_SETTINGS = frozenset({"vats_total_s", "vats_window_s", "vats_reset_s", "critical_speed_kmh"})


def holds_rule_set_timings(data: object) -> bool:
    """Whether settings read from JSON name alert timings that the rule set holds now (a file saved
    by an earlier version of the app: RULE_SET_SETTINGS at the top, RULE_SET_KEYS in `rules`)."""
    if not isinstance(data, dict):
        return False
    rules = data.get("rules")
    in_rules = isinstance(rules, dict) and any(
        isinstance(rule, dict) and set(rule) & RULE_SET_KEYS for rule in rules.values()
    )
    return in_rules or bool(set(data) & RULE_SET_SETTINGS)


def _default_rules() -> dict[str, BehaviourRule]:
    return {
        "phone": BehaviourRule(min_s=1.0),
        "smoking": BehaviourRule(min_s=1.0),
        "drinking": BehaviourRule(min_s=1.0),
        "looking_back": BehaviourRule(min_s=0.5),
        "console": BehaviourRule(min_s=0.5),
        "hands_off_wheel": BehaviourRule(min_s=5.0),
        # Eyes off road logged from 1 s (the rule set warns from 3 s: Euro NCAP's long distraction).
        "eyes_off_road": BehaviourRule(min_s=1.0, gap_s=0.3),
        # Eye closures from 0.5 s (a microsleep), unsmoothed.
        "eyes_closed": BehaviourRule(on=0.5, off=0.5, min_s=0.5, gap_s=0.15, cooldown_s=0.0, smooth_s=0.0),
        "yawning": BehaviourRule(min_s=0.8, gap_s=0.4, cooldown_s=1.0),
        "hand_at_mouth": BehaviourRule(min_s=1.0),
    }


@dataclass(frozen=True)
class FusionWeights:
    """How fusion weighs the landmark cues (dms/fusion/scores.py, docs/engine.md "Fusion").

    A weight is how strongly one cue alone supports a behaviour; below the behaviour's `on`
    threshold the cue can only support an event together with another source. The two phone
    weights are what a hand at the ear and the head down with no hand on the wheel raise a phone
    to *while a phone is seen* (detector or classifier at `source_named` or more); without one they
    support nothing (issue 18: a hand at the ear is no phone). `cue_present` is where a 0..1 cue
    counts as observed true; `source_named` is the support from which a source is named in an
    event's evidence; `explained_by_classifier` is how sure the classifier must be of another
    behaviour to explain a landmark cue away (a cup near the ear is not a phone).
    """

    hand_at_ear_phone: float = 0.8
    head_down_hands_off_phone: float = 0.45
    face_lost_looking_back: float = 0.7
    hand_in_console: float = 0.8
    cue_present: float = 0.5
    source_named: float = 0.3
    explained_by_classifier: float = 0.5  # another behaviour's probability that explains a cue away


@dataclass(frozen=True)
class Settings:
    """Everything a user may tune. Saved and loaded as JSON (GUI settings, `--settings`)."""

    analysis_fps: float = 10.0  # frames analysed per second of media; 0 = every frame
    smoothing_s: float = 0.2  # exponential smoothing time constant of behaviour scores
    rules: dict[str, BehaviourRule] = field(default_factory=_default_rules)
    fusion: FusionWeights = field(default_factory=FusionWeights)
    perclos_window_s: float = 60.0
    perclos_min_s: float = 10.0  # PERCLOS is reported once this much eye state has been seen
    perclos_warning: float = 0.15  # share of time with eyes closed that raises a drowsiness warning
    # Cue thresholds (angles in degrees; ratios are landmark geometry, camera independent).
    # The road gaze zone itself belongs to the camera profile (CameraProfile.road_*_deg).
    yaw_looking_back_deg: float = 60.0
    eye_closed_ratio: float = 0.6  # eye openness below this share of the driver's own baseline
    yawn_mouth_ratio: float = 0.5  # inner-lip height / mouth width
    # The one "head down" threshold (head pitch from the driver's own straight-ahead pose). From a
    # camera ahead of the driver, lids look closed when the driver looks down: with the head pitched
    # below this, closed-looking eyes count as eyes off road, not as an eye closure; the open-eye
    # baseline is not learned; and with no hand on the wheel it supports `phone` (texting).
    eyes_down_pitch_deg: float = -10.0
    unknown_hold_s: float = 0.5  # a cue unseen for longer than this stops supporting its behaviour
    camera_degraded_s: float = 3.0  # driver not monitorable this long: camera_degraded (NCAP: < 10 s)
    # Speed gating (fleet practice): below this, events are logged as stationary, severity info.
    speed_gate_kmh: float = 10.0
    harsh_brake_ms2: float = 3.5
    harsh_accel_ms2: float = 3.0
    # Evidence and export.
    pre_roll_s: float = 3.0
    post_roll_s: float = 2.0
    blur_faces: bool = False
    sound: bool = True
    # What events are judged by: a built-in rule set (euro-ncap, eu-addw, eu-ddaw) or a JSON file
    # (dms/rules, docs/rules.md), which holds the alert timings.
    rule_set: str = "euro-ncap"

    def rule(self, behaviour: str) -> BehaviourRule:
        return self.rules.get(behaviour, BehaviourRule())

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @staticmethod
    def from_dict(data: dict) -> Settings:
        """Build settings from a (possibly partial) dict; unknown keys are an error."""
        base = Settings()
        if not isinstance(data, dict):
            raise ValueError(f"settings must be a JSON object, not {type(data).__name__}")
        known = {f.name for f in fields(Settings)}
        unknown = set(data) - known
        if unknown:
            moved = " (alert timings belong to the rule set: --rules FILE, docs/rules.md)" \
                if unknown & RULE_SET_SETTINGS else ""
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}{moved}")
        values = dict(data)
        if "rules" in values:
            rules = dict(base.rules)
            rule_fields = {f.name for f in fields(BehaviourRule)}
            if not isinstance(values["rules"], dict):
                raise ValueError("rules: must be an object of behaviour rules")
            for name, rule in values["rules"].items():
                if not isinstance(rule, dict):
                    raise ValueError(f"rules.{name}: must be an object of rule fields")
                bad = set(rule) - rule_fields
                if bad:
                    moved = " (alert timings belong to the rule set: --rules FILE, docs/rules.md)" \
                        if bad & RULE_SET_KEYS else ""
                    raise ValueError(f"rule {name}: unknown field(s) {', '.join(sorted(bad))}{moved}")
                rules[name] = replace(rules.get(name, BehaviourRule()), **rule)
            values["rules"] = rules
        if "fusion" in values:
            if not isinstance(values["fusion"], dict):
                raise ValueError("fusion: must be an object of fusion weights")
            bad = set(values["fusion"]) - {f.name for f in fields(FusionWeights)}
            if bad:
                raise ValueError(f"fusion: unknown field(s) {', '.join(sorted(bad))}")
            values["fusion"] = replace(base.fusion, **values["fusion"])
        return replace(base, **values)

    def save(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(self.to_json())
