"""Scripted behaviour streams (no video) that put every threshold of a rule set to the test.

Each `Case` is a stream of fusion outputs (`Scores` at `fps`) in which one behaviour is seen with
full score for a set time, at a set speed or without telemetry, just below, at or just above one
threshold of the rule set; `expected` is the severity the rule set must give and `due_s` when the
threshold is reached. `run_case` replays it through the real `EventTracker` and reports what
happened, so tests (and `score --rules NAME --scripted`) check that each warning lands within one
analysed frame of where the rule puts it.

Durations are measured as the tracker measures them: each frame stands for one frame interval,
so a behaviour seen on the frames 1.0 s ... 3.9 s at 10 Hz lasted 3.0 s, and a threshold is
reached on the frame whose interval completes it (3.9 s for 3 s from 1.0 s).
"""

from __future__ import annotations

from dataclasses import dataclass

from dms.core.config import Settings
from dms.core.types import BEHAVIOURS, SEVERITIES, Scores, VehicleState
from dms.events.tracker import EventTracker
from dms.rules.model import RuleSet, Timing

START_S = 1.0


@dataclass(frozen=True)
class Case:
    name: str  # e.g. "eu-addw eyes_off_road warning 6 s at 35 km/h: at"
    behaviour: str
    seen_s: float  # how long the behaviour is seen
    speed_kmh: float | None  # None = no telemetry
    expected: str  # the highest severity the rule set must give ("none" = no event at all)
    due_s: float | None  # media time at which that severity is due (None when nothing is)
    event: str | None = None  # the event behaviour to look at (default: behaviour)


@dataclass(frozen=True)
class Outcome:
    case: Case
    severity: str  # highest severity seen for the case's event ("none" = no event)
    at_s: float | None  # when it was reached

    @property
    def ok(self) -> bool:
        return self.severity == self.case.expected and (
            self.case.due_s is None
            or (self.at_s is not None and abs(self.at_s - self.case.due_s) <= self.frame_s)
        )

    frame_s: float = 0.1


def stream(
    behaviour: str,
    seen_s: float,
    speed_kmh: float | None,
    fps: float = Settings.analysis_fps,
    tail_s: float = 3.0,
) -> list[Scores]:
    """Scores at `fps`: `behaviour` at 1.0 on the frames in [START_S, START_S + seen_s), which
    stand for seen_s."""
    frames = []
    n = round((START_S + seen_s + tail_s) * fps)
    for i in range(n + 1):
        t = round(i / fps, 4)
        on = START_S - 1e-9 <= t < START_S + seen_s - 1e-9
        values = dict.fromkeys(BEHAVIOURS, 0.0)
        values[behaviour] = 1.0 if on else 0.0
        vehicle = (
            None if speed_kmh is None else VehicleState(speed_kmh=speed_kmh, odometer_m=speed_kmh / 3.6 * t)
        )
        frames.append(Scores(i, t, values, {behaviour: ("scripted",)}, None, vehicle))
    return frames


def due_at(seconds: float, frame_s: float) -> float:
    """When a threshold `seconds` after START_S is reached: on the frame whose interval completes it."""
    return round(START_S + seconds - frame_s, 4)


def _around(
    name: str,
    behaviour: str,
    threshold: float,
    speed: float | None,
    severity: str,
    below: str,
    frame_s: float,
    min_s: float = 0.0,
) -> list[Case]:
    if threshold < min_s:  # no event exists before min_s: the alert is due when the event opens
        return [
            Case(
                f"{name}: below the {min_s:g} s minimum, due at it",
                behaviour,
                min_s,
                speed,
                severity,
                due_at(min_s, frame_s),
            )
        ]
    due = due_at(threshold, frame_s)
    return [
        Case(f"{name}: just below", behaviour, round(threshold - frame_s, 4), speed, below, None),
        Case(f"{name}: at", behaviour, threshold, speed, severity, due),
        Case(f"{name}: just above", behaviour, round(threshold + frame_s, 4), speed, severity, due),
    ]


