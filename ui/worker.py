"""The GUI's handle on the analysis process: starts it, sends it commands, receives its results.

A QThread reads the process's messages and hands results to the GUI through a mailbox that
coalesces wake-up signals: if the GUI is busy it gets every result's data at once and paints only
the newest picture, so nothing queues up in the event loop.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from dataclasses import dataclass
from pathlib import Path

from PyQt5.QtCore import Qt, QThread, pyqtSignal
from PyQt5.QtGui import QImage

from ui.analysis_process import analysis_main
from ui.event_list import THUMB
from ui.image import bgr_to_qimage
from ui.opening import AnalysisRecipe
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


@dataclass(frozen=True)
class Delivery:
    """A result with its picture already converted for painting (done in the reader thread, so the
    GUI thread only paints), and the event thumbnail when an event opened on this frame."""

    shown: Shown
    image: QImage
    thumbnail: QImage | None = None


def deliver(shown: Shown) -> Delivery:
    image = bgr_to_qimage(shown.result.frame.image)
    opened = shown.fresh and any(u.kind == "open" for u in shown.result.updates)
    thumbnail = image.scaled(THUMB, Qt.KeepAspectRatio, Qt.SmoothTransformation) if opened else None
    return Delivery(shown, image, thumbnail)


class ResultMailbox:
    """Thread-safe hand-over; `put` says whether the reader needs a wake-up signal."""

    def __init__(self):
        self._items: list[Delivery] = []
        self._lock = threading.Lock()

    def put(self, item: Delivery) -> bool:
        with self._lock:
            self._items.append(item)
            return len(self._items) == 1

    def take(self) -> list[Delivery]:
        with self._lock:
            items, self._items = self._items, []
        return items


class AnalysisWorker(QThread):
    opened = pyqtSignal(dict)  # FrameSource.describe(): the source opened
    ready = pyqtSignal(object)  # AnalysisInfo: the pipeline is built, analysis starts
    results_ready = pyqtSignal()
    analysis_done = pyqtSignal(object)  # RunSummary
    failed = pyqtSignal(str)

    def __init__(self, spec: str | int | Path, recipe: AnalysisRecipe, *,
                 speed: float = 1.0, playing: bool = True, parent=None):
        super().__init__(parent)
        self.spec = spec
        self.live = False  # known once the source opened
        self.mailbox = ResultMailbox()
        self.position = 0.0
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
        """Ask the analysis to finish (the store closes the session as cancelled), then wait."""
        self._send("stop")
        if not self.wait(int(STOP_WAIT_S * 1000)) and self.process.is_alive():
            self.process.terminate()
            self.wait()

    def take(self) -> list[Delivery]:
        return self.mailbox.take()

    def _send(self, kind: str, value=None) -> None:
        with contextlib.suppress(OSError):  # the analysis already ended
            self._commands.send((kind, value))

    # --- the reader thread ---
    def run(self) -> None:
        self.process.start()
        self._commands_in.close()
        self._results_out.close()
        try:
            while True:
                try:
                    kind, payload = self._results.recv()
                except (EOFError, OSError):
                    break
                self._dispatch(kind, payload)
        finally:
            self.process.join(STOP_WAIT_S)
            self._results.close()

    def _dispatch(self, kind: str, payload) -> None:
        if kind == "result":
            self.position = payload.result.frame.t
            if self.mailbox.put(deliver(payload)):
                self.results_ready.emit()
        elif kind == "opened":
            self.live = bool(payload["live"])
            self.opened.emit(payload)
        elif kind == "ready":
            self.ready.emit(payload)
        elif kind == "done":
            self.analysis_done.emit(payload)
        elif kind == "failed":
            self.failed.emit(payload)
