"""A run's schedule from its resolved config and the number of training rows.

verl draws ``data.train_batch_size`` prompts per step (the last incomplete batch of an
epoch is dropped), samples ``rollout.n`` responses for each, and updates the actor once per
mini-batch of ``ppo_mini_batch_size`` prompts, ``ppo_epochs`` times over the step's batch.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Sequence

from omegaconf import DictConfig, ListConfig


@dataclasses.dataclass(frozen=True)
class Schedule:
    """The arithmetic of one training run."""

    rows: int
    prompts_per_step: int
    responses_per_step: int
    responses_per_update: int
    updates_per_step: int
    steps_per_epoch: int
    epochs: int
    total_steps: int
    total_updates: int

    def lines(self) -> list[str]:
        return [f"{field.name.replace('_', ' ')}: {getattr(self, field.name)}" for field in dataclasses.fields(self)]


def plan_schedule(config: DictConfig, rows: int) -> Schedule:
    """The schedule ``config`` gives ``rows`` training prompts (before any length filter)."""
    actor = config.actor_rollout_ref.actor
    prompts_per_step = int(config.data.train_batch_size)
    responses_per_prompt = int(config.actor_rollout_ref.rollout.n)
    mini_batch = int(actor.ppo_mini_batch_size)
    steps_per_epoch = rows // prompts_per_step
    epochs = int(config.trainer.total_epochs)
    total_steps = config.trainer.total_training_steps or steps_per_epoch * epochs
    updates_per_step = int(actor.ppo_epochs) * -(-prompts_per_step // mini_batch)
    return Schedule(
        rows=rows,
        prompts_per_step=prompts_per_step,
        responses_per_step=prompts_per_step * responses_per_prompt,
        responses_per_update=mini_batch * responses_per_prompt,
        updates_per_step=updates_per_step,
        steps_per_epoch=steps_per_epoch,
        epochs=epochs,
        total_steps=int(total_steps),
        total_updates=int(total_steps) * updates_per_step,
    )


def train_file_paths(train_files: str | Sequence[str]) -> list[Path]:
    """The training files of ``data.train_files`` (a path or a list of paths)."""
    if isinstance(train_files, (list, tuple, ListConfig)):
        return [Path(str(path)) for path in train_files]
    return [Path(str(train_files))]


def count_rows(paths: Sequence[Path]) -> int | None:
    """Rows in the parquet files (from their footers), or None when one is missing."""
    import pyarrow.parquet as pq

    if not all(path.is_file() for path in paths):
        return None
    return sum(pq.ParquetFile(path).metadata.num_rows for path in paths)


def schedule_report(config: DictConfig) -> str:
    """The ``# schedule`` section of a dry run, or a note when the training files are not there yet."""
    paths = train_file_paths(config.data.train_files)
    rows = count_rows(paths)
    if rows is None:
        missing = ", ".join(str(path) for path in paths if not path.is_file())
        return f"# schedule\n(not computed: training file(s) not found: {missing})\n"
    return "# schedule\n" + "\n".join(plan_schedule(config, rows).lines()) + "\n"
