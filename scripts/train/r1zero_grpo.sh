#!/usr/bin/env bash
# Medical R1-Zero (Qsingle/open-medical-r1): GRPO from HuatuoGPT-o1-7B, full fine-tuning, no budgets,
#   r1zero reward (accuracy 2/1/0 + soft and strict format + xml count); 32 prompts x 3 generations
#   per update, lr 2e-5 cosine with 10% warm-up, KL loss 0.04, 8,192 completion tokens, 6 epochs.
#   DATASET = dataset1 (1,090 MedQA) | dataset2 (600 MedQA + 490 MedXpertQA) | dataset3 (490 MedXpertQA)
# Hardware: 1 node, 8x 80 GB GPUs; vLLM tensor parallel 2; actor parameters and optimizer
#   offloaded to host memory (plan about 200 GB of host RAM).
# Data: MEDQA_TEST=MEDQA/test.jsonl scripts/data/build_r1zero.sh MEDQA/train.jsonl MEDXPERTQA processed_data
# Usage: DATASET=dataset2 scripts/train/r1zero_grpo.sh [--dry-run] [hydra overrides...]
set -euo pipefail
DATASET=${DATASET:-dataset1}
exec medu1 train --recipe r1zero-grpo --train-files "processed_data/r1zero_${DATASET}_train.parquet" \
  "trainer.experiment_name=r1zero-${DATASET}" "$@"
