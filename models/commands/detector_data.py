"""The detector commands' shared data arguments: the three folders, read and split (models.detect.split).

torch-free at import (the parser is built for `--help`); the readers are imported when a command runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from models.shipped import SHIPPED_CHECKPOINT

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def add_data_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data (../shared/data/SOURCES.md describes each)")
    g.add_argument("--phone-images", type=Path, default=DATA / "phone_images",
                   help="in-car phone photos, YOLO layout (images/, labels/)")
    g.add_argument("--smoking-images", type=Path, default=DATA / "smoking_images",
                   help="smoking pictures, YOLO layout per split folder (train/, valid/)")
    g.add_argument("--statefarm", type=Path, default=DATA / "statefarm_train",
                   help="State Farm stills (driver_imgs_list.csv, cN/); 'none' to leave them out")


def held_out_drivers(checkpoint: Path = SHIPPED_CHECKPOINT) -> list[str]:
    """The State Farm drivers the shipped classifier was validated on: never trained on here either."""
    from models.checkpoints import read_meta

    return list(read_meta(checkpoint).training.get("val_drivers") or [])


def read_split(args: argparse.Namespace, drivers: list[str]):
    """All pictures of the three folders as a models.detect.split.Split, by source and group; bad
    folders raise ModelInputError."""
    from models.detect.sources import read_phone_images, read_smoking_images, read_statefarm
    from models.detect.split import split_pictures

    pictures = read_phone_images(args.phone_images) + read_smoking_images(args.smoking_images)
    if str(args.statefarm) != "none":
        pictures += read_statefarm(args.statefarm)
    return split_pictures(pictures, drivers)
