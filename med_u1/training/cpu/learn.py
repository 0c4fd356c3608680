"""Inputs and plan of the ``cpu-learn`` recipe: GRPO on CPU that visibly learns.

Everything is built in one folder: ``<work_dir>/tiny-qwen2`` (a tiny Qwen2 and a tokenizer
trained on the task's text), ``<work_dir>/warm-start`` (that model after a short supervised
warm start on the answer format with random answers), ``<work_dir>/data`` (parquet of
:mod:`med_u1.training.cpu.colour_task`), then verl's outputs: ``metrics.jsonl`` (one JSON object
per step), ``rollouts/<step>.jsonl`` (training generations with their rewards) and
``validation/<step>.jsonl`` (validation generations).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Sequence

from med_u1.training.cpu import colour_task
from med_u1.training.cpu.smoke import (
    checkpoint_dir,
    log_path,
    metrics_path,
    read_step_metrics,
    refuse_reference_model,
)
from med_u1.training.cpu.tiny_model import TinyModelSpec, build_tiny_model
from med_u1.training.cpu.warm_start import WarmStartSpec, warm_start
from med_u1.training.launcher import LaunchPlan, plan_launch, run
from med_u1.training.recipes import get_recipe
from med_u1.verl_ext.versions import require_tested_verl

__all__ = ["RECIPE_NAME", "cpu_learn_plan", "run_cpu_learn", "read_step_metrics", "metrics_path"]

RECIPE_NAME = "cpu-learn"
TRAIN_ROWS = 512
VAL_REPEATS = 16
"""Validation asks each colour this many times (sampled, so the accuracy is an expectation)."""
WARM_START_EXAMPLES = 256
TAGGED_SHARE = 0.3
"""Share of warm-start responses in the full ``<think>..</think><answer>..</answer>`` layout."""
SHIFTED_SHARE = 0.5
"""Share of warm-start answers that name the letter after the right one (the rest are random)."""
SEED = 0
VAL_ACC = f"val-core/{colour_task.DATA_SOURCE}/acc/mean@1"
VAL_FORMAT = f"val-aux/{colour_task.DATA_SOURCE}/format/mean@1"


def tokenizer_corpus() -> tuple[str, ...]:
    """The task's prompts and responses, so that its words are single tokens."""
    questions = colour_task.every_question(1)
    texts = [colour_task.SYSTEM_PROMPT]
    for question in questions:
        texts.append(question.text)
        texts.extend(colour_task.tagged_response(question, letter) for letter in colour_task.LETTERS)
    return tuple(texts)


# The format tags are single tokens, so the colour a response names sits a few tokens before its answer.
MODEL_SPEC = TinyModelSpec(
    corpus=tokenizer_corpus(),
    whole_tokens=("<think>", "</think>", "<answer>", "</answer>"),
    max_position_embeddings=512,
    initializer_range=0.1,  # sharper attention from the start: the answer learns to depend on the prompt
)


def warm_start_examples() -> list[tuple[list[dict], str]]:
    """(messages, response) pairs whose answers are wrong or random letters (seeded)."""
    rng = random.Random(SEED)
    return [
        (colour_task.prompt_messages(question), colour_task.warm_start_response(question, rng, TAGGED_SHARE, SHIFTED_SHARE))
        for question in colour_task.draw_questions(WARM_START_EXAMPLES, SEED + 1)
    ]


def data_paths(out_dir: Path) -> dict[str, Path]:
    return {"train": out_dir / "train.parquet", "val": out_dir / "val.parquet"}


def build_data(out_dir: Path) -> dict[str, Path]:
    """``train.parquet`` (random colours) and ``val.parquet`` (each colour equally often)."""
    train = [colour_task.verl_row(q, i, "train") for i, q in enumerate(colour_task.draw_questions(TRAIN_ROWS, SEED + 2))]
    val = [colour_task.verl_row(q, i, "test") for i, q in enumerate(colour_task.every_question(VAL_REPEATS))]
    paths = data_paths(out_dir)
    colour_task.write_parquet(train, paths["train"])
    colour_task.write_parquet(val, paths["val"])
    return paths


def warm_start_dir(work_dir: Path) -> Path:
    return work_dir / "warm-start"


def built_at_launch(work_dir: str | Path) -> set[str]:
    """The model and data paths the run builds itself (a dry run does not find them on disk)."""
    work_dir = Path(work_dir).resolve()
    return {str(warm_start_dir(work_dir)), *map(str, data_paths(work_dir / "data").values())}


def rollout_dir(work_dir: Path) -> Path:
    return work_dir / "rollouts"


def validation_dir(work_dir: Path) -> Path:
    return work_dir / "validation"


def cpu_learn_plan(work_dir: str | Path, extra_overrides: Sequence[str] = (), prepare: bool = True) -> LaunchPlan:
    """Plan the run that writes in ``work_dir``; with ``prepare``, build the model, warm start and data there first."""
    require_tested_verl()
    refuse_reference_model(extra_overrides)
    work_dir = Path(work_dir).resolve()
    model_dir, files = warm_start_dir(work_dir), data_paths(work_dir / "data")
    if prepare:
        base = build_tiny_model(work_dir / "tiny-qwen2", MODEL_SPEC)
        model_dir = warm_start(base, warm_start_dir(work_dir), warm_start_examples(), WarmStartSpec(seed=SEED))
        files = build_data(work_dir / "data")
    local_overrides = [
        f"trainer.default_local_dir={checkpoint_dir(work_dir)}",
        f"trainer.rollout_data_dir={rollout_dir(work_dir)}",
        f"trainer.validation_data_dir={validation_dir(work_dir)}",
        f"hydra.run.dir={work_dir / 'hydra'}",
    ]
    return plan_launch(
        get_recipe(RECIPE_NAME),
        extra_overrides=[*local_overrides, *extra_overrides],
        model=str(model_dir),
        train_files=str(files["train"]),
        val_files=str(files["val"]),
        env={"VERL_FILE_LOGGER_PATH": str(metrics_path(work_dir))},
    )


def summary(work_dir: str | Path) -> str:
    """Where the run's files are and how its validation accuracy and format moved."""
    work_dir = Path(work_dir)
    steps = read_step_metrics(work_dir)
    validated = [(step, metrics) for step, metrics in sorted(steps.items()) if VAL_ACC in metrics]
    lines = [
        f"log of Ray and verl: {log_path(work_dir)}",
        f"step metrics: {metrics_path(work_dir)}; dumps: {rollout_dir(work_dir)}, {validation_dir(work_dir)}",
    ]
    if validated:
        (first, start), (last, end) = validated[0], validated[-1]
        lines.append(
            f"validation accuracy {start[VAL_ACC]:.2f} (step {first}) -> {end[VAL_ACC]:.2f} (step {last}); "
            f"format {start[VAL_FORMAT]:.2f} -> {end[VAL_FORMAT]:.2f}"
        )
    return "\n".join(lines)


def run_cpu_learn(
    work_dir: str | Path,
    extra_overrides: Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> dict[int, dict]:
    """Run the cpu-learn training in ``work_dir`` and return its metrics by step."""
    plan = cpu_learn_plan(work_dir, extra_overrides)
    plan = LaunchPlan(plan.overrides, {**plan.env, **(env or {})})
    returncode = run(plan, cwd=work_dir, timeout=timeout)
    if returncode != 0:
        raise RuntimeError(f"verl's trainer exited with {returncode}; see the log above")
    return read_step_metrics(work_dir)
