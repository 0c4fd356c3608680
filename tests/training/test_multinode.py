"""verl's GRPO on two Ray nodes that ``scripts/train/multinode.sh`` starts on this machine.

The nodes are a head and a worker on 127.0.0.1, each with its own ports, Ray folder, token file
of the test's own and one logical GPU (the CPU platform trains on it): ``trainer.nnodes=2``,
one device per node. One two-node run and its resume are shared by the placement, metrics,
checkpoint, shared-memory and doctor tests: with verl's vLLM rollout where vLLM is installed (as
in CI, and as GPU recipes run), else with the hf rollout. The lost-node test runs its own three
short steps with the hf rollout, so CI runs both rollouts on two nodes. Each run takes minutes on
2 cores.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from med_u1.processes import STOP_GRACE_S, session_members
from med_u1.training.cluster_watch import placement_path
from med_u1.training.cpu.plan import checkpoint_dir, read_step_metrics
from med_u1.training.cpu.shm_sweep import SharedMemorySweeper
from two_nodes import STOP_TIMEOUT_S, TwoNodes, join_worker, train_on_two_nodes, two_nodes

pytestmark = pytest.mark.slow  # Ray clusters and verl's trainer, minutes each

RUN_TIMEOUT_S = 1800
LOST_NODE_STOP_S = 300  # a hang guard, not a speed figure: without the watch the trainer waits far longer
SOURCES = ("MedCalc-Bench", "MedIQ", "MedXpertQA", "medical-o1-reasoning-SFT")
# What the one-node cpu-smoke run reports every step (tests/training/cpu/test_smoke.py).
ONE_NODE_KEYS = {"critic/score/mean", "actor/pg_loss", "timing_s/step", "training/rollout_probs_diff_max"} | {
    f"{group}/{source}/{name}/mean@1"
    for source in SOURCES
    for group, name in (("val-core", "acc"), ("val-aux", "format"), ("val-aux", "length"))
}


#: The shared run's recipe and the Ray actor class of its rollout engine, by whether vLLM is installed.
SHARED_RUN = {True: ("cpu-smoke-vllm", "vLLMHttpServer"), False: ("cpu-smoke", "HFRolloutServer")}


# Two ranks share the 4 responses of a step: 2 each, so micro-batches of 2 (one node runs 4).
TWO_RANK_BATCHES = ("actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=2",
                    "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=2")


def latest_checkpoint(work_dir: Path) -> int:
    return int((checkpoint_dir(work_dir) / "latest_checkpointed_iteration.txt").read_text())


def step_rows(console: str) -> list[int]:
    """The steps the console's step table shows."""
    return [int(line.split()[0]) for line in console.splitlines() if line.split()[:1] and line.split()[0].isdigit()]


def doctor_report(cluster: TwoNodes) -> str:
    completed = subprocess.run([sys.executable, "-m", "med_u1.cli", "doctor"], env=cluster.client_env(),
                               capture_output=True, text=True, timeout=300)
    return completed.stdout


@pytest.fixture(scope="module")
def two_node_run(tmp_path_factory: pytest.TempPathFactory, shared_data_dir: Path, vllm_present: bool) -> dict:
    """The shared recipe on two nodes (2 steps, checkpoint at 2), then the same command with 3 steps
    (resumes); meanwhile the /dev/shm files of the nodes' processes (all descend from this test)."""
    recipe, rollout = SHARED_RUN[vllm_present]
    root = tmp_path_factory.mktemp("multinode")
    work_dir = root / "run"
    args = ["--output-dir", str(work_dir), "--shared-data", str(shared_data_dir), *TWO_RANK_BATCHES]
    observer = SharedMemorySweeper(os.getpid()).start()
    try:
        with two_nodes(root) as cluster:
            first = train_on_two_nodes(cluster, args, "first", RUN_TIMEOUT_S,
                                       while_training=lambda: doctor_report(cluster), recipe=recipe)
            assert first.code == 0, first.output[-4000:]
            result = {
                "rollout": rollout, "work_dir": work_dir, "first": first, "steps": read_step_metrics(work_dir),
                "checkpoint": latest_checkpoint(work_dir), "placement": json.loads(placement_path(work_dir).read_text()),
            }
            resumed = train_on_two_nodes(cluster, [*args, "trainer.total_training_steps=3"], "resume", RUN_TIMEOUT_S,
                                         recipe=recipe)
            assert resumed.code == 0, resumed.output[-4000:]
    finally:
        shared_memory = {path for path in observer.stop() if path.name.startswith("psm_")}
    return {**result, "resumed": resumed, "resumed_steps": read_step_metrics(work_dir),
            "resumed_checkpoint": latest_checkpoint(work_dir), "shared_memory": shared_memory}


def test_the_workers_span_both_nodes(two_node_run: dict) -> None:
    placement = two_node_run["placement"]
    head, worker = two_node_run["first"].node_ids
    assert {node["node_id"] for node in placement["nodes"]} == {head, worker}
    assert all(node["gpus"] == 1 for node in placement["nodes"])
    workers = [actor for actor in placement["actors"] if actor["role"] == "WorkerDict"]
    assert {actor["node_id"] for actor in workers} == {head, worker}  # one actor/rollout worker per node
    assert all(isinstance(actor["pid"], int) and actor["pid"] > 0 for actor in placement["actors"])
    engines = [actor for actor in placement["actors"] if actor["role"] == two_node_run["rollout"]]
    assert {actor["node_id"] for actor in engines} == {head, worker}  # one rollout engine per node
    assert "TaskRunnerV1" in {actor["role"] for actor in placement["actors"]}


