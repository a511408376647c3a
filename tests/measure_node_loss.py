"""Timings of a batch that loses a Ray node (docs/fleet.md, "A lost node"): the cluster, clips and
kill of tests/test_ray_node_loss.py, run once with the moments printed.

    python tests/measure_node_loss.py
"""

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

import test_ray_node_loss as t  # noqa: E402 - the test's own cluster, clips and kill


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="dms-node-loss-"))
    fleet = root / "fleet"
    for name, clip in t.CLIPS.items():
        (fleet / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(t.VIDEO / clip, fleet / name)
    (fleet / t.CORRUPT).write_bytes(random.Random(0).randbytes(40_000))
    print(f"load before: {os.getloadavg()[0]:.1f}")
    cluster = t.cluster.__wrapped__()
    started = time.monotonic()
    address, second = next(cluster)
    print(f"both nodes up in {time.monotonic() - started:.1f} s")
    try:
        start = time.monotonic()
        batch = subprocess.Popen(
            [sys.executable, str(t.ROOT / "main.py"), "batch", str(fleet), "--engine", "ray",
             "--address", address, "--db", str(root / "ray.sqlite"), "--out", str(root / "out"), *t.FAST],
            cwd=t.ROOT, env=t.ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        killed = t.kill_when_analysing(second, batch)
        print(f"[{time.monotonic() - start:6.1f} s] second node SIGKILLed ({len(killed)} processes)")
        for line in batch.stderr:
            if line.startswith(("warning:", "error:")):
                print(f"[{time.monotonic() - start:6.1f} s] {line.rstrip()}")
        out = batch.stdout.read()
        batch.wait()
        print(f"[{time.monotonic() - start:6.1f} s] batch done, exit {batch.returncode}\n{out}")
        print((root / "out" / "batch.csv").read_text())
        print(f"load after: {os.getloadavg()[0]:.1f}")
        return 0
    finally:
        next(cluster, None)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
