"""A run folder's records over several attempts: merged once per step, and what a new attempt does.

The folders here are written as verl writes them (its file logger's lines, its checkpoint
tracker and ``global_step_N`` folders); the CPU tests in ``tests/training/cpu/test_plan.py``
run verl itself through the same code, killed and resumed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from med_u1.errors import UserError
from med_u1.training.launcher import LaunchPlan
from med_u1.training.run_folder import RunFolder, Start, dump_folders


def train_line(step: int, score: float) -> str:
    return json.dumps({"step": step, "data": {"training/global_step": step, "critic/score/mean": score}}) + "\n"


def write_checkpoints(folder: RunFolder, *steps: int) -> None:
    for step in steps:
        (folder.checkpoints / f"global_step_{step}" / "actor").mkdir(parents=True)
    (folder.checkpoints / "latest_checkpointed_iteration.txt").write_text(str(max(steps)))


def attempt(folder: RunFolder, start: Start, *lines: str) -> None:
    """One attempt as the trainer runs it: ledger entry, then verl's file logger writes ``lines``."""
    record = folder.begin(start)
    folder.metrics_file(record.number).write_text("".join(lines))


@pytest.fixture
def folder(tmp_path: Path) -> RunFolder:
    return RunFolder(tmp_path / "run", tmp_path / "run" / "checkpoints")


def test_a_resumed_attempt_replaces_only_the_steps_after_its_checkpoint(folder: RunFolder) -> None:
    attempt(folder, Start("fresh", 0, 4), train_line(1, 0.1), train_line(2, 0.2), train_line(3, 0.3))
    write_checkpoints(folder, 1, 2)  # killed during step 4, after logging step 3 but before checkpointing it
    start = folder.plan_start(4)
    assert (start.action, start.step) == ("resume", 2)
    assert "trainer.val_before_train=False" in start.overrides
    attempt(folder, start, train_line(3, 0.33), train_line(4, 0.4))
    steps = folder.step_metrics()
    assert {step: m["critic/score/mean"] for step, m in steps.items()} == {1: 0.1, 2: 0.2, 3: 0.33, 4: 0.4}
    assert [p.name for p in folder.metrics_files()] == ["metrics.jsonl", "metrics.attempt-2.jsonl"]
    assert folder.metrics_file(1).read_text().count("\n") == 3  # the first attempt's file is never rewritten


def test_the_half_written_last_line_of_a_killed_attempt_is_skipped(folder: RunFolder, caplog) -> None:
    attempt(folder, Start("fresh", 0, 3), train_line(1, 0.1), train_line(2, 0.2)[:25])
    assert list(folder.step_metrics()) == [1]
    assert "metrics.jsonl:2: skipped" in caplog.text


def test_a_complete_run_has_nothing_to_do(folder: RunFolder) -> None:
    attempt(folder, Start("fresh", 0, 2), train_line(1, 0.1), train_line(2, 0.2))
    write_checkpoints(folder, 2)
    start = folder.plan_start(2)
    assert start.action == "done"
    assert start.message.startswith(f"nothing to do: already at step 2 of 2 in {folder.root}")
    assert "--output-dir" in start.message and "--overwrite" in start.message
    assert folder.plan_start(3).action == "resume"  # more steps asked: it trains on


def test_a_complete_run_without_checkpoints_is_known_from_its_metrics(folder: RunFolder) -> None:
    attempt(folder, Start("fresh", 0, 2), train_line(1, 0.1), train_line(2, 0.2))
    assert folder.plan_start(2).action == "done"


def test_records_without_a_checkpoint_are_not_trained_over(folder: RunFolder) -> None:
    attempt(folder, Start("fresh", 0, 5), train_line(1, 0.1))
    with pytest.raises(UserError, match=r"holds steps 1-1 of an earlier run but no checkpoint.*--overwrite"):
        folder.plan_start(5)


def test_resume_mode_disable_over_a_run_is_refused(folder: RunFolder) -> None:
    attempt(folder, Start("fresh", 0, 5), train_line(1, 0.1))
    write_checkpoints(folder, 1)
    with pytest.raises(UserError, match=r"trainer.resume_mode=disable would train over the run .* \(at step 1\)"):
        folder.plan_start(5, ["trainer.resume_mode=disable"])


