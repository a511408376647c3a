"""Event media: the thumbnail and the short clip written for every event."""
