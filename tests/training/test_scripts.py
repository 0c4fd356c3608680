"""Every training script dry-runs to a valid verl config without starting anything."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from med_u1.training.launcher import plan_launch, resolve_config
from med_u1.training.recipes import get_recipe

SCRIPTS_DIR = Path(__file__).resolve().parents[2] / "scripts" / "train"
SINGLE_RUN_SCRIPTS = [
    "medu1_grpo.sh", "medu1_grpo_nobudget.sh", "r1zero_grpo.sh", "r1zero_grpo_lora.sh", "medrlvr_ppo.sh",
]


def dry_run(script: str, *args: str, **env: str) -> str:
    completed = subprocess.run(
        ["bash", str(SCRIPTS_DIR / script), *args, "--dry-run"],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout


def test_every_script_is_covered() -> None:
    covered = set(SINGLE_RUN_SCRIPTS) | {"l1_two_phase.sh", "multinode.sh", "cpu_smoke.sh", "cpu_learn.sh"}
    assert {path.name for path in SCRIPTS_DIR.glob("*.sh")} == covered


def printed_config(out: str) -> dict:
    """The YAML a dry run with ``--show-config`` prints under ``# resolved verl config``."""
    section = out.split("# resolved verl config\n", 1)[1]
    return yaml.safe_load(re.split(r"^# ", section, maxsplit=1, flags=re.MULTILINE)[0])


@pytest.mark.slow
@pytest.mark.parametrize("script", SINGLE_RUN_SCRIPTS)
def test_script_dry_run_resolves_its_recipes_config(script: str) -> None:
    out = dry_run(script, "--show-config")
    recipe = get_recipe(re.search(r"medu1 train --recipe (\S+)", (SCRIPTS_DIR / script).read_text()).group(1))
    assert "# command" in out and "# resolved verl config" in out
    printed = printed_config(out)
    assert printed["reward"]["reward_manager"]["name"] == "med_u1"
    assert printed["actor_rollout_ref"]["model"]["path"] == recipe.model
    assert printed["data"]["train_files"] == recipe.train_files
    # A script may name its run (r1zero-dataset1); everything else is the recipe's.
    run_name = [f"trainer.experiment_name={printed['trainer']['experiment_name']}"]
    assert printed == OmegaConf.to_container(resolve_config(plan_launch(recipe, run_name).overrides))


@pytest.mark.slow
def test_r1zero_dataset_choice_reaches_the_data_files() -> None:
    out = dry_run("r1zero_grpo.sh", "--show-config", DATASET="dataset2")
    assert "processed_data/r1zero_dataset2_train.parquet" in out
    assert "experiment_name: r1zero-dataset2" in out


@pytest.mark.slow
def test_l1_two_phase_dry_runs_phase_one_and_prints_the_merge_and_phase_two() -> None:
    out = dry_run("l1_two_phase.sh")
    assert out.count("# resolved verl config") == 1  # phase 2's model does not exist before the merge
    assert "[dry-run] python -m verl.model_merger merge --backend fsdp" in out
    assert "[dry-run] medu1 train --recipe l1-max --model checkpoints/med-u1/l1-exact/merged" in out


@pytest.mark.slow
def test_multinode_head_dry_run_sets_nnodes_and_joins_the_cluster() -> None:
    out = dry_run("multinode.sh", "medu1-grpo", "--show-config", NNODES="2", GPUS_PER_NODE="8")
    assert "[dry-run] ray start --head --port=6379 --num-gpus=8 --block" in out
    assert "nnodes: 2" in out and "address: 127.0.0.1:6379" in out


@pytest.mark.slow
def test_multinode_dry_run_passes_the_ports_and_folders_one_host_needs() -> None:
    out = dry_run("multinode.sh", ROLE="worker", HEAD_ADDR="10.0.0.1", RAY_PORT="7000", NUM_CPUS="5",
                  NODE_IP="10.0.0.2", NODE_MANAGER_PORT="7101", MIN_WORKER_PORT="7200", MAX_WORKER_PORT="7240",
                  RAY_TEMP_DIR="/tmp/rw")
    assert out.strip() == ("[dry-run] ray start --address=10.0.0.1:7000 --num-cpus=5 --node-ip-address=10.0.0.2 "
                           "--temp-dir=/tmp/rw --node-manager-port=7101 --min-worker-port=7200 "
                           "--max-worker-port=7240 --num-gpus=8 --block")


def run_worker(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPTS_DIR / "multinode.sh")], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "ROLE": "worker", "HEAD_ADDR": "127.0.0.1", **env})


@pytest.mark.slow
def test_multinode_worker_without_the_heads_token_says_where_to_put_it(tmp_path: Path) -> None:
    token = tmp_path / "auth_token"
    completed = run_worker(tmp_path, RAY_AUTH_TOKEN_PATH=str(token))
    assert completed.returncode == 2
    assert f"no Ray token at {token}" in completed.stderr and "copy the head's token" in completed.stderr


@pytest.mark.slow
def test_multinode_worker_fails_at_once_when_the_head_does_not_answer(tmp_path: Path) -> None:
    token = tmp_path / "auth_token"
    token.write_text("0" * 64)
    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    completed = run_worker(tmp_path, RAY_AUTH_TOKEN_PATH=str(token), RAY_PORT=str(port))
    assert completed.returncode == 2
    assert f"cannot reach the Ray head at 127.0.0.1:{port}" in completed.stderr


@pytest.mark.slow
def test_cpu_smoke_script_dry_run(tmp_path: Path) -> None:
    out = dry_run("cpu_smoke.sh", "--output-dir", str(tmp_path), "--show-config")
    assert "VERL_PLATFORM=cpu" in out
    assert "name: hf" in out


@pytest.mark.slow
def test_cpu_learn_dry_run_names_its_model_data_and_dumps_and_builds_nothing(tmp_path: Path) -> None:
    work_dir = tmp_path / "run"
    out = dry_run("cpu_learn.sh", "--output-dir", str(work_dir), "--show-config")
    assert f"rollout_data_dir: {work_dir}/rollouts" in out
    assert f"validation_data_dir: {work_dir}/validation" in out
    assert f"path: {work_dir}/warm-start" in out
    assert not work_dir.exists()  # the model, warm start and data are built at launch