def test_a_checkpoint_whose_metrics_were_never_logged_is_trained_again(folder: RunFolder) -> None:
    attempt(folder, Start("fresh", 0, 3), train_line(1, 0.1))
    write_checkpoints(folder, 1, 2)  # killed after saving step 2, before logging it
    start = folder.plan_start(3)
    assert start.step == 1
    assert f"trainer.resume_from_path={folder.checkpoints / 'global_step_1'}" in start.overrides
    assert "trainer.resume_mode=resume_path" in start.overrides
    assert "step 2 was checkpointed but its metrics were never logged" in start.message


def test_the_user_s_val_before_train_is_kept_on_resume(folder: RunFolder) -> None:
    attempt(folder, Start("fresh", 0, 3), train_line(1, 0.1))
    write_checkpoints(folder, 1)
    assert folder.plan_start(3, ["trainer.val_before_train=True"]).overrides == ()


def test_a_folder_from_before_the_ledger_reads_as_one_attempt(folder: RunFolder) -> None:
    folder.root.mkdir(parents=True)
    folder.metrics_file(1).write_text(train_line(1, 0.1) + train_line(2, 0.2))
    assert list(folder.step_metrics()) == [1, 2]
    assert folder.begin(Start("resume", 2, 3)).number == 2


def test_each_attempt_gets_its_own_file_logger_path(folder: RunFolder) -> None:
    plan = LaunchPlan(("a=1",), {"X": "1"})
    first = folder.begin(Start("fresh", 0, 2))
    second = folder.begin(Start("resume", 1, 2, ("trainer.val_before_train=False",)))
    assert folder.attempt_plan(plan, Start("fresh", 0, 2), first).env == {
        "X": "1", "VERL_FILE_LOGGER_PATH": str(folder.root / "metrics.jsonl")}
    resumed = folder.attempt_plan(plan, Start("resume", 1, 2, ("trainer.val_before_train=False",)), second)
    assert resumed.env["VERL_FILE_LOGGER_PATH"] == str(folder.root / "metrics.attempt-2.jsonl")
    assert resumed.overrides == ("a=1", "trainer.val_before_train=False")


def test_overwrite_removes_the_run_s_records_and_nothing_outside_it(folder: RunFolder, tmp_path: Path) -> None:
    attempt(folder, Start("fresh", 0, 2), train_line(1, 0.1))
    write_checkpoints(folder, 1)
    (folder.root / "rollouts").mkdir()
    (folder.root / "data").mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    overrides = [f"trainer.rollout_data_dir={folder.root / 'rollouts'}", f"trainer.validation_data_dir={outside}"]
    removed = folder.remove_records(dump_folders(overrides))
    assert {path.name for path in removed} == {"checkpoints", "metrics.jsonl", "attempts.jsonl", "rollouts"}
    assert outside.is_dir() and (folder.root / "data").is_dir()
    assert folder.plan_start(2).action == "fresh"


def test_an_attempt_on_a_ray_cluster_sends_its_own_metrics_path_to_the_workers(folder: RunFolder) -> None:
    from med_u1.training.launcher import LaunchPlan, joining_overrides

    env = {"VERL_PLATFORM": "cpu", "VERL_FILE_LOGGER_PATH": str(folder.root / "metrics.jsonl")}
    plan = LaunchPlan(tuple(joining_overrides(["+ray_kwargs.ray_init.address=127.0.0.1:6379"], env)), env)
    attempt(folder, Start("fresh", 0, 3), train_line(1, 0.1))
    start = Start("resume", 1, 3)
    second = folder.attempt_plan(plan, start, folder.begin(start))
    forwarded = [o for o in second.overrides if "env_vars.VERL_FILE_LOGGER_PATH" in o]
    assert forwarded == [f"+ray_kwargs.ray_init.runtime_env.env_vars.VERL_FILE_LOGGER_PATH="
                         f"'{second.env['VERL_FILE_LOGGER_PATH']}'"]
    assert second.env["VERL_FILE_LOGGER_PATH"] != env["VERL_FILE_LOGGER_PATH"]
