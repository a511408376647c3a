"""The object-detector stage: the phone and cigarette detector (models.detect) on each analysed frame.

It sees the objects themselves, on any camera view; fusion ties its boxes to the driver's ears, mouth
and hands (dms.perception.object_ties). It is stateless from frame to frame, so a cut needs no
restart. It runs in the pipeline's side thread after the classifier, on one PyTorch thread
(`TORCH_THREADS`): the other core is MediaPipe's (docs/classifier.md, "Speed").
"""

from __future__ import annotations

from pathlib import Path

from dms.core.types import ObjectBox, Objects

TORCH_THREADS = 1


class DetectorStage:
    """Callable `(Frame) -> Objects`; `.describe()`, `.reset()`.

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
        torch.set_num_threads(TORCH_THREADS)

    def __call__(self, frame) -> Objects:
        found = self.detector.detect(frame.image)
        return Objects(tuple(ObjectBox(d.label, float(d.score), tuple(d.box)) for d in found), self.kinds)

    def reset(self) -> None:
        """Nothing to forget: every frame is detected on its own."""

    def describe(self) -> dict:
        """For events.json `session.detector`."""
        meta = self.detector.meta
        return {"checkpoint": str(self.path), "classes": list(self.kinds), "input_size": meta.input_size,
                "threshold": self.detector.threshold}
