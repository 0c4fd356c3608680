#!/usr/bin/env bash
# The Medical R1-Zero table (arXiv 2504.13950, Tab. 1): MedMCQA, MedQA-USMLE, PubMedQA, MMLU-Pro Medical,
#   GPQA Medical, MedXpertQA; greedy decoding (the report does not state its sampling), 2048 response tokens.
# Data: scripts/data/build_eval_sets.sh processed_data medmcqa=... medqa=... pubmedqa=... mmlu_pro=... gpqa=... medxpertqa=...
#   (DATA=folder to read elsewhere). Compare: medu1 report outputs/eval/<model>-r1zero --with-published r1zero
# Hardware: vLLM on 1 GPU for a 7B model (--backend vllm --tensor-parallel-size N), or transformers (default).
# Usage: scripts/eval/eval_r1zero_table.sh --model PATH [--dry-run] [--out DIR] [medu1 eval flags...]
set -euo pipefail
source "$(dirname "$0")/_common.sh"
default_out r1zero "$@"
exec medu1 eval --data "${DATA:-processed_data}" --benchmarks r1zero --sampling greedy "${OUT_FLAG[@]}" "$@"
