"""Runs the pipeline over a source in a QThread and hands results to the GUI without blocking it.

Recordings play at media time x speed; seeking back replays frames with the results already
analysed (every frame is analysed once, in order, so the events and the store stay consistent);
seeking ahead of the analysis fast-forwards the analysis to the target. Live cameras are never
paced: the camera source keeps only its newest frame, so slow analysis drops frames instead of
queueing them. Results reach the GUI through a mailbox that coalesces signals: if the GUI is busy,
it receives every result's data at once and paints only the newest picture.
"""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass, replace

import numpy as np
from PyQt5.QtCore import QThread, pyqtSignal

from dms.pipeline import Pipeline, RunSummary
from dms.types import Frame, FrameResult

NO_IMAGE = np.zeros((1, 1, 3), np.uint8)
SPEEDS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


@dataclass(frozen=True)
class Shown:
    """One result for the GUI; `fresh` is False when it replays an already analysed moment."""

    result: FrameResult
    fresh: bool


class ResultMailbox:
    """Thread-safe hand-over; `put` says whether the reader needs a wake-up signal."""

    def __init__(self):
        self._items: list[Shown] = []
        self._lock = threading.Lock()

    def put(self, item: Shown) -> bool:
        with self._lock:
            self._items.append(item)
            return len(self._items) == 1

    def take(self) -> list[Shown]:
        with self._lock:
            items, self._items = self._items, []
        return items


class AnalysedHistory:
    """The results analysed so far (pictures dropped), looked up by media time for replay."""

    def __init__(self):
        self.times: list[float] = []
        self.results: list[FrameResult] = []

    @property
    def frontier(self) -> float:
        return self.times[-1] if self.times else -1.0

    def add(self, result: FrameResult) -> None:
        light = replace(result, frame=Frame(result.frame.index, result.frame.t, NO_IMAGE), updates=())
        self.times.append(result.frame.t)
        self.results.append(light)

    def at(self, frame: Frame) -> FrameResult:
        """The stored analysis nearest to `frame`, shown with `frame`'s picture."""
        i = bisect.bisect_left(self.times, frame.t)
        if i == len(self.times) or (i > 0 and frame.t - self.times[i - 1] < self.times[i] - frame.t):
            i -= 1
        return replace(self.results[i], frame=frame)


class AnalysisWorker(QThread):
    """Owns the source while it runs; the GUI talks to it only through the control methods."""

    results_ready = pyqtSignal()
    analysis_done = pyqtSignal(object)  # RunSummary
    failed = pyqtSignal(str)

    def __init__(self, pipeline: Pipeline, source, speed: float = 1.0, playing: bool = True, parent=None):
        super().__init__(parent)
        self.pipeline = pipeline
        self.source = source
        self.live = bool(getattr(source, "is_live", False))
        self.mailbox = ResultMailbox()
        self.history = AnalysedHistory()
        self.summary: RunSummary | None = None
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._playing = playing
        self._speed = speed
        self._step = False
        self._seek_to: float | None = None
        self._fast_until: float | None = None
        self._anchor: tuple[float, float] | None = None  # (wall, media) when pacing restarted
        self.position = 0.0

    # --- control, from the GUI thread ---
    def play(self) -> None:
        self._command(playing=True)

    def pause(self) -> None:
        self._command(playing=False)

    @property
    def playing(self) -> bool:
        return self._playing

    def set_speed(self, speed: float) -> None:
        self._command(speed=float(speed))

    def step(self) -> None:
        self._command(step=True)

    def seek(self, t: float) -> None:
        if not self.live:
            self._command(seek=max(0.0, float(t)), step=True)

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    def take(self) -> list[Shown]:
        return self.mailbox.take()

    def _command(self, playing=None, speed=None, step=None, seek=None) -> None:
        with self._cond:
            if playing is not None:
                self._playing = playing
            if speed is not None:
                self._speed = speed
            if step:
                self._step = True
            if seek is not None:
                self._seek_to = seek
            self._anchor = None
            self._cond.notify_all()

    # --- the thread ---
    def run(self) -> None:
        try:
            self.summary = self.pipeline.run(_PacedFrames(self), progress=self._analysed, stop=self._stop)
            self.analysis_done.emit(self.summary)
            if not self.live:
                self._review()
        except Exception as exc:  # shown to the user; the thread must not die silently
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        finally:
            self.source.close()

    def _analysed(self, result: FrameResult) -> None:
        self.history.add(result)
        self._post(Shown(result, True))

    def _post(self, shown: Shown) -> None:
        self.position = shown.result.frame.t
        if self.mailbox.put(shown):
            self.results_ready.emit()

    def _review(self) -> None:
        """After the analysis ended: replay analysed moments whenever the user seeks."""
        while not self._stop.is_set():
            with self._cond:
                while self._seek_to is None and not self._stop.is_set():
                    self._cond.wait()
            for _ in self._frames(analysing=False):
                pass

    def _frames(self, analysing: bool):
        """Frames to analyse, paced; already analysed moments are posted here, not yielded."""
        frames = iter(self.source)
        while not self._stop.is_set():
            if not self._wait_until_due():
                return
            self._apply_seek(analysing)
            try:
                frame = next(frames)
            except StopIteration:
                return
            if self.live:
                yield frame
                continue
            if frame.t <= self.history.frontier or not analysing:
                self._pace(frame.t)
                self._post(Shown(self.history.at(frame), False))
                continue
            if self._fast_until is not None and frame.t >= self._fast_until:
                self._fast_until = None
                self._anchor = None
            if self._fast_until is None:
                self._pace(frame.t)
            yield frame

    def _wait_until_due(self) -> bool:
        """Block while paused (unless a step or seek is pending); False when stopping."""
        with self._cond:
            while not (self._playing or self._step or self._stop.is_set()):
                self._cond.wait()
            self._step = False
        return not self._stop.is_set()

    def _apply_seek(self, analysing: bool) -> None:
        with self._cond:
            target, self._seek_to = self._seek_to, None
        if target is None:
            return
        frontier = self.history.frontier
        if analysing and target > frontier:
            self._fast_until = target
            if self.position < frontier:
                self.source.seek(frontier)
        else:
            self._fast_until = None
            self.source.seek(target)
        self._anchor = None

    def _pace(self, t: float) -> None:
        """Sleep until media time t is due at the current speed (in short naps, so commands act)."""
        while not self._stop.is_set() and self._seek_to is None:
            now = time.perf_counter()
            if self._anchor is None or not self._playing:
                self._anchor = (now, t)
                return
            wall0, media0 = self._anchor
            late = now - (wall0 + (t - media0) / self._speed)
            if late >= 0:
                if late > 0.25:  # analysis is slower than real time: do not rush to catch up later
                    self._anchor = (now, t)
                return
            time.sleep(min(-late, 0.02))


class _PacedFrames:
    """What Pipeline.run iterates: the worker's paced frames, with the source's stop reason."""

    def __init__(self, worker: AnalysisWorker):
        self.worker = worker

    def __iter__(self):
        return self.worker._frames(analysing=True)

    @property
    def stopped_early(self) -> str | None:
        return self.worker.source.stopped_early
