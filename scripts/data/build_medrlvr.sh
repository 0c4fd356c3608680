#!/usr/bin/env bash
# MED-RLVR's data: MedQA-USMLE with five options (jind11/MedQA questions/US/train.jsonl and
# test.jsonl), the DeepSeek-R1-Zero style system prompt (template r1), no thinking budget.
#   MEDQA_TRAIN, MEDQA_TEST: the two files (or a Hub id each). OUT_DIR default processed_data/medrlvr.
# Writes medqa_train.parquet (checked against the test file: overlaps are reported as a warning
# and in medqa_train.stats.json) and medqa_test.parquet, the recipe's validation file.
set -euo pipefail
MEDQA_TRAIN=${1:?usage: build_medrlvr.sh MEDQA_TRAIN MEDQA_TEST [OUT_DIR] [extra flags]}
MEDQA_TEST=${2:?usage: build_medrlvr.sh MEDQA_TRAIN MEDQA_TEST [OUT_DIR] [extra flags]}
OUT_DIR=${3:-processed_data/medrlvr}
shift $(( $# >= 3 ? 3 : 2 ))
for file in "$MEDQA_TRAIN" "$MEDQA_TEST"; do
  if [[ -f "$file" ]] && ! head -n 1 "$file" | grep -q '"E"'; then
    echo "build_medrlvr.sh: warning: the first record of $file has no option E; MED-RLVR trains on the 5-option MedQA" >&2
  fi
done
COMMON=(--dataset medqa --template r1 --do-normal --local-dir "$OUT_DIR")
medu1 data build "${COMMON[@]}" --input "$MEDQA_TRAIN" --split train --eval-set "medqa=$MEDQA_TEST" "$@"
medu1 data build "${COMMON[@]}" --input "$MEDQA_TEST" --split test "$@"
