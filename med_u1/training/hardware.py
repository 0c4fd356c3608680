"""What each training recipe needs from the hardware, as figures ``medu1 doctor --recipe`` checks.

The GPU count is the recipe's own (``trainer.nnodes`` x ``trainer.n_gpus_per_node`` in its
overrides, none with ``trainer.device=cpu``). The rest is declared here, keyed by recipe name:
the fewest GPUs the recipe can be scaled down to with ``--gpus-per-node``, the card size, and
host memory and CPU cores per node. These are this project's estimates for the recipes as
configured, not measurements on GPUs: every GPU process loads the weights through host memory,
offloaded parameters and optimizer states live there, and so does Ray's object store. The papers
name GPU models only for Medical R1-Zero (4 A100-40GB, DeepSpeed ZeRO-3 with CPU offload, TRL).
The CPU figures are cpu-smoke's, measured on the 2-core development machine (cpu-learn is
assumed to need the same).
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

from med_u1.training.recipes import Recipe

#: A card counts as an N GB card when it reports at least this share of N GiB (an 80 GB A100
#: reports 80 GiB, an 80 GB H100 about 79.2 GiB, a 40 GB A100 about 39.4 GiB).
GPU_MEMORY_TOLERANCE = 0.95
#: verl's defaults when a recipe does not set them (``trainer.nnodes``, ``trainer.n_gpus_per_node``).
VERL_DEFAULT_TOPOLOGY = {"trainer.nnodes": 1, "trainer.n_gpus_per_node": 8}


@dataclasses.dataclass(frozen=True)
class DeclaredFigures:
    """What a recipe's overrides do not say: the fewest GPUs it scales down to, memory per GPU and
    per node (GiB), and CPU cores per node."""

    min_gpus: int
    gpu_memory_gib: float
    host_memory_gib: float
    cpu_cores: int


@dataclasses.dataclass(frozen=True)
class HardwareNeeds:
    """A recipe's hardware: GPUs as configured and the fewest it can run on, memory per GPU and per
    node (GiB), and CPU cores per node."""

    gpus: int
    min_gpus: int
    gpu_memory_gib: float
    host_memory_gib: float
    cpu_cores: int


CPU_RUN = DeclaredFigures(min_gpus=0, gpu_memory_gib=0, host_memory_gib=3, cpu_cores=2)
# Qwen2.5-3B, FSDP actor and reference, vLLM rollouts: 80 GB cards, down to 4 of them with
# --gpus-per-node 4 (the batch sizes divide by 4).
QWEN_3B_RUN = DeclaredFigures(min_gpus=4, gpu_memory_gib=80, host_memory_gib=64, cpu_cores=16)

RECIPE_FIGURES: dict[str, DeclaredFigures] = {
    "cpu-smoke": CPU_RUN,
    "cpu-smoke-vllm": CPU_RUN,
    "cpu-learn": CPU_RUN,
    "medu1-grpo": QWEN_3B_RUN,
    "medu1-grpo-nobudget": QWEN_3B_RUN,
    "l1-exact": QWEN_3B_RUN,
    "l1-max": QWEN_3B_RUN,
    "medrlvr-ppo": QWEN_3B_RUN,
    # HuatuoGPT-o1-7B full fine-tuning with vLLM TP 2 and the actor's parameters and optimizer
    # states offloaded to host memory (about 200 GB of it).
    "r1zero-grpo": DeclaredFigures(min_gpus=8, gpu_memory_gib=80, host_memory_gib=200, cpu_cores=32),
    # The same model with LoRA rank 64: only the adapter is trained, so 40 GB cards suffice.
    "r1zero-grpo-lora": DeclaredFigures(min_gpus=4, gpu_memory_gib=40, host_memory_gib=128, cpu_cores=16),
}


def configured_gpus(overrides: Sequence[str]) -> int:
    """GPUs a recipe's Hydra overrides ask for: nodes x GPUs per node, 0 with ``trainer.device=cpu``."""
    settings = dict(override.split("=", 1) for override in overrides if "=" in override)
    if settings.get("trainer.device") == "cpu":
        return 0
    topology = {key: int(settings.get(key, default)) for key, default in VERL_DEFAULT_TOPOLOGY.items()}
    return topology["trainer.nnodes"] * topology["trainer.n_gpus_per_node"]


def hardware_needs(recipe: Recipe) -> HardwareNeeds | None:
    """The recipe's figures (None when none are declared for it)."""
    figures = RECIPE_FIGURES.get(recipe.name)
    if figures is None:
        return None
    gpus = configured_gpus(recipe.overrides)
    return HardwareNeeds(gpus, min(figures.min_gpus, gpus), figures.gpu_memory_gib, figures.host_memory_gib,
                         figures.cpu_cores)
