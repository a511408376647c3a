"""The GUI's handle on the analysis process: starts it, sends it commands, receives its messages.

A QThread only pumps the raw bytes of the process's messages into a mailbox and emits one wake-up
signal per batch; the GUI thread decodes them (`read_mail`). The pump holds the interpreter lock
for microseconds at a time: when it was also decoding pictures, the OS preempting it while it held
the lock stalled the GUI thread for 50-100 ms on a busy machine. If the GUI is busy, it gets every
result at once and paints only the newest picture, so nothing queues up in the event loop.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import pickle
import threading
from collections.abc import Callable
from pathlib import Path

from PyQt5.QtCore import QThread, pyqtSignal

from dms.pipeline.recipe import AnalysisRecipe
from ui.analysis_process import analysis_main
from ui.player import Shown

STOP_WAIT_S = 3.0


def analysis_context():
    """Processes are forked by a small fork server that has the analysis modules loaded already:
    the window is never forked (Qt must not be), starting an analysis does not copy the GUI
    process, and the heavy imports are paid once. Call early (before the window shows)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ui.analysis_process"])
    from multiprocessing import forkserver

    forkserver.ensure_running()
    return context


class Mailbox:
    """Thread-safe hand-over of raw messages; `put` says whether the reader needs a wake-up signal."""

    def __init__(self):
        self._items: list[bytes] = []
        self._lock = threading.Lock()

    def put(self, item: bytes) -> bool:
        with self._lock:
            self._items.append(item)
            return len(self._items) == 1

    def take(self) -> list[bytes]:
        with self._lock:
            items, self._items = self._items, []
        return items


class AnalysisWorker(QThread):
    """Signals other than `mail_arrived` are emitted by `read_mail`, on the GUI thread, in order."""

    mail_arrived = pyqtSignal()
    opened = pyqtSignal(dict)  # FrameSource.describe(): the source opened
    ready = pyqtSignal(object)  # AnalysisInfo: the pipeline is built, analysis starts
    analysis_done = pyqtSignal(object)  # RunSummary
    failed = pyqtSignal(str)

    def __init__(self, spec: str | int | Path, recipe: AnalysisRecipe, *,
                 speed: float = 1.0, playing: bool = True, parent=None):
        super().__init__(parent)
        self.spec = spec
        self.live = False  # known once the source opened
        self.mailbox = Mailbox()
        self.position = 0.0
        self.source_fps = 0.0  # the source's own frame rate, once it is open (0: not known)
        context = analysis_context()
        self._commands_in, self._commands = context.Pipe(duplex=False)
        self._results, self._results_out = context.Pipe(duplex=False)
        self.process = context.Process(
            target=analysis_main,
            args=(spec, recipe, self._commands_in, self._results_out, speed, playing),
            name="dms-analysis",
            daemon=True,
        )

    # --- control, from the GUI thread ---
    def play(self) -> None:
        self._send("play")

    def pause(self) -> None:
        self._send("pause")

    def set_speed(self, speed: float) -> None:
        self._send("speed", speed)

    def step(self) -> None:
        self._send("step")

    def seek(self, t: float) -> None:
        if not self.live:
            self._send("seek", t)

    def stop(self) -> None:
        """Ask the analysis to finish (the store closes the session as cancelled); returns at once."""
        self._send("stop")

    def finish(self) -> None:
        """Wait for the analysis to end after `stop`; terminate it if it does not within STOP_WAIT_S."""
        if not self.wait(int(STOP_WAIT_S * 1000)):
            self.terminate_if_running()
            self.wait()

    def terminate_if_running(self) -> None:
        """The last resort for an analysis that ignores `stop` (its pipe then closes, the pump ends)."""
        if self.process.is_alive():
            self.process.terminate()

    def _send(self, kind: str, value=None) -> None:
        with contextlib.suppress(OSError):  # the analysis already ended
            self._commands.send((kind, value))

    def read_mail(self, show_results: Callable[[list[Shown]], None]) -> None:
        """On the GUI thread: decode what arrived; hand each run of results to `show_results` and
        emit the other messages' signals, all in the order the analysis sent them."""
        batch: list[Shown] = []
        for data in self.mailbox.take():
            kind, payload = pickle.loads(data)
            if kind == "result":
                self.position = payload.result.frame.t
                batch.append(payload)
                continue
            if batch:
                show_results(batch)
                batch = []
            if kind == "opened":
                self.live = bool(payload["live"])
                self.source_fps = float(payload.get("fps") or 0.0)
                self.opened.emit(payload)
            elif kind == "ready":
                self.ready.emit(payload)
            elif kind == "done":
                self.analysis_done.emit(payload)
            elif kind == "failed":
                self.failed.emit(payload)
        if batch:
            show_results(batch)

    # --- the pump thread ---
    def run(self) -> None:
        self.process.start()
        self._commands_in.close()
        self._results_out.close()
        try:
            while True:
                try:
                    data = self._results.recv_bytes()
                except (EOFError, OSError):
                    break
                if self.mailbox.put(data):
                    self.mail_arrived.emit()
        finally:
            self.process.join(STOP_WAIT_S)
            self._results.close()
