#!/usr/bin/env bash
# L1-style length control (cmu-l3/l1 run_l1_exact.sh, run_l1_max.sh) in two phases, each a GRPO
# run with the L1 length term on Med-U1's mix (128 prompts x 16 responses per step):
#   1. l1-exact: exact budgets ("Think for N tokens."), from Qwen2.5-3B-Instruct; lr 1e-6, 4,096 tokens, 3 epochs;
#   2. l1-max:   maximum budgets ("Think for maximum N tokens."), from the merged phase-1 model;
#                lr 4e-6, 4,500 tokens, 1 epoch.
# Between them the last FSDP checkpoint of phase 1 is merged to a Hugging Face model in
# $CKPT_ROOT/l1-exact/merged, the l1-max recipe's default model.
# Hardware: 1 node, 8x 80 GB GPUs per phase.
# Data: scripts/data/build_medu1.sh MED_U1/deepscaler/data processed_data/l1_exact
#       scripts/data/build_medu1.sh MED_U1/deepscaler/data processed_data/l1_max --use-both-both
# Usage: scripts/train/l1_two_phase.sh [--dry-run] [hydra overrides for both phases...]
set -euo pipefail
CKPT_ROOT=${CKPT_ROOT:-checkpoints/med-u1}
PHASE1_DIR="$CKPT_ROOT/l1-exact"
MERGED="$PHASE1_DIR/merged"
RUN=()
if [[ " $* " == *" --dry-run "* ]]; then RUN=(echo "[dry-run]"); fi

medu1 train --recipe l1-exact "trainer.default_local_dir=$PHASE1_DIR" "$@"
if [[ ${#RUN[@]} -eq 0 ]]; then
  STEP=$(cat "$PHASE1_DIR/latest_checkpointed_iteration.txt")
else
  STEP=N
fi
"${RUN[@]}" python -m verl.model_merger merge --backend fsdp \
  --local_dir "$PHASE1_DIR/global_step_$STEP/actor" --target_dir "$MERGED"
# A dry run checks that a model folder exists: phase 2's is written by the merge above, so only print it.
"${RUN[@]}" medu1 train --recipe l1-max --model "$MERGED" "trainer.default_local_dir=$CKPT_ROOT/l1-max" "$@"
