"""The camera's own state: is the driver actually monitored? A `camera_degraded` event and coverage.

Euro NCAP's driver-monitoring protocol asks that the driver be informed within 10 s when the
system cannot monitor (camera blocked, driver not visible). Per analysed frame one condition is
read, the first that applies:

* `too dark` / `over-exposed`: mean grey level below 20 (a hand over the lens reads so too), or
  above 235 or most pixels saturated;
* `blocked or covered`: almost no detail in the picture (grey-level standard deviation below 6:
  tape, a cap, a fogged lens);
* `frozen`: the picture has not changed at all for 2 s (mean difference of a 64x36 thumbnail
  below 0.25 grey levels between analysed frames; a live sensor always shows some noise);
* `face out of frame`: head points at the image border and no head pose read from the face
  (camera aim, dms.perception.face_lost);
* `face too small`: the driver is in the picture but too small for the face and head cues (a far
  or wide-angle camera; the limits and how they were measured: dms/perception/person_size.py),
  whatever the speed;
* `no face while driving`: the face lost, not explained by a head turned away, with the vehicle
  moving (speed at or above the speed gate, or unknown);
* on a side view (profile `view: side`, the State Farm rig beside the driver) the face is often
  in profile and lost while the driver is plainly watched: that camera monitors the body, hands and
  what they hold (pose, hand landmarks, the classifier), so there the condition is
  `driver not in view while driving`: no body (pose shoulders) seen, with the vehicle moving.

A condition lasting `camera_degraded_s` (default 3 s, well inside the 10 s) opens a
`camera_degraded` event (warning; info below the speed gate, and info for `face too small`: the
camera works, it is mounted too far or too wide for the face, which the coverage, the fleet
report's low-coverage list and the GUI's monitoring state say on every drive) from the
condition's start; it ends when the camera has been fine for 1 s. Coverage is the share of the
analysed drive time in which the driver was actually monitored: the picture fine and the face (or
a head turned away) seen, on a side view the body seen. No behaviour is scored from the time it
counts as not monitored (dms.fusion.scores). Time with the eyes not visible (sunglasses, a hand, glare;
`Cues.eyes_closed` unknown for that reason) is monitored, since head pose, hands and the
classifier go on, and is counted apart (`eyes_not_visible_s`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import cv2
import numpy as np

from dms.core.config import Settings
from dms.core.types import (
    EYES_NOT_VISIBLE,
    FACE_TOO_SMALL,
    Cues,
    Event,
    EventUpdate,
    Frame,
    Monitoring,
    VehicleState,
)
from dms.events.shared import closing, event_update, new_event_id
from dms.perception.face_lost import head_out_of_frame

BLOCKED_STD = 6.0
DARK_MEAN = 20.0
BRIGHT_MEAN = 235.0
SATURATED_SHARE = 0.6
FROZEN_DIFF = 0.25
FROZEN_S = 2.0  # a picture unchanged this long is frozen (a still in a slideshow changes sooner)
CLEAR_S = 1.0
THUMB = (64, 36)
KIND = "camera_degraded"
# Conditions of the installation rather than a fault of the camera: logged as info, never alerted.
INFO_ONLY = frozenset({FACE_TOO_SMALL})
# A face or body not found on one frame right after a monitored one is a landmark model's dropout
# (MediaPipe's pose missed the shoulders on the first frame of side_montage_a's drinking cut, a
# driver in plain view), not a driver out of view: these count from their second frame in a row.
LANDMARK_LOST = frozenset({"driver not in view while driving", "no face while driving"})


class CameraHealth:
    """Pipeline stage: `step(frame, cues, vehicle)` -> updates of `camera_degraded` events."""

    def __init__(self, settings: Settings, view: str = "frontal"):
        self.settings = settings
        self.view = view  # the camera profile's view: "frontal" or "side"
        self.after_s = settings.camera_degraded_s
        self.monitored_s = 0.0
        self.observed_s = 0.0
        self.lost_s: Counter = Counter()  # seconds per condition
        self.eyes_not_visible_s = 0.0  # monitored time with the eyes not visible
        self.reset()

    def reset(self) -> None:
        """Forget the picture history and any run of conditions (after a gap with no frames)."""
        self._previous: np.ndarray | None = None
        self._unchanged_since: float | None = None
        self._last_t: float | None = None
        self._since: float | None = None  # a run of frames with some condition, from
        self._fine_since: float | None = None
        self._reasons: Counter = Counter()
        self._last_bad_t = 0.0
        self._was_monitored = False  # the previous frame was monitored
        self.event: Event | None = None

    def condition(self, frame: Frame, cues: Cues, vehicle: VehicleState | None) -> str | None:
        """The first condition that applies to this frame, or None when the driver is monitored."""
        gray = cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY) if frame.image.ndim == 3 else frame.image
        thumb = cv2.resize(gray, THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)
        previous, self._previous = self._previous, thumb
        mean, std = (float(v[0, 0]) for v in cv2.meanStdDev(gray))
        if mean < DARK_MEAN:
            return "too dark"
        if mean > BRIGHT_MEAN or float((gray >= 250).mean()) > SATURATED_SHARE:
            return "over-exposed"
        if std < BLOCKED_STD:
            return "blocked or covered"
        unchanged = previous is not None and float(np.abs(thumb - previous).mean()) < FROZEN_DIFF
        if not unchanged:
            self._unchanged_since = frame.t
        elif frame.t - self._unchanged_since >= FROZEN_S - 1e-6:
            return "frozen"
        pose = cues.landmarks.pose
        if head_out_of_frame(pose) and cues.head_yaw.value is None:
            return "face out of frame"
        if self.view == "side":
            if cues.body_visible.value:
                return None
            lost = "driver not in view while driving"
        else:
            if cues.head_yaw.missing == FACE_TOO_SMALL:
                return FACE_TOO_SMALL
            if cues.face_visible.value is not None and cues.face_visible.value >= 0.5:
                return None
            if cues.head_turned_away.value:
                return None
            lost = "no face while driving"
        speed = vehicle.speed_kmh if vehicle is not None else None
        if speed is None or speed >= self.settings.speed_gate_kmh:
            return lost
        return None

    def assess(self, frame: Frame, cues: Cues, vehicle: VehicleState | None) -> Monitoring:
        """Whether the driver is monitored on this frame (call once per frame, in order); a
        LANDMARK_LOST condition on one frame after a monitored one is not counted."""
        reason = self.condition(frame, cues, vehicle)
        dropout = reason in LANDMARK_LOST and self._was_monitored
        self._was_monitored = reason is None
        if dropout:
            reason = None
        hidden = reason is None and cues.eyes_closed.missing == EYES_NOT_VISIBLE
        return Monitoring(reason, hidden)

    def step(
        self, frame: Frame, cues: Cues, vehicle: VehicleState | None, monitoring: Monitoring | None = None
    ) -> list[EventUpdate]:
        """Count this frame's time and open, extend or close the `camera_degraded` event;
        `monitoring`: this frame's `assess` (made here when not given)."""
        t = frame.t
        monitoring = monitoring if monitoring is not None else self.assess(frame, cues, vehicle)
        reason = monitoring.not_monitored
        dt = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        self.observed_s += dt
        if reason is None:
            self.monitored_s += dt
            self.eyes_not_visible_s += dt * monitoring.eyes_not_visible
            if self._fine_since is None:
                self._fine_since = t
            if self._since is not None and t - self._fine_since >= CLEAR_S - 1e-6:
                return self._close(self._last_bad_t)
            return []
        self.lost_s[reason] += dt
        self._fine_since = None
        self._last_bad_t = t
        if self._since is None:
            self._since, self._reasons = t, Counter()
        self._reasons[reason] += 1
        if self.event is None:
            if t - self._since < self.after_s - 1e-6:
                return []
            self.event = self._open(t, vehicle)
            return [event_update("open", self.event)]
        evidence = {**self.event.evidence, **self._evidence(t)}
        self.event = replace(self.event, end_s=round(t, 3), evidence=evidence)
        return []

    def finish(self, t: float) -> list[EventUpdate]:
        end = self._last_bad_t if self._since is not None else t
        updates = self._close(end)
        self._since = None
        return updates

    def coverage(self, gaps_s: float = 0.0) -> dict:
        """{"share", "monitored_s", "drive_s", "not_monitored_s": {condition: s, "gaps": s},
        "eyes_not_visible_s": monitored seconds with the eyes not visible}."""
        drive = self.observed_s + gaps_s
        lost = {reason: round(seconds, 1) for reason, seconds in self.lost_s.most_common()}
        if gaps_s:
            lost["no frames (gaps)"] = round(gaps_s, 1)
        share = None if drive <= 0 else round(self.monitored_s / drive, 3)
        return {"share": share, "monitored_s": round(self.monitored_s, 1), "drive_s": round(drive, 1),
                "not_monitored_s": lost, "eyes_not_visible_s": round(self.eyes_not_visible_s, 1)}

    def _open(self, t: float, vehicle: VehicleState | None) -> Event:
        speed = vehicle.speed_kmh if vehicle is not None else None
        stationary = speed is not None and speed < self.settings.speed_gate_kmh
        installation = self._reasons.most_common(1)[0][0] in INFO_ONLY
        return Event(
            id=new_event_id(), behaviour=KIND, start_s=round(self._since, 3), end_s=round(t, 3),
            severity="info" if stationary or installation else "warning", peak_score=1.0, mean_score=1.0,
            evidence=self._evidence(t), stationary=stationary if speed is not None else None,
            speed_kmh=None if speed is None else {"start": round(speed, 1), "mean": round(speed, 1),
                                                   "max": round(speed, 1)},
        )

    def _evidence(self, t: float) -> dict:
        reason = self._reasons.most_common(1)[0][0]
        shares = {r: round(n / sum(self._reasons.values()), 2) for r, n in self._reasons.most_common()}
        return {
            "reason": reason,
            "conditions": shares,
            "rule": "camera_degraded",
            "why": [
                f"Raised because the driver could not be monitored ({reason}) from {self._since:.1f} s: "
                f"the {self.after_s:g} s threshold was passed at {self._since + self.after_s:.1f} s "
                "(Euro NCAP: the driver is informed within 10 s when monitoring is not possible)."
            ],
        }

    def _close(self, end_s: float) -> list[EventUpdate]:
        self._since = None
        event, self.event = self.event, None
        return closing(event, end_s)
