"""Which events are active right now and how loud the alert should be (no Qt, easy to test)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dms.core.types import EYES_NOT_VISIBLE, FACE_TOO_SMALL, SEVERITIES, Event, EventUpdate, Monitoring
from dms.core.words import behaviour_words

# The window's reasons for not monitoring that do not come from a frame.
NO_CAMERA = "no camera"
MODELS_LOADING = "models loading"
NOT_OPENED = "the recording cannot be opened"
FINISHED = "the recording has ended"
DRIVER_NOT_IN_VIEW = "driver not in view"
# Camera health conditions (dms.events.camera_health) in the words the banner uses.
_CONDITIONS = {
    FACE_TOO_SMALL: FACE_TOO_SMALL,
    "face out of frame": DRIVER_NOT_IN_VIEW,
    "no face while driving": DRIVER_NOT_IN_VIEW,
    "driver not in view while driving": DRIVER_NOT_IN_VIEW,
}


def not_monitoring_reason(monitoring: Monitoring | None) -> str | None:
    """Why a frame's driver is not (fully) monitored, in the banner's words; None: monitored.

    The picture's own faults (too dark, over-exposed, blocked, frozen) read "camera degraded
    (...)"; a driver out of view, a face too small and eyes not visible say so.
    """
    if monitoring is None:
        return None
    condition = monitoring.not_monitored
    if condition is not None:
        return _CONDITIONS.get(condition, f"camera degraded ({condition})")
    return EYES_NOT_VISIBLE if monitoring.eyes_not_visible else None


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
