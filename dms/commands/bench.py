"""`bench pipeline VIDEO`, `bench batch DIR` (dms/commands/bench_batch.py) and `bench tsm`: speed and memory,
measured side by side in one run.

`bench pipeline` replays a drive exactly as `replay` does (store, clips and all, into a temporary
folder, decoding in its own thread) twice in one run: at the analysis rate (`--analysis-fps`,
default 10 Hz) and at the native frame rate (every frame), and prints side by side frames/s, the
real-time factor, the cores used (process CPU time / wall time), per-stage milliseconds per frame
(decoding in its thread, landmarks, classifier and object detector in their thread, the time the
step waited for them after the landmarks, the rest of the step: fusion, events, log and event media) and
memory; with `--repeat N` the clip is played N times in a row as one long drive, so memory
growth with drive length shows as `rss_growth_mb`. Each run has a process of its own, so its
`peak_rss_mb` (the process's high-water mark) is that run's; `rss_before_build_mb` is the memory
before the models load, `rss_start_mb` after. When a model runs (the object detector on every
view, the shipped classifier on a side-view profile, or `--checkpoint`), more runs at the
analysis rate show its cost: `landmarks_only` (both off), `no_detector` (the detector off, where
it runs), `classifier_torch` (PyTorch instead of the default onnxruntime, where a classifier
runs) and `one_frame_at_a_time` (each frame's models awaited before the next frame's landmarks
start, as the GUI runs; replay and batch overlap two frames: `dms.pipeline.loop.Pipeline.run`).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from dms.commands import bench_batch, bench_telemetry
from dms.commands.common import add_common_arguments, recipe_from_args
from dms.core.config import Settings, analysis_rate
from dms.core.errors import InputError
from dms.core.types import Frame
from dms.pipeline.recipe import AnalysisRecipe
from dms.sources.prefetch import Prefetched

RUNS = ("analysis_rate", "native_rate", "landmarks_only", "no_detector", "classifier_torch",
        "one_frame_at_a_time")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("bench", help="benchmarks: pipeline VIDEO | batch DIR | telemetry | "
                                                 "tsm | paddle-parity VIDEO")
    targets = parser.add_subparsers(dest="target", metavar="TARGET", required=True)
    pipe = targets.add_parser("pipeline", help="full replay speed and memory on a video")
    pipe.add_argument("video")
    add_common_arguments(pipe)
    pipe.add_argument("--repeat", type=int, default=1, help="play the clip N times as one drive")
    pipe.add_argument("--json", action="store_true", help="print one JSON object")
    pipe.add_argument("--runs", nargs="+", metavar="RUN", choices=RUNS,
                      help="only these runs (default: all that apply): " + ", ".join(RUNS))
    pipe.set_defaults(func=run_pipeline)
    batch = targets.add_parser("batch", help="batch throughput: local vs Ray, 1 and 2 workers, side by side")
    bench_batch.add_arguments(batch)
    batch.set_defaults(func=bench_batch.run)
    telemetry = targets.add_parser("telemetry", help="loading and aligning a long telemetry log, and its "
                                                     "cost per analysed frame")
    bench_telemetry.add_arguments(telemetry)
    telemetry.set_defaults(func=bench_telemetry.run)
    tsm = targets.add_parser("tsm", help="TSM per-frame cost: 2D vs online vs ONNX vs offline window")
    from models import bench_tsm

    bench_tsm.add_arguments(tsm)
    tsm.set_defaults(func=run_tsm)
    parity = targets.add_parser("paddle-parity", help="logits of PaddleVideo's TSM / PP-TSM code vs this "
                                                      "project's loading of their .pdparams")
    from models import paddle_parity

    paddle_parity.add_arguments(parity)
    parity.set_defaults(func=run_paddle_parity)


def run_tsm(args: argparse.Namespace) -> int:
    from models import bench_tsm

    result = bench_tsm.run(args)
    if args.json:
        print(json.dumps(result))
    return 0


def run_paddle_parity(args: argparse.Namespace) -> int:
    """Exit 0 when every network is within the tolerance, 1 when one is not."""
    from models import paddle_parity

    result = paddle_parity.run(args)
    if args.json:
        print(json.dumps(result))
    return 0 if all(r["within_tolerance"] for r in result["networks"]) else 1


class Timed:
    """Wraps a stage callable and adds up the time spent in it."""

    def __init__(self, stage):
        self.stage = stage
        self.seconds = 0.0
        self.calls = 0

    def __call__(self, *args):
        start = time.perf_counter()
        try:
            return self.stage(*args)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1

    def __getattr__(self, name):
        return getattr(self.stage, name)

    @property
    def ms(self) -> float | None:
        return round(1000 * self.seconds / self.calls, 2) if self.calls else None


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def repeated(
    path: str, recipe: AnalysisRecipe, times: int, decode: Timed, marks: list
) -> Iterator[Frame]:
    """The clip `times` times in a row on one media clock; records RSS after each pass."""
    offset, index = 0.0, 0
    for _ in range(times):
        with recipe.open_source(path) as source:
            frames = iter(source)
            while True:
                frame = decode(frames, None)
                if frame is None:
                    break
                yield Frame(index + frame.index, offset + frame.t, frame.image)
            offset += media_length(source)
            index += source.frame_count or 0
        marks.append(rss_mb())


def media_length(source) -> float:
    """Seconds of media, from the header's duration or else its frame count."""
    if source.duration_s:
        return source.duration_s
    return (source.frame_count or 0) / source.fps if source.fps else 0.0


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench_rate(
    args: argparse.Namespace, recipe: AnalysisRecipe, media_s: float, rate: float, overlap: bool = True
) -> dict:
    """One replay of the clip(s) as `recipe` says (its analysis rate), two frames overlapped as
    replay runs them or, without `overlap`, one frame at a time as the GUI does; the figures as a dict."""
    rss_before_build = rss_mb()
    with recipe.open_source(args.video) as probe:
        analysis = recipe.build(probe)
    with analysis:
        pipeline = analysis.pipeline
        landmarks = pipeline.landmarks = Timed(pipeline.landmarks)
        if pipeline.classifier is not None:
            pipeline.classifier = Timed(pipeline.classifier)
        if pipeline.detector is not None:
            pipeline.detector = Timed(pipeline.detector)
        conclude = pipeline.conclude = Timed(pipeline.conclude)
        decode = Timed(next)
        marks: list[float] = []
        rss_start = rss_mb()
        bar = tqdm(total=int(media_s * rate) + 1, unit="frame", desc=f"bench {rate:g} Hz", disable=args.json)
        cpu_start = cpu_s()
        with bar:
            frames = repeated(args.video, recipe, args.repeat, decode, marks)
            summary = pipeline.run(Prefetched(frames), progress=lambda r: bar.update(1), overlap=overlap)
        cpu = cpu_s() - cpu_start
        landmarks.close()
    wall = summary.wall_s
    n = max(1, summary.frames)
    waited = pipeline.classifier_wait_s
    return {
        "analysis_fps": round(rate, 2),
        "frames": summary.frames,
        "wall_s": round(wall, 2),
        "fps": round(summary.frames / wall, 2),
        "realtime_factor": round(media_s / wall, 3),
        "cores_used": round(cpu / wall, 2),
        "cpu_ms_per_frame": round(1000 * cpu / n, 2),
        "ms_per_frame": round(1000 * wall / n, 2),
        "ms_decode_thread": round(1000 * decode.seconds / n, 2),
        "ms_landmarks": landmarks.ms,
        "pose_model_frames": summary.perception.get("pose_model_frames"),
        "face_mesh_frames": summary.perception.get("face_mesh_frames"),
        "ms_classifier_thread": pipeline.classifier.ms if pipeline.classifier is not None else None,
        "ms_detector_thread": pipeline.detector.ms if pipeline.detector is not None else None,
        "ms_waiting_for_models": round(1000 * waited / n, 2),
        "ms_rest_of_step": round(1000 * max(0.0, conclude.seconds - waited) / n, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_build_mb": round(rss_before_build, 1),
        "rss_start_mb": round(rss_start, 1),
        "rss_after_each_pass_mb": [round(m, 1) for m in marks],
        "rss_growth_mb": round(marks[-1] - marks[0], 1) if marks else None,
        "events": len(summary.events),
        "classifier": analysis.classifier.describe() if analysis.classifier is not None else None,
        "detector": "on" if analysis.detector is not None else None,
    }


def in_own_process(
    args: argparse.Namespace, recipe: AnalysisRecipe, media_s: float, rate: float, overlap: bool = True
) -> dict:
    """`bench_rate` in a fresh process, so each run's peak memory is its own (a process's high-water
    mark never comes down: run after run in one process, the peak only grows)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(bench_rate, args, recipe, media_s, rate, overlap).result()


def run_pipeline(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="dms-bench-") as tmp:
        recipe = recipe_from_args(args, db_path=Path(tmp) / "bench.sqlite")
        with recipe.open_source(args.video) as probe:
            media_s = media_length(probe) * args.repeat
            native = probe.fps
        rate = analysis_rate(recipe.settings.analysis_fps, native)
        low = rate if rate < native else Settings.analysis_fps  # below the native rate, else the default
        at_low = replace(recipe, settings=replace(recipe.settings, analysis_fps=low))
        at_native = replace(recipe, settings=replace(recipe.settings, analysis_fps=0.0))
        plans = {"analysis_rate": (at_low, low, True), "native_rate": (at_native, native, True)}
        variants = classifier_variants(at_low)
        plans.update({name: (variant, low, True) for name, variant in variants.items()})
        if variants:
            plans["one_frame_at_a_time"] = (at_low, low, False)
        chosen = [name for name in plans if args.runs is None or name in args.runs]
        if not chosen:
            raise InputError(args.video, f"none of the runs {', '.join(args.runs)} applies to this "
                                         f"analysis (these do: {', '.join(plans)})")
        runs = {}
        for name in chosen:
            variant, hz, overlap = plans[name]
            runs[name] = in_own_process(args, variant, media_s, hz, overlap)
    result = {
        "video": str(args.video),
        "media_s": round(media_s, 2),
        "cpu_cores": os.cpu_count(),
        "load_average": [round(v, 2) for v in os.getloadavg()],
        **runs,
    }
    if args.json:
        print(json.dumps(result))
        return 0
    for key in ("video", "media_s", "cpu_cores", "load_average"):
        print(f"{key:24s} {result[key]}")
    print(f"{'':24s} " + " ".join(f"{name.replace('_', ' '):>20s}" for name in runs))
    for key in next(iter(runs.values())):
        cells = [short(runs[name].get(key)) for name in runs]
        print(f"{key:24s} " + " ".join(f"{c:>20s}" for c in cells))
    return 0


def short(value) -> str:
    """A table cell: a classifier description as its runtime, anything else as it prints."""
    if isinstance(value, dict) and "backend" in value:
        return f"{value['backend']} ({value.get('arch', '?')})"
    return str(value)


def classifier_variants(recipe: AnalysisRecipe) -> dict[str, AnalysisRecipe]:
    """When `recipe` runs a model: the same analysis with landmark cues only, without the detector
    (when a classifier runs beside it), and with the classifier's other runtime when onnxruntime is
    the one chosen, so their costs show beside it in one run."""
    from dms.classifier.choice import OFF, choose_models, resolve_backend

    choice = choose_models(recipe.checkpoint, recipe.detector, recipe.profile)
    classifier = choice.classifier.checkpoint is not None
    if not classifier and choice.detector is None:
        return {}
    variants = {"landmarks_only": replace(recipe, checkpoint=OFF, detector=OFF)}
    if choice.detector is not None and classifier:
        variants["no_detector"] = replace(recipe, detector=OFF)
    if classifier and resolve_backend(recipe.backend) == "onnx":
        variants["classifier_torch"] = replace(recipe, backend="torch")
    return variants
