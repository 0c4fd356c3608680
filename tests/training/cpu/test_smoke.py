"""verl's own trainer runs GRPO on CPU: the cpu-smoke preset end to end, and the weight sync.

Each run starts ``python -m verl.trainer.main_ppo`` with its own local Ray cluster
(about 90 s on 2 cores); the module runs four of them.
"""

from __future__ import annotations

import contextlib
import io
import json
import shlex
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from transformers import AutoModelForCausalLM

from med_u1.cli import main as medu1_main
from med_u1.training.cpu import smoke as cpu_smoke
from med_u1.training.cpu.plan import checkpoint_dir, read_step_metrics, train
from med_u1.training.commands import CHECKING_LINE
from med_u1.training.cpu.quiet_run import START_PHASES, STEP_HEADER, starting_line
from med_u1.verl_ext.hf_rollout import SYNC_ENV_VAR

pytestmark = pytest.mark.slow

RUN_TIMEOUT_S = 600
DOCS_ANALYSIS = Path(__file__).resolve().parents[3] / "docs" / "analysis.md"
DOCS_RUN_FOLDER = "outputs/cpu-smoke-dumps"
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


def docs_analysis_commands(work_dir: Path) -> list[list[str]]:
    """The `medu1` commands of the Analysis example (docs/analysis.md) on its run folder, moved to ``work_dir``."""
    block = DOCS_ANALYSIS.read_text(encoding="utf-8").split("```bash\n", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("medu1 ") and DOCS_RUN_FOLDER in line:
            line = line.replace(f"$PWD/{DOCS_RUN_FOLDER}", str(work_dir)).replace(DOCS_RUN_FOLDER, str(work_dir))
            commands.append(shlex.split(line)[1:])
    return commands


def train_argv(work_dir: Path, shared_data_dir: Path) -> list[str]:
    """The Analysis example's training command in ``work_dir``, on the shared dev records."""
    train = docs_analysis_commands(work_dir)[0]
    assert train[:3] == ["train", "--recipe", "cpu-smoke"] and "trainer.rollout_data_dir" in " ".join(train)
    return [*train, "--shared-data", str(shared_data_dir)]


@pytest.fixture(scope="module")
def smoke_console(tmp_path_factory: pytest.TempPathFactory, shared_data_dir: Path) -> tuple[Path, str]:
    """The Analysis example's ``medu1 train --recipe cpu-smoke`` (dumping rollouts and validation generations) in a
    fresh folder, as a user runs it: its folder and console."""
    work_dir = tmp_path_factory.mktemp("cpu-smoke")
    console = io.StringIO()
    with contextlib.redirect_stdout(console):
        assert medu1_main(train_argv(work_dir, shared_data_dir)) == 0
    return work_dir, console.getvalue()


@pytest.fixture(scope="module")
def smoke_run(smoke_console: tuple[Path, str]) -> Path:
    return smoke_console[0]


def test_console_is_short_and_the_log_holds_ray_and_verl_output(smoke_console: tuple[Path, str]) -> None:
    work_dir, console = smoke_console
    lines = console.splitlines()
    assert len(lines) <= 20, console  # a line per start-up phase, header, 2 steps, summary: one screen
    header = lines.index(STEP_HEADER)
    assert lines[:header] == [
        CHECKING_LINE, f"building {cpu_smoke.RUN.builds} in {work_dir.resolve()}", starting_line(work_dir / "train.log"),
        *(message for _, message in START_PHASES),
    ]
    assert [line.split()[0] for line in lines[header + 1:header + 3]] == ["1", "2"]
    assert f"log of Ray and verl: {work_dir / 'train.log'}" in console and "Why the reward does not rise" in console
    log = (work_dir / "train.log").read_text()
    assert log.startswith("$ ") and "verl.trainer.main_ppo" in log.splitlines()[0]
    assert len(log.splitlines()) > 100 and "Ray" in log  # what used to flood the console


def run_sync_probe(work_dir: Path, shared_data_dir: Path, sync: bool) -> dict[int, dict]:
    env = {SYNC_ENV_VAR: "1" if sync else "0"}
    return train(cpu_smoke.RUN, work_dir, shared_data_dir, SYNC_PROBE_OVERRIDES, env, RUN_TIMEOUT_S)


def test_two_grpo_steps_report_reward_and_its_components(smoke_run: Path) -> None:
    steps = read_step_metrics(smoke_run)
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
    checkpoints = checkpoint_dir(smoke_run)
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
    console = io.StringIO()
    steps = train(cpu_smoke.RUN, work_dir, shared_data_dir, ["trainer.total_training_steps=3"], timeout=RUN_TIMEOUT_S,
                  console=console)
    assert sorted(steps) == [3]  # steps 1 and 2 came from the checkpoint, not from training again
    assert (checkpoint_dir(work_dir) / "latest_checkpointed_iteration.txt").read_text().strip() == "3"
    assert console.getvalue().startswith(f"resuming from step 2 of 3 (checkpoint in {checkpoint_dir(work_dir)})")
    # The first attempt's records are kept as they were; the run's metrics hold each step once.
    assert (work_dir / "metrics.jsonl").read_bytes() == (smoke_run / "metrics.jsonl").read_bytes()
    assert (work_dir / "train.log").read_text().startswith((smoke_run / "train.log").read_text())
    merged, first = read_step_metrics(work_dir), read_step_metrics(smoke_run)
    assert sorted(merged) == [1, 2, 3] and merged[1] == first[1] and merged[2] == first[2]
    assert merged[3] == steps[3]


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its content."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_a_finished_run_rerun_trains_nothing_and_keeps_its_records(smoke_run: Path, shared_data_dir: Path) -> None:
    before = folder_bytes(smoke_run)
    console = io.StringIO()
    with contextlib.redirect_stdout(console):
        assert medu1_main(train_argv(smoke_run, shared_data_dir)) == 0  # the same command again
    assert console.getvalue().startswith(f"{CHECKING_LINE}\nnothing to do: already at step 2 of 2 in {smoke_run} ")
    assert "--output-dir" in console.getvalue() and "--overwrite" in console.getvalue()
    assert folder_bytes(smoke_run) == before  # metrics, dumps, checkpoints and log byte for byte
    console = io.StringIO()
    with contextlib.redirect_stdout(console):
        assert medu1_main(["demo", "--work-dir", str(smoke_run)]) == 0  # `medu1 demo` twice in one folder
    assert "nothing to do: already at step 2 of 2" in console.getvalue()
    assert "step 1 acc/format/length" in console.getvalue()  # the table still sums the run up
    assert folder_bytes(smoke_run) == before


def test_the_docs_analysis_example_analyses_and_plots_its_run(smoke_run: Path) -> None:
    analyze, plot = docs_analysis_commands(smoke_run)[1:]
    assert analyze[0] == "analyze" and plot[0] == "plot"
    assert medu1_main(analyze) == 0 and medu1_main(plot) == 0
    report = json.loads((smoke_run / "analysis" / "steps.json").read_text())
    assert {(row["series"], row["step"]) for row in report["steps"]} == {
        ("rollouts", 1), ("rollouts", 2), ("validation", 1), ("validation", 2)}
    assert {path.name for path in (smoke_run / "plots").iterdir()} == {"reward_length.png", "components.png", "stages.png"}


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

    table = training_table(read_step_metrics(smoke_run)).splitlines()
    assert table[0].split("  ")[0] == "data source" and "step 1 acc/format/length" in table[0] and "step 2" in table[0]
    assert [line.split()[0] for line in table[2:]] == sorted(SOURCES)
    assert "nan" not in " ".join(table[2:]) and max(map(len, table)) <= 100  # fits a terminal


def read_dumps(*folders: Path) -> dict[tuple[str, int], list[dict]]:
    """verl's generation dumps, ``(folder name, step) -> lines``."""
    return {
        (folder.name, int(dump.stem)): [json.loads(line) for line in dump.read_text().splitlines()]
        for folder in folders
        for dump in folder.glob("*.jsonl")
    }


def test_analyze_and_plot_read_the_runs_dumps_and_metrics(smoke_run: Path, tmp_path: Path) -> None:
    rollouts, validation = smoke_run / "rollouts", smoke_run / "validation"
    analysis = tmp_path / "analysis"
    tokenizer = smoke_run / "tiny-qwen2"
    argv = ["analyze", str(rollouts), str(validation), "--out", str(analysis), "--tokenizer", str(tokenizer)]
    assert medu1_main(argv) == 0
    report = json.loads((analysis / "steps.json").read_text())
    dumps = read_dumps(rollouts, validation)
    assert set(dumps) == {("rollouts", 1), ("rollouts", 2), ("validation", 1), ("validation", 2)}
    assert {(row["series"], row["step"]) for row in report["steps"]} == set(dumps)
    assert report["bad_lines"]["count"] == 0
    for row in report["steps"]:
        lines = dumps[(row["series"], row["step"])]
        assert row["responses"] == len(lines)
        # validation dumps carry the reward manager's response_tokens; verl's rollout dumps carry no reward fields
        assert row["tokens_counted"] == ("given" if row["series"] == "validation" else "tokenizer")
        assert row["mean_reward"] == pytest.approx(statistics.mean(line["score"] for line in lines))
        assert sum(row[key] for key in row if key.startswith("stage:")) == pytest.approx(1.0)
        if row["series"] == "validation":  # the reward's own verdicts are in the validation dump
            assert row["format_rate"] == pytest.approx(statistics.mean(line["format"] > 0 for line in lines))
            assert row["accuracy"] == pytest.approx(statistics.mean(line["acc"] for line in lines))
    plots = tmp_path / "plots"
    assert medu1_main(["plot", str(smoke_run), "--out", str(plots), "--analysis", str(analysis)]) == 0
    assert {path.name for path in plots.iterdir()} == {"reward_length.png", "components.png", "stages.png"}
