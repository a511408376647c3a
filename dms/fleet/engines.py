"""Where batch drives run: worker processes on this machine (`local`) or tasks on a Ray cluster
(`ray`). Both run dms.fleet.analyse.analyse_drive and hand its DriveResult back to the one
driver process, which alone writes the event log.

An engine is started once, takes drives up to its `capacity` at a time, reports which handles
finished, and turns a failure into DriveError; the caller (dms.fleet.run) retries a failed drive
once, so it knows each drive's attempts. `news()` gives lines for the user about the engine
itself since the last call (a Ray node lost or joined).
"""

from __future__ import annotations

import os
import signal
import socket
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from dms.core.errors import InputError
from dms.fleet.analyse import DriveError, DriveResult, analyse_drive
from dms.fleet.manifest import FleetDrive
from dms.pipeline.recipe import AnalysisRecipe

ROOT = Path(__file__).resolve().parents[2]  # the checkout: what Ray workers need on their path
WORKER_ENV = {"GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "2"}
NODE_LOOK_S = 2.0  # how often the Ray engine reads the cluster's node list
# How long a look waits for a node's raylet to accept a TCP connection after a drive failed in a way
# a lost node explains. The GCS marks a node dead only after its health checks fail (Ray's
# defaults: 5 failures 3 s apart, about 15 s or more), so a short run could end before the node
# list shows the loss; a raylet whose port no longer answers is gone now.
RAYLET_PROBE_S = 2.0
# Not sent to a remote cluster with the code: environments, outputs, logs, large files; but the
# shipped classifier (data/models) goes with it, as the workers choose it (dms.classifier.choice).
UPLOAD_EXCLUDES = [".venv", ".git", "out", "*.sqlite", "*.pth", "!/data/models/*.pth", "*.onnx", "*.mp4",
                   "__pycache__"]


def _quiet_worker() -> None:
    """Local workers leave Ctrl-C to the driver process, which decides what stops."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(WORKER_ENV)


class LocalEngine:
    """`workers` processes on this machine (spawned: MediaPipe and torch threads do not survive fork)."""

    name = "local"
    lost_nodes: tuple[str, ...] = ()  # one machine: no nodes to lose

    def __init__(self, workers: int = 1):
        self.workers = max(1, workers)
        self.capacity = self.workers
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> float:
        """Start the worker pool; returns the seconds it took."""
        import multiprocessing

        started = time.perf_counter()
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_quiet_worker)
        return time.perf_counter() - started

    def submit(self, recipe: AnalysisRecipe, drive: FleetDrive) -> Future:
        if self._pool is None or getattr(self._pool, "_broken", False):
            self._terminate()
            self.start()  # a killed worker breaks the whole pool: start a fresh one
        return self._pool.submit(analyse_drive, recipe, drive)

    def news(self) -> list[str]:
        return []

    def wait(self, handles: list[Future], timeout: float) -> list[Future]:
        done, _ = wait_futures(handles, timeout=timeout, return_when=FIRST_COMPLETED)
        return list(done)

    def result(self, handle: Future) -> DriveResult:
        try:
            return handle.result()
        except DriveError:
            raise
        except BrokenProcessPool:
            raise DriveError("the worker process died (killed or out of memory)") from None
        except Exception as exc:  # noqa: BLE001 - e.g. a result that could not be sent back
            raise DriveError(f"{type(exc).__name__}: {exc}") from None

    def cancel(self, handles: list[Future]) -> None:
        for handle in handles:
            handle.cancel()
        self._terminate()

    def _terminate(self) -> None:
        if self._pool is None:
            return
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)
        self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


class RayEngine:
    """Ray tasks, one per drive, each reserving `cpus_per_drive` CPUs.

    With no `address` Ray starts a local cluster of `workers * cpus_per_drive` CPUs on this
    machine, with this checkout on the workers' path. With `address` it joins that cluster and
    uploads this checkout as the job's working directory; every node needs the pinned
    requirements installed and must read the videos under the same paths (shared storage).
    Ray does not retry a task itself (max_retries=0): a drive whose task raised, whose worker
    died or whose node left the cluster comes back as DriveError and the caller runs it once
    more, on whichever node has room. The engine watches the cluster's nodes (every
    NODE_LOOK_S) and says when one leaves or joins; without --workers the number of drives in
    flight follows the CPUs of the nodes alive.
    """

    name = "ray"

    def __init__(self, workers: int | None = None, cpus_per_drive: float = 1.0, address: str | None = None):
        if cpus_per_drive <= 0:
            raise InputError("--cpus-per-drive", "must be more than 0")
        self.workers = workers
        self.cpus_per_drive = cpus_per_drive
        self.address = address
        self.capacity = max(1, workers or 1)
        self._started_here = False
        self._task = None
        self._nodes: dict[str, dict] = {}  # node id -> ray.nodes() entry, of the nodes alive
        self._next_look = 0.0
        self._suspect_loss = False  # a drive failed as a lost node would make it fail
        self._gone: set[str] = set()  # ids of nodes found lost, which the GCS may still list a while
        self.lost_nodes: list[str] = []  # "ADDRESS (node ID8)" of every node lost during the run

    def start(self) -> float:
        """Start or join the cluster; returns the seconds it took."""
        import ray

        started = time.perf_counter()
        if not ray.is_initialized():
            if self.address:
                env = {"working_dir": str(ROOT), "excludes": UPLOAD_EXCLUDES, "env_vars": WORKER_ENV}
                try:
                    ray.init(address=self.address, runtime_env=env, log_to_driver=False)
                except (ConnectionError, ValueError, RuntimeError) as exc:
                    raise InputError(self.address, f"cannot join the Ray cluster ({exc})") from None
            else:
                cpus = max(1, self.workers or 1) * self.cpus_per_drive
                env = {"env_vars": {**WORKER_ENV, "PYTHONPATH": os.pathsep.join(
                    p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}}
                self._start_local(ray, max(1, round(cpus)), env)
            self._started_here = True
        self._nodes = self._alive(ray)
        self._fit_capacity()
        self._task = ray.remote(num_cpus=self.cpus_per_drive, max_retries=0)(analyse_on_node)
        self._next_look = time.monotonic() + NODE_LOOK_S
        return time.perf_counter() - started

    def _alive(self, ray) -> dict[str, dict]:
        return {node["NodeID"]: node for node in ray.nodes()
                if node.get("Alive") and node["NodeID"] not in self._gone}

    def _fit_capacity(self) -> None:
        if self.workers is None:
            cpus = sum(node.get("Resources", {}).get("CPU", 0.0) for node in self._nodes.values())
            self.capacity = max(1, int(cpus // self.cpus_per_drive))

    def news(self) -> list[str]:
        """A line for each node that left or joined the cluster since the last look."""
        import ray

        now = time.monotonic()
        if self._task is None or (now < self._next_look and not self._suspect_loss):
            return []
        self._next_look = now + NODE_LOOK_S
        alive = self._alive(ray)
        if self._suspect_loss:  # the GCS may not know yet: ask each node's raylet itself
            self._suspect_loss = False
            alive = {node_id: node for node_id, node in alive.items() if raylet_answers(node)}
        lines = []
        for node_id, node in self._nodes.items():
            if node_id not in alive:
                self._gone.add(node_id)
                self.lost_nodes.append(node_name(node))
                lines.append(f"Ray node {node_name(node)} left the cluster: the drives that were running on "
                             "it fail there and are run once more on the nodes left")
        for node_id, node in alive.items():
            if node_id not in self._nodes:
                lines.append(f"Ray node {node_name(node)} joined the cluster")
        self._nodes = alive
        if lines:
            self._fit_capacity()
            cpus = sum(n.get("Resources", {}).get("CPU", 0.0) for n in alive.values())
            lines[-1] += f" ({len(alive)} node(s), {cpus:g} CPUs now)"
        return lines

    @staticmethod
    def _start_local(ray, cpus: int, env: dict) -> None:
        """Start a local cluster; on a busy machine Ray's raylet can miss its 30 s start-up window,
        so a second try is made before giving up with one clear error."""
        for attempt in (1, 2):
            try:
                ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False, runtime_env=env,
                         configure_logging=False)
                return
            except Exception as exc:  # noqa: BLE001 - Ray raises a bare Exception on a start-up timeout
                ray.shutdown()
                if attempt == 2:
                    raise InputError("--engine ray", f"could not start a local Ray cluster ({exc})") from None

    def submit(self, recipe: AnalysisRecipe, drive: FleetDrive):
        return self._task.remote(recipe, drive)

    def wait(self, handles: list, timeout: float) -> list:
        import ray

        ready, _ = ray.wait(handles, num_returns=1, timeout=timeout)
        if ready:  # collect whatever else is already done too
            more, _ = ray.wait(handles, num_returns=len(handles), timeout=0)
            ready = list(dict.fromkeys([*ready, *more]))
        return ready

    def result(self, handle) -> DriveResult:
        import ray
        from ray.exceptions import (
            NodeDiedError,
            ObjectLostError,
            OutOfMemoryError,
            RayError,
            RayTaskError,
            WorkerCrashedError,
        )

        try:
            return ray.get(handle)
        except RayTaskError as exc:
            cause = exc.cause if isinstance(getattr(exc, "cause", None), BaseException) else exc
            text = str(cause).strip()
            raise DriveError(text.splitlines()[-1] if text else repr(cause)) from None
        except OutOfMemoryError:
            raise DriveError("Ray killed its worker: the node ran low on memory") from None
        # Failures a lost node explains: the next look asks each raylet whether its node is still there.
        except NodeDiedError:
            self._suspect_loss = True
            raise DriveError("the Ray node it ran on left the cluster") from None
        except ObjectLostError:  # and its kinds (OwnerDiedError, ObjectFetchTimedOutError, ...)
            self._suspect_loss = True
            raise DriveError("its result was lost (the Ray node that held it left the cluster)") from None
        except WorkerCrashedError:
            self._suspect_loss = True
            raise DriveError("the Ray worker process died (killed or out of memory)") from None
        except RayError as exc:
            raise DriveError(f"Ray: {type(exc).__name__}: {str(exc).strip().splitlines()[0]}") from None

    def cancel(self, handles: list) -> None:
        import ray

        for handle in handles:
            ray.cancel(handle, force=True)

    def close(self) -> None:
        import ray

        if self._started_here and ray.is_initialized():
            ray.shutdown()
        self._started_here = False


def node_name(node: dict) -> str:
    """A Ray node for a person: its address and the first 8 characters of its id."""
    return f"{node.get('NodeManagerAddress', '?')} (node {str(node.get('NodeID', ''))[:8]})"


def raylet_answers(node: dict) -> bool:
    """Whether the node's raylet still accepts a TCP connection at its node-manager address and
    port (from ray.nodes()), within RAYLET_PROBE_S; an entry without them is taken as alive."""
    host, port = node.get("NodeManagerAddress"), node.get("NodeManagerPort")
    if not host or not port:
        return True
    try:
        with socket.create_connection((host, int(port)), timeout=RAYLET_PROBE_S):
            return True
    except OSError:
        return False


def analyse_on_node(recipe: AnalysisRecipe, drive: FleetDrive) -> DriveResult:
    """analyse_drive as a Ray task: the result also names the Ray node that ran it."""
    import ray

    result = analyse_drive(recipe, drive)
    result.node = node_name({"NodeManagerAddress": ray.util.get_node_ip_address(),
                             "NodeID": ray.get_runtime_context().get_node_id()})
    return result


def make_engine(name: str, workers: int | None, cpus_per_drive: float, address: str | None):
    """The engine for `batch --engine NAME` (InputError for --address without Ray)."""
    if name == "ray":
        return RayEngine(workers, cpus_per_drive, address)
    if address:
        raise InputError("--address", "only the ray engine joins a cluster")
    return LocalEngine(workers or 1)
