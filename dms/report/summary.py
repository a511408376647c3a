"""The report's drive summary: what was analysed, with which classifier and telemetry, and whether the
analysis stopped early. Reads the session info written by dms.pipeline.build (source, classifier and telemetry
descriptions); any part may be missing."""

from __future__ import annotations

from collections import Counter
from pathlib import PurePath
from typing import TYPE_CHECKING

from dms.classifier.choice import BACKEND_WORDS, NO_CLASSIFIER
from dms.core.types import SEVERITIES, Event
from dms.core.words import alerted, behaviour_words, clock_words, time_form_words

if TYPE_CHECKING:
    from dms.store.records import SessionRecord



def readable(value: object) -> str:
    """A value for a person: lists joined by commas, dicts as "key: value" pairs (never JSON),
    numbers and text as they are."""
    if isinstance(value, list | tuple):
        return ", ".join(readable(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{str(k).replace('_', ' ')}: {readable(v)}" for k, v in value.items())
    return str(value)


def _video_text(source: dict) -> str | None:
    parts = []
    if source.get("fps"):
        parts.append(f"{source['fps']:.2f} fps")
    if source.get("frame_count"):
        parts.append(f"{source['frame_count']} frames")
    if source.get("creation_time"):
        parts.append(f"created {source['creation_time']}")
    if source.get("live"):
        parts.append("live camera")
    track = source.get("video_track") or {}
    if (track.get("of") or 1) > 1:
        parts.append(f"video track {track.get('index')} of {track.get('of')} ({track.get('chosen_because')})")
    aspect = source.get("sample_aspect")
    if aspect and abs(aspect - 1.0) > 1e-3:
        parts.append(f"non-square pixels (aspect {aspect:.3g}), analysed as players show it")
    return ", ".join(parts) or None


def _models_text(classifier: dict | None, detector: dict | None, note: str | None) -> str:
    """Which models ran on which view (the note), and the files they were read from."""
    files = []
    if detector:
        files.append(f"detector {PurePath(str(detector.get('checkpoint', '?'))).name}")
    if classifier:
        classes = classifier.get("classes") or []
        runtime = BACKEND_WORDS.get(classifier.get("backend"), classifier.get("backend"))
        runtime = f", run by {runtime}" if runtime else ""
        name = PurePath(str(classifier.get("checkpoint", "?"))).name
        files.append(f"classifier {name} ({len(classes)} classes{runtime})")
    if not files:
        return note or NO_CLASSIFIER
    return f"{note} ({'; '.join(files)})" if note else "; ".join(files)


def _log_file_text(log: dict) -> str:
    name = PurePath(str(log.get("path", "?"))).name
    signals = log.get("signals") or {}
    units = ", ".join(f"{s} [{(info or {}).get('unit', '?')}]" for s, info in signals.items())
    clock = f"time from column {log['time_column']} ({time_form_words(log.get('time_form'))})" \
        if log.get("time_column") else ""
    return "; ".join(p for p in (name, clock, units) if p)


def _signal_text(name: str, signal: object) -> str:
    if not isinstance(signal, dict):
        return f"{name}: {readable(signal)}"
    details = [signal.get("unit"), f"{signal['rate_hz']} Hz" if signal.get("rate_hz") else None]
    return f"{name} ({', '.join(str(d) for d in details if d)})"


def telemetry_rows(telemetry: dict | None, has_speed: bool) -> list[tuple[str, str]]:
    """Summary rows for the telemetry description (dms.telemetry's describe()), any key optional."""
    if not telemetry:
        return [("Telemetry", "none")]
    rows = []
    known = {"files", "alignment", "coverage_s", "video_covered_s", "harsh", "warning", "signals", "clock",
             "log_start_utc", "sample_rate_hz"}
    for log in telemetry.get("files") or []:
        rows.append(("Telemetry file", _log_file_text(log) if isinstance(log, dict) else readable(log)))
    signals = telemetry.get("signals")
    if isinstance(signals, dict):
        rows.append(("Telemetry signals", ", ".join(_signal_text(n, s) for n, s in signals.items())))
    if telemetry.get("log_start_utc") or telemetry.get("clock"):
        start = telemetry.get("log_start_utc")
        when = f"log starts {start}" if start else "no date or time of day in the log"
        rows.append(("Telemetry clock", f"{clock_words(telemetry.get('clock'))}; {when}"))
    alignment = telemetry.get("alignment")
    if isinstance(alignment, dict):
        text = f"{alignment.get('rule', '?')}, log starts at {alignment.get('offset_s', '?')} s of media"
        rows.append(("Alignment", text + (f" ({alignment['reason']})" if alignment.get("reason") else "")))
    elif alignment is not None:
        rows.append(("Alignment", readable(alignment)))
    if telemetry.get("coverage_s") is not None:
        start, end = telemetry["coverage_s"]
        text = f"{start} s to {end} s of media"
        if telemetry.get("video_covered_s") is not None:
            text += f"; {telemetry['video_covered_s']} s of the video covered"
        rows.append(("Telemetry coverage", text + ("" if has_speed else "; no speed at analysed frames")))
    harsh = telemetry.get("harsh")
    if isinstance(harsh, dict):
        accel = harsh.get("acceleration") or "not available"
        rows.append(("Harsh braking / acceleration", (
            f"below -{harsh.get('brake_ms2', '?')} / above {harsh.get('accel_ms2', '?')} m/s², "
            f"{harsh.get('markers', '?')} marker(s) in the log, acceleration {accel}"
        )))
    if telemetry.get("warning"):
        rows.append(("Telemetry warning", readable(telemetry["warning"])))
    rows += [(f"Telemetry {k}", readable(v)) for k, v in telemetry.items() if k not in known]
    return rows


def _pose_words(pose: object) -> str:
    """A head pose [yaw, pitch] (degrees from the camera's axis) in words."""
    if not isinstance(pose, list | tuple) or len(pose) != 2:
        return "as the camera profile sets it"
    yaw, pitch = float(pose[0]), float(pose[1])
    if abs(yaw) < 5 and abs(pitch) < 5:
        return "the driver facing the camera"
    parts = [f"turned {abs(yaw):.0f}° from the camera" if abs(yaw) >= 5 else "facing the camera"]
    if abs(pitch) >= 5:
        parts.append(f"{abs(pitch):.0f}° {'up' if pitch > 0 else 'down'}")
    return "the head " + ", ".join(parts)


def head_reference_text(head: dict) -> str:
    """Which straight-ahead pose the head angles were measured from, in words (docs/perception.md)."""
    camera_s = head.get("camera_reference_s") or 0.0
    learned = head.get("straight_ahead_deg")
    expected = _pose_words(head.get("expected_deg"))
    if not learned:
        return (
            f"Head turns were measured from the camera profile's expected straight-ahead pose ({expected}) "
            "for the whole drive: the driver never looked steadily ahead long enough to learn their own."
        )
    text = f"Head turns were measured from the driver's own straight-ahead pose ({_pose_words(learned)})"
    if camera_s > 0:
        settled = head.get("settled_at_s")
        at = f"{settled:.1f} s" if isinstance(settled, int | float) else "later"
        text += (f", learned at {at}; for the first {camera_s:.1f} s from the camera profile's expected "
                 f"pose ({expected})")
    return text + "."


def summary_rows(session: SessionRecord, frames: int, has_speed: bool) -> list[tuple[str, str]]:
    info = session.info
    duration = info.get("duration_s")
    fps = info.get("analysed_fps")
    rows = [
        ("Source", session.source),
        ("Session", f"{session.id} ({session.status})"),
        ("Started", session.started_at),
    ]
    if isinstance(info.get("source"), dict) and _video_text(info["source"]):
        rows.append(("Video", _video_text(info["source"])))
    rows += [
        ("Duration", "unknown" if duration is None else f"{duration:.1f} s"),
        ("Analysed frames", f"{frames}" + ("" if fps is None else f" at {fps:.1f} frames/s")),
        ("Models", _models_text(info.get("classifier"), info.get("detector"), info.get("classifier_note"))),
    ]
    rows += telemetry_rows(info.get("telemetry"), has_speed)
    settings = info.get("settings")
    if info.get("telemetry") and isinstance(settings, dict) and settings.get("speed_gate_kmh") is not None:
        rows.append(("Speed gate", (
            f"alerts above {settings['speed_gate_kmh']} km/h; below it events are logged as stationary (info)"
        )))
    rules = info.get("rules")
    if isinstance(rules, dict):
        text = f"{rules.get('name', '?')}: {rules.get('title', '')} ({rules.get('source', '')})"
        rows.append(("Rule set", text))
        if rules.get("speed_unchecked"):
            rows.append(("Rules not checked", str(rules["speed_unchecked"])))
    coverage = info.get("coverage")
    if isinstance(coverage, dict) and coverage.get("share") is not None:
        lost = coverage.get("not_monitored_s") or {}
        why = "; not monitored: " + ", ".join(f"{k} {v:.1f} s" for k, v in lost.items()) if lost else ""
        hidden = coverage.get("eyes_not_visible_s") or 0.0
        if hidden:
            why += (f"; eyes not visible {hidden:.1f} s (eye closure and PERCLOS not measured there; "
                    "head pose, hands and the classifier went on)")
        rows.append(("Coverage", (
            f"{coverage['share'] * 100:.0f} % of {coverage['drive_s']:.1f} s: driver monitored "
            f"{coverage['monitored_s']:.1f} s{why}"
        )))
    gaps = info.get("gaps") or []
    if gaps:
        listed = ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in gaps[:5]) + (" ..." if len(gaps) > 5 else "")
        held = sum(b - a for a, b in gaps)
        rows.append(("Gaps without frames", (
            f"{len(gaps)} ({held:.1f} s in all): {listed}; nothing was seen there, so no event spans them"
        )))
    head = (info.get("perception") or {}).get("head_reference")
    if isinstance(head, dict):
        rows.append(("Head pose reference", head_reference_text(head)))
    area = (info.get("perception") or {}).get("picture_area")
    if isinstance(area, list) and len(area) == 4:
        left, top, right, bottom = (round(100 * v) for v in area)
        rows.append(("Picture inside black bars", (
            f"the camera's picture fills x {left}-{right} %, y {top}-{bottom} % of the frame; "
            "the profile's wheel and console regions are placed on it"
        )))
    if info.get("dropped_frames"):
        rows.append(("Dropped frames", (
            f"{info['dropped_frames']} camera frames were not analysed: "
            "the analysis was slower than the camera"
        )))
    stopped = info.get("stopped_early")
    if stopped:
        rows.append(("Stopped early", str(stopped)))
    elif session.status in ("interrupted", "running", "cancelled"):
        rows.append(("Stopped early", f"analysis {session.status}; the report covers what was logged"))
    return rows


def _event_phrase(event: Event) -> str:
    """ "phone use 4.0 s at 71 km/h" (the mean speed over the event, where known)."""
    speed = (event.speed_kmh or {}).get("mean")
    at = f" at {speed:.0f} km/h" if speed is not None else ""
    return f"{behaviour_words(event.behaviour)} {event.end_s - event.start_s:.1f} s{at}"


def headline(events: list[Event]) -> str:
    """One line for a drive: its alerts (most severe, then longest, first; up to three named) and how
    many events were logged without one, e.g. "1 warning: phone use 4.0 s at 71 km/h"."""
    alerts = [e for e in events if alerted(e.severity, e.stationary)]
    quiet = len(events) - len(alerts)
    if not alerts:
        if not events:
            return "No alerts and no events."
        kinds = Counter(behaviour_words(e.behaviour) for e in events)
        listed = ", ".join(f"{name} × {n}" if n > 1 else name for name, n in kinds.most_common())
        return f"No alerts; {len(events)} event{'s' if len(events) > 1 else ''} logged ({listed})."
    counts = Counter(e.severity for e in alerts)
    head = ", ".join(
        f"{counts[s]} {s}{'s' if counts[s] > 1 else ''}" for s in ("critical", "warning") if counts[s]
    )
    ranked = sorted(alerts, key=lambda e: (-SEVERITIES.index(e.severity), -(e.end_s - e.start_s), e.start_s))
    named = ", ".join(_event_phrase(e) for e in ranked[:3]) + (", ..." if len(ranked) > 3 else "")
    rest = f"; {quiet} more event{'s' if quiet > 1 else ''} logged without an alert" if quiet else ""
    return f"{head}: {named}{rest}."
