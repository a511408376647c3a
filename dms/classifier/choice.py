"""Which models an analysis runs, on which camera view, and why: the object detector and the classifier.

The project ships two trained models (docs/model_card.md). The phone and cigarette detector
(`models.shipped.SHIPPED_DETECTOR`) sees the objects themselves and runs on every camera view. The
whole-frame online TSM (`models.shipped.SHIPPED_CHECKPOINT`) was trained on State Farm's
passenger-side camera: it runs by default when the camera profile's view is the one it was trained
for and not on another view, because a model never classifies what it was not trained to see. One
line (terminal, report summary, GUI status bar) says which model(s) ran on which view.
`--checkpoint none` / `--detector none` turn either off; a user checkpoint replaces the shipped one.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from dms.core.errors import InputError
from dms.core.profile import CameraProfile
from models.shipped import SHIPPED_CHECKPOINT, SHIPPED_DETECTOR

OFF = "none"
# What an analysis without either model says (terminal, report, GUI).
NO_CLASSIFIER = "no model: landmark cues only (phone, smoking and drinking not monitored)"
BACKENDS = ("auto", "torch", "onnx")
BACKEND_WORDS = {"torch": "PyTorch", "onnx": "ONNX Runtime"}  # a resolved backend, as a report names it


@dataclass(frozen=True)
class ClassifierChoice:
    """`checkpoint` to load (None: landmark cues alone) and `note`, one line saying what was chosen."""

    checkpoint: Path | None
    note: str
    shipped: bool = False


def checkpoint_view(path: Path) -> str | None:
    """The camera view a checkpoint (.pth or exported .onnx) records it was trained for, or None."""
    from models.checkpoints import read_meta

    return read_meta(path).view


def choose_classifier(checkpoint: str | Path | None, profile: CameraProfile) -> ClassifierChoice:
    """Resolve `--checkpoint` (None = the shipped model, "none" = off, else a file) for `profile`.

    A user checkpoint that records another camera view than the profile's is an InputError: it
    would classify what it was not trained to see. Checkpoints that record no view (official TSM
    files, older ones) run as before.
    """
    if checkpoint is not None and str(checkpoint).strip().lower() == OFF:
        return ClassifierChoice(None, "whole-frame classifier off (--checkpoint none)")
    if checkpoint is None or not str(checkpoint).strip():
        view = checkpoint_view(SHIPPED_CHECKPOINT)
        if view != profile.view:
            return ClassifierChoice(
                None,
                f"whole-frame classifier not run: the shipped model was trained for the {view} camera view "
                f"and the camera profile is {profile.view}",
            )
        note = f"whole-frame classifier: shipped model ({view} camera view)"
        return ClassifierChoice(SHIPPED_CHECKPOINT, note, True)
    path = Path(checkpoint)
    view = checkpoint_view(path)
    if view is not None and view != profile.view:
        raise InputError(path, f"trained for the {view} camera view, but the camera profile is "
                               f"{profile.view}; choose a profile of that view or another checkpoint")
    return ClassifierChoice(path, f"whole-frame classifier: {path.name} ({profile.view} camera view)")


@dataclass(frozen=True)
class ModelChoice:
    """The classifier and the object detector an analysis runs (`detector` None: none), and one line
    saying which ran on which view."""

    classifier: ClassifierChoice
    detector: Path | None
    detector_note: str

    @property
    def note(self) -> str:
        return f"{self.detector_note}; {self.classifier.note}"


def choose_detector(detector: str | Path | None, profile: CameraProfile) -> tuple[Path | None, str]:
    """Resolve `--detector` (None = the shipped one, "none" = off, else a file): (path or None, note)."""
    if detector is not None and str(detector).strip().lower() == OFF:
        return None, "object detector off (--detector none): phone and smoking not seen by it"
    if detector is None or not str(detector).strip():
        if not SHIPPED_DETECTOR.is_file():
            return None, f"object detector not run: {SHIPPED_DETECTOR.name} is not installed"
        return SHIPPED_DETECTOR, f"object detector: shipped phone/cigarette model ({profile.view} view)"
    return Path(detector), f"object detector: {Path(detector).name} ({profile.view} view)"


def choose_models(checkpoint: str | Path | None, detector: str | Path | None,
                  profile: CameraProfile) -> ModelChoice:
    """Both choices for `profile` (see choose_classifier and choose_detector)."""
    path, note = choose_detector(detector, profile)
    return ModelChoice(choose_classifier(checkpoint, profile), path, note)


def resolve_backend(backend: str) -> str:
    """"auto" -> "onnx" where onnxruntime is installed (about 2x faster per frame on CPU, see
    docs/classifier.md), else "torch"; other values as given."""
    if backend not in BACKENDS:
        raise InputError(backend, f"unknown classifier backend; expected one of {', '.join(BACKENDS)}")
    if backend == "auto":
        return "onnx" if importlib.util.find_spec("onnxruntime") is not None else "torch"
    return backend
