#!/usr/bin/env bash
# GRPO that visibly learns on a CPU: a warm-started tiny local Qwen2 learns a colour
# multiple-choice task with verl's trainer and the med_u1 reward (no GPU, no downloads).
# Hardware: 2 CPU cores, about 3 GiB RAM (run time: benchmarks/README.md). Outputs in outputs/cpu-learn/
#   (metrics.jsonl, rollouts/, validation/, the models and data).
# Usage: scripts/train/cpu_learn.sh [--dry-run] [hydra overrides...]
set -euo pipefail
exec medu1 train --recipe cpu-learn "$@"
