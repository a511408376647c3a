"""100-Driver split lists: `index<TAB>Cxx_Name/Pnnn_....jpg<TAB>label` per line."""

from __future__ import annotations

from pathlib import Path

from models.datasets.clip import Clip
from models.errors import ModelInputError
from models.labelmap import DatasetClasses


def read_100driver(list_path: str | Path, image_root: str | Path, classes: DatasetClasses) -> list[Clip]:
    """One still per line, grouped by driver (the `Pnnn` prefix); the folder must agree with the label."""
    list_path, image_root = Path(list_path), Path(image_root)
    try:
        lines = list_path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelInputError(list_path, f"cannot read 100-Driver list: {exc}") from exc
    clips = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 3 or not parts[2].isdigit():
            raise ModelInputError(list_path, f"line {n}: expected 'index path label', got {line.strip()!r}")
        rel, label = parts[1], int(parts[2])
        if label >= len(classes.classes):
            raise ModelInputError(list_path, f"line {n}: label {label} >= {len(classes.classes)} classes")
        folder, _, name = rel.partition("/")
        if folder != classes.classes[label]:
            raise ModelInputError(list_path, f"line {n}: folder {folder} disagrees with label {label} "
                                             f"({classes.classes[label]})")
        clips.append(Clip(image_root / rel, "image", 0, 1, label, name.split("_", 1)[0]))
    if not clips:
        raise ModelInputError(list_path, "list has no entries")
    return clips
