#!/usr/bin/env bash
# The whole GRPO loop on a CPU: 2 steps of verl's trainer on a tiny local Qwen2 (no GPU, no downloads).
# Hardware: 2 CPU cores, about 3 GiB RAM (run time: benchmarks/README.md). Outputs in outputs/cpu-smoke/
#   (metrics.jsonl, checkpoints/, the tiny model and data).
# Usage: scripts/train/cpu_smoke.sh [--dry-run] [hydra overrides...]
set -euo pipefail
exec medu1 train --recipe cpu-smoke "$@"
