"""A fleet batch survives a lost node: a real two-node Ray cluster on the loopback (a head and a
second node started with `ray start`, one CPU each), `batch --engine ray --address` over a folder
of four shared clips and a corrupt file, and every process of the second node SIGKILLed while it
analyses a drive. Every good drive must end analysed exactly once, with the same events and
timeline as an undisturbed run on local processes; the corrupt file failed with its reason; and
the run says which node it lost and which drive was analysed again.

The cluster is torn down by the process ids this test started (SIGTERM to each `ray start
--block`, which stops its node, then SIGKILL to anything of its tree still alive), never by
`ray stop`, which kills every Ray process of the machine, other jobs' clusters too.
"""

import contextlib
import csv
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import VIDEO

import main
from dms.store import Store

ROOT = Path(__file__).resolve().parents[1]
CLIPS = {
    "VAN-07/alice/2026-11-02_am.mp4": "side_montage_a.mp4",
    "VAN-07/alice/2026-11-03.mp4": "day_eating.mp4",
    "VAN-09/bob/2026-11-10.mp4": "ir_night_drowsy.mp4",
    "VAN-09/bob/2026-11-12.mp4": "side_montage_b.mp4",
}
CORRUPT = "VAN-09/bob/2026-11-11_broken.mp4"
FAST = ["--analysis-fps", "2", "--no-progress"]
NODE = ["--block", "--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--object-store-memory",
        str(80 * 2**20), "--min-worker-port", "0", "--max-worker-port", "0", "--disable-usage-stats"]
# Every process of the cluster and the batch: loopback only, and one token of its own (with
# RAY_AUTH_MODE unset, a head turns token authentication on whenever ~/.ray/auth_token exists,
# which any local `ray.init()` writes, and a node joining without the token is refused).
# Ray's memory monitor is off: on a shared CI machine it kills workers whenever the machine as a
# whole is above 95 % memory, which is not the loss this test is about.
ENV = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "GLOG_minloglevel": "2",
       "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32),
       "RAY_memory_monitor_refresh_ms": "0"}
