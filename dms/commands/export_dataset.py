"""`python main.py export-dataset`: reviewed events from the event log -> a training list for `train`.

A confirmed event is labelled with its behaviour (or the reviewer's relabel), a rejected one with
"none" (the detector fired, the driver was not doing it): the classes of the label map's
`dms_events` entry, so `train --format rawframes --dataset dms_events` reads the result as it is.
The clip of each event is cut from the session's source video as the analysis saw it (upright,
by media time; dms.sources.readers) at full resolution.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dms.core.errors import InputError
from dms.core.types import BEHAVIOURS, Event
from models.shipped import LABEL_MAP

INCLUDES = ("reviewed", "confirmed", "all")
FULL_RESOLUTION = 1 << 16  # px: no source frame is scaled down for training


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("export-dataset", help="turn reviewed events into a training list",
                              description="Cut the clips of reviewed events from their source videos into a "
                                          "rawframes folder (img_00001.jpg...) or short videos, with a list "
                                          "file (train.txt) for `main.py train`.")
    p.add_argument("--db", type=Path, help="event log (default: the app's, or $DMS_DB)")
    p.add_argument("--session", nargs="+", metavar="ID", help="sessions to export (default: all)")
    p.add_argument("--out", type=Path, required=True, help="new (or empty) output folder")
    p.add_argument("--format", choices=("rawframes", "video"), default="rawframes")
    p.add_argument("--include", choices=INCLUDES, default="reviewed",
                   help="reviewed: confirmed and rejected events; confirmed: only confirmed; all: also "
                        "unreviewed events, labelled as detected")
    p.add_argument("--pad", type=float, default=0.5, help="seconds of video kept before and after each event")
    p.add_argument("--labels", type=Path, default=LABEL_MAP, help="label map (data/labels.json)")
    p.set_defaults(func=run)


@dataclass(frozen=True)
class ExportItem:
    """One event to cut: where from, which stretch, which class."""

    session_id: str
    event_id: str
    source: Path
    start_s: float
    end_s: float
    label: int


def event_label(event: Event, include: str, classes: tuple[str, ...]) -> int | None:
    """Class index of an event for training, or None when it is not exported. A pattern event
    (`unresponsive`, raised from other behaviours) is no class of its own unless relabelled."""
    if event.behaviour not in BEHAVIOURS and not event.relabel:
        return None
    if event.review == "rejected" and include != "confirmed":
        name = event.relabel or "none"
    elif event.review == "confirmed" or (event.review is None and include == "all"):
        name = event.relabel or event.behaviour
    else:
        return None
    if name not in classes:
        raise InputError(f"event {event.id}", f"label {name!r} is not one of {', '.join(classes)}")
    return classes.index(name)


def cut_clip(item: ExportItem, target: Path, fmt: str, pad: float) -> tuple[str, int]:
    """Write the event's frames (padded) as rawframes or a video; returns (relative path, frame count).

    The frames come from the source as the analysis saw them (dms.sources.readers): turned upright as
    players show them (a phone's display rotation) and found by their media time (a recording with
    a variable frame rate or without timestamps), at full resolution and the native frame rate."""
    import cv2

    from dms.sources.readers import VideoFileSource

    source = VideoFileSource(item.source, analysis_fps=0.0, max_side=FULL_RESOLUTION)
    try:
        fps = source.fps
        until = item.end_s + pad + 0.5 / fps
        source.seek(max(0.0, item.start_s - pad))
        name = f"{item.session_id}/{item.event_id}"
        writer = None
        count = 0
        for frame in source:
            if frame.t > until:
                break
            image = frame.image
            count += 1
            if fmt == "rawframes":
                folder = target / "frames" / name
                folder.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(folder / f"img_{count:05d}.jpg"), image)
            else:
                if writer is None:
                    (target / "videos" / item.session_id).mkdir(parents=True, exist_ok=True)
                    size = (image.shape[1], image.shape[0])
                    writer = cv2.VideoWriter(str(target / "videos" / f"{name}.mp4"),
                                             cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
                writer.write(image)
        if writer is not None:
            writer.release()
    finally:
        source.close()
    if count == 0:
        raise InputError(item.source, f"no frames between {item.start_s:.2f} s and {item.end_s:.2f} s")
    return (f"frames/{name}" if fmt == "rawframes" else f"videos/{name}.mp4"), count


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from dms.store import Store, default_db_path
    from models.labelmap import load_label_map

    if args.out.exists() and (not args.out.is_dir() or any(args.out.iterdir())):
        raise InputError(args.out, "output folder exists and is not empty")
    try:
        classes = load_label_map(args.labels).dataset("dms_events").classes
    except KeyError as exc:
        raise InputError(args.labels, str(exc.args[0])) from None
    with Store(args.db or default_db_path(), create=False) as store:
        sessions = [store.session(s) for s in args.session] if args.session else store.sessions()
        items, skipped = [], []
        for session in sessions:
            source = Path(session.source)
            for event in store.events(session.id):
                label = event_label(event, args.include, classes)
                if label is None:
                    continue
                if not source.is_file():
                    skipped.append(f"{session.id}/{event.id}")
                    continue
                items.append(ExportItem(session.id, event.id, source, event.start_s, event.end_s, label))
    if not items:
        raise InputError(args.db or default_db_path(), f"no {args.include} events with a source video")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{args.out.name}-", dir=args.out.parent))
    try:
        lines = []
        for item in tqdm(items, desc="export"):
            path, count = cut_clip(item, work, args.format, args.pad)
            lines.append(f"{path} {count} {item.label}" if args.format == "rawframes"
                         else f"{path} {item.label}")
        (work / "train.txt").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        if args.out.exists():
            args.out.rmdir()
        work.rename(args.out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    print(f"exported {len(items)} clips into {args.out / 'train.txt'} (classes: {', '.join(classes)})")
    if skipped:
        print(f"skipped {len(skipped)} events whose session has no source video file: {', '.join(skipped)}")
    return 0
