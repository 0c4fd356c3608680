"""The quiet runner's pieces: reading verl's metrics file as it grows, the step line, the step count."""

from __future__ import annotations

import json
from pathlib import Path

from med_u1.training.cpu.quiet_run import STEP_HEADER, step_row, total_steps
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
