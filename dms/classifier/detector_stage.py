"""The object-detector stage: the phone and cigarette detector (models.detect) on each analysed frame.

It sees the objects themselves, on any camera view; fusion ties its boxes to the driver's ears, mouth
and hands (dms.perception.object_ties). It runs in the pipeline's side thread after the classifier,
on one PyTorch thread (`TORCH_THREADS`): the other core is MediaPipe's (docs/classifier.md, "Speed").

It detects at most every `PERIOD_S` of media time (5 Hz: half the 10 Hz analysis rate), and at once
after a restart (a cut, a seek, a new drive): a phone or a cigarette stays in the hand far longer than
that, and on the frames between it says nothing (None), which fusion holds for `unknown_hold_s`
(0.5 s) as it holds any cue not observed. It is the stage's largest cost, about 55-65 ms of CPU a
640 x 360 picture on this machine, as much as the landmark stage (docs/model_card.md, "Speed").
"""

from __future__ import annotations

from pathlib import Path

from dms.core.types import ObjectBox, Objects

TORCH_THREADS = 1
PERIOD_S = 0.2


class DetectorStage:
    """Callable `(Frame) -> Objects | None` (None: not detected on this frame, see PERIOD_S);
    `.describe()`, `.reset()`.

    `path` is a detector checkpoint (`models.detect.load_detector`; None: the shipped one),
    `threshold` the lowest score kept (None: the one chosen at training, stored in the checkpoint).
    A missing or damaged file raises models.errors.ModelInputError.
    """

    def __init__(self, path: str | Path | None = None, threshold: float | None = None):
        import torch

        from models.detect import load_detector
        from models.shipped import SHIPPED_DETECTOR

        self.path = Path(path) if path is not None else SHIPPED_DETECTOR
        self.detector = load_detector(self.path, threshold=threshold)
        self.kinds: tuple[str, ...] = tuple(self.detector.meta.classes)
        self.last_t: float | None = None
        torch.set_num_threads(TORCH_THREADS)

    def __call__(self, frame) -> Objects | None:
        if self.last_t is not None and 0.0 <= frame.t - self.last_t < PERIOD_S - 1e-6:
            return None
        self.last_t = frame.t
        found = self.detector.detect(frame.image)
        return Objects(tuple(ObjectBox(d.label, float(d.score), tuple(d.box)) for d in found), self.kinds)

    def reset(self) -> None:
        """Detect on the next frame whatever its time (every detection stands on its own picture)."""
        self.last_t = None

    def describe(self) -> dict:
        """For events.json `session.detector`."""
        meta = self.detector.meta
        return {"checkpoint": str(self.path), "classes": list(self.kinds), "input_size": meta.input_size,
                "threshold": self.detector.threshold, "every_s": PERIOD_S}
