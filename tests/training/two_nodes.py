"""Two Ray nodes on this machine, started by ``scripts/train/multinode.sh`` as on two real machines.

Each node gets its own free ports, Ray temp folder and logical resources; both use a token file
of the test's own (never ``~/.ray/auth_token``, which other Ray users of the machine may rely
on). Only the processes these scripts started are stopped: each script runs in its own process
group, and ``ray start --block`` stops its node's processes when it is signalled.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator

import psutil

REPO_ROOT = Path(__file__).resolve().parents[2]
MULTINODE_SH = REPO_ROOT / "scripts" / "train" / "multinode.sh"
NODE_PORT_NAMES = ("NODE_MANAGER_PORT", "OBJECT_MANAGER_PORT", "DASHBOARD_AGENT_LISTEN_PORT",
                   "DASHBOARD_AGENT_GRPC_PORT", "METRICS_EXPORT_PORT", "RUNTIME_ENV_AGENT_PORT")
HEAD_PORT_NAMES = ("RAY_PORT", "DASHBOARD_PORT", "RAY_CLIENT_SERVER_PORT")
WORKER_PORT_RANGE = 40
CPUS_PER_NODE = 5  # verl asks 3 logical CPUs per device; the head also runs verl's driver actors
STOP_TIMEOUT_S = 90
HEAD_STARTED = "This command will now block forever"  # what `ray start --block` prints once its node is up


def free_ports(count: int, avoid: frozenset[int] = frozenset()) -> list[int]:
    """``count`` distinct ports nothing listens on now (held open together while chosen), none in ``avoid``."""
    with contextlib.ExitStack() as stack:
        chosen: list[int] = []
        while len(chosen) < count:
            sock = stack.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            if sock.getsockname()[1] not in avoid:
                chosen.append(sock.getsockname()[1])
        return chosen


def free_port_range(width: int, avoid: frozenset[int]) -> int:
    """The first port of ``width`` consecutive ports that can all be bound now, none in ``avoid``."""
    for _ in range(200):
        start = free_ports(1)[0]
        if start + width >= 65535 or avoid & set(range(start, start + width)):
            continue
        with contextlib.ExitStack() as stack:
            try:
                for port in range(start, start + width):
                    stack.enter_context(socket.socket()).bind(("127.0.0.1", port))
            except OSError:
                continue
        return start
    raise RuntimeError(f"no {width} consecutive free ports")


def reachable(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


class Node:
    """One ``multinode.sh`` process (a node, and for the head the training too) and its output."""

    def __init__(self, role: str, env: dict[str, str], args: list[str], log: Path):
        self.role, self.log = role, log
        with log.open("w") as out:
            self.process = subprocess.Popen(["bash", str(MULTINODE_SH), *args], env=env, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO_ROOT)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def raylet(self) -> psutil.Process:
        """This node's raylet (a descendant of the script)."""
        children = psutil.Process(self.process.pid).children(recursive=True)
        return next(child for child in children if child.name() == "raylet")

    def node_id(self) -> str:
        arguments = self.raylet().cmdline()
        return next(arg.split("=", 1)[1] for arg in arguments if arg.startswith("--node_id="))

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        """SIGTERM the script's process group (Ray drains and stops the node), SIGKILL what is left."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


class TwoNodes:
    """A head and a worker node on 127.0.0.1, as ``multinode.sh`` starts them on two machines."""

    def __init__(self, root: Path, cpus_per_node: int = CPUS_PER_NODE):
        # Ray's socket paths must stay short (a Unix socket path has at most 107 bytes).
        self.temp = Path(tempfile.mkdtemp(prefix="medu1-mn-"))
        self.root = root
        self.token = self.temp / "auth_token"  # this test's own token, created by the head script
        self.cpus = cpus_per_node
        self.head_ports = dict(zip(HEAD_PORT_NAMES, free_ports(len(HEAD_PORT_NAMES))))
        self.nodes: list[Node] = []
        self.assigned: frozenset[int] = frozenset()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.head_ports['RAY_PORT']}"

    def node_env(self, name: str) -> dict[str, str]:
        taken = frozenset(self.head_ports.values()) | self.assigned  # no port twice, within or across nodes
        low = free_port_range(WORKER_PORT_RANGE, taken)
        workers = frozenset(range(low, low + WORKER_PORT_RANGE))
        ports = dict(zip(NODE_PORT_NAMES, free_ports(len(NODE_PORT_NAMES), taken | workers)))
        self.assigned |= workers | set(ports.values())
        env = {key: value for key, value in os.environ.items() if not key.startswith("RAY_")}
        env.update({key: str(port) for key, port in ports.items()})
        env.update(
            RAY_PORT=str(self.head_ports["RAY_PORT"]), NODE_IP="127.0.0.1", RAY_TEMP_DIR=str(self.temp / name),
            NUM_CPUS=str(self.cpus), GPUS_PER_NODE="1", NNODES="2", OBJECT_STORE_MEMORY=str(300 * 1024**2),
            MIN_WORKER_PORT=str(low), MAX_WORKER_PORT=str(low + WORKER_PORT_RANGE - 1),
            RAY_AUTH_TOKEN_PATH=str(self.token), PYTHONPATH=str(REPO_ROOT), WAIT_NODES_S="900",
            # Ray's memory monitor counts the whole host's memory: on a machine shared with other
            # jobs it would kill these tiny workers for memory the others use.
            RAY_memory_monitor_refresh_ms="0",
        )
        return env

    def client_env(self) -> dict[str, str]:
        """What a process needs to join the cluster as a driver (token and mode)."""
        return {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(self.token),
                "RAY_ADDRESS": self.address}

    def start_head(self, train_args: list[str], log_name: str = "head.log", attempts: int = 4,
                   recipe: str = "cpu-smoke") -> Node:
        """Start the head (which trains ``recipe`` once the worker joined); again if its Ray fails to start."""
        for attempt in range(1, attempts + 1):
            env = {**self.node_env("head"), **{key: str(port) for key, port in self.head_ports.items()}}
            node = Node("head", env, [recipe, *train_args], self.root / f"{attempt}-{log_name}")
            self.nodes.append(node)
            deadline = time.monotonic() + 180
            # Until the head's node is fully up: a worker starting beside a starting head is more
            # likely to miss Ray's fixed wait for its dashboard agent on a loaded machine.
            while not (reachable(self.head_ports["RAY_PORT"]) and HEAD_STARTED in node.output()):
                if node.process.poll() is not None or time.monotonic() > deadline:
                    break
                time.sleep(1)
            else:
                return node
            node.stop()
        raise RuntimeError(f"the head did not start {attempts} times:\n{node.output()[-3000:]}")

    def start_worker(self, log_name: str = "worker.log") -> Node:
        env = {**self.node_env("worker"), "ROLE": "worker", "HEAD_ADDR": "127.0.0.1"}
        node = Node("worker", env, [], self.root / log_name)
        self.nodes.append(node)
        return node

    def stop(self) -> None:
        """Stop every node this object started, then remove its Ray folders and token."""
        for node in reversed(self.nodes):
            node.stop()
        shutil.rmtree(self.temp, ignore_errors=True)


@contextlib.contextmanager
def two_nodes(root: Path) -> Iterator[TwoNodes]:
    cluster = TwoNodes(root)
    try:
        yield cluster
    finally:
        cluster.stop()


@dataclasses.dataclass
class TrainingRun:
    """A training run on the two nodes: exit code, the head's output, node ids and what ran meanwhile."""

    code: int
    output: str
    node_ids: tuple[str, str]
    while_training: object = None


