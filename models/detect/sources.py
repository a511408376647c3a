"""The detector's training material: pictures with boxes, their source and the unit of the split.

Three kinds of folder (see ../shared/data/SOURCES.md for what each holds):

* `phone_images` (YOLO: `images/`, `labels/`, classes 0 phone at the ear, 1 texting, 2/3 seat
  belt): both phone classes become "phone"; their boxes hold the phone with the hand (at the ear:
  hand, phone and ear). Seat-belt boxes are dropped, so those pictures are in-car pictures without
  a phone. Split unit: the photo family (the file name less its running number and the exporter's
  suffix), so the numbered frames of one shoot stay together.
* `smoking_images` (YOLO: `train|valid/images|labels`, class 0 cigarette): sources by file name,
  the Mendeley smoking set and stock photos (one web picture each: split unit the picture) and one
  Indonesian drama (`gadiskretek*`, a few actors in many frames: one unit, wholly held out).
* `statefarm_train` (`driver_imgs_list.csv`, `cN/*.jpg`, no boxes): split unit the driver. Classes
  without a phone or a cigarette (c0 safe, c5 radio, c6 drinking, c7 reaching behind, c8 hair and
  makeup, c9 passenger) are pictures with neither; c1..c4 hold a phone without a box (`unboxed`):
  they are measured at picture level only and never trained on.
"""

from __future__ import annotations

import csv
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from models.errors import ModelInputError

PHONE, CIGARETTE = "phone", "cigarette"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
PHONE_IMAGES_CLASSES = {0: PHONE, 1: PHONE, 2: None, 3: None}
SMOKING_CLASSES = {0: CIGARETTE}
STATEFARM_PHONE_CLASSES = ("c1", "c2", "c3", "c4")
STATEFARM_NEITHER = ("c0", "c5", "c6", "c7", "c8", "c9")
DRAMA_PREFIX = "gadiskretek"


@dataclass(frozen=True)
class Picture:
    """One picture: `boxes` xyxy normalised to the picture (0..1) with `labels`; `unboxed`: objects
    present without a box; `source`: where it comes from (reported per source); `group`: the unit
    a split keeps whole; `kind`: the picture's class in its own data set (e.g. State Farm "c6")."""

    path: Path
    boxes: tuple[tuple[float, float, float, float], ...]
    labels: tuple[str, ...]
    source: str
    group: str
    unboxed: tuple[str, ...] = ()
    kind: str = ""

    def has(self, label: str) -> bool:
        return label in self.labels or label in self.unboxed


def read_yolo_labels(path: Path, classes: dict[int, str | None]) -> list[tuple[str, tuple[float, ...]]]:
    """`class cx cy w h` lines (normalised) -> [(label, (x0, y0, x1, y1))]; classes mapped to None are
    skipped; an unknown class, a short line or a box outside the picture raises ModelInputError."""
    out = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        try:
            k, cx, cy, w, h = int(parts[0]), *map(float, parts[1:])
        except ValueError:
            raise ModelInputError(path, f"line {number}: expected 'class cx cy w h', "
                                        f"got {line.strip()!r}") from None
        if k not in classes:
            raise ModelInputError(path, f"line {number}: class {k} is not one of {sorted(classes)}")
        if not (w > 0 and h > 0 and cx - w / 2 >= -0.01 and cx + w / 2 <= 1.01
                and cy - h / 2 >= -0.01 and cy + h / 2 <= 1.01):
            raise ModelInputError(path, f"line {number}: box outside the picture")
        if classes[k]:
            box = (max(0.0, cx - w / 2), max(0.0, cy - h / 2), min(1.0, cx + w / 2), min(1.0, cy + h / 2))
            out.append((classes[k], box))
    return out


def _yolo_folder(folder: Path, classes: dict[int, str | None], source_of, group_of) -> list[Picture]:
    images, labels = folder / "images", folder / "labels"
    if not images.is_dir() or not labels.is_dir():
        raise ModelInputError(folder, "expected images/ and labels/ (YOLO layout)")
    pictures = []
    for image in sorted(p for p in images.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        label_file = labels / f"{image.stem}.txt"
        found = read_yolo_labels(label_file, classes) if label_file.is_file() else []
        pictures.append(Picture(image, tuple(b for _, b in found), tuple(label for label, _ in found),
                                source_of(image.name), group_of(image.name)))
    if not pictures:
        raise ModelInputError(images, "no pictures")
    return pictures


def family(name: str) -> str:
    """A photo family: the exporter's `.rf.<hash>` and `_jpg` suffix, '-Copy' and the trailing
    running number removed ("texting12304_jpg.rf.8f63..." -> "texting")."""
    stem = name.split(".rf.")[0]
    stem = re.sub(r"_(jpe?g|png|bmp)$", "", stem, flags=re.IGNORECASE).replace("-Copy", "")
    return re.sub(r"[\d\W_]+$", "", stem) or stem


def read_phone_images(root: Path) -> list[Picture]:
    """The in-car phone photos (see the module text)."""
    return _yolo_folder(Path(root), PHONE_IMAGES_CLASSES, lambda _: "in-car phone photos",
                        lambda name: f"phone:{family(name)}")


def smoking_source(name: str) -> str:
    if name.startswith(DRAMA_PREFIX):
        return "smoking drama frames"
    return "smoking web pictures" if name.startswith("mendeley") else "smoking stock photos"


def read_smoking_images(root: Path) -> list[Picture]:
    """The smoking pictures of every split folder under `root` (see the module text)."""
    root = Path(root)
    folders = [d for d in sorted(root.iterdir()) if (d / "images").is_dir()] if root.is_dir() else []
    if not folders:
        raise ModelInputError(root, "expected train/ and valid/ folders with images/ and labels/")
    return [p for d in folders for p in _yolo_folder(
        d, SMOKING_CLASSES, smoking_source,
        lambda name: DRAMA_PREFIX if name.startswith(DRAMA_PREFIX) else f"smoking:{name.split('.rf.')[0]}")]


def read_statefarm(root: Path) -> list[Picture]:
    """State Farm stills (see the module text); `group` is the driver."""
    root = Path(root)
    index = root / "driver_imgs_list.csv"
    if not index.is_file():
        raise ModelInputError(index, "missing (State Farm's subject,classname,img list)")
    pictures = []
    with index.open(newline="") as f:
        for row in csv.DictReader(f):
            try:
                driver, kind, name = row["subject"], row["classname"], row["img"]
            except KeyError:
                raise ModelInputError(index, "expected the columns subject,classname,img") from None
            path = root / kind / name
            if kind not in STATEFARM_NEITHER + STATEFARM_PHONE_CLASSES or not path.is_file():
                continue
            unboxed = (PHONE,) if kind in STATEFARM_PHONE_CLASSES else ()
            pictures.append(Picture(path, (), (), "State Farm side view", driver, unboxed, kind))
    if not pictures:
        raise ModelInputError(index, "no pictures found beside the list")
    return pictures


def bucket(group: str, salt: str = "detector") -> int:
    """A stable 0..99 bucket of a split unit (crc32; the same on every machine and run)."""
    return zlib.crc32(f"{salt}:{group}".encode()) % 100
