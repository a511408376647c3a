"""A recording's identity: the SHA-256 of its file's bytes. `batch` keys each drive's analysis on
it (with the recipe, dms.fleet.key); every session analysed from a video file records it in
info["recording"], so the fleet report counts a recording once however often it was analysed,
replayed or watched in the GUI, and wherever the file was moved or renamed."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

CHUNK = 1 << 20  # bytes read at a time


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes (read in 1 MiB chunks; hashlib releases the GIL)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class BackgroundHash:
    """file_sha256 of one file on a side thread, so that a drive's analysis starts at once (a 4 GB
    drive takes ~15 s to hash on a busy 2-core machine); `result()` waits for it, None when the
    file could not be read."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._value: str | None = None
        self._thread = threading.Thread(target=self._run, name="recording-hash", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = file_sha256(self.path)
        except OSError:
            self._value = None

    def result(self) -> str | None:
        self._thread.join()
        return self._value
