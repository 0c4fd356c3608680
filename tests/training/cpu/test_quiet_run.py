"""The quiet runner's pieces: reading verl's metrics file and log as they grow, the step line, the step count."""

from __future__ import annotations

import json
from pathlib import Path

from med_u1.training.cpu.quiet_run import START_PHASES, STEP_HEADER, StartupPhases, step_row, total_steps
from med_u1.training.launcher import LaunchPlan
from med_u1.training.metrics import MetricsTail


def test_metrics_tail_returns_each_complete_line_once(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    tail = MetricsTail(path)
    assert tail.read() == []  # not written yet
    first = json.dumps({"step": 1, "data": {"critic/score/mean": -0.2}})
    second = json.dumps({"step": 2, "data": {"critic/score/mean": -0.3}})
    path.write_text(first + "\n" + second[:10])  # the second line half written
    assert tail.read() == [(1, {"critic/score/mean": -0.2})]
    with path.open("a") as handle:
        handle.write(second[10:] + "\n")
    assert tail.read() == [(2, {"critic/score/mean": -0.3})]
    assert tail.read() == []


def test_step_row_averages_validation_parts_over_sources() -> None:
    metrics = {"critic/score/mean": -0.25, "timing_s/step": 3.0, "val-core/MedQA/acc/mean@1": 1.0,
               "val-core/MedIQ/acc/mean@1": 0.0, "val-aux/MedQA/format/mean@1": 0.5, "val-aux/MedIQ/format/mean@1": 0.5}
    row = step_row(2, metrics)
    assert row.split() == ["2", "-0.250", "0.50", "0.50", "3.0"]
    assert len(row) <= len(STEP_HEADER) + 2


def test_total_steps_is_the_last_override_of_the_key() -> None:
    plan = LaunchPlan(("trainer.total_training_steps=2", "a=1", "trainer.total_training_steps=5"), {})
    assert total_steps(plan) == 5
    assert total_steps(LaunchPlan(("a=1",), {})) is None


def test_startup_phases_are_said_once_each_in_order_from_this_attempts_log(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    earlier_attempt = "(TaskRunner pid=1) INFO: create worker group dict_keys(['actor_rollout'])\n$ python -m verl...\n"
    log.write_text(earlier_attempt)
    phases = StartupPhases(log, offset=len(earlier_attempt))
    assert phases.read() == []  # the earlier attempt's lines are not this one's
    messages = [message for _, message in START_PHASES]
    with log.open("a") as handle:
        handle.write("2026-12-08 00:33:52 INFO worker.py:2029 -- Started a local Ray instance. View the dashboard\n")
        handle.write("(TaskRunnerV1 pid=6117) INFO:2026-12-08 00:34:28,783:create worker gr")  # half written
    assert phases.read() == messages[:1]
    with log.open("a") as handle:
        handle.write("oup dict_keys(['actor_rollout'])\n(WorkerDict pid=6949) Loading weights\n")
        handle.write("(TaskRunnerV1 pid=6117) INFO: create worker group dict_keys(['actor_rollout'])\n")  # said once
    assert phases.read() == messages[1:2]
    with log.open("a") as handle:  # a later phase's line ends the ones its output skipped
        handle.write("(TaskRunnerV1 pid=6117) INFO:2026-12-08 00:35:04,606:all initialize finished, ready to fit\n")
        handle.write("(TaskRunnerV1 pid=6117) INFO: actor and ref model engine initialized\n")
    assert phases.read() == messages[3:4]
    assert phases.read() == []
