"""Event tracker: smoothed scores -> events, by a per-behaviour state machine.

Hysteresis (on/off thresholds), a minimum duration, a gap that a brief dip may bridge, and a
cool-down. Each score sample stands for the time up to the next one (`dms.events.shared`), so
the same behaviour measures the same at any analysis rate (a 0.56 s closure is 0.6 s at 10 Hz, not
0.5 s). Severity follows the rule
set (dms/rules: Euro NCAP by default): it escalates with duration and speed, and is capped at
info below the speed gate or a rule's activation speed. Visual time-sharing and the unresponsive
driver are tracked as patterns across behaviours. Every event carries `evidence["why"]`, the
reasons in sentences (dms/rules/explain.py).
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field, replace

from dms.core.config import BehaviourRule, Settings
from dms.core.types import BEHAVIOURS, SEVERITIES, Event, EventUpdate, Scores, VehicleState
from dms.events.shared import SampleClock, closing, event_update, new_event_id
from dms.events.unresponsive import UnresponsiveTracker
from dms.rules import RuleSet, load_rule_set
from dms.rules.euro_ncap import TIMINGS as EURO_NCAP_TIMINGS
from dms.rules.explain import Crossing, Trace, why
from dms.rules.model import TimeSharing, Timing

# A stretch of a behaviour that ended this little before the next began is named in the next
# one's explanation: the interruption is why the timer started again.
RESTART_NOTE_S = 3.0


def _level(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass
class EventSpeed:
    """The one definition of an event's speed and distance: from the vehicle states (km/h, m) of
    the analysed frames the event spanned, as the pipeline's telemetry stage gave them.

    `start`: the speed on the first frame with a speed; `mean` and `max`: over those frames;
    distance: the odometer (trapezoid rule over the log's speed samples, dms/telemetry/track.py)
    on the last frame with one minus that on the first. Speeds are rounded to 0.1 km/h and the
    distance to 0.1 m, as events.json holds them.
    """

    speeds: list[float] = field(default_factory=list)
    start_odometer: float | None = None
    end_odometer: float | None = None

    def add(self, vehicle: VehicleState | None) -> None:
        """Take one analysed frame's vehicle state (None or no speed: the frame says nothing)."""
        if vehicle is None or vehicle.speed_kmh is None:
            return
        self.speeds.append(vehicle.speed_kmh)
        if vehicle.odometer_m is not None:
            if self.start_odometer is None:
                self.start_odometer = vehicle.odometer_m
            self.end_odometer = vehicle.odometer_m

    def summary(self) -> tuple[dict | None, float | None]:
        """({"start", "mean", "max"} in km/h, or None without any speed; distance in m, or None
        unless the odometer was known on two frames)."""
        if not self.speeds:
            return None, None
        distance = None
        if self.start_odometer is not None and self.end_odometer is not None:
            distance = round(self.end_odometer - self.start_odometer, 1)
        speeds = self.speeds
        speed = {
            "start": round(speeds[0], 1),
            "mean": round(sum(speeds) / len(speeds), 1),
            "max": round(max(speeds), 1),
        }
        return speed, distance

    def apply(self, event: Event, gate_kmh: float) -> Event:
        """`event` with this speed, distance and the stationary flag (below `gate_kmh` throughout);
        `event` itself when no frame had a speed."""
        speed, distance = self.summary()
        if speed is None:
            return event
        distance = event.distance_m if distance is None else distance
        return replace(event, speed_kmh=speed, distance_m=distance, stationary=max(self.speeds) < gate_kmh)


@dataclass
class _Active:
    """A behaviour above its threshold: a candidate until it lasts min_s, then an open event."""

    start_s: float
    last_above_s: float  # end of the time the last sample at or above `off` stands for
    below_since: float | None = None
    event: Event | None = None
    scores: list[float] = field(default_factory=list)
    sources: Counter = field(default_factory=Counter)
    speed: EventSpeed = field(default_factory=EventSpeed)
    below_odometer: float | None = None  # odometer when the score fell below `off`: the event's end
    trace: Trace | None = None
    unseen_since: float | None = None


class BehaviourTracker:
    """The state machine of one behaviour."""

    def __init__(self, behaviour: str, rule: BehaviourRule, settings: Settings, rules: RuleSet | None = None,
                 has_telemetry: bool = False):
        self.behaviour = behaviour
        self.rule = rule
        self.settings = settings
        self.rules = rules or load_rule_set(settings.rule_set)
        self.timing: Timing | None = self.rules.timing(behaviour)
        self.has_telemetry = has_telemetry
        self.active: _Active | None = None
        self.cooldown_until = -1.0
        self.last_run: tuple[float, float] | None = None  # start and end of the last stretch
        self._clock = SampleClock()  # how long one sample stands for

    def step(self, scores: Scores) -> list[EventUpdate]:
        t = scores.t
        sample_end = self._clock.tick(t)
        score = scores.values.get(self.behaviour, 0.0)
        rule = self.rule
        updates: list[EventUpdate] = []
        if self.active is None:
            if score < rule.on:
                return updates
            self.active = _Active(start_s=t, last_above_s=sample_end, trace=self._new_trace(t))
        active = self.active
        if score >= rule.off:
            if active.below_since is not None:
                active.trace.dips.append((round(active.below_since, 2), round(t, 2)))
            active.below_since = None
            active.last_above_s = sample_end
        elif active.below_since is None:
            active.last_above_s = t  # the last sample above stood for the time up to this one
            active.below_since = t
            active.below_odometer = scores.vehicle.odometer_m if scores.vehicle is not None else None
        if active.below_since is not None and t - active.below_since >= rule.gap_s:
            return self._end(active.below_since)
        sources = scores.sources.get(self.behaviour, ())
        if active.below_since is None:
            active.scores.append(score)
            active.sources.update(sources)
            active.speed.add(scores.vehicle)
            self._observe(active, scores, sources)
        lasted = active.last_above_s - active.start_s >= rule.min_s - 1e-6
        if active.event is None and lasted and t >= self.cooldown_until:
            if self.cooldown_until > active.start_s + rule.min_s:
                active.trace.announced_at, active.trace.cooldown_s = t, rule.cooldown_s
            active.event = Event(
                id=new_event_id(),
                behaviour=self.behaviour,
                start_s=round(active.start_s, 3),
                end_s=round(t, 3),
                severity="info",
                peak_score=0.0,
                mean_score=0.0,
            )
            self._refresh(active, scores)
            updates.append(event_update("open", active.event))
        elif active.event is not None:
            before = active.event.severity
            self._refresh(active, scores)
            if _level(active.event.severity) > _level(before):
                updates.append(event_update("escalate", active.event))
        return updates

    def _new_trace(self, t: float) -> Trace:
        trace = Trace(self.behaviour, round(t, 3))
        if self.last_run is not None and t - self.last_run[1] <= RESTART_NOTE_S:
            start, end = self.last_run
            trace.previous = (
                f"An earlier stretch ({start:.1f}-{end:.1f} s) ended when the evidence stayed below "
                f"{self.rule.off:g} for {t - end:.1f} s (longer than the {self.rule.gap_s:g} s gap it may "
                f"bridge), so the timer restarted at {t:.1f} s."
            )
        return trace

    def _observe(self, active: _Active, scores: Scores, sources: tuple[str, ...]) -> None:
        trace = active.trace
        trace.frames += 1
        trace.last_speed_kmh = scores.vehicle.speed_kmh if scores.vehicle is not None else None
        trace.sources.update(sources)
        if "classifier" in sources and scores.classifier_top is not None:
            trace.classes[scores.classifier_top] += 1
        if not sources:  # the cue was not observed: fusion held the score
            if active.unseen_since is None:
                active.unseen_since = scores.t
        elif active.unseen_since is not None:
            trace.unseen_s += scores.t - active.unseen_since
            active.unseen_since = None

    def _refresh(self, active: _Active, scores: Scores) -> None:
        event = replace(active.event, end_s=round(active.last_above_s, 3))
        if active.scores:
            event = replace(event, peak_score=round(max(active.scores), 3),
                            mean_score=round(sum(active.scores) / len(active.scores), 3))
        event = active.speed.apply(event, self.settings.speed_gate_kmh)
        before = event.severity
        severity, causes = self._severity(event, scores, active.trace)
        event = replace(event, severity=severity)
        active.event = event
        speed = scores.vehicle.speed_kmh if scores.vehicle is not None else None
        for level in range(_level(before) + 1, _level(event.severity) + 1):
            name = SEVERITIES[level]
            # a level passed on the way to a higher one (0 -> critical by speed) has that one's cause
            cause = next((causes[s] for s in SEVERITIES[level:] if s in causes), "timer")
            threshold = self._threshold(name, speed) if cause in ("timer", "speed_band") else None
            # the threshold was completed at the end of the time this frame stands for
            completed = round(scores.t + self._clock.interval, 2)
            active.trace.crossings[name] = Crossing(
                completed, threshold, speed, cause, round(event.end_s - event.start_s, 2), scores.perclos
            )
        # The explanation is rebuilt when the event opens or escalates, and at its end.
        previous = event.evidence.get("why")
        evidence = self._evidence(active, scores)
        renew = previous is None or event.severity != before
        evidence["why"] = self._why(active) if renew else previous
        active.event = replace(event, evidence=evidence)

    def _threshold(self, severity: str, speed: float | None) -> float | None:
        if self.timing is None:
            return None
        return self.timing.warning_at(speed) if severity == "warning" else self.timing.critical_s

    def _severity(self, event: Event, scores: Scores, trace: Trace) -> tuple[str, dict[str, str]]:
        """The event's severity on this frame and, for each severity the paths reach, the first
        path that reaches it: "timer" (the behaviour's duration), "speed_band" (the duration, against
        the warning time of the speed band in force), "critical_speed", "perclos"."""
        timing = self.timing
        if timing is None:
            return "info", {}
        duration = event.end_s - event.start_s
        speed = scores.vehicle.speed_kmh if scores.vehicle is not None else None
        causes: dict[str, str] = {}
        banded = timing.band_for(speed) is not None
        for severity in ("warning", "critical"):
            threshold = self._threshold(severity, speed)
            if threshold is not None and duration >= threshold - 1e-6:
                causes[severity] = "speed_band" if severity == "warning" and banded else "timer"
        if timing.critical_from_kmh is not None and speed is not None and speed >= timing.critical_from_kmh:
            causes.setdefault("critical", "critical_speed")
        drowsy = scores.perclos is not None and scores.perclos >= self.settings.perclos_warning
        if self.behaviour == "eyes_closed" and drowsy:
            causes.setdefault("warning", "perclos")
        level = max((_level(s) for s in causes), default=0)
        if event.stationary:
            return "info", causes
        gate = timing.active_above_kmh
        if gate is not None and speed is not None and speed <= gate:
            if level > _level(event.severity) and trace.held_back is None:
                trace.held_back = (
                    f"Not alerted at {scores.t:.1f} s although it had lasted {duration:.1f} s: the vehicle "
                    f"was at {speed:.0f} km/h and the rule is active only above {gate:g} km/h."
                )
            return event.severity, causes
        return SEVERITIES[max(level, _level(event.severity))], causes

    def _evidence(self, active: _Active, scores: Scores) -> dict:
        frames = max(1, len(active.scores))
        event = active.event
        evidence: dict = {
            "sources": {name: round(n / frames, 2) for name, n in active.sources.most_common()},
            "frames": len(active.scores),
            "rule_set": self.rules.name,
        }
        rule = _rule_name(self.behaviour, event.end_s - event.start_s, self.timing)
        if rule:
            evidence["rule"] = rule
        if self.timing is not None and self.timing.clause:
            evidence["clause"] = self.timing.clause
        for severity, crossing in active.trace.crossings.items():
            evidence[f"{severity}_at_s"] = crossing.t
            evidence[f"{severity}_by"] = crossing.cause
        if scores.perclos is not None and self.behaviour in ("eyes_closed", "yawning"):
            evidence["perclos"] = round(scores.perclos, 3)
            evidence["perclos_eyes_seen_s"] = scores.perclos_seen_s  # the window's time with eyes seen
        return evidence

    def _why(self, active: _Active) -> list[str]:
        return why(
            active.trace, self.rules, self.timing, gap_s=self.rule.gap_s, off=self.rule.off,
            speed_gate_kmh=self.settings.speed_gate_kmh, stationary=active.event.stationary,
            has_telemetry=self.has_telemetry, end_s=active.event.end_s,
            perclos_warning=self.settings.perclos_warning, perclos_window_s=self.settings.perclos_window_s,
        )

    def _end(self, end_s: float) -> list[EventUpdate]:
        active, self.active = self.active, None
        self.last_run = (active.start_s, end_s)
        if active.event is None:
            return []
        if end_s == active.below_since and active.below_odometer is not None:
            active.speed.end_odometer = active.below_odometer
            active.event = active.speed.apply(active.event, self.settings.speed_gate_kmh)
        active.event = replace(active.event, end_s=round(max(end_s, active.event.start_s), 3))
        active.event = replace(active.event, evidence={**active.event.evidence, "why": self._why(active)})
        self.cooldown_until = end_s + self.rule.cooldown_s
        return [event_update("close", active.event)]

    def finish(self, t: float) -> list[EventUpdate]:
        if self.active is None:
            return []
        end = self.active.below_since if self.active.below_since is not None else t + self._clock.interval
        return self._end(end)


def _rule_name(behaviour: str, duration: float, timing: Timing | None) -> str | None:
    if behaviour == "eyes_closed":  # named by the rule set's sleep time, else by Euro NCAP's
        critical = timing.critical_s if timing is not None else EURO_NCAP_TIMINGS["eyes_closed"].critical_s
        return "sleep" if critical is not None and duration >= critical else "microsleep"
    if timing is None or not timing.rule:
        return None
    warning = timing.warning_at(None)
    short = warning is None or duration < warning
    if behaviour == "eyes_off_road" and timing.rule == "long_distraction" and short:
        return None
    return timing.rule


class TimeSharingTracker:
    """Euro NCAP visual time-sharing: eyes off road adds up to >= total_s within window_s, where
    every look back at the road was shorter than reset_s (a longer one clears the count)."""

    def __init__(self, settings: Settings, rule: TimeSharing, rule_set: str = ""):
        self.settings = settings
        self.rule = rule
        self.rule_set = rule_set
        self.threshold = settings.rule("eyes_off_road").on
        self._glances: deque[tuple[float, float]] = deque()  # (start, end) of off-road spans
        self._off_since: float | None = None
        self._on_since: float | None = None
        self.event: Event | None = None

    def step(self, scores: Scores, others: list[EventUpdate] | None = None) -> list[EventUpdate]:
        t = scores.t
        off = scores.values.get("eyes_off_road", 0.0) >= self.threshold
        updates: list[EventUpdate] = []
        if off:
            if self._on_since is not None and t - self._on_since >= self.rule.reset_s - 1e-6:
                self._glances.clear()  # the look back lasted until this frame: long enough to reset
                updates += self._close(self._on_since)
            self._on_since = None
            if self._off_since is None:
                self._off_since = t
        else:
            if self._off_since is not None:
                self._glances.append((self._off_since, t))
                self._off_since = None
            if self._on_since is None:
                self._on_since = t
            if t - self._on_since >= self.rule.reset_s:
                self._glances.clear()
                updates += self._close(self._on_since)
        window_start = t - self.rule.window_s
        while self._glances and self._glances[0][1] < window_start:
            self._glances.popleft()
        total = sum(e - max(s, window_start) for s, e in self._glances)
        if self._off_since is not None:
            total += t - max(self._off_since, window_start)
        if total >= self.rule.total_s - 1e-6:
            first = self._glances[0][0] if self._glances else self._off_since
            if self.event is None:
                speed = scores.vehicle.speed_kmh if scores.vehicle is not None else None
                stationary = speed is not None and speed < self.settings.speed_gate_kmh
                glances = len(self._glances) + (self._off_since is not None)
                why = [
                    f"Raised by visual time-sharing: glances away from the road added up to {total:.1f} s "
                    f"in {glances} glance(s) within the last {self.rule.window_s:g} s, and no look back at "
                    f"the road lasted {self.rule.reset_s:g} s.",
                    f"Warning at {t:.1f} s ({'speed unknown' if speed is None else f'{speed:.0f} km/h'}) by "
                    f"visual time-sharing, not by one long glance: the glances reached the "
                    f"{self.rule.total_s:g} s total. Rule: {self.rule.clause}.",
                ]
                if stationary:
                    gate = self.settings.speed_gate_kmh
                    why.append(f"Below the {gate:g} km/h speed gate: logged as stationary, no alert.")
                self.event = Event(
                    id=new_event_id(),
                    behaviour="eyes_off_road",
                    start_s=round(max(first, window_start), 3),
                    end_s=round(t, 3),
                    severity="info" if stationary else "warning",
                    peak_score=1.0,
                    mean_score=round(total / self.rule.window_s, 3),
                    evidence={
                        "rule": "visual_time_sharing", "off_road_s": round(total, 2),
                        "rule_set": self.rule_set, "clause": self.rule.clause,
                        "warning_at_s": round(t, 2), "warning_by": "time_sharing", "why": why,
                    },
                    stationary=stationary if speed is not None else None,
                )
                updates.append(event_update("open", self.event))
            else:
                off_road_s = round(max(total, self.event.evidence["off_road_s"]), 2)
                self.event = replace(self.event, end_s=round(t, 3),
                                     evidence={**self.event.evidence, "off_road_s": off_road_s})
        return updates

    def _close(self, end_s: float) -> list[EventUpdate]:
        event, self.event = self.event, None
        return closing(event, end_s)

    def finish(self, t: float) -> list[EventUpdate]:
        return self._close(t)


class EventTracker:
    """All behaviours' state machines plus the rule set's patterns (visual time-sharing, the
    unresponsive driver); the pipeline's tracker stage.

    `rules`: the rule set in force (the recipe's; None: the settings' rule_set); `has_telemetry`: whether a
    speed log was given, so explanations can say when a speed rule could not be checked."""

    def __init__(self, settings: Settings, rules: RuleSet | None = None, has_telemetry: bool = False):
        self.settings = settings
        self.rules = rules or load_rule_set(settings.rule_set)
        self.has_telemetry = has_telemetry
        self.reset()

    @property
    def lookback_s(self) -> float:
        """The longest an event may start before it is announced (its `open` update), in seconds of
        media: a behaviour's minimum duration, gap and cool-down; the time-sharing window; the
        unresponsive driver's eyes-off time and no-return time after a warning; the degraded-camera
        time. Event media keep this much (plus the pre-roll) of the latest frames, so a clip's
        pre-roll starts before the event's start and its thumbnail can come from its span."""
        times = [r.min_s + r.gap_s + r.cooldown_s for r in map(self.settings.rule, BEHAVIOURS)]
        times.append(self.settings.camera_degraded_s)
        if self.rules.time_sharing is not None:
            times.append(self.rules.time_sharing.window_s)
        if self.rules.unresponsive is not None:
            rule = self.rules.unresponsive
            timings = [self.rules.timing(b) for b in ("eyes_off_road", "eyes_closed")]
            warned = max((t.warning_s or 0.0 for t in timings if t is not None), default=0.0)
            times.append(max(rule.eyes_off_s, warned + rule.no_return_s))
        return max(times)

    def reset(self) -> None:
        self.trackers = [
            BehaviourTracker(b, self.settings.rule(b), self.settings, self.rules, self.has_telemetry)
            for b in BEHAVIOURS
        ]
        self.patterns = []
        if self.rules.time_sharing is not None:
            self.patterns.append(TimeSharingTracker(self.settings, self.rules.time_sharing, self.rules.name))
        if self.rules.unresponsive is not None:
            self.patterns.append(UnresponsiveTracker(self.settings, self.rules.unresponsive, self.rules.name))

    def step(self, scores: Scores) -> list[EventUpdate]:
        updates: list[EventUpdate] = []
        for tracker in self.trackers:
            updates += tracker.step(scores)
        for pattern in self.patterns:
            updates += pattern.step(scores, updates)
        return updates

    def finish(self, t: float) -> list[EventUpdate]:
        updates: list[EventUpdate] = []
        for tracker in self.trackers:
            updates += tracker.finish(t)
        for pattern in self.patterns:
            updates += pattern.finish(t)
        return updates
