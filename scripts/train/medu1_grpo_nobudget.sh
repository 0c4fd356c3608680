#!/usr/bin/env bash
# Med-U1 GRPO without length budgets: the same recipe as medu1_grpo.sh on data built with --do-normal
# (num_tokens = -1, so the reward has no length term), which is the data run_medu1.sh names
# (processed_data_normal/).
# Hardware: 1 node, 4x 80 GB GPUs (as medu1_grpo.sh).
# Data: scripts/data/build_medu1.sh MED_U1/deepscaler/data processed_data/nobudget --do-normal
# Usage: scripts/train/medu1_grpo_nobudget.sh [--dry-run] [--model PATH] [hydra overrides...]
set -euo pipefail
exec medu1 train --recipe medu1-grpo-nobudget "$@"
