"""Inputs and plan of the ``cpu-smoke`` recipe: everything is built locally in one folder.

``<work_dir>/tiny-qwen2`` (model + tokenizer), ``<work_dir>/data`` (parquet),
``<work_dir>/checkpoints`` (verl checkpoints) and ``<work_dir>/metrics.jsonl`` (verl's
file logger: one JSON object per step).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import med_u1
from med_u1.errors import UserError
from med_u1.training.launcher import LaunchPlan, plan_launch, run
from med_u1.training.recipes import get_recipe
from med_u1.training.smoke_data import build_smoke_parquet, smoke_parquet_paths
from med_u1.training.tiny_model import build_tiny_model

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
) -> LaunchPlan:
    """Plan the run that writes in ``work_dir``; with ``prepare``, build its tiny model and data there first."""
    from med_u1.training.verl_plugins import require_tested_verl

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
        get_recipe(RECIPE_NAME),
        extra_overrides=[*local_overrides, *extra_overrides],
        model=str(model_dir(work_dir)),
        train_files=str(files["train"]),
        val_files=str(files["val"]),
        env={"VERL_FILE_LOGGER_PATH": str(metrics_path(work_dir))},
    )


def run_cpu_smoke(
    work_dir: str | Path,
    shared_data_dir: str | Path | None = None,
    extra_overrides: Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> dict[int, dict]:
    """Run the cpu-smoke training in ``work_dir`` and return its metrics by step (for demos, tests)."""
    plan = cpu_smoke_plan(work_dir, shared_data_dir, extra_overrides)
    plan = LaunchPlan(plan.overrides, {**plan.env, **(env or {})})
    returncode = run(plan, cwd=work_dir, timeout=timeout)
    if returncode != 0:
        raise RuntimeError(f"verl's trainer exited with {returncode}; see the log above")
    return read_step_metrics(work_dir)


def read_step_metrics(work_dir: str | Path) -> dict[int, dict]:
    """The metrics verl's file logger wrote, by training step."""
    steps: dict[int, dict] = {}
    with metrics_path(Path(work_dir)).open() as handle:
        for line in handle:
            record = json.loads(line)
            steps.setdefault(record["step"], {}).update(record["data"])
    return steps
