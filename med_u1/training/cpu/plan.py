"""One plan for the CPU runs: verl's trainer in one folder; the runs differ only in the model and data they build.

A CPU run's folder holds what it builds (the model verl trains and ``data/train.parquet``,
``data/val.parquet``) and what verl writes: ``checkpoints/``, ``metrics.jsonl`` (verl's file
logger; ``metrics.attempt-N.jsonl`` for a later attempt), ``attempts.jsonl`` and ``train.log``
(Ray's and verl's output, each attempt appended). See :mod:`med_u1.training.run_folder`.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Callable, Sequence, TextIO

from med_u1.errors import UserError
from med_u1.training.launcher import LaunchPlan, plan_launch
from med_u1.training.metrics import Metrics, by_step, read_metrics_lines
from med_u1.training.recipes import get_recipe
from med_u1.training.run_folder import Attempt, RunFolder, Start, last_override

REFERENCE_MODEL_SWITCHES = ("actor_rollout_ref.actor.use_kl_loss", "algorithm.use_kl_in_reward")


@dataclasses.dataclass(frozen=True)
class CpuRun:
    """A CPU recipe: what it builds in its folder before verl starts, and how it sums up a run."""

    recipe: str
    model_folder: str
    """The folder (inside the run folder) of the model verl trains."""
    build: Callable[[Path, Path | None], None]
    """Build the model and ``data/{train,val}.parquet`` in a run folder (given the shared dev records folder)."""
    summary: Callable[[Path], str]
    """Where a finished run's files are and what its metrics say."""
    builds: str
    """What ``build`` makes, as the console names it while it works."""
    dumps: bool = False
    """Whether verl dumps rollouts and validation generations into the folder by default."""


def data_paths(work_dir: Path) -> dict[str, Path]:
    return {"train": work_dir / "data" / "train.parquet", "val": work_dir / "data" / "val.parquet"}


def checkpoint_dir(work_dir: Path) -> Path:
    return Path(work_dir) / "checkpoints"


def log_path(work_dir: Path) -> Path:
    return Path(work_dir) / "train.log"


def rollout_dir(work_dir: Path) -> Path:
    return Path(work_dir) / "rollouts"


def validation_dir(work_dir: Path) -> Path:
    return Path(work_dir) / "validation"


def built_at_launch(run: CpuRun, work_dir: str | Path) -> set[str]:
    """The model and data paths the run builds itself (a dry run does not find them on disk)."""
    work_dir = Path(work_dir).resolve()
    return {str(work_dir / run.model_folder), *map(str, data_paths(work_dir).values())}


def refuse_reference_model(overrides: Sequence[str]) -> None:
    """A KL reference model cannot run on CPU: verl's FSDP2 reference engine pins host memory."""
    for override in overrides:
        key, _, value = override.lstrip("+").partition("=")
        if key in REFERENCE_MODEL_SWITCHES and value.strip().lower() == "true":
            raise UserError(
                f"{override}: a KL reference model needs an accelerator (verl builds it with "
                "CPUOffloadPolicy(pin_memory=True)); the CPU run trains without KL"
            )


def cpu_plan(
    run: CpuRun,
    work_dir: str | Path,
    shared_data_dir: str | Path | None = None,
    extra_overrides: Sequence[str] = (),
    prepare: bool = True,
) -> LaunchPlan:
    """Plan ``run`` in ``work_dir``; with ``prepare``, build its model and data there first."""
    from med_u1.verl_ext.versions import require_tested_verl

    require_tested_verl()  # fail here, not inside a Ray worker
    refuse_reference_model(extra_overrides)
    work_dir = Path(work_dir).resolve()
    if prepare:
        run.build(work_dir, Path(shared_data_dir) if shared_data_dir else None)
    dumps = [f"trainer.rollout_data_dir={rollout_dir(work_dir)}",
             f"trainer.validation_data_dir={validation_dir(work_dir)}"] if run.dumps else []
    local_overrides = [f"trainer.default_local_dir={checkpoint_dir(work_dir)}", *dumps, f"hydra.run.dir={work_dir / 'hydra'}"]
    files = data_paths(work_dir)
    return plan_launch(
        get_recipe(run.recipe),
        extra_overrides=[*local_overrides, *extra_overrides],
        model=str(work_dir / run.model_folder),
        train_files=str(files["train"]),
        val_files=str(files["val"]),
    )


