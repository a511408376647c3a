"""The classifier stage: the online TSM on each analysed frame -> per-class and per-behaviour probabilities.

Frames are preprocessed exactly as the checkpoint's metadata says, run through the streaming network
(PyTorch or onnxruntime), and the softmax is averaged over the last `smooth_frames` frames so a single
odd frame does not flip the answer. A jump back in media time (seek), a gap longer than `max_gap_s`
or a cut in the footage (the pipeline calls `reset`) restarts the shift buffers, whose temporal
context would otherwise be stale.

How a restart begins depends on what the checkpoint saw in training. One trained on stills at the
shift's steady state (`meta.training["sampling"] == "steady"`, the shipped model: every buffer held
the same picture's features) never saw empty buffers, and its first output after a restart with
zeros in them is far off (up to 0.63 in probability on the side montage's frames). Its first picture
is therefore run `PRIME_PASSES` times before its real pass, which fills each buffer with that
picture's steady state: after 3 priming passes the output is within 0.001-0.011 of the steady state
(measured on five side-montage frames against 14 passes; 1 pass: 0.21-0.63, 2: 0.06-0.13). A model
trained on clips saw zero-filled buffers at each clip's first frame, as in the TSM paper, and
starts from zeros.

The shift mixes each frame with the previous *analysed* frame, so the analysis rate should match the
rate the checkpoint was trained at (`meta.frame_rate`); after ten frames the stage warns once if the
rate it is fed differs by more than 25 %.
"""

from __future__ import annotations

import warnings
from collections import deque
from pathlib import Path

import numpy as np

from dms.core.errors import InputError
from dms.core.types import ClassProbs, Frame

BACKENDS = ("torch", "onnx")
# The stage runs in its own thread beside the landmark stage (dms.pipeline.loop): one onnxruntime thread
# leaves the other core to MediaPipe (measured with `bench pipeline`, docs/classifier.md).
ONNX_THREADS = 1
PRIME_PASSES = 3


class ClassifierStage:
    """Callable `(Frame) -> ClassProbs`; `.classes`, `.describe()`, `.reset()`.

    `checkpoint_path` is a checkpoint (.pth, any format `models.load_checkpoint` reads) or an ONNX
    file written by `main.py export` (its metadata is inside; the backend is then onnx).

    `allow_offline=True` runs bi-directional (offline) weights with the causal shift anyway, with a
    warning: they were trained to look one frame ahead, so their online accuracy is unknown.
    """

    def __init__(
        self,
        checkpoint_path: str | Path,
        backend: str | None = None,
        smooth_frames: int = 3,
        allow_offline: bool = False,
        max_gap_s: float = 1.0,
        n_segment: int | None = None,
    ):
        from models.preprocess import Preprocess

        if backend is not None and backend not in BACKENDS:
            raise InputError(backend, f"unknown classifier backend; expected one of {', '.join(BACKENDS)}")
        if smooth_frames < 1:
            raise InputError(smooth_frames, "smooth_frames must be at least 1")
        self.checkpoint_path = Path(checkpoint_path)
        if self.checkpoint_path.suffix.lower() == ".onnx":
            if backend == "torch":
                raise InputError(self.checkpoint_path, "an exported ONNX model runs with onnxruntime only; "
                                                       "give the .pth checkpoint for --backend torch")
            backend = "onnx"
        self.backend = backend or "torch"
        self.runner, meta, self.offline_weights = load_runner(
            self.checkpoint_path, self.backend, allow_offline, n_segment
        )
        self.meta = meta
        self.classes: tuple[str, ...] = tuple(meta.classes)
        self.preprocess = Preprocess.from_meta(meta)
        self.behaviour_of = meta.class_to_behaviour
        self.max_gap_s = max_gap_s
        self.history: deque[np.ndarray] = deque(maxlen=smooth_frames)
        self.primed_start = meta.training.get("sampling") == "steady"
        self.last_t: float | None = None
        self.intervals: list[float] = []

    def __call__(self, frame: Frame) -> ClassProbs:
        if self.last_t is not None and not (0 <= frame.t - self.last_t <= self.max_gap_s):
            self.reset()
        if self.last_t is not None:
            self.note_interval(frame.t - self.last_t)
        self.last_t = frame.t
        if self.primed_start and not self.history:  # the first picture since a restart
            for _ in range(PRIME_PASSES):
                self.logits(frame.image)
        probs = softmax(self.logits(frame.image))
        self.history.append(probs)
        smoothed = np.mean(self.history, axis=0)
        return ClassProbs(self.classes, smoothed, self.behaviour_mass(smoothed))

    def note_interval(self, dt: float) -> None:
        """Collect the first frame intervals; warn once if their rate is not the checkpoint's."""
        if len(self.intervals) >= 10 or dt <= 0:
            return
        self.intervals.append(dt)
        expected = self.meta.frame_rate
        if len(self.intervals) == 10 and expected:
            fed = 1.0 / float(np.median(self.intervals))
            if abs(fed - expected) > 0.25 * expected:
                warnings.warn(
                    f"{self.checkpoint_path}: trained at {expected:g} frames/s but fed {fed:.1f} frames/s; "
                    f"set the analysis rate to {expected:g} for the temporal shift to see what it learned",
                    stacklevel=3,
                )

    def analysed_fps(self) -> float | None:
        """The rate the stage has been fed at (median of its first intervals), None before two frames."""
        return 1.0 / float(np.median(self.intervals)) if self.intervals else None

    def logits(self, image: np.ndarray) -> np.ndarray:
        if self.backend == "torch":
            return self.runner.step(self.preprocess(image)).numpy()[0].astype(np.float64)
        return self.runner.step(self.preprocess.array(image))[0].astype(np.float64)

    def behaviour_mass(self, probs: np.ndarray) -> dict[str, float]:
        """Probability summed over the classes mapped to each behaviour ("safe/other" classes map to none)."""
        mass: dict[str, float] = {}
        for name, p in zip(self.classes, probs, strict=True):
            behaviour = self.behaviour_of.get(name)
            if behaviour is not None:
                mass[behaviour] = mass.get(behaviour, 0.0) + float(p)
        return mass

    def reset(self) -> None:
        """Forget the temporal context (new drive, seek, a cut in the footage)."""
        self.runner.reset()
        self.history.clear()
        self.last_t = None

    def describe(self) -> dict:
        """For events.json `session.classifier`."""
        return {
            "checkpoint": str(self.checkpoint_path),
            "classes": list(self.classes),
            "arch": self.meta.arch,
            "shift_mode": self.meta.shift_mode,
            "backend": self.backend,
            "frame_rate": self.meta.frame_rate,
            "source": self.meta.source,
            "offline_weights_run_causally": self.offline_weights,
            "n_segment": self.meta.n_segment,
            "guessed": list(getattr(self.meta, "guessed", [])),
            "restart": "primed on the first picture" if self.primed_start else "zero buffers",
        }


