"""The types of a rule set: how each behaviour is timed, gated by speed and cited.

A rule set is what a drive is judged by (Euro NCAP, the EU ADDW or DDAW regulation, or a user
file). The detection settings (`dms.core.config.Settings`: thresholds, minimum durations, gaps) say
when a behaviour is seen; the rule set says when seeing it becomes a warning or a critical alert,
at which speeds, and which clause of which document says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dms.core.words import behaviour_words


@dataclass(frozen=True)
class SpeedBand:
    """A warning time that applies above `above_kmh` (strictly) up to the next band."""

    above_kmh: float
    warning_s: float

    def text(self, bands: tuple[SpeedBand, ...]) -> str:
        higher = [b.above_kmh for b in bands if b.above_kmh > self.above_kmh]
        upper = f" up to {min(higher):g}" if higher else ""
        return f"above {self.above_kmh:g}{upper} km/h: warning after {self.warning_s:g} s"


@dataclass(frozen=True)
class Timing:
    """How one behaviour is judged. Times in seconds of the behaviour lasting, speeds in km/h.

    warning_s / critical_s: the behaviour's duration at which it becomes a warning / critical
    (None = never). bands: speed-dependent warning times; with a known speed they replace
    warning_s, without telemetry the shortest band's time applies (and the event says so).
    active_above_kmh: at or below this speed the behaviour is logged (severity info), never alerted.
    critical_from_kmh: at or above this speed the behaviour is critical at once.
    rule: the rule's id in events (e.g. "long_distraction"); clause: its source.
    """

    warning_s: float | None
    critical_s: float | None = None
    bands: tuple[SpeedBand, ...] = ()
    active_above_kmh: float | None = None
    critical_from_kmh: float | None = None
    rule: str = ""
    clause: str = ""

    @property
    def needs_speed(self) -> bool:
        return bool(self.bands) or self.active_above_kmh is not None or self.critical_from_kmh is not None

    def band_for(self, speed_kmh: float | None) -> SpeedBand | None:
        """The band in force at `speed_kmh`; without speed, the band with the shortest time."""
        if not self.bands:
            return None
        if speed_kmh is None:
            return min(self.bands, key=lambda b: b.warning_s)
        inside = [b for b in self.bands if speed_kmh > b.above_kmh]
        return max(inside, key=lambda b: b.above_kmh) if inside else None

    def warning_at(self, speed_kmh: float | None) -> float | None:
        band = self.band_for(speed_kmh)
        return band.warning_s if band is not None else self.warning_s


@dataclass(frozen=True)
class TimeSharing:
    """Visual time-sharing: >= total_s of eyes off road within window_s; a look back at the road
    of >= reset_s clears the count."""

    total_s: float = 10.0
    window_s: float = 30.0
    reset_s: float = 2.0
    clause: str = ""


@dataclass(frozen=True)
class Unresponsive:
    """An unresponsive driver (its own critical event): eyes off road or closed without a break
    for >= eyes_off_s, or no return of the gaze to the road within no_return_s of a warning about
    eyes off road or closed."""

    eyes_off_s: float = 6.0
    no_return_s: float = 3.0
    clause: str = ""


@dataclass(frozen=True)
class RuleSet:
    """A named set of rules. Behaviours absent from `timings` are logged but never alerted."""

    name: str
    title: str
    source: str  # the document(s), in full
    timings: dict[str, Timing] = field(default_factory=dict)
    time_sharing: TimeSharing | None = None
    unresponsive: Unresponsive | None = None
    # Gaze distraction zone: head yaw beyond this from straight ahead is off road (None = the
    # camera profile's road zone decides).
    zone_yaw_deg: float | None = None
    zone_clause: str = ""
    origin: str = ""  # the file a user rule set came from

    def timing(self, behaviour: str) -> Timing | None:
        return self.timings.get(behaviour)

    def needs_speed(self) -> list[str]:
        """Behaviours whose rule depends on speed (said so when no telemetry is given)."""
        return sorted(b for b, t in self.timings.items() if t.needs_speed)

    def without_speed(self) -> str | None:
        """What this rule set cannot check without telemetry, and what applies instead (None: all)."""
        parts = []
        for behaviour in self.needs_speed():
            timing = self.timings[behaviour]
            what = []
            band = timing.band_for(None)
            if band is not None:
                what.append(f"the shortest warning time of its speed bands ({band.warning_s:g} s) applies")
            if timing.active_above_kmh is not None:
                gate = timing.active_above_kmh
                what.append(f"it alerts at any speed (active above {gate:g} km/h not checked)")
            if timing.critical_from_kmh is not None:
                what.append(f"it is not made critical by speed (from {timing.critical_from_kmh:g} km/h)")
            parts.append(f"{behaviour_words(behaviour)}: {', '.join(what)}")
        if not parts:
            return None
        return f"rule set {self.name} without telemetry: speed conditions not checked; " + "; ".join(parts)

    def describe(self) -> dict:
        """What a session records about the rule set it was judged by."""
        return {
            "name": self.name,
            "title": self.title,
            "source": self.source,
            "origin": self.origin or None,
            "needs_speed": self.needs_speed(),
        }
