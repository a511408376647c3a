"""Native libraries' log lines kept off the terminal, so the progress bars and `error:` lines read.

MediaPipe 0.10.21's graphs and TFLite write their own lines ("INFO: Created TensorFlow Lite XNNPACK
delegate", "W0000 ... inference_feedback_manager.cc ...") straight to file descriptor 2, between the
frames of the progress bar; they honour neither GLOG_minloglevel nor TF_CPP_MIN_LOG_LEVEL (tried on
a replay of faults/base_day4.mp4: the same 9 lines with and without them). `native_log` points
descriptor 2 at `native.log` in the user's log folder for the command's run and gives Python's
`sys.stderr` the terminal back, so only what this program says reaches it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from platformdirs import user_log_dir


def native_log_path() -> Path:
    """Where the last command's native log lines are: <user log dir>/dms/native.log."""
    return Path(user_log_dir("dms")) / "native.log"


@contextmanager
def native_log(path: Path | None = None) -> Iterator[Path | None]:
    """Run the block with descriptor 2 on `path` (default `native_log_path()`) and `sys.stderr` on the
    terminal. Nothing changes (yields None) when `sys.stderr` was replaced by a caller (a test's
    capture, an embedding program) or the log file cannot be written."""
    if sys.stderr is not sys.__stderr__ or sys.stderr is None:
        yield None
        return
    path = path or native_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except OSError:
        yield None
        return
    sys.stderr.flush()
    terminal = os.dup(2)
    os.dup2(log, 2)
    os.close(log)
    python_stderr = sys.stderr
    sys.stderr = os.fdopen(terminal, "w", buffering=1, encoding=python_stderr.encoding,
                           errors=python_stderr.errors)
    try:
        yield path
    finally:
        sys.stderr.flush()
        os.dup2(terminal, 2)
        sys.stderr.close()
        sys.stderr = python_stderr