def _speeds(timing: Timing) -> list[tuple[float | None, str]]:
    """Speeds to test a timing at: inside each band, or one moving speed; and no telemetry."""
    if timing.bands:
        ups = sorted(b.above_kmh for b in timing.bands)
        tops = ups[1:] + [None]
        speeds = [
            (round((a + b) / 2, 1) if b is not None else a + 30.0) for a, b in zip(ups, tops, strict=True)
        ]
    else:
        floor = timing.active_above_kmh if timing.active_above_kmh is not None else 10.0
        speeds = [floor + 20.0]
        if timing.critical_from_kmh is not None:
            speeds = [min(speeds[0], timing.critical_from_kmh - 10.0)]
    return [(s, f"at {s:g} km/h") for s in speeds] + [(None, "without telemetry")]


def threshold_cases(rules: RuleSet, settings: Settings, fps: float = Settings.analysis_fps) -> list[Case]:
    """Every threshold of every timed behaviour of `rules`, just below / at / just above, at speeds
    inside each band and without telemetry; the activation and critical speeds; the patterns."""
    frame = 1.0 / fps
    cases: list[Case] = []
    for behaviour, timing in sorted(rules.timings.items()):
        min_s = settings.rule(behaviour).min_s
        for speed, where in _speeds(timing):
            warning = timing.warning_at(speed)
            critical = timing.critical_s
            label = f"{rules.name} {behaviour}"
            if warning is not None:
                below = "info" if warning - frame >= min_s else "none"
                cases += _around(
                    f"{label} warning {warning:g} s {where}",
                    behaviour,
                    warning,
                    speed,
                    "warning",
                    below,
                    frame,
                    min_s,
                )
            if critical is not None and (warning is None or critical > warning):
                cases += _around(
                    f"{label} critical {critical:g} s {where}",
                    behaviour,
                    critical,
                    speed,
                    "critical",
                    "warning" if warning is not None else "info",
                    frame,
                )
        if timing.active_above_kmh is not None:
            gate = timing.active_above_kmh
            name = f"{rules.name} {behaviour} active above {gate:g} km/h"
            warning = timing.warning_at(gate + 0.1)
            long_s = max(v for v in (warning, min_s) if v is not None) + 0.5
            if timing.critical_s is not None:
                long_s = max(long_s, timing.critical_s + 0.5)
            top, due = (
                ("warning", warning) if timing.critical_s is None else ("critical", timing.critical_s)
            )
            due = due_at(due, frame)
            cases.append(Case(f"{name}: at the gate", behaviour, long_s, gate, "info", None))
            cases.append(Case(f"{name}: just above", behaviour, long_s, gate + 0.1, top, due))
        for band in timing.bands:
            slower = timing.warning_at(band.above_kmh)
            if slower is None or slower <= band.warning_s:
                continue  # the first band: its lower edge is the activation speed, tested above
            name = f"{rules.name} {behaviour} {band.warning_s:g} s band above {band.above_kmh:g} km/h"
            seen = band.warning_s
            cases.append(Case(f"{name}: at the edge", behaviour, seen, band.above_kmh, "info", None))
            cases.append(
                Case(
                    f"{name}: just above",
                    behaviour,
                    seen,
                    band.above_kmh + 0.1,
                    "warning",
                    due_at(seen, frame),
                )
            )
        if timing.critical_from_kmh is not None:
            fast = timing.critical_from_kmh
            name = f"{rules.name} {behaviour} critical from {fast:g} km/h"
            due = due_at(min_s, frame)
            cases.append(
                Case(
                    f"{name}: just below",
                    behaviour,
                    min_s,
                    round(fast - 0.1, 1),
                    "warning" if timing.warning_s is not None and min_s >= timing.warning_s else "info",
                    None,
                )
            )
            cases.append(Case(f"{name}: at", behaviour, min_s, fast, "critical", due))
    if rules.unresponsive is not None:
        off = rules.unresponsive.eyes_off_s
        cases += [
            Case(
                c.name.replace(" warning", ""),
                c.behaviour,
                c.seen_s,
                c.speed_kmh,
                c.expected,
                c.due_s,
                "unresponsive",
            )
            for c in _around(
                f"{rules.name} unresponsive eyes off road {off:g} s",
                "eyes_off_road",
                off,
                60.0,
                "critical",
                "none",
                frame,
            )
        ]
        closed = rules.timing("eyes_closed")
        if closed is not None and closed.warning_s is not None:
            no_return = closed.warning_s + rules.unresponsive.no_return_s
            cases += [
                Case(c.name, c.behaviour, c.seen_s, c.speed_kmh, c.expected, c.due_s, "unresponsive")
                for c in _around(
                    f"{rules.name} unresponsive: no return {rules.unresponsive.no_return_s:g} s after the "
                    f"eyes-closed warning",
                    "eyes_closed",
                    no_return,
                    60.0,
                    "critical",
                    "none",
                    frame,
                )
            ]
    return [c for c in cases if c.seen_s > 0]


