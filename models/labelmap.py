"""The one label map (data/labels.json): every data set's classes and the DMS behaviour each maps to.

models/ knows nothing of the app, so the map is always passed in as a path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from models.errors import ModelInputError


@dataclass(frozen=True)
class DatasetClasses:
    """One data set's classes in label-index order, with their behaviours and mirror-image pairs."""

    name: str
    classes: tuple[str, ...]
    behaviours: tuple[str | None, ...]
    flip_pairs: tuple[tuple[str, str], ...]

    def index(self, class_name: str) -> int:
        try:
            return self.classes.index(class_name)
        except ValueError:
            raise KeyError(f"{class_name!r} is not a class of {self.name}") from None

    def class_to_behaviour(self) -> dict[str, str | None]:
        return dict(zip(self.classes, self.behaviours, strict=True))

    def flip_permutation(self) -> list[int] | None:
        """Label index after a horizontal flip, or None when the set has no left/right classes."""
        if not self.flip_pairs:
            return None
        perm = list(range(len(self.classes)))
        for a, b in self.flip_pairs:
            ia, ib = self.index(a), self.index(b)
            perm[ia], perm[ib] = ib, ia
        return perm


@dataclass(frozen=True)
class LabelMap:
    behaviours: tuple[str, ...]
    datasets: dict[str, DatasetClasses]

    def dataset(self, name: str) -> DatasetClasses:
        if name not in self.datasets:
            have = ", ".join(sorted(self.datasets))
            raise KeyError(f"no data set {name!r} in the label map (have: {have})")
        return self.datasets[name]


def load_label_map(path: str | Path) -> LabelMap:
    """Read and check labels.json: unknown behaviours, duplicate classes or bad flip pairs are errors."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        behaviours = tuple(raw["behaviours"])
        datasets = {}
        for name, entry in raw["datasets"].items():
            classes = tuple(str(c["id"]) for c in entry["classes"])
            mapped = tuple(c["behaviour"] for c in entry["classes"])
            pairs = tuple((str(a), str(b)) for a, b in entry.get("flip_pairs", []))
            datasets[name] = DatasetClasses(name, classes, mapped, pairs)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelInputError(path, f"cannot read label map: {exc}") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelInputError(path, f"label map lacks or misshapes a field: {exc!r}") from exc
    for ds in datasets.values():
        if len(set(ds.classes)) != len(ds.classes):
            raise ModelInputError(path, f"data set {ds.name} lists a class twice")
        unknown = {b for b in ds.behaviours if b is not None and b not in behaviours}
        if unknown:
            raise ModelInputError(path, f"data set {ds.name} maps to unknown behaviours {sorted(unknown)}")
        for a, b in ds.flip_pairs:
            if a not in ds.classes or b not in ds.classes:
                raise ModelInputError(path, f"data set {ds.name} flip pair ({a}, {b}) names an unknown class")
    return LabelMap(behaviours, datasets)
