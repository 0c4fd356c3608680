#!/usr/bin/env bash
# Medical R1-Zero's three training sets, with its system prompt and user turn
# ("<question>\nAnswer Choices: (A) ... (B) ...") and no thinking budget.
#   MEDQA:      MedQA-USMLE training file (train.jsonl; or a Hub id).
#   MEDXPERTQA: MedXpertQA Text file (test.jsonl; or a Hub id): it has no training split.
#   OUT_DIR:    output folder (default processed_data/).
#   MEDQA_TEST (environment, optional): MedQA-USMLE test file; then medqa_test.parquet (the
#              recipe's validation file) is built too, and the training builds are checked
#              against it (overlaps are reported as warnings and in the .stats.json files).
# dataset1 = 1,090 MedQA; dataset2 = 600 MedQA + 490 MedXpertQA; dataset3 = 490 MedXpertQA.
# Builds that contain MedXpertQA items warn that evaluating on MedXpertQA is then contaminated.
set -euo pipefail
MEDQA=${1:?usage: build_r1zero.sh MEDQA MEDXPERTQA [OUT_DIR] [extra flags]}
MEDXPERTQA=${2:?usage: build_r1zero.sh MEDQA MEDXPERTQA [OUT_DIR] [extra flags]}
OUT_DIR=${3:-processed_data}
shift $(( $# >= 3 ? 3 : 2 ))
COMMON=(--template r1zero --do-normal --local-dir "$OUT_DIR")
if [[ -n "${MEDQA_TEST:-}" ]]; then
  COMMON+=(--eval-set "medqa=$MEDQA_TEST")
  medu1 data build --dataset medqa --input "$MEDQA_TEST" --split test --template r1zero --do-normal \
    --local-dir "$OUT_DIR" "$@"
else
  echo "build_r1zero.sh: MEDQA_TEST not set: no validation file and no overlap check against MedQA's test set" >&2
fi

medu1 data build --mix r1zero_dataset1 --input "medqa=$MEDQA" "${COMMON[@]}" "$@"
medu1 data build --mix r1zero_dataset2 --input "medqa=$MEDQA" --input "medxpertqa=$MEDXPERTQA" "${COMMON[@]}" "$@"
medu1 data build --mix r1zero_dataset3 --input "medxpertqa=$MEDXPERTQA" "${COMMON[@]}" "$@"
