"""What the store hands back about one analysis session."""

from __future__ import annotations

from dataclasses import dataclass, field

# "failed": a batch drive that could not be analysed (info["error"] says why); it has no events.
SESSION_STATUSES: tuple[str, ...] = (
    "running", "complete", "stopped_early", "cancelled", "interrupted", "failed"
)


@dataclass
class SessionRecord:
    """One analysed drive. `info` holds duration_s, analysed_fps, classifier, telemetry, settings, ...

    `status` is "interrupted" when the session was left "running" by a process that no longer exists.
    """

    id: str
    source: str
    started_at: str  # ISO-8601 wall time, UTC
    status: str
    info: dict = field(default_factory=dict)
    finished_at: str | None = None
