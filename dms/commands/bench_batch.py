"""`bench batch DIR`: the same set of drives through `--engine local` and `--engine ray` with 1
and 2 workers, one after the other in one run, each into its own temporary event log (so nothing
is skipped), reports and all; prints throughput side by side and Ray's overhead per drive.

Figures per configuration: wall time, engine start-up, drives per hour and media hours per
wall-clock hour (start-up included), and the overhead per drive: wall time after start-up minus
the workers' own analysis time (divided among the workers), per drive: scheduling, moving the
results, the driver's import into the log and its report writing. Ray's extra overhead per drive
is that figure for Ray minus that for local processes with the same number of workers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from dms.commands.batch import batch_recipe, fleet_drives
from dms.commands.common import add_common_arguments
from dms.core.errors import InputError

CONFIGS: tuple[tuple[str, int], ...] = (("local", 1), ("ray", 1), ("local", 2), ("ray", 2))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", help="folder of drives (the batch folder convention)")
    add_common_arguments(parser)
    parser.add_argument("--manifest", help="fleet manifest CSV")
    parser.add_argument("--cpus-per-drive", type=float, default=1.0, help="CPUs a Ray task reserves")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def measure(engine_name: str, workers: int, jobs, recipe, cpus_per_drive: float, progress: bool) -> dict:
    from dms.fleet.engines import make_engine
    from dms.fleet.run import run_batch
    from dms.store import Store

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="dms-bench-batch-") as tmp:
        for job in jobs:
            job.attempts, job.first_error = 0, None
            job.report_dir = Path(tmp) / "out" / job.report_dir.name
        with Store(Path(tmp) / "bench.sqlite") as store:
            run = run_batch(jobs, recipe, store, make_engine(engine_name, workers, cpus_per_drive, None),
                            progress=progress)
    analysed = [o for o in run.outcomes if o.status == "analysed"]
    media_h = sum(o.duration_s or 0.0 for o in analysed) / 3600
    worker_s = sum(o.worker_wall_s or 0.0 for o in analysed)
    after_start = run.wall_s - run.startup_s
    return {
        "engine": engine_name,
        "workers": workers,
        "drives": len(analysed),
        "failed": run.count("failed"),
        "media_h": round(media_h, 4),
        "wall_s": round(run.wall_s, 2),
        "startup_s": round(run.startup_s, 2),
        "worker_analysis_s": round(worker_s, 2),
        "drives_per_h": round(3600 * len(analysed) / run.wall_s, 1),
        "media_h_per_wall_h": round(media_h * 3600 / run.wall_s, 3),
        "overhead_per_drive_s": round((after_start - worker_s / workers) / len(analysed), 2)
        if analysed else None,
        "load_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def run(args: argparse.Namespace) -> int:
    from dms.fleet.run import plan

    folder = Path(args.folder)
    drives = fleet_drives(folder, args.manifest)
    recipe = batch_recipe(args)
    progress = not args.json
    rows = []
    for engine_name, workers in CONFIGS:
        jobs = plan(drives, recipe, folder, Path("unused"), progress=False)
        if progress:
            print(f"{engine_name} x {workers} ...", file=sys.stderr)
        try:
            rows.append(measure(engine_name, workers, jobs, recipe, args.cpus_per_drive, progress))
        except InputError as exc:  # e.g. Ray could not start on a busy machine: keep the other figures
            rows.append({"engine": engine_name, "workers": workers, "error": str(exc)})
    by = {(r["engine"], r["workers"]): r for r in rows}

    def ray_minus_local(name: str) -> dict[int, float]:
        return {w: round(by[("ray", w)][name] - by[("local", w)][name], 2) for w in (1, 2)
                if by[("ray", w)].get(name) is not None and by[("local", w)].get(name) is not None}

    result = {"drives": len(drives), "cpus": os.cpu_count(), "runs": rows,
              "ray_extra_overhead_per_drive_s": ray_minus_local("overhead_per_drive_s"),
              "ray_extra_startup_s": ray_minus_local("startup_s")}
    if args.json:
        print(json.dumps(result))
        return 0
    columns = ("engine", "workers", "drives", "failed", "media_h", "wall_s", "startup_s", "worker_analysis_s",
               "drives_per_h", "media_h_per_wall_h", "overhead_per_drive_s", "load_1min")
    print("  ".join(f"{c:>12s}" for c in columns))
    for row in rows:
        line = "  ".join(f"{str(row.get(c, '')):>12s}" for c in columns)
        print(line + (f"  {row['error']}" if "error" in row else ""))
    extra = result["ray_extra_overhead_per_drive_s"]
    print(f"Ray's extra overhead per drive (s, vs local at the same workers): {extra}")
    print(f"Ray's extra start-up (s): {result['ray_extra_startup_s']}; machine: {os.cpu_count()} CPUs")
    return 0
