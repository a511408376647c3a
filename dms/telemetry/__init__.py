"""Vehicle telemetry: real logs read, merged, aligned to the video and asked per frame."""

from dms.telemetry.loader import load_track
from dms.telemetry.track import TelemetryTrack

__all__ = ["TelemetryTrack", "load_track"]
