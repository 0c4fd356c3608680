#!/usr/bin/env bash
# Evaluation parquets (no thinking budget) from local files or Hub ids.
#   usage: build_eval_sets.sh OUT_DIR NAME=INPUT [NAME=INPUT ...]
#   e.g.   build_eval_sets.sh processed_data medqa=data/medqa/test.jsonl pubmedqa=data/ori_pqal.json
set -euo pipefail
OUT_DIR=${1:?usage: build_eval_sets.sh OUT_DIR NAME=INPUT [NAME=INPUT ...]}
shift
for pair in "$@"; do
  medu1 data build --dataset "${pair%%=*}" --input "${pair#*=}" --split test --do-normal --local-dir "$OUT_DIR"
done
