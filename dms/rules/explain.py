""" "Why did it alert": an event's evidence and rule timing in sentences a reviewer reads.

The tracker keeps a `Trace` per event (what raised it, when each threshold was crossed, at what
speed, what interrupted the evidence); `why(trace)` turns it into a short list of sentences that
travels in the event's evidence as `why` (events.json, the report's event table, the GUI).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from dms.rules.model import RuleSet, Timing

# What each fusion source means (dms/fusion.py), in a reviewer's words.
SOURCE_WORDS = {
    "head_pose": "the head pose outside the road zone",
    "eyes_down": "eyes down (head pitched down, lids looking closed)",
    "face_lost": "the face lost with the head turned away (ears, nose and shoulders)",
    "head_yaw": "the head turned far to the side",
    "hands_on_wheel": "no hand seen on the wheel",
    "hand_at_ear": "a hand at the ear",
    "head_down_hands_off": "the head down with no hand on the wheel",
    "classifier": "the video classifier",
    "hand_in_console": "a hand in the console region",
    "hand_at_mouth": "a hand at the mouth",
    "eyes_closed": "closed eyes (eye opening below the driver's own baseline)",
    "mouth_open": "a wide-open mouth",
}


@dataclass
class Crossing:
    """The moment a threshold was crossed: media time, the threshold in force, the speed then."""

    t: float
    threshold_s: float | None
    speed_kmh: float | None


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
) -> list[str]:
    """The explanation of one event as sentences (see the module docstring)."""
    lines = []
    frames = max(1, trace.frames)
    raised = [
        f"{SOURCE_WORDS.get(name, name)} ({100 * n / frames:.0f}% of frames)"
        for name, n in trace.sources.most_common(3)
    ]
    text = f"Raised by {', '.join(raised)}" if raised else "Raised by the behaviour score"
    if trace.classes:
        top, n = trace.classes.most_common(1)[0]
        text += f"; classifier class '{top}' on {n} frame(s)"
    lines.append(text + f"; {trace.behaviour} from {_t(trace.start_s)}.")
    if timing is None:
        lines.append(f"Logged only: rule set '{rules.name}' sets no alert for {trace.behaviour}.")
    else:
        rule = f" ({timing.clause})" if timing.clause else ""
        for severity in ("warning", "critical"):
            crossing = trace.crossings.get(severity)
            if crossing is None:
                continue
            if crossing.threshold_s is not None:
                lines.append(
                    f"{severity.capitalize()}: the timer passed the {crossing.threshold_s:g} s threshold at "
                    f"{_t(crossing.t)} ({_speed(crossing.speed_kmh)}){rule}."
                )
            else:
                lines.append(
                    f"{severity.capitalize()} at {_t(crossing.t)}: {_speed(crossing.speed_kmh)}"
                    f" is at or above the rule's critical speed{rule}."
                )
            rule = ""
        if not trace.crossings:
            warning = timing.warning_at(trace.last_speed_kmh)
            limit = f"the {warning:g} s warning threshold" if warning is not None else "any alert threshold"
            lines.append(f"No alert: it did not last {limit} under rule set '{rules.name}'{rule}.")
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