def load_runner(path: Path, backend: str, allow_offline: bool, n_segment: int | None = None):
    """(online runner, CheckpointMeta, whether offline weights run causally) for a .pth or exported .onnx."""
    from models.checkpoints import load_checkpoint
    from models.errors import ModelInputError
    from models.online import OnlineTSM
    from models.onnx_export import online_onnx_bytes
    from models.onnx_online import OnnxOnlineTSM

    if path.suffix.lower() == ".onnx":
        runner = OnnxOnlineTSM(path, threads=ONNX_THREADS)
        meta = runner.meta()
        if meta is None:
            raise InputError(path, "ONNX model without DMS metadata (write it with `main.py export`)")
        return runner, meta, False
    model, meta = load_checkpoint(path, n_segment)
    offline = meta.shift_mode == "bidirectional"
    if offline:
        if not allow_offline:
            raise InputError(
                path,
                "bi-directional (offline) TSM weights cannot run online: fine-tune them with the "
                "uni-directional shift first (or pass allow_offline to run them anyway)",
            )
        warnings.warn(
            f"{path}: running bi-directional TSM weights with the causal shift; "
            "they were never trained that way and their online accuracy is unknown",
            stacklevel=3,
        )
        model = causal_copy(model)
    if backend == "torch":
        return OnlineTSM(model), meta, offline
    exported = exported_onnx(path, model, meta, online_onnx_bytes)
    try:
        return OnnxOnlineTSM(exported, threads=ONNX_THREADS), meta, offline
    except ModelInputError:
        if not isinstance(exported, Path):
            raise
        exported.unlink(missing_ok=True)  # a damaged cache entry: export again, in memory
        return OnnxOnlineTSM(online_onnx_bytes(model, meta), threads=ONNX_THREADS), meta, offline


def exported_onnx(path: Path, model, meta, export) -> Path | bytes:
    """The online step of checkpoint `path` as ONNX: exported once (several seconds), then read from
    the user cache (`<user cache>/dms/onnx/<sha256 of the checkpoint and its metadata>.onnx`).
    Where the cache cannot be written, the bytes are used as they are."""
    import hashlib
    import json
    import os
    from dataclasses import asdict

    from platformdirs import user_cache_dir

    digest = hashlib.sha256(path.read_bytes())
    digest.update(json.dumps(asdict(meta), sort_keys=True, default=str).encode())
    cached = Path(user_cache_dir("dms", appauthor=False)) / "onnx" / f"{digest.hexdigest()[:32]}.onnx"
    if cached.is_file():
        return cached
    data = export(model, meta)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.part")
        partial.write_bytes(data)
        os.replace(partial, cached)
    except OSError:
        return data
    return cached


def causal_copy(model):
    """The same weights in a network with the causal (online) shift."""
    from models.tsm import TSN

    causal = TSN(**{**model.config(), "shift_mode": "online"})
    causal.load_state_dict(model.state_dict())
    return causal.eval()


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max())
    return z / z.sum()
