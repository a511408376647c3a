"""Vehicle telemetry: real logs read, merged, aligned to the video and asked per frame (issue 5)."""

from dms.telemetry.harsh import HARSH_ACCELERATION, HARSH_BRAKING
from dms.telemetry.loader import load_track
from dms.telemetry.track import TelemetryTrack

__all__ = ["HARSH_ACCELERATION", "HARSH_BRAKING", "TelemetryTrack", "load_track"]
