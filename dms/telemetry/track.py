"""The telemetry track the pipeline asks once per analysed frame (dms.pipeline.loop.TelemetryStage).

Everything is precomputed into numpy arrays at load time. Signals logged on the same clock (one
CAN or IMU file) are stacked, so `at(t)` costs one binary search and one vector step per clock.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from dms.core.types import VehicleState

MIN_GAP_S = 1.0
GAP_SAMPLE_INTERVALS = 5


@dataclass(frozen=True)
class Channel:
    """One signal's samples at media times `t` (canonical unit); across a gap longer than
    `max_gap_s` the value is unknown. The track interpolates it (linearly, never beyond the
    samples) together with the other signals logged on the same clock."""

    t: np.ndarray
    values: np.ndarray
    max_gap_s: float
    wrap_deg: bool = False  # headings: interpolate the short way round, report in [0, 360)

    @classmethod
    def of(cls, t: np.ndarray, values: np.ndarray, wrap_deg: bool = False) -> Channel:
        interval = float(np.median(np.diff(t))) if t.size > 1 else 0.0
        unwrapped = np.rad2deg(np.unwrap(np.deg2rad(values))) if wrap_deg else values
        return cls(t, unwrapped, max(MIN_GAP_S, GAP_SAMPLE_INTERVALS * interval), wrap_deg)

    @property
    def start(self) -> float:
        return float(self.t[0])

    @property
    def end(self) -> float:
        return float(self.t[-1])

    @property
    def rate_hz(self) -> float:
        return 1.0 / float(np.median(np.diff(self.t))) if self.t.size > 1 else 0.0


# VehicleState field -> (channel name, factor from the channel's canonical unit)
_STATE_FIELDS = {
    "speed_kmh": ("speed", 3.6),
    "accel_long_ms2": ("accel_long", 1.0),
    "accel_lat_ms2": ("accel_lat", 1.0),
    "steering_deg": ("steering", 1.0),
    "latitude": ("latitude", 1.0),
    "longitude": ("longitude", 1.0),
    "heading_deg": ("heading", 1.0),
    "odometer_m": ("odometer", 1.0),
}


def odometer_channel(speed: Channel) -> Channel:
    """Distance (m) since the first speed sample: the trapezoid rule over the speed samples."""
    steps = 0.5 * (speed.values[1:] + speed.values[:-1]) * np.diff(speed.t)
    distance = np.concatenate(([0.0], np.cumsum(steps)))
    return Channel(speed.t, distance, speed.max_gap_s)


@dataclass(frozen=True)
class _ClockGroup:
    """VehicleState fields whose channels share one time array: interpolated together."""

    t: np.ndarray
    values: np.ndarray  # (samples, fields), C order so one sample is one contiguous row
    fields: tuple[str, ...]
    wrapped: tuple[int, ...]  # fields that are headings, reported modulo 360
    max_gap_s: float
    start: float
    end: float

    def at(self, x: float) -> dict[str, float | None] | None:
        if not self.start <= x <= self.end:
            return None
        i = int(self.t.searchsorted(x, side="right"))
        if i == self.t.size:
            row = self.values[-1].tolist()
        else:
            t0, t1 = float(self.t[i - 1]), float(self.t[i])
            if t1 - t0 > self.max_gap_s and x != t0:
                return None
            before = self.values[i - 1]
            row = (before + (self.values[i] - before) * ((x - t0) / (t1 - t0))).tolist()
        for j in self.wrapped:
            row[j] %= 360.0
        return dict(zip(self.fields, row, strict=True))


def _clock_groups(channels: dict[str, Channel]) -> list[_ClockGroup]:
    groups: list[tuple[Channel, list[tuple[str, Channel, float]]]] = []
    for name, (channel_name, factor) in _STATE_FIELDS.items():
        channel = channels.get(channel_name)
        if channel is None:
            continue
        for first, members in groups:
            if first.max_gap_s == channel.max_gap_s and np.array_equal(first.t, channel.t):
                members.append((name, channel, factor))
                break
        else:
            groups.append((channel, [(name, channel, factor)]))
    return [
        _ClockGroup(
            first.t,
            np.ascontiguousarray(np.column_stack([c.values * factor for _, c, factor in members])),
            tuple(name for name, _, _ in members),
            tuple(j for j, (_, c, _) in enumerate(members) if c.wrap_deg),
            first.max_gap_s,
            first.start,
            first.end,
        )
        for first, members in groups
    ]


@dataclass
class TelemetryTrack:
    """Vehicle signals on the media clock; fields are None where the log does not cover a time."""

    channels: dict[str, Channel]  # canonical units: speed m/s, accelerations m/s², angles degrees
    marker_list: list[tuple[float, str]] = field(default_factory=list)
    description: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if "speed" in self.channels and "odometer" not in self.channels:
            self.channels["odometer"] = odometer_channel(self.channels["speed"])
        self._groups = _clock_groups(self.channels)
        self._marker_times = [t for t, _ in self.marker_list]

    def at(self, t: float) -> VehicleState:
        values: dict[str, float | None] = {}
        for group in self._groups:
            found = group.at(t)
            if found is not None:
                values.update(found)
        return VehicleState(**values)

    def markers(self) -> list[tuple[float, str]]:
        return list(self.marker_list)

    def markers_between(self, t0: float, t1: float) -> list[str]:
        """Names of the markers with t0 < time <= t1."""
        lo = bisect.bisect_right(self._marker_times, t0)
        hi = bisect.bisect_right(self._marker_times, t1)
        return [name for _, name in self.marker_list[lo:hi]]

    def describe(self) -> dict:
        return dict(self.description)
