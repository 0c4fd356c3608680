"""The CPU runs by recipe name (each is the one plan of :mod:`med_u1.training.cpu.plan` with its own model and data)."""

from __future__ import annotations

from med_u1.errors import UserError
from med_u1.training.cpu import learn, smoke
from med_u1.training.cpu.plan import CpuRun

CPU_RUNS: dict[str, CpuRun] = {run.recipe: run for run in (smoke.RUN, smoke.VLLM_RUN, learn.RUN)}


def cpu_run(recipe: str) -> CpuRun:
    """The CPU run of ``recipe``."""
    try:
        return CPU_RUNS[recipe]
    except KeyError:
        raise UserError(f"{recipe}: no CPU run builds this recipe's model and data; CPU runs: {', '.join(CPU_RUNS)}") from None
