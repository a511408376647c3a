"""`batch DIR`: replay every recorded drive in a folder, one session and one report folder each.

A file that cannot be analysed is listed with its error in the summary and does not stop the
others. The summary (`batch.csv`) lists each drive's session, events and how its analysis ended.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from dms.commands.replay import add_common_arguments
from dms.errors import InputError
from dms.sources import VIDEO_SUFFIXES


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("batch", help="replay every video in a folder")
    parser.add_argument("folder", help="folder of recorded drives (searched recursively)")
    add_common_arguments(parser)
    parser.add_argument("--engine", choices=("local",), default="local", help="where the replays run")
    parser.add_argument("--workers", type=int, default=1, help="parallel replays (each uses ~2 cores)")
    parser.add_argument("--out", default="out/batch", help="one report folder per drive under this")
    parser.add_argument("--db", help="event log SQLite file (default: in the user data folder)")
    parser.set_defaults(func=run)


def replay_one(video: Path, out: Path, argv: list[str]) -> dict:
    """Runs in a worker process: one `replay`, its result read back from its events.json."""
    import main

    os.environ.setdefault("GLOG_minloglevel", "2")
    code = main.main(["replay", str(video), "--out", str(out), "--no-progress", *argv])
    if code == 2 or not (out / "events.json").exists():
        return {"video": str(video), "error": "could not be analysed (the error line above says why)"}
    report = json.loads((out / "events.json").read_text())
    session = report["session"]
    return {
        "video": str(video),
        "session": session["id"],
        "events": len(report["events"]),
        "duration_s": session["duration_s"],
        "stopped_early": session["stopped_early"],
        "report": str(out / "report.html"),
    }


def passthrough(args: argparse.Namespace) -> list[str]:
    """The replay options given to batch, as replay arguments."""
    argv: list[str] = []
    for name in ("profile", "checkpoint", "backend", "settings", "analysis_fps", "image_fps", "db"):
        value = getattr(args, name)
        if value is not None:
            argv += [f"--{name.replace('_', '-')}", str(value)]
    for flag in ("blur_faces", "allow_offline"):
        if getattr(args, flag):
            argv.append(f"--{flag.replace('_', '-')}")
    if args.telemetry:
        raise InputError(args.folder, "batch takes no --telemetry (each drive has its own log)")
    return argv


def run(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    if not folder.is_dir():
        raise InputError(folder, "not a folder")
    videos = sorted(p for p in folder.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())
    if not videos:
        raise InputError(folder, "holds no video files")
    out = Path(args.out)
    argv = passthrough(args)
    targets = {video: out / video.relative_to(folder).with_suffix("") for video in videos}
    results = []
    context = multiprocessing.get_context("spawn")  # MediaPipe and torch threads do not survive fork
    with ProcessPoolExecutor(max_workers=max(1, args.workers), mp_context=context) as pool:
        futures = [pool.submit(replay_one, video, target, argv) for video, target in targets.items()]
        for future in tqdm(as_completed(futures), total=len(futures), unit="drive", desc="batch"):
            results.append(future.result())
    results.sort(key=lambda r: r["video"])
    out.mkdir(parents=True, exist_ok=True)
    fields = ["video", "session", "events", "duration_s", "stopped_early", "report", "error"]
    with open(out / "batch.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(results)
    failed = [r for r in results if r.get("error")]
    print(f"{len(results) - len(failed)} of {len(results)} drives analysed; summary: {out / 'batch.csv'}")
    return 1 if failed else 0