def join_worker(cluster: TwoNodes, head: Node, name: str, timeout: float, attempts: int = 8) -> Node:
    """Start the worker until the head lists two joined nodes (``wait-nodes`` prints one line each).

    On a machine loaded by other jobs a node's raylet can give up waiting for its dashboard agent
    (Ray's fixed 15 s, ray-project/ray#65983) and the node exits; it is started again.
    """
    deadline = time.monotonic() + timeout
    for attempt in range(1, attempts + 1):
        worker = cluster.start_worker(f"{name}-worker-{attempt}.log")
        while sum(line.startswith("node ") for line in head.output().splitlines()) < 2:
            if head.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not join:\n{head.output()[-3000:]}")
            if worker.process.poll() is not None:
                break
            time.sleep(1)
        else:
            return worker
    raise RuntimeError(f"the worker node failed to start {attempts} times:\n{worker.output()[-3000:]}")


def train_on_two_nodes(
    cluster: TwoNodes, train_args: list[str], name: str, timeout: float,
    while_training: Callable[[], object] | None = None, recipe: str = "cpu-smoke",
) -> TrainingRun:
    """Start the head (which trains ``recipe``) and the worker, wait for the training, stop both."""
    head = cluster.start_head(train_args, f"{name}-head.log", recipe=recipe)
    worker = None
    try:
        worker = join_worker(cluster, head, name, timeout)
        node_ids = (head.node_id(), worker.node_id())
        during = while_training() if while_training else None
        code = head.wait(timeout)
    finally:
        if worker is not None:
            worker.stop()
        head.stop()
    return TrainingRun(code, head.output(), node_ids, during)
