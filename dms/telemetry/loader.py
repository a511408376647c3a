"""load_track: files -> merged drive -> aligned channels, markers and a description."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from dms.core.config import Settings
from dms.core.errors import InputError
from dms.telemetry.alignment import align
from dms.telemetry.harsh import acceleration_from_speed, harsh_markers, smoothed
from dms.telemetry.logfile import LogFile, read_log_file
from dms.telemetry.mapping import TelemetryMap, load_mapping
from dms.telemetry.merge import MergedLog, merge_logs
from dms.telemetry.track import Channel, TelemetryTrack
from dms.telemetry.trips import choose_trip, only_trip


def load_track(
    paths: Sequence[Path | str],
    mapping_path: Path | str | None = None,
    offset_s: float | None = None,
    video_start: datetime | None = None,
    video_duration_s: float | None = None,
    harsh_brake_ms2: float = Settings.harsh_brake_ms2,
    harsh_accel_ms2: float = Settings.harsh_accel_ms2,
) -> TelemetryTrack:
    """Read, merge and align telemetry logs of one drive; InputError on an unusable file. The harsh
    thresholds (m/s²) default to the settings' (dms.core.config.Settings), which replay passes."""
    if not paths:
        raise InputError("--telemetry", "no telemetry file given")
    mapping = load_mapping(mapping_path) if mapping_path is not None else TelemetryMap()
    files = [read_log_file(Path(p), mapping) for p in paths]
    _check_mapping_used(files, mapping, mapping_path)
    notes = []
    for i, log in enumerate(files):
        if len(log.trips) > 1:
            trip, note = choose_trip(str(log.path), log.clock, list(log.trips), video_start, video_duration_s,
                                     offset_s)
            files[i] = replace(log, clock=only_trip(log.clock, trip))
            notes.append(note)
    merged = merge_logs(files)
    alignment = align(offset_s, merged.wall_start_s, video_start)
    shift = alignment.log_start_media_s
    channels = {
        name: Channel.of(series.t + shift, series.values, wrap_deg=name == "heading")
        for name, series in merged.series.items()
    }
    accel_source = "measured" if "accel_long" in channels else None
    if accel_source is None and "speed" in channels:
        speed = channels["speed"]
        t, accel = acceleration_from_speed(speed.t, speed.values, speed.max_gap_s)
        if t.size >= 2:
            channels["accel_long"] = Channel(t, smoothed(t, accel), speed.max_gap_s)
            accel_source = "derived from speed"
    markers = []
    if "accel_long" in channels:
        long = channels["accel_long"]
        markers = harsh_markers(long.t, long.values, harsh_brake_ms2, harsh_accel_ms2, long.max_gap_s)
    track = TelemetryTrack(channels, markers)
    track.description = _describe(files, merged, track, alignment.describe(), video_duration_s)
    if notes:
        warnings = [*notes, track.description.get("warning")]
        track.description["warning"] = "; ".join(w for w in warnings if w)
    track.description["harsh"] = {
        "brake_ms2": harsh_brake_ms2,
        "accel_ms2": harsh_accel_ms2,
        "acceleration": accel_source,
        "markers": len(markers),
    }
    return track


def _check_mapping_used(files: list[LogFile], mapping: TelemetryMap, mapping_path: Path | str | None) -> None:
    """A mapped column that no file has is a typo the user should hear about."""
    columns = {name for log in files for name in log.columns}
    wanted = [mapping.time_column] if mapping.time_column else []
    wanted += [override.column for override in mapping.signals.values()]
    missing = [name for name in wanted if name not in columns]
    if missing:
        raise InputError(mapping_path, f"mapped columns {missing} are in none of the telemetry files")


def _describe(
    files: list[LogFile],
    merged: MergedLog,
    track: TelemetryTrack,
    alignment: dict,
    video_duration_s: float | None,
) -> dict:
    channels = {name: c for name, c in track.channels.items() if name in merged.series}
    start = min(c.start for c in channels.values())
    end = max(c.end for c in channels.values())
    description = {
        "files": [log.describe() for log in files],
        "clock": merged.clock,
        "log_start_utc": _utc_text(merged.wall_start_s),
        "alignment": alignment,
        "coverage_s": [round(start, 3), round(end, 3)],
        "sample_rate_hz": round(max(c.rate_hz for c in channels.values()), 2),
        "signals": {
            name: {
                "source": series.source,
                "unit": series.unit,
                "unit_from": series.unit_source,
                "samples": int(series.t.size),
                "rate_hz": round(channels[name].rate_hz, 2),
                "coverage_s": [round(channels[name].start, 3), round(channels[name].end, 3)],
            }
            for name, series in merged.series.items()
        },
    }
    if video_duration_s is not None:
        overlap = max(0.0, min(end, video_duration_s) - max(start, 0.0))
        description["video_covered_s"] = round(overlap, 3)
        if overlap == 0.0:
            description["warning"] = (
                f"the telemetry covers media {start:.1f}..{end:.1f} s, outside the video "
                f"(0..{video_duration_s:.1f} s): all signals unknown; "
                "check the clocks or give --telemetry-offset"
            )
    return description


def _utc_text(epoch_s: float | None) -> str | None:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat() if epoch_s is not None else None
