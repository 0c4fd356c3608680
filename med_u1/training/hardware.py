"""What each training recipe needs from the hardware, as figures ``medu1 doctor --recipe`` checks.

The GPU count is the recipe's own (``trainer.nnodes`` x ``trainer.n_gpus_per_node`` in its
overrides, none with ``trainer.device=cpu``). The rest each recipe declares beside its
overrides (``Recipe.figures`` in :mod:`med_u1.training.recipes`): the fewest GPUs it can be
scaled down to with ``--gpus-per-node``, the card size, and host memory and CPU cores per node.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
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


def configured_gpus(overrides: Sequence[str]) -> int:
    """GPUs a recipe's Hydra overrides ask for: nodes x GPUs per node, 0 with ``trainer.device=cpu``."""
    settings = dict(override.split("=", 1) for override in overrides if "=" in override)
    if settings.get("trainer.device") == "cpu":
        return 0
    topology = {key: int(settings.get(key, default)) for key, default in VERL_DEFAULT_TOPOLOGY.items()}
    return topology["trainer.nnodes"] * topology["trainer.n_gpus_per_node"]


def hardware_needs(recipe: Recipe) -> HardwareNeeds:
    """The recipe's hardware: its GPU count from its overrides, the rest from its declared figures."""
    figures = recipe.figures
    gpus = configured_gpus(recipe.overrides)
    return HardwareNeeds(gpus, min(figures.min_gpus, gpus), figures.gpu_memory_gib, figures.host_memory_gib,
                         figures.cpu_cores)
