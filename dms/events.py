"""Event tracker: smoothed scores -> events, by a per-behaviour state machine.

Hysteresis (on/off thresholds), a minimum duration, a gap that a brief dip may bridge, and a
cool-down. Severity escalates with duration (Euro NCAP timings by default), with speed for the
rules that ask for it, and is capped at info while the vehicle is below the speed gate. Visual
time-sharing (10 s of eyes off road within 30 s) is tracked as a pattern across glances.
"""

from __future__ import annotations

import uuid
from collections import Counter, deque
from dataclasses import dataclass, field, replace

from dms.config import BehaviourRule, Settings
from dms.types import BEHAVIOURS, SEVERITIES, Event, EventUpdate, Scores


def new_event_id() -> str:
    return uuid.uuid4().hex[:12]


def _update(kind: str, event: Event) -> EventUpdate:
    """Updates carry a copy: observers may read them later (GUI), after the event has moved on."""
    copy = replace(event, evidence=dict(event.evidence), speed_kmh=dict(event.speed_kmh or {}) or None)
    return EventUpdate(kind, copy)


def _level(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass
class _Active:
    """A behaviour above its threshold: a candidate until it lasts min_s, then an open event."""

    start_s: float
    last_above_s: float
    below_since: float | None = None
    event: Event | None = None
    scores: list[float] = field(default_factory=list)
    sources: Counter = field(default_factory=Counter)
    speeds: list[float] = field(default_factory=list)
    start_speed: float | None = None
    start_odometer: float | None = None
    end_odometer: float | None = None
    below_odometer: float | None = None  # odometer when the score fell below `off`: the event's end


class SpeedContext:
    """Speed and distance of one event from the per-frame vehicle states it spanned."""

    @staticmethod
    def add(active: _Active, scores: Scores) -> None:
        vehicle = scores.vehicle
        if vehicle is None or vehicle.speed_kmh is None:
            return
        if active.start_speed is None:
            active.start_speed = vehicle.speed_kmh
        active.speeds.append(vehicle.speed_kmh)
        if vehicle.odometer_m is not None:
            if active.start_odometer is None:
                active.start_odometer = vehicle.odometer_m
            active.end_odometer = vehicle.odometer_m

    @staticmethod
    def apply(active: _Active, event: Event, gate_kmh: float) -> None:
        if not active.speeds:
            return
        speeds = active.speeds
        event.speed_kmh = {
            "start": round(active.start_speed, 1),
            "mean": round(sum(speeds) / len(speeds), 1),
            "max": round(max(speeds), 1),
        }
        if active.start_odometer is not None and active.end_odometer is not None:
            event.distance_m = round(active.end_odometer - active.start_odometer, 1)
        event.stationary = max(speeds) < gate_kmh


class BehaviourTracker:
    """The state machine of one behaviour."""

    def __init__(self, behaviour: str, rule: BehaviourRule, settings: Settings):
        self.behaviour = behaviour
        self.rule = rule
        self.settings = settings
        self.active: _Active | None = None
        self.cooldown_until = -1.0

    def step(self, scores: Scores) -> list[EventUpdate]:
        t = scores.t
        score = scores.values.get(self.behaviour, 0.0)
        rule = self.rule
        updates: list[EventUpdate] = []
        if self.active is None:
            if score < rule.on:
                return updates
            self.active = _Active(start_s=t, last_above_s=t)
        active = self.active
        if score >= rule.off:
            active.below_since = None
            active.last_above_s = t
        elif active.below_since is None:
            active.below_since = t
            active.below_odometer = scores.vehicle.odometer_m if scores.vehicle is not None else None
        if active.below_since is not None and t - active.below_since >= rule.gap_s:
            return self._end(active.below_since)
        if active.below_since is None:
            active.scores.append(score)
            active.sources.update(scores.sources.get(self.behaviour, ()))
            SpeedContext.add(active, scores)
        lasted = active.last_above_s - active.start_s >= rule.min_s - 1e-6
        if active.event is None and lasted and t >= self.cooldown_until:
            active.event = Event(
                id=new_event_id(),
                behavior=self.behaviour,
                start_s=round(active.start_s, 3),
                end_s=round(t, 3),
                severity="info",
                peak_score=0.0,
                mean_score=0.0,
            )
            self._refresh(active, scores)
            updates.append(_update("open", active.event))
        elif active.event is not None:
            before = active.event.severity
            self._refresh(active, scores)
            if _level(active.event.severity) > _level(before):
                updates.append(_update("escalate", active.event))
        return updates

    def _refresh(self, active: _Active, scores: Scores) -> None:
        event = active.event
        event.end_s = round(active.last_above_s, 3)
        if active.scores:
            event.peak_score = round(max(active.scores), 3)
            event.mean_score = round(sum(active.scores) / len(active.scores), 3)
        SpeedContext.apply(active, event, self.settings.speed_gate_kmh)
        event.severity = self._severity(event, scores)
        event.evidence = self._evidence(active, scores)

    def _severity(self, event: Event, scores: Scores) -> str:
        rule = self.rule
        duration = event.end_s - event.start_s
        level = 0
        if rule.warning_s is not None and duration >= rule.warning_s - 1e-6:
            level = 1
        if rule.critical_s is not None and duration >= rule.critical_s - 1e-6:
            level = 2
        speed = scores.vehicle.speed_kmh if scores.vehicle is not None else None
        if rule.speed_critical and speed is not None and speed >= self.settings.critical_speed_kmh:
            level = 2
        drowsy = scores.perclos is not None and scores.perclos >= self.settings.perclos_warning
        if self.behaviour == "eyes_closed" and drowsy:
            level = max(level, 1)
        if event.stationary:
            return "info"
        return SEVERITIES[max(level, _level(event.severity))]

    def _evidence(self, active: _Active, scores: Scores) -> dict:
        frames = max(1, len(active.scores))
        evidence: dict = {
            "sources": {name: round(n / frames, 2) for name, n in active.sources.most_common()},
            "frames": len(active.scores),
        }
        rule = _rule_name(self.behaviour, active.event.end_s - active.event.start_s, self.rule)
        if rule:
            evidence["rule"] = rule
        if scores.perclos is not None and self.behaviour in ("eyes_closed", "yawning"):
            evidence["perclos"] = round(scores.perclos, 3)
        return evidence

    def _end(self, end_s: float) -> list[EventUpdate]:
        active, self.active = self.active, None
        if active.event is None:
            return []
        if end_s == active.below_since and active.below_odometer is not None:
            active.end_odometer = active.below_odometer
            SpeedContext.apply(active, active.event, self.settings.speed_gate_kmh)
        active.event.end_s = round(max(end_s, active.event.start_s), 3)
        self.cooldown_until = end_s + self.rule.cooldown_s
        return [_update("close", active.event)]

    def finish(self, t: float) -> list[EventUpdate]:
        if self.active is None:
            return []
        end = self.active.below_since if self.active.below_since is not None else t
        return self._end(end)


def _rule_name(behaviour: str, duration: float, rule: BehaviourRule) -> str | None:
    if behaviour == "eyes_off_road" and rule.warning_s is not None and duration >= rule.warning_s:
        return "long_distraction"
    if behaviour == "eyes_closed":
        return "sleep" if rule.critical_s is not None and duration >= rule.critical_s else "microsleep"
    return None


class TimeSharingTracker:
    """Euro NCAP visual time-sharing: eyes off road adds up to >= total_s within window_s, where
    every look back at the road was shorter than reset_s (a longer one clears the count)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.threshold = settings.rule("eyes_off_road").on
        self._glances: deque[tuple[float, float]] = deque()  # (start, end) of off-road spans
        self._off_since: float | None = None
        self._on_since: float | None = None
        self.event: Event | None = None

    def step(self, scores: Scores) -> list[EventUpdate]:
        t = scores.t
        off = scores.values.get("eyes_off_road", 0.0) >= self.threshold
        updates: list[EventUpdate] = []
        if off:
            self._on_since = None
            if self._off_since is None:
                self._off_since = t
        else:
            if self._off_since is not None:
                self._glances.append((self._off_since, t))
                self._off_since = None
            if self._on_since is None:
                self._on_since = t
            if t - self._on_since >= self.settings.vats_reset_s:
                self._glances.clear()
                updates += self._close(self._on_since)
        window_start = t - self.settings.vats_window_s
        while self._glances and self._glances[0][1] < window_start:
            self._glances.popleft()
        total = sum(e - max(s, window_start) for s, e in self._glances)
        if self._off_since is not None:
            total += t - max(self._off_since, window_start)
        if total >= self.settings.vats_total_s - 1e-6:
            first = self._glances[0][0] if self._glances else self._off_since
            if self.event is None:
                self.event = Event(
                    id=new_event_id(),
                    behavior="eyes_off_road",
                    start_s=round(max(first, window_start), 3),
                    end_s=round(t, 3),
                    severity="warning",
                    peak_score=1.0,
                    mean_score=round(total / self.settings.vats_window_s, 3),
                    evidence={"rule": "visual_time_sharing", "off_road_s": round(total, 2)},
                )
                updates.append(_update("open", self.event))
            else:
                self.event.end_s = round(t, 3)
                self.event.evidence["off_road_s"] = round(max(total, self.event.evidence["off_road_s"]), 2)
        return updates

    def _close(self, end_s: float) -> list[EventUpdate]:
        if self.event is None:
            return []
        event, self.event = self.event, None
        event.end_s = round(max(end_s, event.start_s), 3)
        return [_update("close", event)]

    def finish(self, t: float) -> list[EventUpdate]:
        return self._close(t)


class EventTracker:
    """All behaviours' state machines plus the time-sharing pattern; the pipeline's tracker stage."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.reset()

    def reset(self) -> None:
        self.trackers = [BehaviourTracker(b, self.settings.rule(b), self.settings) for b in BEHAVIOURS]
        self.time_sharing = TimeSharingTracker(self.settings)

    def step(self, scores: Scores) -> list[EventUpdate]:
        updates: list[EventUpdate] = []
        for tracker in self.trackers:
            updates += tracker.step(scores)
        updates += self.time_sharing.step(scores)
        return updates

    def finish(self, t: float) -> list[EventUpdate]:
        updates: list[EventUpdate] = []
        for tracker in self.trackers:
            updates += tracker.finish(t)
        updates += self.time_sharing.finish(t)
        return updates
