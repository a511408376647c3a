"""`batch DIR`: analyse every recorded drive of a fleet, on this machine or on a Ray cluster.

Each drive becomes one session in the event log (written by this process only) and one report
folder under --out; `batch.csv` lists how each drive ended. Drives already analysed with the
same video content, settings, profile, model and telemetry are skipped, so a second run resumes.
A drive that fails is retried once, then logged as failed with the reason; the others go on.
Exit status: 0 when every drive is analysed or skipped, 1 when one failed, 130 after Ctrl-C.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from dataclasses import replace
from pathlib import Path

from dms.commands import common
from dms.commands.common import add_common_arguments
from dms.core.errors import InputError
from dms.fleet.manifest import drives_from_folder, find_videos, read_manifest


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("batch", help="analyse every drive of a fleet (local processes or Ray)")
    parser.add_argument("folder", help="folder of recorded drives (recursive; DIR/VEHICLE/DRIVER/...)")
    add_common_arguments(parser)
    parser.add_argument("--manifest", help="CSV: video, driver, vehicle, date, telemetry (see docs/fleet.md)")
    parser.add_argument("--engine", choices=("local", "ray"), default="local", help="where the drives run")
    parser.add_argument("--address", help="Ray cluster to join (e.g. ray://head:10001 or auto); default: "
                        "start a local one")
    parser.add_argument("--workers", type=int, help="drives analysed at once (default 1; with --address: "
                        "the cluster's CPUs / --cpus-per-drive)")
    parser.add_argument("--cpus-per-drive", type=float, default=1.0, help="CPUs a Ray task reserves")
    parser.add_argument("--retry-failed", action="store_true", help="analyse drives that failed before again")
    parser.add_argument("--out", default="out/batch", help="one report folder per drive under this")
    parser.add_argument("--db", help="event log SQLite file (default: in the user data folder)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)


def batch_recipe(args: argparse.Namespace):
    """The recipe of the options (`common.recipe_from_args`, the one there is) with batch's own
    checks: telemetry logs and offsets come per drive, not from here; the checkpoint and mapping
    become absolute paths for workers that run elsewhere."""
    if args.telemetry:
        raise InputError("--telemetry", "batch takes each drive's logs from the manifest or beside the video")
    if args.telemetry_offset is not None:
        raise InputError("--telemetry-offset", "batch takes offsets from the manifest (telemetry_offset_s)")
    if args.checkpoint and not Path(args.checkpoint).is_file():
        raise InputError(args.checkpoint, "checkpoint not found")
    if args.telemetry_map and not Path(args.telemetry_map).is_file():
        raise InputError(args.telemetry_map, "telemetry mapping not found")
    recipe = common.recipe_from_args(args)
    return replace(
        recipe,
        checkpoint=str(Path(args.checkpoint).resolve()) if args.checkpoint else None,
        telemetry_map=str(Path(args.telemetry_map).resolve()) if args.telemetry_map else None,
    )


def fleet_drives(folder: Path, manifest: str | None) -> list:
    """The drives of the manifest, or else of the folder convention (InputError if there are none)."""
    if not folder.is_dir():
        raise InputError(folder, "not a folder")
    if manifest:
        drives = read_manifest(manifest)
        listed = {d.video for d in drives}
        unlisted = [v for v in find_videos(Path(os.path.abspath(folder))) if v not in listed]
        if unlisted:
            print(f"warning: {len(unlisted)} video(s) under {folder} are not in the manifest: left out "
                  f"(first: {unlisted[0]})", file=sys.stderr)
        return drives
    drives = drives_from_folder(folder)
    if not drives:
        raise InputError(folder, "holds no video files")
    return drives


def write_summary(path: Path, outcomes) -> None:
    rows = [o.row() for o in outcomes]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["video"])
        writer.writeheader()
        writer.writerows(rows)


def run(args: argparse.Namespace) -> int:
    from dms.fleet.engines import make_engine
    from dms.fleet.run import plan, run_batch
    from dms.store import Store, default_db_path

    if args.workers is not None and args.workers < 1:
        raise InputError("--workers", "must be at least 1")
    folder = Path(args.folder)
    drives = fleet_drives(folder, args.manifest)
    recipe = batch_recipe(args)
    from dms.report.files import check_out_dir

    out = check_out_dir(args.out)
    engine = make_engine(args.engine, args.workers, args.cpus_per_drive, args.address)
    jobs = plan(drives, recipe, folder, out, progress=not args.no_progress)
    with Store(args.db or default_db_path()) as store:
        result = run_batch(jobs, recipe, store, engine, progress=not args.no_progress,
                           retry_failed=args.retry_failed)
    write_summary(out / "batch.csv", result.outcomes)
    for outcome in result.outcomes:
        if outcome.status == "failed":
            video = str(outcome.job.drive.video)
            reason = outcome.error if video in outcome.error else f"{video}: {outcome.error}"
            print(f"error: {reason} (tried twice)", file=sys.stderr)
    failed_before = [o for o in result.outcomes if o.status == "skipped" and o.error]
    if failed_before:
        print(f"warning: {len(failed_before)} drive(s) failed in an earlier run and were skipped "
              "(--retry-failed tries them again)", file=sys.stderr)
    counts = ", ".join(f"{result.count(s)} {s}" for s in ("analysed", "skipped", "failed", "cancelled")
                       if result.count(s))
    print(f"{len(result.outcomes)} drives: {counts} in {result.wall_s:.1f} s; summary: {out / 'batch.csv'}")
    if result.lost_nodes:
        again = sum(1 for o in result.outcomes if o.status == "analysed" and o.job.first_error)
        nodes = ", ".join(result.lost_nodes)
        print(f"the cluster lost {len(result.lost_nodes)} node(s) during the run ({nodes}); {again} drive(s) "
              "were analysed on a second attempt, each logged once")
    if result.cancelled:
        print("interrupted: finished drives are kept; run the same command again to resume", file=sys.stderr)
        return 130
    return 1 if result.count("failed") else 0
