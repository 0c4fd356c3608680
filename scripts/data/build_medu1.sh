#!/usr/bin/env bash
# Rebuild Med-U1's training, validation and test sets from its released raw files.
#   DATA_DIR: Med-U1's deepscaler/data folder, holding train/ (training items) and test/
#             (<name>.json: validation during training; <name>_test.json: final test).
#   OUT_DIR:  output folder (default processed_data/, generated, not committed).
# Writes <name>_train.parquet from train/<name>.json, <name>_validation.parquet from
# test/<name>.json and <name>_test.parquet from test/<name>_test.json, for each name present
# (medoption = MediQ + MedXpertQA + EHRNoteQA; medcalc; huatuo = medical-o1 open text; ...).
# Each training build is checked against every test/ file: overlaps are reported as a warning
# and in <name>_train.stats.json (add --decontaminate to drop them).
# Extra arguments go to every build, e.g. --do-normal (no budget), --use-both-both (L1-max
# budgets), --num-tokens -512, --template medu1_released.
set -euo pipefail
DATA_DIR=${1:?usage: build_medu1.sh DATA_DIR [OUT_DIR] [extra medu1 data build flags]}
OUT_DIR=${2:-processed_data}
shift $(( $# >= 2 ? 2 : 1 ))
if [[ ! -d "$DATA_DIR/train" || ! -d "$DATA_DIR/test" ]]; then
  echo "build_medu1.sh: $DATA_DIR must be Med-U1's deepscaler/data folder with train/ and test/ inside" >&2
  exit 2
fi

NAMES=(medoption medcalc huatuo mediq medxpertqa ehrnoteqa)
EVAL_SETS=()
for file in "$DATA_DIR"/test/*.json; do
  EVAL_SETS+=(--eval-set "medu1=$file")
done

for name in "${NAMES[@]}"; do
  if [[ -f "$DATA_DIR/train/$name.json" ]]; then
    medu1 data build --dataset medu1 --input "$DATA_DIR/train/$name.json" --split train --name "$name" \
      --local-dir "$OUT_DIR" "${EVAL_SETS[@]}" "$@"
  fi
  if [[ -f "$DATA_DIR/test/$name.json" ]]; then
    medu1 data build --dataset medu1 --input "$DATA_DIR/test/$name.json" --split validation --name "$name" \
      --local-dir "$OUT_DIR" "$@"
  fi
  if [[ -f "$DATA_DIR/test/${name}_test.json" ]]; then
    medu1 data build --dataset medu1 --input "$DATA_DIR/test/${name}_test.json" --split test --name "$name" \
      --local-dir "$OUT_DIR" "$@"
  fi
done
