"""Which events are active right now and how loud the alert should be (no Qt, easy to test)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dms.core.types import SEVERITIES, Event, EventUpdate
from dms.core.words import behaviour_words


def severity_rank(severity: str | None) -> int:
    """-1 for nothing, then info < warning < critical."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


@dataclass
class ActiveAlerts:
    """Follows the tracker's open/escalate/close updates and keeps the currently open events."""

    active: dict[str, Event] = field(default_factory=dict)

    def apply(self, updates: tuple[EventUpdate, ...] | list[EventUpdate]) -> None:
        for update in updates:
            if update.kind == "close":
                self.active.pop(update.event.id, None)
            else:
                self.active[update.event.id] = update.event

    def clear(self) -> None:
        self.active.clear()

    @property
    def level(self) -> str | None:
        """The highest severity among the open events, None when nothing is open."""
        if not self.active:
            return None
        return max((e.severity for e in self.active.values()), key=severity_rank)

    def summary(self) -> str:
        """Banner text: the open behaviours, most severe first."""
        events = sorted(self.active.values(), key=lambda e: -severity_rank(e.severity))
        return "   ".join(f"{_name(e)} ({e.severity})" for e in events)


def _name(event: Event) -> str:
    """The behaviour in words; a degraded camera says why ("driver not monitored: too dark")."""
    name = behaviour_words(event.behaviour)
    reason = event.evidence.get("reason") if event.behaviour == "camera_degraded" else None
    return f"{name}: {reason}" if reason else name