def test_step_metrics_have_the_one_node_runs_keys(two_node_run: dict) -> None:
    steps = two_node_run["steps"]
    assert sorted(steps) == [1, 2]
    for metrics in steps.values():
        assert ONE_NODE_KEYS <= set(metrics)
        assert metrics["training/rollout_probs_diff_max"] < 1e-3  # the rollout serves the trained weights


def test_a_checkpoint_is_written_and_the_run_resumes_from_it(two_node_run: dict) -> None:
    assert two_node_run["checkpoint"] == 2
    assert two_node_run["resumed_checkpoint"] == 3
    assert 3 in two_node_run["resumed_steps"]
    assert step_rows(two_node_run["resumed"].output) == [3]  # steps 1 and 2 came from the checkpoint


def test_doctor_lists_both_nodes_with_their_cpus_and_gpus(two_node_run: dict) -> None:
    report = two_node_run["first"].while_training
    lines = [line for line in report.splitlines() if "ray node" in line]
    assert len(lines) == 2, report
    for node_id in two_node_run["first"].node_ids:
        assert any(node_id in line and line.endswith(": 5 CPU, 1 GPU") for line in lines), report


def wait_for_step(work_dir: Path, step: int, head, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while step not in read_step_metrics(work_dir):
        assert head.process.poll() is None, head.output()[-4000:]
        assert time.monotonic() < deadline, head.output()[-4000:]
        time.sleep(2)


def wait_for_training(head, work_dir: Path, attempt: int, timeout: float) -> int:
    """Until the head's trainer has started attempt ``attempt``'s training loop (verl opened its
    metrics file); the trainer's pid."""
    metrics = work_dir / ("metrics.jsonl" if attempt == 1 else f"metrics.attempt-{attempt}.jsonl")
    deadline = time.monotonic() + timeout
    while not metrics.exists():
        assert head.process.poll() is None and time.monotonic() < deadline, head.output()[-4000:]
        time.sleep(1)
    children = psutil.Process(head.process.pid).children(recursive=True)
    return next(child.pid for child in children if "verl.trainer.main_ppo" in " ".join(child.cmdline()))


def stop_head_while_training(cluster: TwoNodes, args: list[str], work_dir: Path, attempt: int) -> None:
    """SIGTERM to the head's script alone while it trains: the trainer's session, the script's
    session (its Ray node) and then the worker (SIGTERM to its script alone) end, and the head
    says how to resume."""
    head = cluster.start_head(args, "stopped-head.log")
    worker = join_worker(cluster, head, "stopped", RUN_TIMEOUT_S)
    trainer = wait_for_training(head, work_dir, attempt, RUN_TIMEOUT_S)
    head.process.send_signal(signal.SIGTERM)
    assert head.wait(STOP_GRACE_S + STOP_TIMEOUT_S) == 143, head.output()[-4000:]
    assert sessions_end([trainer, head.process.pid]), "processes of the stopped head outlived it"
    assert "medu1: stopped by SIGTERM; run the same command again to resume" in head.output()
    worker.process.send_signal(signal.SIGTERM)
    worker.wait(STOP_TIMEOUT_S)
    assert sessions_end([worker.process.pid]), "processes of the stopped worker outlived it"


def sessions_end(sids: list[int], timeout: float = STOP_TIMEOUT_S) -> bool:
    """Whether every process of the sessions ``sids`` ends within ``timeout`` (Ray's workers follow
    their raylet within seconds)."""
    deadline = time.monotonic() + timeout
    while any(session_members(sid) for sid in sids):
        if time.monotonic() > deadline:
            return False
        time.sleep(1)
    return True


def test_a_lost_node_stops_the_run_with_one_line_and_the_same_command_resumes(
    tmp_path: Path, shared_data_dir: Path
) -> None:
    """A lost worker stops the run; the same command, stopped with SIGTERM while it trains, then
    run again, resumes and finishes."""
    work_dir = tmp_path / "run"
    args = ["--output-dir", str(work_dir), "--shared-data", str(shared_data_dir), *TWO_RANK_BATCHES,
            "trainer.total_training_steps=3", "trainer.save_freq=1", "trainer.test_freq=-1"]
    with two_nodes(tmp_path) as cluster:
        head = cluster.start_head(args, "lost-head.log")
        worker = join_worker(cluster, head, "lost", RUN_TIMEOUT_S)
        wait_for_step(work_dir, 1, head, RUN_TIMEOUT_S)
        lost = worker.node_id()
        worker.raylet().kill()  # the node goes during step 2
        assert head.wait(LOST_NODE_STOP_S) != 0
        lines = [line for line in head.output().splitlines() if "lost Ray node" in line]
        assert len(lines) == 1 and lost in lines[0], head.output()[-4000:]
        assert latest_checkpoint(work_dir) >= 1
        worker.stop()
        stop_head_while_training(cluster, args, work_dir, attempt=2)
        back = train_on_two_nodes(cluster, args, "back", RUN_TIMEOUT_S)
    assert back.code == 0, back.output[-4000:]
    assert latest_checkpoint(work_dir) == 3
    assert 1 not in step_rows(back.output) and 3 in step_rows(back.output)  # resumed, not trained from the start



def test_no_shared_memory_file_of_the_run_is_left(two_node_run: dict) -> None:
    files = two_node_run["shared_memory"]
    if two_node_run["rollout"] == "vLLMHttpServer":
        assert files, "vLLM's engines map /dev/shm files: the observer should have seen them"
    assert not [path for path in files if path.exists()]
