"""The one analysis loop shared by the GUI, headless replay, batch and benchmarks.

Frames flow one way: source -> landmarks (+ classifier and object detector, in their own thread)
-> fusion (+ telemetry) -> event tracker -> observers. `run` overlaps two frames: the next frame's
landmarks run while this frame's models finish. Observers (store, clip recorder, GUI bridge)
only read what the pipeline produced.

Time with no frames is unknown, never evidence: when two analysed frames are further apart than
`max_frame_gap_s` (a hole in a variable-frame-rate file, a stalled camera), the events open before
the hole end at its start, fusion starts afresh after it, and the hole is listed in `gaps`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from dms.core.threads import run_as_side_thread
from dms.core.types import (
    ClassProbs,
    Cues,
    EventUpdate,
    Frame,
    FrameResult,
    Monitoring,
    Objects,
    ObjectTies,
    RunSummary,
    Scores,
    VehicleState,
)


class LandmarkStage(Protocol):
    def __call__(self, frame: Frame, cut: bool | None = None) -> Cues: ...


class CutStage(Protocol):
    """Tells when a picture does not follow from the previous one (dms.perception.cuts)."""

    def is_cut(self, image, t: float) -> bool: ...


class FrameClassifier(Protocol):
    """What the pipeline needs of a classifier (dms.classifier.stage.ClassifierStage is the one there is)."""

    classes: tuple[str, ...]

    def __call__(self, frame: Frame) -> ClassProbs: ...

    def describe(self) -> dict: ...

    def reset(self) -> None: ...


class ObjectDetector(Protocol):
    """What the pipeline needs of an object detector (dms.classifier.detector_stage.DetectorStage);
    None: it did not detect on this frame."""

    def __call__(self, frame: Frame) -> Objects | None: ...

    def describe(self) -> dict: ...

    def reset(self) -> None: ...


class TieStage(Protocol):
    """Ties the detector's boxes to the driver's landmarks (dms.perception.object_ties.tie_objects)."""

    def __call__(self, objects: Objects | None, landmarks, width: int, height: int) -> ObjectTies: ...


class TelemetryStage(Protocol):
    def at(self, t: float) -> VehicleState: ...

    def markers_between(self, t0: float, t1: float) -> list[str]: ...

    def describe(self) -> dict: ...


class FusionStage(Protocol):
    def step(
        self, frame: Frame, cues: Cues, probs: ClassProbs | None, vehicle: VehicleState | None,
        ties: ObjectTies | None = None,
        monitored: bool = True,
    ) -> Scores: ...

    def reset(self) -> None: ...

    def restart(self) -> None: ...


class TrackerStage(Protocol):
    def step(self, scores: Scores) -> list[EventUpdate]: ...

    def finish(self, t: float) -> list[EventUpdate]: ...

    def reset(self) -> None: ...


class HealthStage(Protocol):
    """The camera's own state (dms.events.camera_health): whether the driver is monitored on a
    frame, `camera_degraded` events and coverage."""

    def assess(self, frame: Frame, cues: Cues, vehicle: VehicleState | None) -> Monitoring: ...

    def step(
        self, frame: Frame, cues: Cues, vehicle: VehicleState | None, monitoring: Monitoring | None = None
    ) -> list[EventUpdate]: ...

    def finish(self, t: float) -> list[EventUpdate]: ...

    def reset(self) -> None: ...

    def coverage(self, gaps_s: float = 0.0) -> dict: ...


class Observer(Protocol):
    def on_frame(self, result: FrameResult) -> None: ...

    def on_finish(self, summary: RunSummary) -> None: ...


@dataclass(frozen=True)
class Perceived:
    """A frame after `Pipeline.perceive`: whether it is a cut (None: no cut detector), its landmark
    cues, and its classifier/detector results still being computed in the side thread."""

    frame: Frame
    cut: bool | None
    cues: Cues
    pending: Future | None


@dataclass
class Pipeline:
    landmarks: LandmarkStage
    fusion: FusionStage
    tracker: TrackerStage
    classifier: FrameClassifier | None = None
    detector: ObjectDetector | None = None  # runs after the classifier, in the same side thread
    tie: TieStage | None = None  # needed with a detector: where its boxes are on the driver
    telemetry: TelemetryStage | None = None
    observers: list[Observer] = field(default_factory=list)
    max_frame_gap_s: float | None = None  # frames further apart: the time between is unknown
    cuts: CutStage | None = None  # a cut restarts the landmark tracking, the classifier and fusion
    health: HealthStage | None = None
    gaps: list[tuple[float, float]] = field(default_factory=list)
    _last_t: float | None = field(default=None, init=False, repr=False)
    classifier_wait_s: float = field(default=0.0, init=False)  # landmarks done, models not yet
    _pool: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)

    def step(self, frame: Frame) -> FrameResult:
        """Analyse one frame and notify the observers (`perceive`, then `conclude`): its result comes
        before the next frame is read. `run` overlaps consecutive frames instead (its `overlap`)."""
        return self.conclude(self.perceive(frame))

    def perceive(self, frame: Frame) -> Perceived:
        """The frame's first half: tell whether it is a cut, hand it to the classifier and the object
        detector in their own thread, and run the landmark models meanwhile (all spend their time in
        native code, off Python's lock). Changes no state that `conclude` reads, so the next frame's
        `perceive` may run before this frame's `conclude`."""
        cut = self.cuts.is_cut(frame.image, frame.t) if self.cuts is not None else None
        pending = self._classify(frame, bool(cut))
        cues = self.landmarks(frame) if cut is None else self.landmarks(frame, cut)
        return Perceived(frame, cut, cues, pending)

    def conclude(self, perceived: Perceived) -> FrameResult:
        """The frame's second half: wait for its classifier and detector results, then telemetry,
        the detector's ties, camera health, fusion and the event tracker; notify the observers.
        A frame that does not follow from the previous one (a cut in the footage, a seek) restarts
        every stage's temporal state: the landmark graphs, the classifier's shift buffers (both in
        `perceive`) and the fusion smoothing; open events see the new scores and end or go on by
        their rules."""
        frame, cut, cues = perceived.frame, perceived.cut, perceived.cues
        closed: tuple[EventUpdate, ...] = ()
        last = self._last_t
        if self.max_frame_gap_s is not None and last is not None and frame.t - last > self.max_frame_gap_s:
            closed = tuple(self.tracker.finish(last))
            self.tracker.reset()
            self.fusion.reset()
            if self.health is not None:
                closed += tuple(self.health.finish(last))
                self.health.reset()
            self.gaps.append((round(last, 3), round(frame.t, 3)))
        if cut:
            self.fusion.restart()
        probs = objects = None
        if perceived.pending is not None:
            waiting = time.perf_counter()
            probs, objects = perceived.pending.result()
            self.classifier_wait_s += time.perf_counter() - waiting
        vehicle = self.telemetry.at(frame.t) if self.telemetry is not None else None
        markers: tuple[str, ...] = ()
        if self.telemetry is not None:
            t0 = self._last_t if self._last_t is not None else frame.t
            markers = tuple(self.telemetry.markers_between(t0, frame.t))
        self._last_t = frame.t
        ties = ObjectTies()
        if objects is not None and self.tie is not None:
            height, width = frame.image.shape[:2]
            ties = self.tie(objects, cues.landmarks, width, height)
        monitoring = self.health.assess(frame, cues, vehicle) if self.health is not None else None
        monitored = monitoring is None or monitoring.not_monitored is None
        scores = self.fusion.step(frame, cues, probs, vehicle, ties, monitored=monitored)
        updates = closed + tuple(self.tracker.step(scores))
        if self.health is not None:
            updates += tuple(self.health.step(frame, cues, vehicle, monitoring))
        result = FrameResult(frame, cues, probs, scores, updates, markers, objects, ties, monitoring)
        for observer in self.observers:
            observer.on_frame(result)
        return result

    def _classify(self, frame: Frame, cut: bool) -> Future | None:
        if self.classifier is None and self.detector is None:
            return None
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="classifier", initializer=run_as_side_thread
            )
        return self._pool.submit(self._classify_in_thread, frame, cut)

    def _classify_in_thread(self, frame: Frame, cut: bool) -> tuple[ClassProbs | None, Objects | None]:
        probs = objects = None
        if self.classifier is not None:
            if cut:
                self.classifier.reset()
            probs = self.classifier(frame)
        if self.detector is not None:
            if cut:
                self.detector.reset()
            objects = self.detector(frame)
        return probs, objects

    def run(
        self,
        frames: Iterable[Frame],
        progress: Callable[[FrameResult], None] | None = None,
        stop: threading.Event | None = None,
        stopped_early: Callable[[], str | None] | None = None,
        dropped_frames: Callable[[], int] | None = None,
        overlap: bool = True,
    ) -> RunSummary:
        """Analyse every frame of `frames`, then close open events and tell the observers.

        With `overlap` (batch, replay: throughput), frame N+1 is read and perceived (its landmarks
        run while frame N's classifier and detector finish in their thread) before frame N is
        concluded: the results are `step`'s, frame by frame, each delivered one frame later. Without
        (the GUI, which steps, pauses and seeks: each result before the next frame is read), every
        frame is `step`ped.

        `stop` ends the run early at the user's request (summary.cancelled); `stopped_early` is
        asked once the frames ran out, for why they ended before the media did (e.g.
        `lambda: source.stopped_early` for a truncated file; None: they did not); `dropped_frames`
        for how many frames a live source skipped (`lambda: source.dropped`).
        """
        summary = RunSummary()
        started = time.perf_counter()
        last: FrameResult | None = None
        for result in self._results(_until(frames, stop), overlap):
            last = result
            summary.frames += 1
            summary.last_t = result.frame.t
            summary.events.extend(u.event for u in result.updates if u.kind == "close")
            if progress is not None:
                progress(result)
        summary.cancelled = stop is not None and stop.is_set()
        summary.interrupted_by = getattr(stop, "reason", None) if summary.cancelled else None
        summary.stopped_early = stopped_early() if stopped_early is not None else None
        summary.dropped_frames = dropped_frames() if dropped_frames is not None else 0
        summary.gaps = list(self.gaps)
        if self.health is not None:
            summary.coverage = self.health.coverage(sum(b - a for a, b in self.gaps))
        if last is not None:
            summary.final_updates = tuple(self.tracker.finish(last.frame.t))
            if self.health is not None:
                summary.final_updates += tuple(self.health.finish(last.frame.t))
            summary.events.extend(u.event for u in summary.final_updates)
        summary.wall_s = time.perf_counter() - started
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        describe = getattr(self.landmarks, "describe", None)
        summary.perception = describe() if callable(describe) else {}
        for observer in self.observers:
            observer.on_finish(summary)
        return summary


    def _results(self, frames: Iterable[Frame], overlap: bool) -> Iterator[FrameResult]:
        """Each frame's result, in order (see `run`'s `overlap`)."""
        if not overlap:
            for frame in frames:
                yield self.step(frame)
            return
        waiting: Perceived | None = None
        for frame in frames:
            perceived = self.perceive(frame)
            if waiting is not None:
                yield self.conclude(waiting)
            waiting = perceived
        if waiting is not None:
            yield self.conclude(waiting)


def _until(frames: Iterable[Frame], stop: threading.Event | None) -> Iterator[Frame]:
    for frame in frames:
        if stop is not None and stop.is_set():
            return
        yield frame
