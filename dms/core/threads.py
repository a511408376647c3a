"""Which thread gets the cores first: the landmark stage, the critical path of every frame.

The classifier, decoding and event-clip threads work beside the MediaPipe graphs, which use more
than one core themselves. On two cores, giving those side threads a lower scheduling priority
(nice +8 for the thread; Linux schedules threads as tasks) lets the graphs run at full speed and
the side threads fill the time left: `bench pipeline` on the 1080p side montage at 10 Hz went from
1.72-1.79x to 1.89x real time with the model (2026-11-30, idle machine).
"""

from __future__ import annotations

import os
import threading

SIDE_THREAD_NICE = 8


def run_as_side_thread() -> None:
    """Lower the calling thread's priority by SIDE_THREAD_NICE; a no-op where the OS has no per-thread
    niceness (Windows) or refuses it."""
    if not hasattr(os, "setpriority"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + SIDE_THREAD_NICE)
    except OSError:
        pass
