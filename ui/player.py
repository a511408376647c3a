"""Plays one source through the pipeline in the analysis process (no Qt here).

Recordings play at media time x speed; seeking back replays frames with the results already
analysed (every frame is analysed once, in order, so the events and the store stay consistent);
seeking ahead of the analysis fast-forwards the analysis to the target. Live cameras are never
paced: the camera source keeps only its newest frame, so slow analysis drops frames instead of
queueing them. Commands arrive on a pipe; results leave through `send`.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np

from dms.core.types import Frame, FrameResult
from dms.pipeline.loop import Pipeline

NO_IMAGE = np.zeros((1, 1, 3), np.uint8)
DISPLAY_MAX_W = 960  # pictures sent to the window are at most this wide (overlays are normalised)
SPEEDS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


@dataclass(frozen=True)
class Shown:
    """One result for the GUI; `fresh` is False when it replays an already analysed moment."""

    result: FrameResult
    fresh: bool


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


def for_display(shown: Shown) -> Shown:
    """A copy that carries one picture, the one to show: the source's display copy when it made one
    (sources opened with `display_max_side=DISPLAY_MAX_W`), else the analysis picture, at most
    DISPLAY_MAX_W wide: less to send to the window and to paint."""
    frame = shown.result.frame
    image = frame.display if frame.display is not None else frame.image
    h, w = image.shape[:2]
    if w > DISPLAY_MAX_W:
        image = cv2.resize(image, (DISPLAY_MAX_W, round(h * DISPLAY_MAX_W / w)), interpolation=cv2.INTER_AREA)
    if image is frame.image and frame.display is None:
        return shown
    return Shown(replace(shown.result, frame=replace(frame, image=image, display=None)), shown.fresh)


class Player:
    """Runs the pipeline over the source under the user's play/pause/step/seek/speed commands."""

    def __init__(self, pipeline: Pipeline, source, commands, send: Callable[[tuple], None],
                 speed: float = 1.0, playing: bool = True):
        self.pipeline = pipeline
        self.source = source
        self.live = bool(getattr(source, "is_live", False))
        self.commands = commands  # a multiprocessing Connection (poll/recv)
        self.send = send
        self.history = AnalysedHistory()
        self.stop = threading.Event()
        source.stop_with(self.stop)  # a live source blocked on a stalled stream still stops at once
        self.playing = playing
        self.speed = speed
        self.step_pending = False
        self.seek_to: float | None = None
        self.fast_until: float | None = None
        self.anchor: tuple[float, float] | None = None  # (wall, media) when pacing restarted
        self.position = -1.0

    def run(self) -> None:
        summary = self.pipeline.run(
            self._frames(analysing=True), progress=self._analysed, stop=self.stop,
            stopped_early=lambda: self.source.stopped_early, dropped_frames=lambda: self.source.dropped,
            overlap=False,  # each frame shown before the next is read: a step, a pause or a seek back
        )                   # acts on the frame on screen, and no frame is analysed twice
        self.send(("done", summary))
        if not self.live:
            self._review()

    def poll(self, timeout: float) -> None:
        """Wait up to `timeout` for commands and apply all that arrived."""
        if not self.commands.poll(timeout):
            return
        while self.commands.poll():
            try:
                self.apply(*self.commands.recv())
            except EOFError:  # the window is gone
                self.stop.set()
                return

    def apply(self, kind: str, value=None) -> None:
        if kind == "play":
            self.playing = True
        elif kind == "pause":
            self.playing = False
        elif kind == "speed":
            self.speed = float(value)
        elif kind == "step":
            self.step_pending = True
        elif kind == "seek" and not self.live:
            self.seek_to, self.step_pending = max(0.0, float(value)), True
        elif kind == "stop":
            self.stop.set()
        self.anchor = None

    def _analysed(self, result: FrameResult) -> None:
        self.history.add(result)
        self._post(Shown(result, True))

    def _post(self, shown: Shown) -> None:
        self.position = shown.result.frame.t
        self.send(("result", for_display(shown)))

    def _review(self) -> None:
        """After the analysis ended: replay analysed moments whenever the user seeks."""
        while not self.stop.is_set():
            while self.seek_to is None and not self.stop.is_set():
                self.poll(0.5)
            for _ in self._frames(analysing=False):
                pass

    def _frames(self, analysing: bool):
        """Frames to analyse, paced; already analysed moments are posted here, not yielded."""
        frames = iter(self.source)
        while not self.stop.is_set():
            self.poll(0)
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
            if self.fast_until is not None and frame.t >= self.fast_until:
                self.fast_until = None
                self.anchor = None
            if self.fast_until is None:
                self._pace(frame.t)
            yield frame

    def _wait_until_due(self) -> bool:
        """Block while paused (unless a step or seek is pending); False when stopping."""
        while not (self.playing or self.step_pending or self.stop.is_set()):
            self.poll(0.5)
        self.step_pending = False
        return not self.stop.is_set()

    def _apply_seek(self, analysing: bool) -> None:
        target, self.seek_to = self.seek_to, None
        if target is None:
            return
        frontier = self.history.frontier
        if analysing and target > frontier:
            self.fast_until = target
            if self.position < frontier:
                self.source.seek(frontier)
        else:
            self.fast_until = None
            self.source.seek(target)
        self.anchor = None

    def _pace(self, t: float) -> None:
        """Wait until media time t is due at the current speed, taking commands meanwhile."""
        while not self.stop.is_set() and self.seek_to is None:
            now = time.perf_counter()
            if self.anchor is None or not self.playing:
                self.anchor = (now, t)
                return
            wall0, media0 = self.anchor
            late = now - (wall0 + (t - media0) / self.speed)
            if late >= 0:
                if late > 0.25:  # analysis is slower than real time: do not rush to catch up later
                    self.anchor = (now, t)
                return
            self.poll(min(-late, 0.05))
