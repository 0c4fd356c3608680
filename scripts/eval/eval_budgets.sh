#!/usr/bin/env bash
# Accuracy against thinking budget: the same items asked with each budget of BUDGETS (N exact: "Think for N
#   tokens."; -N: "Think for maximum N tokens."), Med-U1's sampling (T 0.2, top_p 0.95, 2048 tokens, as its
#   main_inference_eval_token.sh). Writes plots/accuracy_vs_budget.png and plots/length_vs_budget.png.
# Data: as eval_medu1.sh (DATA=folder, BENCHMARKS=comma list, default Med-U1's test sets).
# Usage: scripts/eval/eval_budgets.sh --model PATH [--dry-run] [--out DIR] [medu1 eval flags...]
set -euo pipefail
source "$(dirname "$0")/_common.sh"
default_out budgets "$@"
exec medu1 eval --data "${DATA:-processed_data}" --benchmarks "${BENCHMARKS:-medu1}" --sampling medu1 \
  --num-tokens "${BUDGETS:-256,512,1024,-256,-512,-1024}" "${OUT_FLAG[@]}" "$@"
