"""Watch a training run on a Ray cluster: record where its workers run, stop it when a node is lost.

``medu1 train`` starts this beside verl's trainer whenever the run joins a running cluster
(``+ray_kwargs.ray_init.address=...``). It joins the cluster as a second driver, finds the
trainer's Ray job by the trainer's process id, and every few seconds:

* writes ``placement.json`` in the run folder: the alive nodes (id, address, CPUs, GPUs) and
  each actor of the job (its class, i.e. the role: ``WorkerDict`` is verl's colocated
  actor/rollout worker group, ``TaskRunnerV1`` the driver loop, ``HFRolloutServer`` the rollout;
  its Ray name, node id and process id);
* when a node that held one of the job's actors is no longer alive, writes one line naming the
  node to ``lost_node.txt`` and stops the trainer's process group. Without this, verl's
  survivors can wait on the lost peers until the collective timeout (many minutes) with no
  word; Ray marks a node dead a few health checks (seconds) after its raylet goes.

It uses Ray's public state API (``ray.util.state``), served by the head's dashboard.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Iterator, Sequence

from med_u1.processes import stop_session

PLACEMENT_FILE = "placement.json"
LOST_NODE_FILE = "lost_node.txt"
POLL_S = 2.0
AFTER_EXIT_S = 60.0  # Ray declares a node dead a few missed health checks (3 s apart) after it goes

logger = logging.getLogger(__name__)


def placement_path(run_dir: Path) -> Path:
    return Path(run_dir) / PLACEMENT_FILE


def lost_node_path(run_dir: Path) -> Path:
    return Path(run_dir) / LOST_NODE_FILE


def local_actor_pids(run_dir: Path) -> list[int]:
    """Process ids of the run's actors that run on this machine, from ``placement.json`` (none before it exists).

    A node is on this machine when its address is one of this machine's; a process counts only
    while it is still a Ray worker (a reused process id is someone else's).
    """
    import psutil

    try:
        placement = json.loads(placement_path(run_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    here = {address.address for addresses in psutil.net_if_addrs().values() for address in addresses}
    local_nodes = {node["node_id"] for node in placement.get("nodes", []) if node.get("address") in here}
    pids = []
    for actor in placement.get("actors", []):
        if actor.get("node_id") in local_nodes and actor.get("pid"):
            with contextlib.suppress(psutil.Error):
                command = psutil.Process(actor["pid"]).cmdline()
                if command and command[0].startswith("ray::"):
                    pids.append(actor["pid"])
    return pids


def node_record(node: dict) -> dict:
    resources = node.get("Resources", {})
    return {"node_id": node["NodeID"], "address": node.get("NodeManagerAddress"),
            "cpus": resources.get("CPU", 0), "gpus": resources.get("GPU", 0)}


def actor_record(actor) -> dict:
    """Role (the class name without its defining scope: verl builds ``WorkerDict`` inside a function), name, node, pid."""
    role = actor.class_name.rsplit(".", 1)[-1]
    return {"role": role, "name": actor.name or None, "node_id": actor.node_id, "pid": actor.pid}


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` whole or not at all (readers never see half a file)."""
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)


def lost_node_line(node: dict, roles: Sequence[str]) -> str:
    return (f"lost Ray node {node['node_id']} ({node['address']}) while training; it ran {', '.join(sorted(set(roles)))}. "
            "Training stopped; once the node is back, run the same command to resume from the last checkpoint")


