"""Decoding in its own thread: a recorded drive's frames are read ahead while the last one is analysed.

FFmpeg decoding and the conversion to BGR run in C without Python's global lock, so on two cores
they overlap with the landmark models instead of adding to every frame's time. Only for recorded
media: a live camera is read as its frames come, so a queue would only add latency.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator

from dms.core.threads import run_as_side_thread

DEPTH = 4  # frames read ahead (720p BGR: 2.8 MB each)
_END = object()


class Prefetched:
    """Iterates `frames` in a background thread, `depth` items ahead. Attributes the consumer
    reads after the run (`stopped_early`, ...) are those of `frames`. An exception in the reader
    is raised in the consumer; stopping early (`close()`, or leaving the loop) ends the reader."""

    def __init__(self, frames: Iterable, depth: int = DEPTH):
        self._frames = frames
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __getattr__(self, name: str):
        return getattr(self._frames, name)

    def __iter__(self) -> Iterator:
        self._thread = threading.Thread(target=self._read, name="decode", daemon=True)
        self._thread.start()
        try:
            while True:
                item = self._queue.get()
                if item is _END:
                    return
                if isinstance(item, _Failure):
                    raise item.error
                yield item
        finally:
            self.close()

    def _read(self) -> None:
        run_as_side_thread()
        try:
            for item in self._frames:
                if not self._put(item):
                    return
        except Exception as error:  # handed to the consumer, raised there
            self._put(_Failure(error))
            return
        self._put(_END)

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
            self._thread = None


class _Failure:
    def __init__(self, error: Exception):
        self.error = error
