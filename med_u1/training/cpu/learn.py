"""The ``cpu-learn`` run: GRPO on CPU that visibly learns.

It builds ``<work_dir>/tiny-qwen2`` (a tiny Qwen2 and a tokenizer trained on the task's text),
``<work_dir>/warm-start`` (that model after a short supervised warm start on the answer format
with random answers) and ``<work_dir>/data`` (parquet of :mod:`med_u1.training.cpu.colour_task`);
verl also dumps ``rollouts/<step>.jsonl`` (training generations with their rewards) and
``validation/<step>.jsonl`` (validation generations) there. The rest of its folder is every
CPU run's (:mod:`med_u1.training.cpu.plan`).
"""

from __future__ import annotations

import random
from pathlib import Path

from med_u1.training.cpu import colour_task
from med_u1.training.cpu.plan import CpuRun, data_paths, files_line, log_path, read_step_metrics, rollout_dir, validation_dir
from med_u1.training.cpu.tiny_model import TinyModelSpec, build_tiny_model
from med_u1.training.cpu.warm_start import WarmStartSpec, warm_start

RECIPE_NAME = "cpu-learn"
MODEL_FOLDER = "warm-start"
"""The warm-started model verl trains (``tiny-qwen2`` is the model before the warm start)."""
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


def build_data(work_dir: Path) -> None:
    """``data/train.parquet`` (random colours) and ``data/val.parquet`` (each colour equally often)."""
    train = [colour_task.verl_row(q, i, "train") for i, q in enumerate(colour_task.draw_questions(TRAIN_ROWS, SEED + 2))]
    val = [colour_task.verl_row(q, i, "test") for i, q in enumerate(colour_task.every_question(VAL_REPEATS))]
    paths = data_paths(work_dir)
    colour_task.write_parquet(train, paths["train"])
    colour_task.write_parquet(val, paths["val"])


def build(work_dir: Path, shared_data_dir: Path | None = None) -> None:
    """The tiny model, its warm start on the answer format, and the colour-task data (no shared records)."""
    base = build_tiny_model(work_dir / "tiny-qwen2", MODEL_SPEC)
    warm_start(base, work_dir / MODEL_FOLDER, warm_start_examples(), WarmStartSpec(seed=SEED))
    build_data(work_dir)


def summary(work_dir: str | Path) -> str:
    """Where the run's files are and how its validation accuracy and format moved."""
    work_dir = Path(work_dir)
    steps = read_step_metrics(work_dir)
    validated = [(step, metrics) for step, metrics in sorted(steps.items()) if VAL_ACC in metrics]
    lines = [
        f"log of Ray and verl: {log_path(work_dir)}",
        files_line(work_dir),
        f"dumps: {rollout_dir(work_dir)}, {validation_dir(work_dir)}",
    ]
    if validated:
        (first, start), (last, end) = validated[0], validated[-1]
        lines.append(
            f"validation accuracy {start[VAL_ACC]:.2f} (step {first}) -> {end[VAL_ACC]:.2f} (step {last}); "
            f"format {start[VAL_FORMAT]:.2f} -> {end[VAL_FORMAT]:.2f}"
        )
    return "\n".join(lines)


RUN = CpuRun(RECIPE_NAME, MODEL_FOLDER, build, summary, builds="the tiny model, its warm start and the colour-task data",
             dumps=True)
