"""State Farm Distracted Driver: class folders c0..c9 and `driver_imgs_list.csv` (subject,classname,img)."""

from __future__ import annotations

import csv
from pathlib import Path

from models.datasets.clip import Clip
from models.errors import ModelInputError
from models.labelmap import DatasetClasses

HEADER = ["subject", "classname", "img"]


def read_statefarm(csv_path: str | Path, image_root: str | Path, classes: DatasetClasses) -> list[Clip]:
    """One still per row at image_root/classname/img, grouped by subject (driver).

    Rows repeated verbatim (copies of the list circulate with every row twice) are kept once; the
    same image listed with a different driver or class is an error naming both lines.
    """
    csv_path, image_root = Path(csv_path), Path(image_root)
    try:
        with csv_path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ModelInputError(csv_path, f"cannot read State Farm list: {exc}") from exc
    if not rows or [h.strip() for h in rows[0]] != HEADER:
        raise ModelInputError(csv_path, f"line 1: expected header {','.join(HEADER)}")
    seen: dict[str, tuple[int, str, str]] = {}
    clips = []
    for n, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != 3:
            raise ModelInputError(csv_path, f"line {n}: expected 3 fields, got {len(row)}")
        subject, classname, img = (field.strip() for field in row)
        if classname not in classes.classes:
            raise ModelInputError(csv_path, f"line {n}: unknown class {classname!r}")
        if img in seen:
            first, s0, c0 = seen[img]
            if (s0, c0) != (subject, classname):
                raise ModelInputError(csv_path, f"line {n}: {img} is on line {first} as {s0},{c0}")
            continue
        seen[img] = (n, subject, classname)
        clips.append(Clip(image_root / classname / img, "image", 0, 1, classes.index(classname), subject))
    if not clips:
        raise ModelInputError(csv_path, "no images listed")
    return clips
