"""The conformance report: a labelled drive replayed against a rule set.

For every labelled interval of a behaviour the rule set times: the warning time the rule asks
for (from the label's start, at the speed then), whether the label lasted long enough to require
a warning, when the app warned (the `warning_at_s` its event recorded) and the time to warning;
a required warning that never came is *missed*, one later than the rule plus `tolerance_s` is
*late*. Alerts (warning or critical, not stationary) raised during labelled normal driving, for
a behaviour the labels judge, with no label of that behaviour under them, are *false alerts*,
counted per hour of labelled normal driving.

An alert is judged by its true cause (evidence `warning_by` / `critical_by`, dms/rules/explain.py):
only the rule's own timer (its duration, a speed band's, its critical speed) answers a label of
that rule; a warning from another path (PERCLOS, visual time-sharing, the unresponsive driver) on
the same stretch is named in the label's note, not counted as the rule's warning.

Each rule of the set then gets a verdict (`RuleVerdict`): *met* (every required warning on time,
no false alert), *not met*, or *not testable* with the reason (no labels of that behaviour, none
lasting the warning time, no speed for a speed-dependent rule); and the drive an overall line.

Normal driving is what the labels call so (DMD `safe_drive`, a hand label `normal`), or else the
drive's time covered by no label at all. Labels of behaviours absent from the label set are not
judged (hand labels leave out what cannot be observed: labels/README.md).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field

from dms.core.words import behaviour_words, cause_words
from dms.rules.model import RuleSet
from dms.scoring.labels import MATCHES, Label
from dms.scoring.openlabel import NORMAL_DRIVING

# The causes that are a behaviour's own rule (its timer); the others are patterns or drowsiness.
RULE_CAUSES = ("timer", "speed_band", "critical_speed")
NORMAL_LABELS = (NORMAL_DRIVING, "normal")  # DMD's safe_drive (read as normal_driving); hand labels

SpeedAt = Callable[[float], float | None]


@dataclass(frozen=True)
class LabelVerdict:
    behaviour: str
    start_s: float
    end_s: float
    threshold_s: float | None  # the rule's warning time for this label (None: no warning rule)
    speed_kmh: float | None
    required: bool  # lasted at least threshold_s at a speed where the rule is active
    warned_at_s: float | None
    verdict: str  # "on time", "late", "missed", "not required", "warned (not required)"
    note: str = ""
    seen_at_s: float | None = None  # when an event of the behaviour (any severity) under the label began

    @property
    def time_to_warning_s(self) -> float | None:
        return None if self.warned_at_s is None else round(self.warned_at_s - self.start_s, 2)

    @property
    def delay_s(self) -> float | None:
        if self.warned_at_s is None or self.threshold_s is None:
            return None
        return round(self.warned_at_s - (self.start_s + self.threshold_s), 2)


@dataclass(frozen=True)
class FalseAlert:
    event_id: str
    behaviour: str
    at_s: float
    severity: str
    cause: str = "timer"  # what made it an alert (dms.core.words.CAUSE_WORDS)


@dataclass(frozen=True)
class RuleVerdict:
    """One rule of the set on this drive: "met", "not met" or "not testable", and why."""

    behaviour: str
    verdict: str
    why: str


@dataclass
class Conformance:
    rule_set: str
    title: str
    tolerance_s: float
    labels: list[LabelVerdict] = field(default_factory=list)
    false_alerts: list[FalseAlert] = field(default_factory=list)
    normal_s: float = 0.0
    judged: list[str] = field(default_factory=list)
    not_regulated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rules: list[RuleVerdict] = field(default_factory=list)

    @property
    def overall(self) -> str:
        """One line for the drive: which rules were met, not met, not testable."""
        met = [r.behaviour for r in self.rules if r.verdict == "met"]
        failed = [r.behaviour for r in self.rules if r.verdict == "not met"]
        untested = [r for r in self.rules if r.verdict == "not testable"]
        if failed:
            head = f"Not met: {_words(failed)}"
            head += f"; met: {_words(met)}" if met else ""
        elif met:
            head = f"Met: {_words(met)}"
        else:
            return (f"Nothing testable: this drive's labels test none of the {len(self.rules)} rules of "
                    f"{self.rule_set} (see each rule's reason).")
        return f"{head}. {len(untested)} of {len(self.rules)} rules not testable on this drive."

    @property
    def false_per_hour(self) -> float | None:
        return None if self.normal_s <= 0 else round(len(self.false_alerts) / (self.normal_s / 3600.0), 1)

    def summary(self) -> list[dict]:
        """Per behaviour: labelled, warnings required, on time, late, missed, median time to warning."""
        rows = []
        for behaviour in sorted({v.behaviour for v in self.labels}):
            mine = [v for v in self.labels if v.behaviour == behaviour]
            times = sorted(
                v.time_to_warning_s for v in mine if v.required and v.time_to_warning_s is not None
            )
            rows.append(
                {
                    "behaviour": behaviour,
                    "labelled": len(mine),
                    "required": sum(v.required for v in mine),
                    "on_time": sum(v.verdict == "on time" for v in mine),
                    "late": sum(v.verdict == "late" for v in mine),
                    "missed": sum(v.verdict == "missed" for v in mine),
                    "median_time_to_warning_s": times[len(times) // 2] if times else None,
                    "false_alerts": sum(f.behaviour == behaviour for f in self.false_alerts),
                }
            )
        return rows


TOUCHING_S = 0.05  # labels of one behaviour this close are one stretch (hand labels split per cut)


def merge_touching(labels: list[Label]) -> list[Label]:
    """Labels of the same behaviour that follow each other without a gap (within TOUCHING_S), as
    one label: a phone call labelled cut by cut (1-2, 2-3, 3-4, 4-5 s) lasted 4 s, not four times
    1 s, and the rule's timer is judged on the 4 s."""
    out: list[Label] = []
    for label in sorted(labels, key=lambda x: (x.behaviour, x.start_s)):
        last = out[-1] if out else None
        touching = last is not None and label.start_s - last.end_s <= TOUCHING_S
        if touching and last.behaviour == label.behaviour:
            out[-1] = Label(last.behaviour, last.start_s, max(last.end_s, label.end_s), last.confidence)
        else:
            out.append(label)
    return sorted(out, key=lambda x: x.start_s)


