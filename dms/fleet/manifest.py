"""Which drives a fleet batch analyses, and who drove them when: the fleet manifest.

A manifest is a CSV with a header row (any delimiter the csv sniffer recognises), one row per
video:

| column | required | meaning |
| --- | --- | --- |
| `video` | yes | video file, relative to the manifest's folder (or absolute) |
| `driver` | no | driver id or name |
| `vehicle` | no | vehicle id (fleet number, plate) |
| `date` | no | day of the drive, ISO 8601 (`2026-11-29`) |
| `telemetry` | no | the drive's telemetry log(s), `;`-separated, relative like `video` |
| `telemetry_offset_s` | no | seconds of media at which the log starts (default: aligned automatically) |

Without a manifest the folder convention applies (`drives_from_folder`): videos found under
DIR/VEHICLE/DRIVER/..., the date from a `YYYY-MM-DD` or `YYYYMMDD` in the file or folder
names, and the telemetry logs beside each video named `STEM.csv` or `STEM.*.csv`.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from dms.core.errors import InputError
from dms.sources.readers import VIDEO_SUFFIXES

MANIFEST_COLUMNS: tuple[str, ...] = ("video", "driver", "vehicle", "date", "telemetry", "telemetry_offset_s")
_DATE = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")


@dataclass(frozen=True)
class FleetDrive:
    """One recorded drive to analyse, with who drove which vehicle on which day (None = unknown)."""

    video: Path
    driver: str | None = None
    vehicle: str | None = None
    day: date | None = None
    telemetry: tuple[Path, ...] = field(default_factory=tuple)
    telemetry_offset_s: float | None = None

    def describe(self) -> dict:
        """The fleet fields as stored in the session info (`info["fleet"]`)."""
        return {
            "driver": self.driver,
            "vehicle": self.vehicle,
            "date": self.day.isoformat() if self.day else None,
            "telemetry": [str(p) for p in self.telemetry],
            "telemetry_offset_s": self.telemetry_offset_s,
        }


def find_videos(folder: Path) -> list[Path]:
    """Every video file under `folder` (recursively), sorted by path."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())


def date_in(text: str) -> date | None:
    """The first valid calendar date written as YYYY-MM-DD or YYYYMMDD in `text`, else None."""
    for match in _DATE.finditer(text):
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
    return None


def telemetry_beside(video: Path) -> tuple[Path, ...]:
    """Logs beside `video` named STEM.csv or STEM.<anything>.csv, sorted."""
    logs = [p for p in video.parent.glob(f"{glob_escape(video.stem)}*.csv")
            if p.is_file() and (p.stem == video.stem or p.stem.startswith(video.stem + "."))]
    return tuple(sorted(logs))


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def drives_from_folder(folder: Path) -> list[FleetDrive]:
    """The folder convention: DIR/VEHICLE/DRIVER/.../video; date from the names; logs beside.

    A video directly in DIR has no vehicle; one in DIR/VEHICLE/ has no driver. A folder level
    that is a date (e.g. `2026-11-29`) is not taken for a vehicle or driver.
    """
    folder = Path(os.path.abspath(folder))
    drives = []
    for video in find_videos(folder):
        parts = [p for p in video.relative_to(folder).parts[:-1] if date_in(p) is None]
        day = None
        for name in reversed(video.relative_to(folder).parts):
            day = date_in(Path(name).stem if name == video.name else name)
            if day is not None:
                break
        drives.append(FleetDrive(
            video=video,
            vehicle=parts[0] if len(parts) > 0 else None,
            driver=parts[1] if len(parts) > 1 else None,
            day=day,
            telemetry=telemetry_beside(video),
        ))
    return drives


def read_manifest(path: str | Path) -> list[FleetDrive]:
    """The drives a manifest CSV lists (see the module docstring), in file order.

    Raises InputError naming the manifest and the row for a missing file, duplicate video,
    bad date or offset, unknown column or a missing `video` column.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read the manifest ({exc})") from None
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0] or ",", delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(text.splitlines(), dialect=dialect)
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    if "video" not in columns:
        raise InputError(path, "the manifest has no 'video' column (header row expected)")
    unknown = [c for c in columns if c not in MANIFEST_COLUMNS]
    if unknown:
        known = ", ".join(MANIFEST_COLUMNS)
        raise InputError(path, f"unknown manifest column(s) {', '.join(unknown)}; known: {known}")
    base = path.parent
    drives, seen = [], set()
    for line, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()):
            continue
        where = f"{path} row {line}"
        video = _existing(base, row.get("video", ""), where, "video")
        if video in seen:
            raise InputError(where, f"{video} is listed twice")
        seen.add(video)
        logs = tuple(_existing(base, p.strip(), where, "telemetry log")
                     for p in row.get("telemetry", "").split(";") if p.strip())
        drives.append(FleetDrive(
            video=video,
            driver=row.get("driver") or None,
            vehicle=row.get("vehicle") or None,
            day=_day(row.get("date", ""), where),
            telemetry=logs,
            telemetry_offset_s=_offset(row.get("telemetry_offset_s", ""), where),
        ))
    if not drives:
        raise InputError(path, "the manifest lists no videos")
    return drives


def _existing(base: Path, text: str, where: str, what: str) -> Path:
    if not text:
        raise InputError(where, f"no {what} given")
    path = Path(text).expanduser()
    path = Path(os.path.abspath(path if path.is_absolute() else base / path))
    if not path.is_file():
        raise InputError(where, f"{what} {text} not found")
    return path


def _day(text: str, where: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise InputError(where, f"date {text!r} is not YYYY-MM-DD") from None


def _offset(text: str, where: str) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(where, f"telemetry_offset_s {text!r} is not a number of seconds") from None