class Watch:
    """What the watch knows of one job: its id, the nodes seen alive and where its actors ran."""

    def __init__(self, address: str, driver_pid: int, run_dir: Path):
        self.address = address  # the state API needs it when several Ray instances share the machine
        self.driver_pid = str(driver_pid)
        self.run_dir = Path(run_dir)
        self.job_id: str | None = None
        self.nodes: dict[str, dict] = {}
        self.actors: dict[str, dict] = {}

    def find_job(self) -> str | None:
        from ray.util.state import list_jobs

        for job in list_jobs(address=self.address, detail=True):
            driver = getattr(job, "driver_info", None)
            if driver is not None and str(driver.pid) == self.driver_pid and job.status == "RUNNING":
                return job.job_id
        return None

    def poll(self) -> str | None:
        """Refresh nodes and actors, rewrite ``placement.json``; the lost-node line, if a node went."""
        import ray
        from ray.util.state import list_actors

        alive = {node["NodeID"]: node_record(node) for node in ray.nodes() if node.get("Alive")}
        self.nodes.update(alive)
        lost = self.lost_node(set(alive))
        if lost:  # the state API may not answer for a while now
            return lost
        self.job_id = self.job_id or self.find_job()
        if self.job_id is None:
            return None
        for actor in list_actors(address=self.address, filters=[("job_id", "=", self.job_id), ("state", "=", "ALIVE")],
                                 detail=True):
            self.actors[actor.actor_id] = actor_record(actor)
        write_json(placement_path(self.run_dir), {
            "job_id": self.job_id,
            "nodes": [self.nodes[node] for node in sorted(self.nodes)],
            "actors": sorted(self.actors.values(), key=lambda a: (a["role"], a["name"] or "", a["pid"] or 0)),
        })
        return None

    def lost_node(self, alive: set[str]) -> str | None:
        """The line naming a node that ran one of the job's actors and is no longer alive, if any."""
        for node_id in sorted({actor["node_id"] for actor in self.actors.values()} - alive):
            if node_id in self.nodes:
                roles = [a["role"] for a in self.actors.values() if a["node_id"] == node_id]
                return lost_node_line(self.nodes[node_id], roles)
        return None


def driver_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def watch(address: str, driver_pid: int, run_dir: Path, poll_s: float = POLL_S) -> int:
    """Watch until a node of the run is lost (3, the trainer stopped) or the trainer is gone (0).

    Once the trainer is gone the watch keeps looking for ``AFTER_EXIT_S`` seconds: a trainer that
    failed because a node went often exits before Ray has declared the node dead. The launcher
    stops the watch at once when the trainer succeeded.
    """
    from med_u1.training.cluster import connect

    connect(address)
    state = Watch(address, driver_pid, run_dir)
    gone_at = None
    while True:
        running = driver_running(driver_pid)
        gone_at = gone_at or (None if running else time.monotonic())
        try:
            lost = state.poll()
        except Exception as error:  # the state API can fail for a moment while a node goes down
            logger.warning("cluster watch: %s: %s", type(error).__name__, error)
            lost = None
        if lost:
            lost_node_path(run_dir).write_text(lost + "\n", encoding="utf-8")
            print(lost, file=sys.stderr, flush=True)
            if running:
                stop_session(driver_pid)
            return 3
        if gone_at is not None and time.monotonic() - gone_at > AFTER_EXIT_S:
            return 0
        time.sleep(poll_s)


def lost_node_message(run_dir: Path) -> str | None:
    """The lost-node line the watch of the last run in ``run_dir`` wrote, if it wrote one."""
    path = lost_node_path(run_dir)
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


@contextlib.contextmanager
def watching(address: str | None, trainer: subprocess.Popen, run_dir: Path, log: IO[str]) -> Iterator[None]:
    """Watch ``trainer`` on the cluster at ``address`` (nothing to watch when None).

    When the trainer failed, the watch gets up to ``AFTER_EXIT_S`` seconds to tell whether a
    node was lost (``lost_node_message`` then names it); when it succeeded, it is stopped at once.
    """
    if address is None:
        yield
        return
    lost_node_path(run_dir).unlink(missing_ok=True)
    placement_path(run_dir).unlink(missing_ok=True)  # an earlier attempt's actors are not this one's
    command = [sys.executable, "-m", __name__, "--address", address, "--driver-pid", str(trainer.pid),
               "--run-dir", str(run_dir)]
    watcher = subprocess.Popen(command, stdout=log, stderr=log)
    try:
        yield
    finally:
        try:
            if trainer.poll() == 0:
                watcher.terminate()
            watcher.wait(timeout=AFTER_EXIT_S + 30)
        except subprocess.TimeoutExpired:
            watcher.kill()
            watcher.wait(timeout=30)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m med_u1.training.cluster_watch", description=__doc__.split("\n")[0])
    parser.add_argument("--address", required=True, help="the Ray cluster's address (host:port or auto)")
    parser.add_argument("--driver-pid", type=int, required=True, help="the trainer's pid, also its process group")
    parser.add_argument("--run-dir", type=Path, required=True, help="where placement.json and lost_node.txt go")
    parser.add_argument("--poll", type=float, default=POLL_S)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    return watch(args.address, args.driver_pid, args.run_dir, args.poll)


if __name__ == "__main__":
    sys.exit(main())
