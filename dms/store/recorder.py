"""A pipeline observer that writes each run into the event log as the analysis goes.

Rows are buffered and committed once at least a second of wall time has passed (and at the end),
so a crash or kill loses at most about the last second of analysis.
"""

from __future__ import annotations

import time

from dms.errors import StorageError
from dms.pipeline import RunSummary
from dms.records import timeline_row
from dms.store.database import Store
from dms.types import Event, FrameResult

COMMIT_INTERVAL_S = 1.0


class StoreRecorder:
    """Observer: one timeline row per analysed frame; events inserted on open, updated on escalate/close.

    Events still open are rewritten at every commit, so their end time in the log trails the
    analysis by at most one commit interval.
    """

    def __init__(self, store: Store, session_id: str, commit_interval_s: float = COMMIT_INTERVAL_S):
        self.store = store
        self.session_id = session_id
        self.commit_interval_s = commit_interval_s
        self._rows: list[dict] = []
        self._changed: dict[str, tuple[Event, bool]] = {}
        self._open: dict[str, Event] = {}
        self._last_t: float | None = None
        self._last_commit = time.monotonic()

    def on_frame(self, result: FrameResult) -> None:
        self._last_t = result.frame.t
        self._rows.append(timeline_row(result))
        for update in result.updates:
            self._apply(update.kind, update.event)
        if time.monotonic() - self._last_commit >= self.commit_interval_s:
            self.flush()

    def on_finish(self, summary: RunSummary) -> None:
        for update in summary.final_updates:
            self._apply(update.kind, update.event)
        self.flush()
        self.store.finish_session(
            self.session_id,
            {
                "duration_s": summary.last_t,
                "analysed_fps": summary.analysed_fps,
                "frames": summary.frames,
                "wall_s": summary.wall_s,
                "stopped_early": summary.stopped_early,
                "cancelled": summary.cancelled,
                **({"status": "interrupted", "interrupted_by": summary.interrupted_by}
                   if summary.interrupted_by else {}),
                "gaps": [list(gap) for gap in summary.gaps],
                "coverage": summary.coverage,
                "perception": summary.perception,
            },
        )

    def _apply(self, kind: str, event: Event) -> None:
        is_open = kind != "close"
        if is_open:
            self._open[event.id] = event
        else:
            self._open.pop(event.id, None)
        self._changed[event.id] = (event, is_open)

    def flush(self) -> None:
        """Commit buffered rows, changed events and the current state of open events."""
        for event_id, event in self._open.items():
            # Updates carry copies made when the event opened or escalated: bring the end forward.
            if self._last_t is not None:
                event.end_s = max(event.end_s, round(self._last_t, 3))
            self._changed.setdefault(event_id, (event, True))
        try:
            self.store.record(self.session_id, self._rows, self._changed.values())
        except StorageError as exc:
            self.store.mark_interrupted(self.session_id, exc.problem)
            raise
        self._rows = []
        self._changed = {}
        self._last_commit = time.monotonic()