START_S, BATCH_S = 120, 900  # limits: a node's start-up, the batch after the kill (load 40+ here)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children() -> dict[int, list[int]]:
    """Parent pid -> child pids, from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(parent, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it."""
    tree, found, todo = children(), [], [pid]
    while todo:
        found.append(todo.pop())
        todo += tree.get(found[-1], [])
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def kill_all(pids: list[int]) -> None:
    """SIGKILL each process still alive that is still a Ray one (a pid is never reused blindly)."""
    for pid in pids:
        if "ray" in cmdline(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


class Node:
    """One `ray start --block` process; its log says when the node is up."""

    def __init__(self, args: list[str], log: Path):
        self.log = log
        with log.open("w") as out:
            self.process = subprocess.Popen(args, cwd=ROOT, env=ENV, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def wait_started(self) -> None:
        deadline = time.monotonic() + START_S
        while "Ray runtime started" not in self.log.read_text():
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, f"node not up after {START_S} s:\n{self.log.read_text()}"
            time.sleep(0.5)

    def stop(self) -> None:
        tree = descendants(self.process.pid) if self.process.poll() is None else []
        if tree:
            self.process.terminate()  # `ray start --block` stops its node's processes on SIGTERM
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)
        kill_all(tree)
        if self.process.poll() is None:
            self.process.wait(timeout=10)


@pytest.fixture
def cluster():
    """A head and a second node on 127.0.0.1 (one CPU, 80 MiB object store each); torn down by pid."""
    temp = Path(tempfile.mkdtemp(prefix="dms-ray-"))  # short: Ray's socket paths must fit 107 bytes
    port = free_port()
    nodes = []
    try:
        head = Node([sys.executable, "-m", "ray.scripts.scripts", "start", "--head", *NODE,
                     "--port", str(port), "--include-dashboard", "false",
                     "--dashboard-agent-listen-port", str(free_port()), "--temp-dir", str(temp)],
                    temp / "head.log")
        nodes.append(head)
        head.wait_started()
        second = Node([sys.executable, str(ROOT / "tests" / "ray_loopback_node.py"), "start", *NODE,
                       "--address", f"127.0.0.1:{port}", "--dashboard-agent-listen-port", str(free_port())],
                      temp / "second.log")
        nodes.append(second)
        second.wait_started()
        yield f"127.0.0.1:{port}", second
    finally:
        for node in reversed(nodes):
            node.stop()
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture
def fleet(tmp_path):
    root = tmp_path / "fleet"
    for name, clip in CLIPS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(VIDEO / clip, root / name)
    (root / CORRUPT).write_bytes(random.Random(0).randbytes(40_000))  # fixed: some random bytes are audio
    return root


def logged(db: Path) -> dict:
    with Store(db, create=False) as store:
        found: dict = {}
        for s in store.sessions():
            events = [(e.behaviour, e.start_s, e.end_s, e.severity, e.peak_score) for e in store.events(s.id)]
            found.setdefault(s.source, []).append((s, events, len(store.timeline(s.id))))
        return found


def kill_when_analysing(node, batch: subprocess.Popen) -> list[int]:
    """SIGKILL every process of `node` once one of its workers runs a drive (one second into it)."""
    deadline = time.monotonic() + BATCH_S
    while time.monotonic() < deadline and batch.poll() is None:
        tree = descendants(node.process.pid)
        if any(cmdline(pid).startswith("ray::analyse_on_node") for pid in tree):
            time.sleep(1.0)
            tree = descendants(node.process.pid)
            kill_all(tree)
            return tree
        time.sleep(0.2)
    return []


@pytest.mark.slow
def test_a_batch_survives_a_lost_node(cluster, fleet, tmp_path):
    address, second = cluster
    batch = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "batch", str(fleet), "--engine", "ray", "--address", address,
         "--db", str(tmp_path / "ray.sqlite"), "--out", str(tmp_path / "out"), *FAST],
        cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        killed = kill_when_analysing(second, batch)
        out, err = batch.communicate(timeout=BATCH_S)
    except subprocess.TimeoutExpired:
        batch.kill()
        out, err = batch.communicate()
        pytest.fail(f"the batch did not end within {BATCH_S} s of the kill:\n{out}\n{err[-4000:]}")
    finally:
        if batch.poll() is None:
            batch.kill()
            batch.communicate()
    assert killed, f"no drive ran on the second node\n{err}"
    assert second.process.poll() is not None  # the node is gone
    assert batch.returncode == 1, err  # the corrupt file failed; nothing else
    # The run says what happened: the node it lost, the drive run again, and the sum of it.
    assert "left the cluster" in err and "analysing it once more" in err, err
    assert "the cluster lost 1 node(s) during the run (127.0.0.1 (node " in out, out
    rows = {row["video"]: row for row in csv.DictReader((tmp_path / "out" / "batch.csv").open())}
    again = [row for row in rows.values() if row["first_error"] and row["status"] == "analysed"]
    assert again and all(row["attempts"] == "2" for row in again)
    assert all("Ray node" in row["first_error"] or "Ray worker" in row["first_error"] for row in again), again
    assert rows[str(fleet / CORRUPT)]["status"] == "failed"
    assert "not a readable video" in rows[str(fleet / CORRUPT)]["error"]
    # Every good drive analysed exactly once, whole: the same events and timeline as an undisturbed run.
    assert main.main(["batch", str(fleet), "--engine", "local", "--workers", "2", "--db",
                      str(tmp_path / "local.sqlite"), "--out", str(tmp_path / "out_local"), *FAST]) == 1
    ray_log, local_log = logged(tmp_path / "ray.sqlite"), logged(tmp_path / "local.sqlite")
    assert ray_log.keys() == local_log.keys() == {str(fleet / name) for name in [*CLIPS, CORRUPT]}
    for video in CLIPS:
        (session, events, timeline), = ray_log[str(fleet / video)]
        (reference, reference_events, reference_timeline), = local_log[str(fleet / video)]
        assert session.status == reference.status == "complete"
        assert (events, timeline) == (reference_events, reference_timeline), video
        assert rows[str(fleet / video)]["status"] == "analysed"
    (failed, _, _), = ray_log[str(fleet / CORRUPT)]
    assert failed.status == "failed" and "not a readable video" in failed.info["error"]
    assert sum(len(events) for entries in ray_log.values() for _, events, _ in entries) >= 3
