#!/usr/bin/env bash
# Med-U1's test sets and sampling: MedCalc-Bench, MedXpertQA, MediQ, medical-o1 (Med-U1's "huatuo"), EHRNoteQA;
#   temperature 0.2, top_p 0.95, 2048 response tokens (Med-U1 scripts/eval/main_inference_eval.sh), the prompts'
#   own "Think for N tokens." budgets.
# Data: scripts/data/build_medu1.sh RAW_DIR processed_data   (writes <name>_test.parquet; DATA=folder elsewhere).
#   EHRNoteQA needs PhysioNet access: without its file the others still run and the exit status is 2;
#   --benchmarks medcalc,mediq,medxpertqa,medical_o1 leaves it out.
# Hardware: vLLM on 1 GPU for 3B/7B models (--backend vllm), or transformers (default).
# Usage: scripts/eval/eval_medu1.sh --model PATH [--dry-run] [--out DIR] [medu1 eval flags...]
set -euo pipefail
source "$(dirname "$0")/_common.sh"
default_out medu1 "$@"
exec medu1 eval --data "${DATA:-processed_data}" --benchmarks medu1 --sampling medu1 "${OUT_FLAG[@]}" "$@"
