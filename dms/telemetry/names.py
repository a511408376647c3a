"""What a log's column name says: its words, and which vehicle signal it announces.

Shared by the clock detection (`dms.telemetry.timebase`: a time column, or a counter that is no
signal) and the signal detection (`dms.telemetry.detection`), which both read names this way.
"""

from __future__ import annotations

import re

_ACCEL = frozenset({"acc", "accel", "acceleration", "accelerometer"})
_LONGITUDINAL = frozenset({"long", "longitudinal", "forward", "fwd"})
_LATERAL = frozenset({"lat", "lateral", "right", "left", "side", "sideways"})
_DERIVED = frozenset(
    {"average", "avg", "mean", "difference", "diff", "vs", "max", "min", "limit", "time", "wheel", "rate",
     "accuracy", "error", "std", "dop", "gyro", "target", "set"}
)
# "long" alone is ambiguous (long-term fuel trim): it means longitude only beside these words.
_POSITION = frozenset({"gps", "gnss", "deg", "degrees", "wgs84", "pos", "position"})


def name_tokens(name: str) -> list[str]:
    """The lower-case letter and digit runs of `name` ("GPS Speed (m/s)" -> gps, speed, m, s)."""
    return [token for token in re.split(r"[^a-z0-9]+", name.lower()) if token]


def signal_of(name: str) -> str | None:
    """Which signal a column name announces, if any."""
    tokens = set(name_tokens(name))
    if tokens & _DERIVED:
        return None
    if tokens & _ACCEL:
        if tokens & _LONGITUDINAL:
            return "accel_long"
        return "accel_lat" if tokens & _LATERAL else None
    if tokens & {"speed", "velocity", "vel", "spd", "vss", "sog"}:  # SOG: NMEA speed over ground
        return "speed"
    if tokens & {"steering", "steer", "swa"}:
        return "steering"
    if tokens & {"latitude", "lat"}:
        return "latitude"
    if tokens & {"longitude", "lon", "lng"} or ("long" in tokens and tokens <= _POSITION | {"long"}):
        return "longitude"
    if tokens & {"heading", "bearing", "course", "azimuth", "cog"}:
        return "heading"
    return None