def _words(behaviours: list[str]) -> str:
    return ", ".join(behaviour_words(b) for b in behaviours)


def _alerts(event: dict) -> list[tuple[float, str]]:
    """When the event became a warning / critical and by which path, earliest first; [] if it
    never alerted (or was stationary). Events written before causes were recorded: the timer."""
    if event.get("severity") not in ("warning", "critical") or event.get("stationary"):
        return []
    evidence = event.get("evidence") or {}
    out = [
        (float(evidence[f"{s}_at_s"]), str(evidence.get(f"{s}_by") or "timer"))
        for s in ("warning", "critical")
        if evidence.get(f"{s}_at_s") is not None
    ]
    return sorted(out) or [(float(event["start_s"]), "timer")]


def _alert_time(event: dict) -> float | None:
    """When the event became an alert (warning or critical), None if it never did."""
    alerts = _alerts(event)
    return alerts[0][0] if alerts else None


def _answers(behaviour: str) -> tuple[str, ...]:
    return MATCHES.get(behaviour, (behaviour,))


def _overlaps(a0: float, a1: float, b0: float, b1: float) -> bool:
    return a0 < b1 and b0 < a1


def _normal_spans(labels: list[Label], duration_s: float) -> list[tuple[float, float]]:
    normal = [(lab.start_s, lab.end_s) for lab in labels if lab.behaviour in NORMAL_LABELS]
    if normal:
        return normal
    spans, t = [], 0.0
    for start, end in sorted((lab.start_s, lab.end_s) for lab in labels):
        if start > t:
            spans.append((t, start))
        t = max(t, end)
    if duration_s > t:
        spans.append((t, duration_s))
    return spans