def run_case(case: Case, settings: Settings, rules: RuleSet, fps: float = Settings.analysis_fps) -> Outcome:
    """Replay the case through a fresh EventTracker; the highest severity of its event and when."""
    tracker = EventTracker(settings, rules, has_telemetry=case.speed_kmh is not None)
    frames = stream(case.behaviour, case.seen_s, case.speed_kmh, fps)
    watched = case.event or case.behaviour
    best, at = "none", None
    for scores in frames:
        for update in tracker.step(scores):
            event = update.event
            if event.behaviour != watched or event.evidence.get("rule") == "visual_time_sharing":
                continue
            if best == "none" or SEVERITIES.index(event.severity) > SEVERITIES.index(best):
                best, at = event.severity, scores.t
    tracker.finish(frames[-1].t)
    return Outcome(case, best, at, 1.0 / fps)


def time_sharing_cases(
    rules: RuleSet, fps: float = Settings.analysis_fps
) -> list[tuple[str, list[Scores], bool, float | None]]:
    """Visual time-sharing: glances adding up to just below / at / just above `total_s`, and looks
    back at the road just shorter than / as long as `reset_s`. (name, stream, fires, due_s)."""
    rule = rules.time_sharing
    if rule is None:
        return []
    frame = 1.0 / fps
    out = []
    glance, gap = 2.0, 1.0
    n_full = int(rule.total_s // glance) - 1  # full glances before the last one
    for label, last, fires in (
        ("just below", glance - frame, False),
        ("at", glance, True),
        ("just above", glance + frame, True),
    ):
        spans, t = [], START_S
        for _ in range(n_full):
            spans.append((t, t + glance))
            t += glance + gap
        spans.append((t, t + last))
        due = round(t + (rule.total_s - n_full * glance), 4) if fires else None
        out.append(
            (
                f"{rules.name} time-sharing {rule.total_s:g} s: {label}",
                _glances(spans, t + last + 3, fps),
                fires,
                due,
            )
        )
    for label, look_back, fires in (
        ("look back just shorter than the reset", rule.reset_s - frame, True),
        ("look back as long as the reset", rule.reset_s, False),
    ):
        spans, t = [], START_S
        for _ in range(n_full + 1):
            spans.append((t, t + glance))
            t += glance + look_back
        out.append(
            (
                f"{rules.name} time-sharing reset {rule.reset_s:g} s: {label}",
                _glances(spans, t + 3, fps),
                fires,
                None,
            )
        )
    return out


def _glances(spans: list[tuple[float, float]], end_s: float, fps: float) -> list[Scores]:
    """eyes_off_road = 1 on frames in [a, b) of each span (a glance of n frames lasts n / fps)."""
    frames = []
    for i in range(round(end_s * fps) + 1):
        t = round(i / fps, 4)
        values = dict.fromkeys(BEHAVIOURS, 0.0)
        values["eyes_off_road"] = 1.0 if any(a - 1e-9 <= t < b - 1e-9 for a, b in spans) else 0.0
        frames.append(
            Scores(i, t, values, {"eyes_off_road": ("scripted",)}, None, VehicleState(speed_kmh=60.0))
        )
    return frames


def run_time_sharing(frames: list[Scores], settings: Settings, rules: RuleSet) -> float | None:
    """When the time-sharing warning opened, or None."""
    tracker = EventTracker(settings, rules, has_telemetry=True)
    for scores in frames:
        for update in tracker.step(scores):
            if update.kind == "open" and update.event.evidence.get("rule") == "visual_time_sharing":
                return scores.t
    return None