def run_folder(work_dir: str | Path, plan: LaunchPlan) -> RunFolder:
    """The records of the run in ``work_dir`` (checkpoints where the plan puts them; relative to the folder)."""
    work_dir = Path(work_dir).resolve()
    checkpoints = Path(last_override(plan.overrides, "trainer.default_local_dir") or checkpoint_dir(work_dir))
    return RunFolder(work_dir, checkpoints if checkpoints.is_absolute() else work_dir / checkpoints)


def plan_start(run: CpuRun, work_dir: str | Path, shared_data_dir: str | Path | None = None,
               extra_overrides: Sequence[str] = ()) -> tuple[RunFolder, Start]:
    """The run folder and what a new attempt there does (nothing is built or written)."""
    from med_u1.training.cpu.quiet_run import total_steps

    plan = cpu_plan(run, work_dir, shared_data_dir, extra_overrides, prepare=False)
    folder = run_folder(work_dir, plan)
    return folder, folder.plan_start(total_steps(plan), extra_overrides)


def train(
    run: CpuRun,
    work_dir: str | Path,
    shared_data_dir: str | Path | None = None,
    extra_overrides: Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float | None = None,
    console: TextIO | None = None,
) -> dict[int, Metrics]:
    """Train ``run`` in ``work_dir``: from scratch, resumed, or not at all when it is complete.

    Says on ``console`` which (nothing for a fresh start) and returns the metrics this
    attempt logged, by step (empty when there was nothing to do).
    """
    console = console or sys.stdout
    folder, start = plan_start(run, work_dir, shared_data_dir, extra_overrides)
    if start.message:
        console.write(start.message + "\n")
    if start.action == "done":
        return {}
    quiet_model_building()
    prepare = start.action == "fresh" or not all(Path(path).exists() for path in built_at_launch(run, work_dir))
    if prepare:
        console.write(f"building {run.builds} in {folder.root}\n")
        console.flush()
    plan = cpu_plan(run, work_dir, shared_data_dir, extra_overrides, prepare=prepare)
    attempt = folder.begin(start)
    plan = folder.attempt_plan(LaunchPlan(plan.overrides, {**plan.env, **(env or {})}), start, attempt)
    return run_quietly(plan, folder, attempt, start, timeout, console)


def quiet_model_building() -> None:
    """No transformers progress bars while the tiny model is saved (the console shows the training's)."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()


def run_quietly(plan: LaunchPlan, folder: RunFolder, attempt: Attempt, start: Start, timeout: float | None = None,
                console: TextIO | None = None) -> dict[int, Metrics]:
    """Run ``plan`` in the folder with Ray's and verl's output appended to ``train.log``, a progress bar on the console.

    A failed run shows the end of the log and raises a UserError naming the whole log.
    """
    from med_u1.training.cluster_watch import lost_node_message
    from med_u1.training.cpu.quiet_run import log_tail, run_logged

    console = console or sys.stdout
    log = log_path(folder.root)
    metrics = folder.metrics_file(attempt.number)
    header = f"# attempt {attempt.number}: {start.message}\n" if start.action == "resume" else ""
    returncode = None
    try:
        returncode = run_logged(plan, folder.root, log, metrics, timeout, console, log_header=header)
    finally:
        folder.finish(attempt, returncode)
    lost_node = lost_node_message(folder.root)
    if returncode != 0 and lost_node:
        raise UserError(lost_node)
    if returncode != 0:
        console.write(f"--- the last lines of {log} ---\n{log_tail(log)}---\n")
        raise UserError(f"verl's trainer exited with status {returncode}; the end of its log is above, all of it in {log}")
    return by_step(read_metrics_lines(metrics)) if metrics.is_file() else {}


def read_step_metrics(work_dir: str | Path) -> dict[int, Metrics]:
    """The run's metrics by step, over all its attempts (each step once)."""
    return RunFolder(Path(work_dir)).step_metrics()


def files_line(work_dir: Path) -> str:
    """Where a run's step metrics and checkpoints are."""
    folder = RunFolder(work_dir)
    metrics = ", ".join(str(path) for path in folder.metrics_files()) or str(folder.metrics_file(1))
    return f"step metrics: {metrics}; checkpoints: {folder.checkpoints}"