def check(
    events: list[dict],
    labels: list[Label],
    rules: RuleSet,
    duration_s: float,
    speed_at: SpeedAt | None = None,
    tolerance_s: float = 0.5,
) -> Conformance:
    """The conformance of `events` (events.json records) with `rules` on `labels`."""
    speed_at = speed_at or (lambda t: None)
    report = Conformance(rules.name, rules.title, tolerance_s)
    given = len(labels)
    labels = merge_touching(labels)
    if len(labels) < given:
        report.notes.append(
            f"{given - len(labels)} label(s) continue the one before them (same behaviour, no gap): "
            "judged as one stretch each"
        )
    behaviours = sorted({lab.behaviour for lab in labels} - set(NORMAL_LABELS))
    report.judged = behaviours
    report.not_regulated = [b for b in behaviours if rules.timing(b) is None]
    unknown_speed = False
    for label in sorted((lab for lab in labels if lab.behaviour in behaviours), key=lambda x: x.start_s):
        timing = rules.timing(label.behaviour)
        if timing is None:
            continue
        speed = speed_at(label.start_s)
        unknown_speed |= speed is None and timing.needs_speed
        threshold = timing.warning_at(speed)
        if threshold is None:
            threshold = timing.critical_s
        active = timing.active_above_kmh is None or speed is None or speed > timing.active_above_kmh
        required = threshold is not None and active and label.end_s - label.start_s >= threshold - 1e-6
        under = [
            e for e in events
            if e["behavior"] in _answers(label.behaviour)
            and _overlaps(float(e["start_s"]), float(e["end_s"]), label.start_s, label.end_s)
        ]
        alerts = [a for e in under for a in _alerts(e)]
        own = [t for t, cause in alerts if cause in RULE_CAUSES]
        other = sorted((t, cause) for t, cause in alerts if cause not in RULE_CAUSES)
        warned_at = min(own) if own else None
        seen = [float(e["start_s"]) for e in under]
        notes = [] if active else [
            f"vehicle at {speed:.0f} km/h: rule active above {timing.active_above_kmh:g} km/h"
        ]
        if other:
            t, cause = other[0]
            notes.append(f"warned at {t:.2f} s by {cause_words(cause)}, not by this rule's timer")
        note = "; ".join(notes)
        if not required:
            verdict = "warned (not required)" if warned_at is not None else "not required"
        elif warned_at is None:
            verdict = "missed"
        elif warned_at > label.start_s + threshold + tolerance_s:
            verdict = "late"
        else:
            verdict = "on time"
        report.labels.append(
            LabelVerdict(
                label.behaviour,
                label.start_s,
                label.end_s,
                threshold,
                speed,
                required,
                warned_at,
                verdict,
                note,
                min(seen) if seen else None,
            )
        )
    normal = _normal_spans(labels, duration_s)
    report.normal_s = round(sum(b - a for a, b in normal), 2)
    starts = [a for a, _ in normal]
    judged_events = set()
    for behaviour in behaviours:
        judged_events.update(_answers(behaviour))
    if {"eyes_off_road", "eyes_closed"} & set(behaviours):
        judged_events.add("unresponsive")
    for event in events:
        at = _alert_time(event)
        if at is None or event["behavior"] not in judged_events:
            continue
        i = bisect.bisect_right(starts, at) - 1
        in_normal = i >= 0 and normal[i][0] <= at < normal[i][1]
        family = [b for b in behaviours if event["behavior"] in _answers(b)]
        if event["behavior"] == "unresponsive":
            family = [b for b in behaviours if b in ("eyes_off_road", "eyes_closed")]
        labelled = any(
            lab.behaviour in family
            and _overlaps(float(event["start_s"]), float(event["end_s"]), lab.start_s, lab.end_s)
            for lab in labels
        )
        if in_normal and not labelled:
            report.false_alerts.append(
                FalseAlert(
                    event["id"], event["behavior"], round(at, 2), event["severity"], _alerts(event)[0][1]
                )
            )
    if unknown_speed:
        report.notes.append(
            f"no speed for some labels: rule set {rules.name}'s shortest warning times were used "
            "and its activation speeds could not be checked"
        )
    if report.not_regulated:
        report.notes.append(
            f"labelled but not regulated by {rules.name}: "
            f"{', '.join(behaviour_words(b) for b in report.not_regulated)}"
        )
    has_speed = any(speed_at(lab.start_s) is not None for lab in labels)
    report.rules = [_rule_verdict(b, rules, report, labels, has_speed) for b in sorted(rules.timings)]
    return report


def _rule_verdict(
    behaviour: str, rules: RuleSet, report: Conformance, labels: list[Label], has_speed: bool
) -> RuleVerdict:
    """Met / not met / not testable for one timed behaviour of the rule set (module docstring)."""
    timing = rules.timings[behaviour]
    what = behaviour_words(behaviour)
    mine = [v for v in report.labels if v.behaviour == behaviour]
    false = [f for f in report.false_alerts if f.behaviour in _answers(behaviour)]
    if (timing.bands or timing.active_above_kmh is not None) and not has_speed:
        return RuleVerdict(behaviour, "not testable", (
            "no speed: its warning time or activation depends on the vehicle's speed and this drive has "
            "no telemetry"
        ))
    if not any(lab.behaviour == behaviour for lab in labels):
        return RuleVerdict(behaviour, "not testable", f"no labels of {what} on this drive")
    required = [v for v in mine if v.required]
    if not required:
        longest = max((v.end_s - v.start_s for v in mine), default=0.0)
        limit = timing.warning_at(None) if timing.warning_at(None) is not None else timing.critical_s
        limit_text = f"the {limit:g} s warning time" if limit is not None else "a warning time"
        text = f"no labelled {what} lasted {limit_text} (longest {longest:.1f} s)"
        if false:
            return RuleVerdict(behaviour, "not met", f"{text}, but {len(false)} false alert(s)")
        return RuleVerdict(behaviour, "not testable", text)
    missed = sum(v.verdict == "missed" for v in required)
    late = sum(v.verdict == "late" for v in required)
    counts = f"{len(required) - missed - late} of {len(required)} required warnings on time"
    if missed or late or false:
        parts = [counts] + [f"{n} {k}" for n, k in ((missed, "missed"), (late, "late")) if n]
        if false:
            parts.append(f"{len(false)} false alert(s)")
        return RuleVerdict(behaviour, "not met", ", ".join(parts))
    return RuleVerdict(behaviour, "met", f"{counts}, no false alert")
