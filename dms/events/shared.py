"""What every event tracker shares: event ids, updates, and how long one score sample stands for.

Each score sample stands for the time up to the next one, so an event spans from its first sample
to the end of its last: the next sample's time once it has come, the latest sample interval until
then (a 25 fps file analysed at 10 Hz has 0.08 and 0.12 s intervals). The behaviour trackers
(`dms.events.tracker`) and the unresponsive driver (`dms.events.unresponsive`) keep that interval
with one `SampleClock` each.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from dms.core.types import Event, EventUpdate


def new_event_id() -> str:
    """A fresh event id: 12 hex digits (random, uuid4)."""
    return uuid.uuid4().hex[:12]


def event_update(kind: str, event: Event) -> EventUpdate:
    """An update carries the event's snapshot of this frame (events are immutable)."""
    return EventUpdate(kind, event)


def closing(event: Event | None, end_s: float) -> list[EventUpdate]:
    """The "close" update of a pattern's open `event` ending at `end_s` (s; never before its start),
    or no update when nothing is open."""
    if event is None:
        return []
    return [event_update("close", replace(event, end_s=round(max(end_s, event.start_s), 3)))]


class SampleClock:
    """The latest sample interval (s): 0 until a second sample has come; a sample at or before
    the previous one's time (a repeat, a seek back) keeps the interval."""

    def __init__(self) -> None:
        self.last_t: float | None = None
        self.interval = 0.0

    def tick(self, t: float) -> float:
        """Take the sample at media time `t` (s); the end of the time it stands for (s)."""
        if self.last_t is not None and t > self.last_t:
            self.interval = t - self.last_t
        self.last_t = t
        return t + self.interval
