"""Which classifier an analysis runs: the shipped model, the user's checkpoint, or none, and why.

The project ships one trained model (`models.shipped.SHIPPED_CHECKPOINT`, docs/model_card.md), trained
on State Farm's passenger-side camera. It runs by default when the camera profile's view is the one
it was trained for; on another view it is not run, and the analysis says so in one line (terminal,
report summary, GUI status bar), because a model never classifies what it was not trained to see.
`--checkpoint none` turns the classifier off; a user checkpoint replaces the shipped one.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from dms.errors import InputError
from dms.profile import CameraProfile
from models.shipped import SHIPPED_CHECKPOINT

OFF = "none"
BACKENDS = ("auto", "torch", "onnx")


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
        return ClassifierChoice(None, "classifier off (--checkpoint none): landmark cues only")
    if checkpoint is None or not str(checkpoint).strip():
        view = checkpoint_view(SHIPPED_CHECKPOINT)
        if view != profile.view:
            return ClassifierChoice(
                None,
                f"classifier not run: the shipped model was trained for the {view} camera view and the "
                f"camera profile is {profile.view}; landmark cues only",
            )
        return ClassifierChoice(SHIPPED_CHECKPOINT, f"classifier: shipped model ({view} camera view)", True)
    path = Path(checkpoint)
    view = checkpoint_view(path)
    if view is not None and view != profile.view:
        raise InputError(path, f"trained for the {view} camera view, but the camera profile is "
                               f"{profile.view}; choose a profile of that view or another checkpoint")
    return ClassifierChoice(path, f"classifier: {path.name}")


def resolve_backend(backend: str) -> str:
    """"auto" -> "onnx" where onnxruntime is installed (about 2x faster per frame on CPU, see
    docs/classifier.md), else "torch"; other values as given."""
    if backend not in BACKENDS:
        raise InputError(backend, f"unknown classifier backend; expected one of {', '.join(BACKENDS)}")
    if backend == "auto":
        return "onnx" if importlib.util.find_spec("onnxruntime") is not None else "torch"
    return backend
