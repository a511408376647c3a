""" "Why did it alert": an event's evidence and rule timing in sentences a reviewer reads.

The tracker keeps a `Trace` per event (what raised it, when each threshold was crossed, at what
speed, what interrupted the evidence); `why(trace)` turns it into a short list of sentences that
travels in the event's evidence as `why` (events.json, the report's event table, the GUI).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from dms.core.words import NOT_SEEN_WORDS, behaviour_words, source_words
from dms.rules.model import RuleSet, Timing

# Sources that only support a behaviour another source raised (dms/fusion/scores.py), per behaviour.
SUPPORTING = {
    "phone": ("hand_at_ear", "head_down_hands_off"),
    "smoking": ("hand_at_mouth", "classifier"),
    "drinking": ("hand_at_mouth",),
}


@dataclass
class Crossing:
    """The moment an event became a warning or critical, and by which path.

    t: media time (s); threshold_s: the duration threshold in force (None where the path is not a
    timer); speed_kmh: the speed then; cause: the path that fired ("timer", "speed_band",
    "critical_speed", "perclos"; dms.core.words.CAUSE_WORDS); lasted_s: how long the behaviour had
    lasted then; perclos: the PERCLOS value then (share 0..1), where known.
    """

    t: float
    threshold_s: float | None
    speed_kmh: float | None
    cause: str = "timer"
    lasted_s: float = 0.0
    perclos: float | None = None


@dataclass
class Trace:
    """What the tracker saw of one event, for the explanation."""

    behaviour: str
    start_s: float
    sources: Counter = field(default_factory=Counter)
    frames: int = 0
    classes: Counter = field(default_factory=Counter)  # classifier top class on supporting frames
    crossings: dict[str, Crossing] = field(default_factory=dict)  # severity -> crossing
    held_back: str | None = None  # why a due escalation did not happen (speed), first time
    dips: list[tuple[float, float]] = field(default_factory=list)  # bridged drops below `off`
    unseen_s: float = 0.0  # time the cue was not observed (score held) inside the event
    previous: str | None = None  # an earlier stretch that ended just before and restarted the timer
    announced_at: float | None = None
    cooldown_s: float = 0.0
    last_speed_kmh: float | None = None  # the speed on the latest supporting frame


def _t(seconds: float) -> str:
    return f"{seconds:.1f} s"


def _speed(speed: float | None) -> str:
    return "speed unknown" if speed is None else f"{speed:.0f} km/h"


def speed_rule_text(timing: Timing, speed: float | None, has_telemetry: bool) -> str | None:
    """The speed band and gate in force at `speed`, or what could not be checked without speed."""
    parts = []
    if speed is None and timing.needs_speed:
        if not has_telemetry:
            parts.append("no telemetry: the rule's speed conditions could not be checked")
        else:
            parts.append("speed unknown at this moment")
        band = timing.band_for(None)
        if band is not None:
            parts.append(
                f"the shortest warning time ({band.warning_s:g} s, {band.text(timing.bands)}) was applied"
            )
        return "; ".join(parts)
    if speed is None:
        return None
    band = timing.band_for(speed)
    if band is not None:
        parts.append(f"band {band.text(timing.bands)}")
    if timing.active_above_kmh is not None:
        state = "active" if speed > timing.active_above_kmh else "not active"
        parts.append(f"rule active above {timing.active_above_kmh:g} km/h ({state})")
    if timing.critical_from_kmh is not None and speed >= timing.critical_from_kmh:
        parts.append(f"critical at once from {timing.critical_from_kmh:g} km/h")
    return "; ".join(parts) or None


def _raised(trace: Trace) -> str:
    """What raised the event: the video classifier (with the behaviour it saw most), the object
    detector and/or the landmark cues, each with its share of the event's frames; then the cues
    that only supported it, and what was looked for and not seen (a cue nothing explained)."""
    frames = max(1, trace.frames)
    supporting = SUPPORTING.get(trace.behaviour, ())
    ranked = [(name, n) for name, n in trace.sources.most_common() if name not in NOT_SEEN_WORDS]
    parts, support = [], []
    for name, n in ranked:
        share = f"on {100 * n / frames:.0f}% of frames"
        if name in supporting:
            support.append(f"{source_words(name)} {share}")
        elif name == "classifier":
            text = f"the video classifier {share}"
            if trace.classes:
                top, k = trace.classes.most_common(1)[0]
                text += f" (it saw {behaviour_words(top)} most likely on {k} of them)"
            parts.append(text)
        else:
            parts.append(f"{source_words(name)} {share}")
    parts = parts[:3]
    if not parts:
        return "Raised by the behaviour score"
    detected = [p for p in parts if "(object detector)" in p]
    classifier = [p for p in parts if p.startswith("the video classifier")]
    cues = [p for p in parts if p not in detected and p not in classifier]
    said = classifier[:1] + detected
    if cues:
        said.append(("landmark cues: " if len(cues) > 1 else "a landmark cue: ") + ", ".join(cues))
    text = "Raised by " + " and by ".join(said)
    if support:
        text += ", supported by " + ", ".join(support)
    unseen = [words for name, words in NOT_SEEN_WORDS.items() if trace.sources[name]]
    if unseen:
        text += " (cause unknown: " + " and ".join(unseen) + ")"
    return text


def _crossing_text(severity: str, crossing: Crossing, timing: Timing, behaviour: str, perclos_warning: float,
                   perclos_window_s: float) -> str:
    """The sentence of the path that made the event a warning or critical, with its own numbers."""
    what = behaviour_words(behaviour)
    when = f"at {_t(crossing.t)} ({_speed(crossing.speed_kmh)})"
    level = severity.capitalize()
    if crossing.cause == "perclos":
        timer = timing.warning_at(crossing.speed_kmh)
        lasted = f"the closure had lasted {_t(crossing.lasted_s)}"
        if timer is not None and crossing.lasted_s < timer:
            lasted += f", short of the {timer:g} s timer"
        value = "unknown" if crossing.perclos is None else f"{crossing.perclos:.2f}"
        return (
            f"{level} {when} by PERCLOS, not by the timer: the eyes were closed {value} of the time "
            f"(PERCLOS, over the eye state seen in the last {perclos_window_s:g} s), at or above the "
            f"{perclos_warning:g} drowsiness threshold; {lasted}."
        )
    if crossing.cause == "critical_speed":
        return (
            f"{level} {when} by speed: {_speed(crossing.speed_kmh)} is at or above the rule's critical "
            f"speed of {timing.critical_from_kmh:g} km/h ({what} had lasted {_t(crossing.lasted_s)})."
        )
    if crossing.cause == "speed_band":
        band = timing.band_for(crossing.speed_kmh)
        band_text = band.text(timing.bands) if band is not None else ""
        return (
            f"{level} {when} by the speed band's timer: {what} lasted {crossing.threshold_s:g} s, the "
            f"warning time of the band {band_text}."
        )
    return (
        f"{level} {when} by the timer: {what} lasted {crossing.threshold_s:g} s, the rule's {severity} "
        "time."
    )


def why(
    trace: Trace,
    rules: RuleSet,
    timing: Timing | None,
    *,
    gap_s: float,
    off: float,
    speed_gate_kmh: float,
    stationary: bool | None,
    has_telemetry: bool,
    end_s: float,
    perclos_warning: float,
    perclos_window_s: float,
) -> list[str]:
    """The explanation of one event as sentences (see the module docstring): what raised it, then
    for each severity reached the one path that made it so (the duration timer, a speed band's
    timer, the critical speed, PERCLOS), with that path's numbers."""
    lines = [f"{_raised(trace)}; {behaviour_words(trace.behaviour)} from {_t(trace.start_s)}."]
    if timing is None:
        what = behaviour_words(trace.behaviour)
        lines.append(f"Logged only: rule set '{rules.name}' sets no alert for {what}.")
    else:
        rule = f" Rule: {timing.clause}." if timing.clause else ""
        for severity in ("warning", "critical"):
            crossing = trace.crossings.get(severity)
            if crossing is None:
                continue
            lines.append(
                _crossing_text(severity, crossing, timing, trace.behaviour, perclos_warning, perclos_window_s)
                + rule
            )
            rule = ""
        if not trace.crossings:
            warning = timing.warning_at(trace.last_speed_kmh)
            limit = f"the {warning:g} s warning threshold" if warning is not None else "any alert threshold"
            lines.append(f"No alert: it did not last {limit} under rule set '{rules.name}'.{rule}")
        crossing = trace.crossings.get("warning") or trace.crossings.get("critical")
        speed = crossing.speed_kmh if crossing else trace.last_speed_kmh
        speed_text = speed_rule_text(timing, speed, has_telemetry)
        if speed_text:
            lines.append(f"Speed: {speed_text}.")
    if stationary:
        lines.append(f"Below the {speed_gate_kmh:g} km/h speed gate: logged as stationary, no alert.")
    if trace.held_back:
        lines.append(trace.held_back)
    if trace.previous:
        lines.append(trace.previous)
    if trace.dips:
        spans = ", ".join(f"{_t(a)}-{_t(b)}" for a, b in trace.dips[:4])
        more = f" and {len(trace.dips) - 4} more" if len(trace.dips) > 4 else ""
        lines.append(
            f"Evidence dropped below {off:g} at {spans}{more}; each drop was shorter than the "
            f"{gap_s:g} s gap, so the timer kept running."
        )
    if trace.unseen_s >= 0.05:
        lines.append(
            f"The cue was not observed for {_t(trace.unseen_s)} inside the event (the score was held, "
            "then decayed)."
        )
    if (
        trace.announced_at is not None
        and trace.announced_at > trace.start_s + 1e-6
        and trace.cooldown_s > 0
    ):
        lines.append(
            f"Announced at {_t(trace.announced_at)}, after the {trace.cooldown_s:g} s cool-down "
            "that follows the previous event."
        )
    return lines
