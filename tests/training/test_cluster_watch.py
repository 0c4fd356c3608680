"""Which of a cluster run's actors the /dev/shm sweep may watch: Ray workers on this machine only."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from med_u1.training.cluster_watch import local_actor_pids, placement_path, write_json


def titled_as_ray_worker(pid: int, timeout: float = 30) -> None:
    """Until bash has replaced itself with the titled process."""
    deadline = time.monotonic() + timeout
    while not "".join(psutil.Process(pid).cmdline()[:1]).startswith("ray::"):
        assert time.monotonic() < deadline, "the stand-in process never took its Ray title"
        time.sleep(0.05)


@pytest.mark.slow
def test_only_ray_workers_on_nodes_of_this_machine_are_watched(tmp_path: Path) -> None:
    # A process titled as Ray titles its workers, and the test's own process (not a Ray worker).
    worker = subprocess.Popen(["bash", "-c", "exec -a ray::vLLMHttpServer sleep 60"])
    remote = subprocess.Popen(["bash", "-c", "exec -a ray::WorkerDict sleep 60"])
    try:
        for process in (worker, remote):
            titled_as_ray_worker(process.pid)
        write_json(placement_path(tmp_path), {
            "nodes": [{"node_id": "here", "address": "127.0.0.1"}, {"node_id": "there", "address": "192.0.2.200"}],
            "actors": [
                {"role": "vLLMHttpServer", "node_id": "here", "pid": worker.pid},
                {"role": "TaskRunnerV1", "node_id": "here", "pid": os.getpid()},
                {"role": "WorkerDict", "node_id": "there", "pid": remote.pid},  # same id, another machine's
                {"role": "WorkerDict", "node_id": "here", "pid": None},
            ],
        })
        assert local_actor_pids(tmp_path) == [worker.pid]
    finally:
        worker.kill()
        remote.kill()
        worker.wait()
        remote.wait()
    assert local_actor_pids(tmp_path) == []  # gone, so nothing to watch


def test_no_placement_file_means_no_actors(tmp_path: Path) -> None:
    assert local_actor_pids(tmp_path) == []
