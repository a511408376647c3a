"""The machine-readable report files (events.json, events.csv, timeline.csv) and atomic output.

Everything is written into a staging folder first and moved into place only once all of it was
written, so a failure leaves the output folder as it was.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dms.core.errors import InputError
from dms.store.records import to_json

EVENT_CSV_COLUMNS: tuple[str, ...] = (
    "id", "behavior", "start_s", "end_s", "duration_s", "severity", "peak_score", "mean_score",
    "speed_start_kmh", "speed_mean_kmh", "speed_max_kmh", "distance_m", "stationary",
    "evidence", "thumbnail", "clip", "review", "relabel",
)


def check_out_dir(out_dir: str | Path) -> Path:
    """`out_dir` if a report can be written there, checked before any analysis; else InputError.

    It must be a folder or not exist yet, and the nearest existing folder above it must accept a
    new file (tried with a temporary file that is removed at once: permission bits do not tell
    for a read-only mount or for root).
    """
    path = Path(out_dir)
    if path.exists() and not path.is_dir():
        raise InputError(path, "--out names an existing file; the report needs a folder")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(path, f"--out lies under {existing}, which is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise InputError(path, f"--out folder is not writable ({exc.strerror or exc})") from None
    return path


@contextmanager
def staged_output(out_dir: Path) -> Iterator[Path]:
    """Yield a staging folder inside `out_dir`; on success move its files into `out_dir`
    (sub-folders merged, files replaced atomically), on failure delete it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))
    try:
        yield staging
        files = sorted(p for p in staging.rglob("*") if p.is_file())
        # report.html last: once it exists, everything it links to exists too.
        files.sort(key=lambda p: p.name == "report.html")
        for path in files:
            target = out_dir / path.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_events_json(path: Path, session: dict, events: list[dict]) -> None:
    path.write_text(to_json({"session": session, "events": events}, indent=2))


def write_events_csv(path: Path, events: list[dict]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, EVENT_CSV_COLUMNS)
        writer.writeheader()
        for e in events:
            speed = e["speed_kmh"] or {}
            writer.writerow({
                **{k: e[k] for k in EVENT_CSV_COLUMNS if k in e and k not in ("evidence",)},
                "duration_s": round(e["end_s"] - e["start_s"], 3),
                "speed_start_kmh": speed.get("start"),
                "speed_mean_kmh": speed.get("mean"),
                "speed_max_kmh": speed.get("max"),
                "evidence": to_json(e["evidence"]),
            })


def write_timeline_csv(path: Path, timeline: list[dict]) -> None:
    """One row per analysed frame; the columns are every key seen, in first-seen order."""
    columns: dict[str, None] = {}
    for row in timeline:
        columns.update(dict.fromkeys(row))
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, list(columns) or ["frame", "t"])
        writer.writeheader()
        writer.writerows(timeline)
