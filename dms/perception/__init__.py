"""Landmark cues from MediaPipe: hands, head pose, eyes and mouth, per driver (docs/perception.md).

The stage is `dms.perception.cues.LandmarkCues`; this package's own import loads nothing, so the
small geometry modules here (`face_lost`) can be used without loading MediaPipe."""
