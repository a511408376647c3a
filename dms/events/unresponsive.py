"""The unresponsive driver (Euro NCAP Safe Driving 3.5): its own critical `unresponsive` event.

Raised when the eyes are off the road or closed without a break for `eyes_off_s` (6 s), or when
the gaze has not come back to the road within `no_return_s` (3 s) of a warning about eyes off
road or closed. The event lasts until the gaze is back on the road with the eyes open. Below the
speed gate it is logged as stationary with severity info.
"""

from __future__ import annotations

from dataclasses import replace

from dms.core.config import Settings
from dms.core.types import Event, EventUpdate, Scores
from dms.events.shared import SampleClock, closing, event_update, new_event_id
from dms.rules.model import Unresponsive

WATCHED = ("eyes_off_road", "eyes_closed")
AWAY_WORDS = {"eyes_off_road": "off the road", "eyes_closed": "closed"}


class UnresponsiveTracker:
    def __init__(self, settings: Settings, rule: Unresponsive, rule_set: str = ""):
        self.settings = settings
        self.rule = rule
        self.rule_set = rule_set
        self.rules = {b: settings.rule(b) for b in WATCHED}
        self.off_since: float | None = None  # eyes off road or closed, without a break, since
        self.warned_at: float | None = None  # first warning about eyes off road / closed not yet answered
        self.event: Event | None = None
        self.away_by: set[str] = set()  # which of WATCHED were seen since off_since
        self._clock = SampleClock()  # each sample stands for one sample interval

    def step(self, scores: Scores, others: list[EventUpdate]) -> list[EventUpdate]:
        t = scores.t
        seen_to = self._clock.tick(t)  # the end of the time this sample stands for
        values = {b: scores.values.get(b, 0.0) for b in WATCHED}
        away = any(values[b] >= self.rules[b].on for b in WATCHED)
        back = all(values[b] < self.rules[b].off for b in WATCHED)
        for update in others:
            event = update.event
            if (
                event.behaviour in WATCHED
                and event.severity != "info"
                and self.warned_at is None
                and not back
            ):
                self.warned_at = seen_to  # when the warning's threshold was completed
        if back:
            self.off_since = self.warned_at = None
            return self._close(t)
        if away and self.off_since is None:
            self.off_since = t
            self.away_by = set()
        self.away_by.update(b for b in WATCHED if values[b] >= self.rules[b].on)
        updates: list[EventUpdate] = []
        long_away = self.off_since is not None and seen_to - self.off_since >= self.rule.eyes_off_s - 1e-6
        no_return = self.warned_at is not None and seen_to - self.warned_at >= self.rule.no_return_s - 1e-6
        if self.event is None and (long_away or no_return):
            speed = scores.vehicle.speed_kmh if scores.vehicle is not None else None
            stationary = speed is not None and speed < self.settings.speed_gate_kmh
            start = self.off_since if self.off_since is not None else self.warned_at
            speed_text = "speed unknown" if speed is None else f"{speed:.0f} km/h"
            if long_away:
                cause = "unresponsive_eyes_off"
                which = " or ".join(AWAY_WORDS[b] for b in WATCHED if b in self.away_by)
                reason = (
                    f"Critical at {t:.1f} s ({speed_text}) by the unresponsive-driver rule: the eyes were "
                    f"{which} without a break from {self.off_since:.1f} s, "
                    f"{seen_to - self.off_since:.1f} s, reaching the {self.rule.eyes_off_s:g} s limit"
                )
            else:
                cause = "unresponsive_no_return"
                reason = (
                    f"Critical at {t:.1f} s ({speed_text}) by the unresponsive-driver rule: the gaze did not "
                    f"return to the road within {self.rule.no_return_s:g} s of the warning at "
                    f"{self.warned_at:.1f} s"
                )
            why = [f"{reason}. Rule: {self.rule.clause}."]
            if stationary:
                why.append(
                    f"Below the {self.settings.speed_gate_kmh:g} km/h speed gate: logged as stationary, "
                    "no alert."
                )
            self.event = Event(
                id=new_event_id(),
                behaviour="unresponsive",
                start_s=round(start, 3),
                end_s=round(t, 3),
                severity="info" if stationary else "critical",
                peak_score=1.0,
                mean_score=1.0,
                evidence={
                    "rule": "unresponsive_driver",
                    "rule_set": self.rule_set,
                    "clause": self.rule.clause,
                    "critical_at_s": round(t, 2),
                    "critical_by": cause,
                    "why": why,
                },
                stationary=stationary if speed is not None else None,
            )
            updates.append(event_update("open", self.event))
        elif self.event is not None:
            self.event = replace(self.event, end_s=round(t, 3))
        return updates

    def _close(self, t: float) -> list[EventUpdate]:
        event, self.event = self.event, None
        return closing(event, t)

    def finish(self, t: float) -> list[EventUpdate]:
        return self._close(t)
