"""Writes one session's report folder: events.json, events.csv, timeline.csv, thumbs/, clips/ and
a self-contained report.html (thumbnails and chart inlined, no external URLs)."""

from __future__ import annotations

import base64
import re
import shutil
import sys
from collections import Counter
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

import cv2
import numpy as np
from tqdm import tqdm

from dms.core.errors import StorageError
from dms.core.types import Event
from dms.core.words import alert_heading, behaviour_words, evidence_rows
from dms.report.chart import timeline_chart_png
from dms.report.files import staged_output, write_events_csv, write_events_json, write_timeline_csv
from dms.report.html import render_report_html
from dms.report.stats import (
    SPEED_BANDS,
    exposure_by_speed_band,
    has_speed,
    markers,
    perclos_summary,
    yawn_count,
)
from dms.report.summary import headline, summary_rows
from dms.store.records import event_record, session_record
from dms.telemetry.harsh import MARKER_WORDS

if TYPE_CHECKING:
    from dms.store import Store
    from dms.store.records import SessionRecord

THUMB_WIDTH = 320  # pixels; inlined thumbnails are re-encoded at this width to keep the page small


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text) or "event"


def _media_source(media_dir: Path | None, relative: str | None, fallback: str) -> Path | None:
    """The file an event's media path names inside media_dir (or the conventional name), if it exists.
    Paths that would leave media_dir are ignored."""
    if media_dir is None:
        return None
    root = media_dir.resolve()
    for candidate in (relative, fallback):
        if not candidate:
            continue
        path = (root / candidate).resolve()
        if path.is_relative_to(root) and path.is_file():
            return path
    return None


def _copy_media(staging: Path, media_dir: Path | None, event: Event) -> tuple[str | None, str | None]:
    """Copy the event's thumbnail and clip into staging/thumbs and staging/clips; return the new
    paths relative to the output folder."""
    copied = []
    for kind, relative, suffix in (("thumbs", event.thumbnail, ".jpg"), ("clips", event.clip, ".mp4")):
        source = _media_source(media_dir, relative, f"{kind}/{event.id}{suffix}")
        if source is None:
            copied.append(None)
            continue
        name = f"{kind}/{_safe_name(event.id)}{source.suffix.lower()}"
        (staging / kind).mkdir(exist_ok=True)
        shutil.copyfile(source, staging / name)
        copied.append(name)
    return copied[0], copied[1]


def _thumbnail_uri(path: Path) -> str | None:
    """The thumbnail as a JPEG data URI at THUMB_WIDTH, or None if the file is not a readable image."""
    image = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return None
    height, width = image.shape[:2]
    if width > THUMB_WIDTH:
        size = (THUMB_WIDTH, round(height * THUMB_WIDTH / width))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return "data:image/jpeg;base64," + base64.b64encode(encoded.tobytes()).decode() if ok else None


def write_report(
    out_dir: str | Path,
    session: SessionRecord,
    events: list[Event],
    timeline: list[dict],
    media_dir: Path | None,
    progress: bool = False,
) -> dict[str, Path]:
    """Write the report folder for one session; returns the written files by name.

    All files are staged and moved into `out_dir` only when every one of them was written.
    `progress` shows a bar on stderr (a long drive takes seconds: timeline.csv and the chart).
    """
    out_dir = Path(out_dir)
    duration = session.info.get("duration_s") or (float(timeline[-1]["t"]) if timeline else 0.0)
    bar = tqdm(total=len(events) + 3, desc="report", unit="step", disable=not progress, file=sys.stderr)
    with bar, staged_output(out_dir) as staging:
        records = []
        thumbs: dict[str, str | None] = {}
        for event in events:
            record = event_record(event)
            record["thumbnail"], record["clip"] = _copy_media(staging, media_dir, event)
            thumbs[event.id] = _thumbnail_uri(staging / record["thumbnail"]) if record["thumbnail"] else None
            records.append(record)
            bar.update()
        session_dict = session_record(session)
        write_events_json(staging / "events.json", session_dict, records)
        write_events_csv(staging / "events.csv", records)
        write_timeline_csv(staging / "timeline.csv", timeline)
        bar.update()
        chart = timeline_chart_png(events, timeline, duration)
        bar.update()
        html = render_report_html({
            "session": session_dict,
            "title": PurePath(str(session.source)).name or str(session.source),
            "headline": headline(events),
            "summary": summary_rows(session, len(timeline), has_speed(timeline)),
            "chart_png": base64.b64encode(chart).decode(),
            "yawns": yawn_count(events),
            "perclos": perclos_summary(timeline),
            "bands": [label for label, _, _ in SPEED_BANDS],
            "exposure": exposure_by_speed_band(events, timeline) if has_speed(timeline) else None,
            "markers": sorted(Counter(MARKER_WORDS.get(name, name) for _, name in markers(timeline)).items()),
            "events": [
                {**r, "thumb_uri": thumbs[r["id"]], "evidence_items": evidence_rows(r["evidence"]),
                 "why": list((r["evidence"] or {}).get("why") or []), "what": behaviour_words(r["behavior"]),
                 "heading": alert_heading(event),
                 "relabel_words": behaviour_words(r["relabel"]) if r["relabel"] else None}
                for r, event in zip(records, events, strict=True)
            ],
        })
        (staging / "report.html").write_text(html, encoding="utf-8")
        bar.update()
    names = ("events.json", "events.csv", "timeline.csv", "report.html")
    return {name: out_dir / name for name in names}


def write_session_report(
    store: Store, session_id: str, out_dir: str | Path, progress: bool = False
) -> dict[str, Path]:
    """Rebuild a session's report folder from the event log: the one report writer of `replay`,
    `report`, `batch` and the GUI's export."""
    session = store.session(session_id)
    events, timeline = store.events(session_id), store.timeline(session_id)
    try:
        return write_report(out_dir, session, events, timeline, store.media_dir(session_id), progress)
    except OSError as exc:  # a full disk, a file-size limit: the folder keeps its old files
        problem = f"cannot write the report ({exc.strerror or exc}); the event log keeps the session"
        raise StorageError(out_dir, f"{problem}, write it later with: main.py report {session_id}") from None
