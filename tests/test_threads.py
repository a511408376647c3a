"""Side threads (classifier, decoding, event clips) yield the cores to the landmark stage."""

from __future__ import annotations

import os
import threading

import pytest

from dms.core.threads import SIDE_THREAD_NICE, run_as_side_thread


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no per-thread niceness on this OS")
def test_a_side_thread_lowers_its_own_priority_and_no_other():
    seen = {}

    def side():
        before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        run_as_side_thread()
        seen["change"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) - before

    main_before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=side)
    thread.start()
    thread.join()
    assert seen["change"] == min(SIDE_THREAD_NICE, 19 - main_before)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == main_before
