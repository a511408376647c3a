"""Landmark cues from MediaPipe: hands, head pose, eyes and mouth, per driver (docs/perception.md)."""

from dms.perception.cues import LandmarkCues

__all__ = ["LandmarkCues"]
