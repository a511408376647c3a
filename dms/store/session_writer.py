"""The one pipeline observer that writes a session into the event log as the analysis goes.

It owns everything a session writes: one timeline row per analysed frame, each event's latest
snapshot, and (through the event media recorder it drives) each event's thumbnail and clip paths.
What changed is committed together, in one transaction, once at least `commit_interval_s` of wall
time has passed and at the end; a crash or kill therefore loses at most about the last second of
analysis and never leaves an event row without the media written for it or the reverse. At the
end the session's outcome is committed first, then the clips still waiting and their paths.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from dms.core.errors import StorageError
from dms.core.types import Event, FrameResult, RunSummary
from dms.store.content import BackgroundHash
from dms.store.database import Store
from dms.store.records import timeline_row

if TYPE_CHECKING:  # the media recorder (OpenCV, PyAV) is loaded by whoever makes one
    from dms.recorder.event_media import EventMediaRecorder, SavedMedia

COMMIT_INTERVAL_S = 1.0


class SessionWriter:
    """Observer: timeline rows, event snapshots and media paths of one session, committed together.

    Events still open are rewritten at every commit with their end brought forward to the last
    analysed frame, so their end in the log trails the analysis by at most one commit interval.
    `media` (optional) writes each event's thumbnail and clip; its paths are stored with the events.
    `recording` (optional, a video file's BackgroundHash) gives the session's info["recording"]
    (`{"sha256": ...}`, dms.store.content) at the end.
    """

    def __init__(self, store: Store, session_id: str, media: EventMediaRecorder | None = None,
                 commit_interval_s: float = COMMIT_INTERVAL_S, recording: BackgroundHash | None = None):
        self.store = store
        self.session_id = session_id
        self.media = media
        self.recording = recording
        self.commit_interval_s = commit_interval_s
        self._rows: list[dict] = []
        self._events: dict[str, tuple[Event, bool]] = {}  # id -> (latest snapshot, still open)
        self._changed: set[str] = set()
        self._paths: dict[str, tuple[str | None, str | None]] = {}  # id -> (thumbnail, clip)
        self._shown_at: dict[str, float] = {}  # id -> media time of the frame its thumbnail shows
        self._last_t: float | None = None
        self._last_commit = time.monotonic()

    def on_frame(self, result: FrameResult) -> None:
        self._last_t = result.frame.t
        self._rows.append(timeline_row(result))
        for update in result.updates:
            self._apply(update.kind, update.event)
        if self.media is not None:
            self._attach(self.media.on_frame(result))
        if time.monotonic() - self._last_commit >= self.commit_interval_s:
            self.flush()

    def on_finish(self, summary: RunSummary) -> None:
        """Commit the rest and finish the session, then write the clips still waiting and commit
        their paths: the session's outcome is on record before the slow clip encoding."""
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
                "gaps": [list(gap) for gap in summary.gaps],
                "coverage": summary.coverage,
                "perception": summary.perception,
                **({"status": "interrupted", "interrupted_by": summary.interrupted_by}
                   if summary.interrupted_by else {}),
                "dropped_frames": summary.dropped_frames,
                **self._recording(),
            },
        )
        if self.media is not None:
            self._attach(self.media.finish(summary.last_t))
            self.flush()

    def _recording(self) -> dict:
        content = self.recording.result() if self.recording is not None else None
        return {"recording": {"sha256": content}} if content else {}

    def _apply(self, kind: str, event: Event) -> None:
        thumbnail, clip = self._paths.get(event.id, (None, None))
        if thumbnail or clip:
            event = replace(event, thumbnail=thumbnail or event.thumbnail, clip=clip or event.clip)
        if event.id in self._shown_at:
            event = replace(event, evidence={**event.evidence, "thumbnail_s": self._shown_at[event.id]})
        self._events[event.id] = (event, kind != "close")
        self._changed.add(event.id)

    def _attach(self, saved: list[SavedMedia]) -> None:
        for item in saved:
            old_thumbnail, old_clip = self._paths.get(item.event_id, (None, None))
            self._paths[item.event_id] = (item.thumbnail or old_thumbnail, item.clip or old_clip)
            if item.thumbnail_s is not None:
                self._shown_at[item.event_id] = item.thumbnail_s
            if item.event_id in self._events:
                event, is_open = self._events[item.event_id]
                self._apply("open" if is_open else "close", event)

    def flush(self) -> None:
        """Commit buffered rows, changed events (with their media) and the current end of open ones."""
        written = []
        for event_id, (event, is_open) in self._events.items():
            if is_open and self._last_t is not None and self._last_t > event.end_s:
                written.append((replace(event, end_s=round(self._last_t, 3)), True))
            elif event_id in self._changed or is_open:
                written.append((event, is_open))
        try:
            self.store.record(self.session_id, self._rows, written)
        except StorageError as exc:
            self.store.mark_interrupted(self.session_id, exc.problem)
            raise
        self._rows = []
        self._changed = set()
        self._last_commit = time.monotonic()
        pending = self.media.pending() if self.media is not None else set()
        for event_id in [i for i, (_, is_open) in self._events.items() if not is_open and i not in pending]:
            del self._events[event_id]  # closed, and its clip is written: nothing more will change
            self._paths.pop(event_id, None)
            self._shown_at.pop(event_id, None)
