"""`python main.py eval-detector`: the detector on pictures it never trained on, per source.

Prints per source and object: box AP (IoU 0.5), box precision/recall at the threshold, and the
share of pictures with the object where it is found / without it where one is "found"; with
`--compare-classifier`, the whole-frame TSM's picture-level phone finding rate on the same pictures
(top behaviour "phone", the still's steady state). Writes `--out/metrics.json`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from models.shipped import SHIPPED_CHECKPOINT, SHIPPED_DETECTOR


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from models.commands.detector_data import add_data_arguments

    p = subparsers.add_parser("eval-detector", help="measure the phone / cigarette detector per source",
                              formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                              description="Measure a detector checkpoint on the held-out (or validation) "
                                          "pictures of each source; writes metrics.json into --out.")
    p.add_argument("--checkpoint", type=Path, default=SHIPPED_DETECTOR, help="detector checkpoint")
    add_data_arguments(p)
    p.add_argument("--part", choices=("test", "val"), default="test",
                   help="test: the held-out sources and groups; val: those the threshold was chosen on")
    p.add_argument("--per-source", type=int, default=200,
                   help="at most N pictures of each source (a stable choice by file name)")
    p.add_argument("--threshold", type=float, help="score threshold (default: the checkpoint's)")
    p.add_argument("--compare-classifier", type=Path, metavar="CHECKPOINT",
                   help="also run this whole-frame classifier (e.g. the shipped "
                        f"{SHIPPED_CHECKPOINT.name}) on the same pictures")
    p.add_argument("--clips", nargs="+", type=Path, metavar="VIDEO",
                   help="instead of the pictures: the frames of these videos at 2 Hz, with the times "
                        "each object is found")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--out", type=Path, help="folder for metrics.json")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import torch

    from models.commands.detector_data import read_split
    from models.detect.evaluate import detect_all, format_results, per_source
    from models.detect.inference import Detector, load_detector
    from models.detect.split import cap
    from models.detect.whole_frame import phone_found_by_classifier
    from models.errors import ModelInputError

    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise ModelInputError(args.out, "exists and is not a folder")
    detector = load_detector(args.checkpoint, args.threshold)
    torch.set_num_threads(max(1, args.threads))
    if args.clips:
        return _clips(detector, args.clips)
    split_meta = detector.meta.training.get("split", {})
    drivers = split_meta.get("test_drivers") or []
    split = read_split(args, drivers)
    pictures = getattr(split, args.part)
    pictures = cap(pictures, dict.fromkeys({p.source for p in pictures}, args.per_source))
    low = Detector(detector.model, detector.meta, threshold=0.05)
    started = time.perf_counter()
    detections = detect_all(low, pictures, progress=not args.no_progress)
    per_picture = (time.perf_counter() - started) / max(1, len(pictures))
    results = per_source(pictures, detections, list(detector.meta.classes), detector.threshold)
    print(f"{args.part} pictures: {len(pictures)}; threshold {detector.threshold:.2f}; "
          f"{per_picture * 1000:.0f} ms a picture with {torch.get_num_threads()} thread(s), "
          "decoding included")
    print(format_results(results))
    out = {"checkpoint": str(args.checkpoint), "part": args.part, "threshold": detector.threshold,
           "pictures": len(pictures), "seconds_per_picture": per_picture, "threads": torch.get_num_threads(),
           "results": {s: {k: asdict(r) for k, r in by.items()} for s, by in results.items()}}
    if args.compare_classifier:
        rates = phone_found_by_classifier(args.compare_classifier, pictures, progress=not args.no_progress)
        print("whole-frame classifier (top behaviour phone): share of pictures with a phone / without one")
        for source, r in sorted(rates.items()):
            with_phone, without = _share(r["found"], r["pictures+"]), _share(r["false"], r["pictures-"])
            print(f"  {source:<24} {with_phone} / {without}")
        out["classifier"] = {"checkpoint": str(args.compare_classifier), "results": rates}
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "metrics.json").write_text(json.dumps(out, indent=1))
        print(f"wrote {args.out / 'metrics.json'}", file=sys.stderr)
    return 0


def _share(value: float | None, n: int) -> str:
    return "no pictures" if value is None else f"{value:.2f} of {n}"


def _clips(detector, clips: list[Path]) -> int:
    from models.detect.evaluate import clip_detections
    from models.errors import ModelInputError

    for clip in clips:
        if not clip.is_file():
            raise ModelInputError(clip, "video not found")
    for clip in clips:
        rows = clip_detections(detector, clip)
        print(f"{clip.name}: {len(rows)} frames at 2 Hz")
        for label in detector.meta.classes:
            times = [t for t, labels in rows if label in labels]
            shown = ", ".join(f"{t:g}" for t in times) or "none"
            print(f"  {label}: {len(times)} frames (s: {shown})")
    return 0
