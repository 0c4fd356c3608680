"""What each training recipe needs from the hardware, as figures ``medu1 doctor --recipe`` checks.

Keyed by recipe name (``med_u1.training.recipes.RECIPES``). The GPU figures are the set-ups the
papers' runs used, as the recipes are configured (one node of 8 GPUs); host memory and CPU cores
are estimates of what a run holds at its peak (every GPU process loads the weights through host
memory, offloaded parameters and optimizer states live there, plus Ray's object store), not
measurements. The CPU figures are cpu-smoke's, measured on the 2-core development machine
(cpu-learn is assumed to need the same).
"""

from __future__ import annotations

import dataclasses

#: A card counts as an N GB card when it reports at least this share of N GiB (an 80 GB A100
#: reports 80 GiB, an 80 GB H100 about 79.2 GiB, a 40 GB A100 about 39.4 GiB).
GPU_MEMORY_TOLERANCE = 0.95


@dataclasses.dataclass(frozen=True)
class HardwareNeeds:
    """A recipe's hardware: GPUs as configured and the fewest it can be scaled down to, memory per
    GPU and per node (GiB), and CPU cores per node."""

    gpus: int
    min_gpus: int
    gpu_memory_gib: float
    host_memory_gib: float
    cpu_cores: int


CPU_RUN = HardwareNeeds(gpus=0, min_gpus=0, gpu_memory_gib=0, host_memory_gib=3, cpu_cores=2)
# Qwen2.5-3B, FSDP actor and reference, vLLM rollouts: fits 80 GB cards at 8 per node, and 4 with
# --gpus-per-node 4 (the batch sizes divide by 4).
QWEN_3B_RUN = HardwareNeeds(gpus=8, min_gpus=4, gpu_memory_gib=80, host_memory_gib=64, cpu_cores=16)

RECIPE_HARDWARE: dict[str, HardwareNeeds] = {
    "cpu-smoke": CPU_RUN,
    "cpu-learn": CPU_RUN,
    "medu1-grpo": QWEN_3B_RUN,
    "medu1-grpo-nobudget": QWEN_3B_RUN,
    "l1-exact": QWEN_3B_RUN,
    "l1-max": QWEN_3B_RUN,
    "medrlvr-ppo": QWEN_3B_RUN,
    # HuatuoGPT-o1-7B full fine-tuning with vLLM TP 2 and the actor's parameters and optimizer
    # states offloaded to host memory (about 200 GB of it).
    "r1zero-grpo": HardwareNeeds(gpus=8, min_gpus=8, gpu_memory_gib=80, host_memory_gib=200, cpu_cores=32),
    # The same model with LoRA rank 64: only the adapter is trained, so 40 GB cards suffice.
    "r1zero-grpo-lora": HardwareNeeds(gpus=8, min_gpus=4, gpu_memory_gib=40, host_memory_gib=128, cpu_cores=16),
}
