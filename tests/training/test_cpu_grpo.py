"""verl's own trainer runs GRPO on CPU: the cpu-smoke preset end to end, and the weight sync.

Each run starts ``python -m verl.trainer.main_ppo`` with its own local Ray cluster
(about 90 s on 2 cores); the module runs four of them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from transformers import AutoModelForCausalLM

from med_u1.cli import main as medu1_main
from med_u1.training import cpu_smoke
from med_u1.training.hf_rollout import SYNC_ENV_VAR

RUN_TIMEOUT_S = 600
SOURCES = ("MedCalc-Bench", "MedIQ", "MedXpertQA", "medical-o1-reasoning-SFT")
PROBE_REWARD = Path(__file__).with_name("probe_reward.py")
# Three steps at a large learning rate, with a reward that varies inside each group, move the
# policy enough for a stale rollout model to show in training/rollout_probs_diff_max.
SYNC_PROBE_OVERRIDES = (
    "trainer.total_training_steps=3",
    "actor_rollout_ref.actor.optim.lr=3e-3",
    "trainer.save_freq=-1",
    "trainer.test_freq=-1",
    f"reward.custom_reward_function.path={PROBE_REWARD}",
)


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory, shared_data_dir: Path) -> Path:
    """``medu1 train --preset cpu-smoke`` exactly as a user runs it."""
    work_dir = tmp_path_factory.mktemp("cpu-smoke")
    argv = ["train", "--preset", "cpu-smoke", "--output-dir", str(work_dir), "--shared-data", str(shared_data_dir)]
    assert medu1_main(argv) == 0
    return work_dir


def run_sync_probe(work_dir: Path, shared_data_dir: Path, sync: bool) -> dict[int, dict]:
    env = {SYNC_ENV_VAR: "1" if sync else "0"}
    return cpu_smoke.run_cpu_smoke(work_dir, shared_data_dir, SYNC_PROBE_OVERRIDES, env, RUN_TIMEOUT_S)


def test_two_grpo_steps_report_reward_and_its_components(smoke_run: Path) -> None:
    steps = cpu_smoke.read_step_metrics(smoke_run)
    assert sorted(steps) == [1, 2]
    for metrics in steps.values():
        assert {"critic/score/mean", "actor/pg_loss", "timing_s/step"} <= set(metrics)
        for source in SOURCES:  # validation every step scores every data source with med_u1
            assert f"val-core/{source}/acc/mean@1" in metrics
            assert f"val-aux/{source}/format/mean@1" in metrics
            assert f"val-aux/{source}/length/mean@1" in metrics
        # The med_u1 reward's length term makes untrained 32-token answers score below zero.
        assert metrics["critic/score/mean"] < 0


@pytest.fixture(scope="module")
def merged_model(smoke_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's last checkpoint merged into a Hugging Face model by verl's model merger."""
    checkpoints = cpu_smoke.checkpoint_dir(smoke_run)
    assert (checkpoints / "latest_checkpointed_iteration.txt").read_text().strip() == "2"
    merged = tmp_path_factory.mktemp("merged") / "model"
    subprocess.run(
        [sys.executable, "-m", "verl.model_merger", "merge", "--backend", "fsdp",
         "--local_dir", str(checkpoints / "global_step_2" / "actor"), "--target_dir", str(merged)],
        check=True, capture_output=True, timeout=300,
    )
    return merged


def test_checkpoint_is_written_and_merges_to_a_loadable_hf_model(smoke_run: Path, merged_model: Path) -> None:
    merged = merged_model
    trained = AutoModelForCausalLM.from_pretrained(merged)
    initial = AutoModelForCausalLM.from_pretrained(smoke_run / "tiny-qwen2")
    trained_state, initial_state = trained.state_dict(), initial.state_dict()
    assert trained_state.keys() == initial_state.keys()
    changed = [
        name for name in initial_state
        if not torch.equal(trained_state[name].float(), initial_state[name].to(trained_state[name].dtype).float())
    ]
    assert len(changed) > len(initial_state) // 2  # two optimizer steps moved most tensors
    output = trained.generate(torch.tensor([[1, 2, 3]]), max_new_tokens=4, do_sample=False)
    assert output.shape[1] > 3  # the reloaded model generates


def test_the_merged_model_is_evaluated_by_medu1_eval(merged_model: Path, shared_data_dir: Path, tmp_path: Path) -> None:
    raws = [json.loads(line)["raw"] for line in (shared_data_dir / "dev" / "mediq.jsonl").open(encoding="utf-8")]
    pq.write_table(pa.Table.from_pylist(raws), tmp_path / "mediq_release.parquet")
    build = ["data", "build", "--dataset", "medu1", "--input", str(tmp_path / "mediq_release.parquet"), "--split", "test",
             "--do_normal", "--name", "mediq", "--local_dir", str(tmp_path / "data")]
    assert medu1_main(build) == 0
    run = tmp_path / "eval"
    argv = ["eval", "--model", str(merged_model), "--data", str(tmp_path / "data"), "--benchmarks", "mediq",
            "--out", str(run), "--limit", "4", "--max_tokens", "16", "--num_tokens", "own,-8"]
    assert medu1_main(argv) == 0
    for name in ("config.json", "generations.jsonl", "scores.jsonl", "metrics.json", "report.md"):
        assert (run / name).is_file()
    results = json.loads((run / "metrics.json").read_text())["results"]
    assert [(r["benchmark"], r["budget"], r["items"]) for r in results] == [("mediq", None, 4), ("mediq", -8, 4)]
    assert results[1]["max_budget_violation_rate"] is not None
    assert "| model " in (run / "report.md").read_text() and "MediQ" in (run / "report.md").read_text()
    assert (run / "plots" / "accuracy_per_benchmark.png").is_file() and (run / "plots" / "length_vs_budget.png").is_file()


def test_training_resumes_from_the_checkpoint_through_verl(smoke_run: Path, tmp_path: Path, shared_data_dir: Path) -> None:
    work_dir = tmp_path / "resumed"
    shutil.copytree(smoke_run, work_dir)
    steps = cpu_smoke.run_cpu_smoke(work_dir, shared_data_dir, ["trainer.total_training_steps=3"], timeout=RUN_TIMEOUT_S)
    assert sorted(steps) == [3]  # steps 1 and 2 came from the checkpoint, not from training again
    assert (cpu_smoke.checkpoint_dir(work_dir) / "latest_checkpointed_iteration.txt").read_text().strip() == "3"


def test_weight_sync_keeps_rollout_and_actor_policies_equal(tmp_path: Path, shared_data_dir: Path) -> None:
    synced = run_sync_probe(tmp_path / "synced", shared_data_dir, sync=True)
    stale = run_sync_probe(tmp_path / "stale", shared_data_dir, sync=False)
    synced_diffs = [synced[step]["training/rollout_probs_diff_max"] for step in (1, 2, 3)]
    stale_diffs = [stale[step]["training/rollout_probs_diff_max"] for step in (1, 2, 3)]
    assert max(synced_diffs) < 1e-3
    # Step 1 rolls out with the initial weights either way; later steps diverge without the push.
    assert stale_diffs[0] < 1e-3
    assert stale_diffs[2] > 5 * max(synced_diffs)


def test_demo_training_table_summarises_the_run(smoke_run: Path) -> None:
    from med_u1.demo import training_table

    table = training_table(cpu_smoke.read_step_metrics(smoke_run)).splitlines()
    assert all(f"{source} acc/format/length" in table[0] for source in SOURCES)
    assert [line.split()[0] for line in table[2:]] == ["1", "2"]
    assert "nan" not in " ".join(table[2:])
