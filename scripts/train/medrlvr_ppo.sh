#!/usr/bin/env bash
# MED-RLVR (arXiv 2502.19655): PPO with a critic (GAE) on the Qwen2.5-3B base model over 5-option
#   MedQA, the R1 prompt without budget, the medrlvr reward (-1 malformed / 0 wrong / 1 correct) and
#   the KL penalty in the reward, as OpenRLHF does. Settings the paper leaves unstated follow
#   OpenRLHF's defaults; docs/recipes.md marks each.
# Hardware: 1 node, 8x 80 GB GPUs (actor, critic and reference models share the GPUs).
# Data: scripts/data/build_medrlvr.sh MEDQA/US/train.jsonl MEDQA/US/test.jsonl   (-> processed_data/medrlvr)
# Usage: scripts/train/medrlvr_ppo.sh [--dry-run] [--model PATH] [hydra overrides...]
set -euo pipefail
exec medu1 train --recipe medrlvr-ppo "$@"
