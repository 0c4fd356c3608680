#!/usr/bin/env bash
# Med-U1 GRPO (Monncyann/Med-U1 scripts/train/run_medu1.sh) with thinking-length budgets, medu1 reward.
#   Qwen2.5-3B-Instruct; 4 prompts x 8 responses per step, one update per step (the original's
#   effective schedule); lr 1e-6; KL loss 0.001 (low_var_kl); entropy 0.001; temperature 0.6;
#   validation 4 samples at 0.6; prompt/response 1024/4096 tokens; 1 epoch. docs/recipes.md has
#   every setting with its source.
# Hardware: 1 node, 4 GPUs with 80 GB each (A100/H100), as the original.
# Data: scripts/data/build_medu1.sh MED_U1/deepscaler/data processed_data   (exact budgets, the default)
# Variants (docs/recipes.md): open text (--train-files processed_data/huatuo_train.parquet ...), 7B (--model ...).
# Usage: scripts/train/medu1_grpo.sh [--dry-run] [--model PATH] [hydra overrides...]
set -euo pipefail
exec medu1 train --recipe medu1-grpo "$@"
