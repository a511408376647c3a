"""Harsh braking and harsh acceleration markers from longitudinal acceleration.

Accelerometers are noisy at 100 Hz and OBD speed is coarse, so the acceleration is first averaged
over a centred 1 s window; every stretch beyond a threshold gives one marker, at its peak. With no
accelerometer column, acceleration is the speed's slope between consecutive samples.
"""

from __future__ import annotations

import numpy as np

HARSH_BRAKING = "harsh_braking"
HARSH_ACCELERATION = "harsh_acceleration"
MARKER_WORDS = {HARSH_BRAKING: "harsh braking", HARSH_ACCELERATION: "harsh acceleration"}  # as a person reads
SMOOTHING_S = 1.0
MIN_SEPARATION_S = 2.0  # one manoeuvre, one marker


def acceleration_from_speed(
    t: np.ndarray, speed_ms: np.ndarray, max_gap_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Slope of speed (m/s²) at the midpoints of consecutive samples, skipping gaps."""
    dt = np.diff(t)
    keep = (dt > 0) & (dt <= max_gap_s)
    midpoints = (t[:-1] + t[1:])[keep] / 2
    return midpoints, np.diff(speed_ms)[keep] / dt[keep]


def smoothed(t: np.ndarray, accel: np.ndarray) -> np.ndarray:
    """Mean over the samples within ±SMOOTHING_S/2 of each sample (running sums, any sample rate)."""
    sums = np.concatenate(([0.0], np.cumsum(accel)))
    lo = np.searchsorted(t, t - SMOOTHING_S / 2, side="left")
    hi = np.searchsorted(t, t + SMOOTHING_S / 2, side="right")
    return (sums[hi] - sums[lo]) / (hi - lo)


def harsh_markers(
    t: np.ndarray, accel: np.ndarray, brake_ms2: float, accel_ms2: float, max_gap_s: float
) -> list[tuple[float, str]]:
    """(time, name) of each harsh braking / acceleration, sorted by time."""
    if t.size == 0:
        return []
    level = smoothed(t, accel)
    markers = _peaks(t, -level, brake_ms2, max_gap_s, HARSH_BRAKING)
    markers += _peaks(t, level, accel_ms2, max_gap_s, HARSH_ACCELERATION)
    return sorted(markers)


def _peaks(
    t: np.ndarray, level: np.ndarray, threshold: float, max_gap_s: float, name: str
) -> list[tuple[float, str]]:
    beyond = level >= threshold
    changes = (np.diff(beyond.astype(np.int8)) != 0) | (np.diff(t) > max_gap_s)
    breaks = np.flatnonzero(changes) + 1
    markers: list[tuple[float, str]] = []
    for run in np.split(np.arange(t.size), breaks):
        if run.size == 0 or not beyond[run[0]]:
            continue
        peak_t = float(t[run[np.argmax(level[run])]])
        if markers and peak_t - markers[-1][0] < MIN_SEPARATION_S:
            continue
        markers.append((peak_t, name))
    return markers
