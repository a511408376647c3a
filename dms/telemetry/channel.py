"""One signal on the media clock, interpolated linearly between samples and never beyond them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_GAP_S = 1.0
GAP_SAMPLE_INTERVALS = 5


@dataclass(frozen=True)
class Channel:
    """Samples at media times `t`; across a gap longer than `max_gap_s` the value is unknown."""

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

    def at(self, x: float) -> float | None:
        """The interpolated value at media time x, None outside the samples or inside a gap."""
        t = self.t
        if not t[0] <= x <= t[-1]:
            return None
        i = int(np.searchsorted(t, x, side="right"))
        if i == t.size:
            value = float(self.values[-1])
        else:
            t0, t1 = t[i - 1], t[i]
            if t1 - t0 > self.max_gap_s and x != t0:
                return None
            v0, v1 = self.values[i - 1], self.values[i]
            value = float(v0 + (v1 - v0) * (x - t0) / (t1 - t0))
        return value % 360.0 if self.wrap_deg else value

    def between(self, t0: float, t1: float) -> np.ndarray:
        """The raw samples with t0 <= t <= t1."""
        lo = np.searchsorted(self.t, t0, side="left")
        hi = np.searchsorted(self.t, t1, side="right")
        return self.values[lo:hi]
