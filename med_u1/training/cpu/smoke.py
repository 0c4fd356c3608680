"""Inputs and plan of the ``cpu-smoke`` recipe: everything is built locally in one folder.

``<work_dir>/tiny-qwen2`` (model + tokenizer), ``<work_dir>/data`` (parquet),
``<work_dir>/checkpoints`` (verl checkpoints), ``<work_dir>/metrics.jsonl`` (verl's
file logger: one JSON object per step) and ``<work_dir>/train.log`` (Ray's and verl's output).
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Sequence, TextIO

import med_u1
from med_u1.errors import UserError
from med_u1.training.cpu.quiet_run import log_tail, run_logged
from med_u1.training.cpu.smoke_data import build_smoke_parquet, smoke_parquet_paths
from med_u1.training.cpu.tiny_model import build_tiny_model
from med_u1.training.launcher import LaunchPlan, plan_launch
from med_u1.training.recipes import RECIPES, get_recipe

RECIPE_NAME = "cpu-smoke"


def default_shared_data_dir() -> Path:
    """``../shared/data`` next to the repository (used when it exists)."""
    return Path(med_u1.__file__).resolve().parents[2] / "shared" / "data"


def metrics_path(work_dir: Path) -> Path:
    return work_dir / "metrics.jsonl"


def checkpoint_dir(work_dir: Path) -> Path:
    return work_dir / "checkpoints"


REFERENCE_MODEL_SWITCHES = ("actor_rollout_ref.actor.use_kl_loss", "algorithm.use_kl_in_reward")


def refuse_reference_model(overrides: Sequence[str]) -> None:
    """A KL reference model cannot run on CPU: verl's FSDP2 reference engine pins host memory."""
    for override in overrides:
        key, _, value = override.lstrip("+").partition("=")
        if key in REFERENCE_MODEL_SWITCHES and value.strip().lower() == "true":
            raise UserError(
                f"{override}: a KL reference model needs an accelerator (verl builds it with "
                "CPUOffloadPolicy(pin_memory=True)); the CPU run trains without KL"
            )


def model_dir(work_dir: Path) -> Path:
    return work_dir / "tiny-qwen2"


def built_at_launch(work_dir: str | Path) -> set[str]:
    """The model and data paths the run builds itself (a dry run does not find them on disk)."""
    work_dir = Path(work_dir).resolve()
    return {str(model_dir(work_dir)), *map(str, smoke_parquet_paths(work_dir / "data").values())}


def cpu_smoke_plan(
    work_dir: str | Path,
    shared_data_dir: str | Path | None = None,
    extra_overrides: Sequence[str] = (),
    prepare: bool = True,
    recipe_name: str = RECIPE_NAME,
) -> LaunchPlan:
    """Plan the run of ``recipe_name`` (cpu-smoke or cpu-smoke-vllm) that writes in ``work_dir``.

    With ``prepare``, build its tiny model and data there first.
    """
    from med_u1.verl_ext.versions import require_tested_verl

    require_tested_verl()  # fail here, not inside a Ray worker
    refuse_reference_model(extra_overrides)
    work_dir = Path(work_dir).resolve()
    files = smoke_parquet_paths(work_dir / "data")
    if prepare:
        build_tiny_model(model_dir(work_dir))
        files = build_smoke_parquet(work_dir / "data", shared_data_dir)
    local_overrides = [
        f"trainer.default_local_dir={checkpoint_dir(work_dir)}",
        f"hydra.run.dir={work_dir / 'hydra'}",
    ]
    return plan_launch(
        get_recipe(recipe_name),
        extra_overrides=[*local_overrides, *extra_overrides],
        model=str(model_dir(work_dir)),
        train_files=str(files["train"]),
        val_files=str(files["val"]),
        env={"VERL_FILE_LOGGER_PATH": str(metrics_path(work_dir))},
    )


def log_path(work_dir: Path) -> Path:
    return work_dir / "train.log"


def run_cpu_smoke(
    work_dir: str | Path,
    shared_data_dir: str | Path | None = None,
    extra_overrides: Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float | None = None,
    console: TextIO | None = None,
    recipe_name: str = RECIPE_NAME,
) -> dict[int, dict]:
    """Run the cpu-smoke (or cpu-smoke-vllm) training in ``work_dir`` and return its metrics by step."""
    quiet_model_building()
    plan = cpu_smoke_plan(work_dir, shared_data_dir, extra_overrides, recipe_name=recipe_name)
    return run_quietly(LaunchPlan(plan.overrides, {**plan.env, **(env or {})}), work_dir, timeout, console)


def quiet_model_building() -> None:
    """No transformers progress bars while the tiny model is saved (the console shows the training's)."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()


def run_quietly(plan: LaunchPlan, work_dir: str | Path, timeout: float | None = None, console: TextIO | None = None) -> dict[int, dict]:
    """Run ``plan`` in ``work_dir`` with Ray's and verl's output in ``train.log`` and a progress bar on the console.

    A failed run shows the end of the log and raises a UserError naming the whole log.
    """
    work_dir = Path(work_dir)
    console = console or sys.stdout
    log = log_path(work_dir)
    returncode = run_logged(plan, work_dir, log, metrics_path(work_dir), timeout, console)
    if returncode != 0:
        console.write(f"--- the last lines of {log} ---\n{log_tail(log)}---\n")
        raise UserError(f"verl's trainer exited with status {returncode}; the end of its log is above, all of it in {log}")
    return read_step_metrics(work_dir)


def summary(work_dir: str | Path) -> str:
    """Where the run's files are and why its reward does not rise (wrapped for a terminal)."""
    work_dir = Path(work_dir)
    learning = (
        "`medu1 train --preset cpu-learn` is the CPU run where a policy visibly learns."
        if "cpu-learn" in RECIPES else "A run that shows learning needs a real model (see the GPU recipes)."
    )
    why = (
        "Why the reward does not rise: the policy is a randomly initialised 2-layer Qwen2, so its answers are "
        "random tokens cut at the 32-token limit. None has the <think>/<answer> format or a right answer; what "
        "is left is the length term, below zero because each prompt asks for 100 or more thinking tokens, and "
        "two GRPO steps cannot find the format by chance. This run checks that rollout, reward, update, "
        f"validation and checkpoint work together on your install. {learning}"
    )
    return "\n".join([
        f"log of Ray and verl: {log_path(work_dir)}",
        f"step metrics: {metrics_path(work_dir)}; checkpoints: {checkpoint_dir(work_dir)}",
        textwrap.fill(why, width=100),
    ])


def read_step_metrics(work_dir: str | Path) -> dict[int, dict]:
    """The metrics verl's file logger wrote, by training step."""
    steps: dict[int, dict] = {}
    with metrics_path(Path(work_dir)).open() as handle:
        for line in handle:
            record = json.loads(line)
            steps.setdefault(record["step"], {}).update(record["data"])
    return steps
