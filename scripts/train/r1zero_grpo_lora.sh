#!/usr/bin/env bash
# Our LoRA variant of Medical R1-Zero (not in the original): rank 64, alpha 32, all linear layers,
#   lr 3e-5, otherwise the r1zero-grpo recipe; vLLM serves the adapter.
#   DATASET = dataset1 | dataset2 | dataset3 (see r1zero_grpo.sh)
# Hardware: 1 node, 4-8 GPUs with 40-80 GB; with 4 GPUs add trainer.n_gpus_per_node=4 (or --gpus-per-node 4).
# Data: MEDQA_TEST=MEDQA/test.jsonl scripts/data/build_r1zero.sh MEDQA/train.jsonl MEDXPERTQA processed_data
# Usage: DATASET=dataset3 scripts/train/r1zero_grpo_lora.sh [--dry-run] [hydra overrides...]
set -euo pipefail
DATASET=${DATASET:-dataset1}
exec medu1 train --recipe r1zero-grpo-lora --train-files "processed_data/r1zero_${DATASET}_train.parquet" \
  "trainer.experiment_name=r1zero-lora-${DATASET}" "$@"
