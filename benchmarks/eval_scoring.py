"""Speed of scoring and aggregating an evaluation: 100,000 generations (target: at most 10 s on 2 cores).

The generations are the 2,000 shared model responses (``../shared/data/bench_responses.jsonl``,
read at run time: MedIQ, MedXpertQA, MedCalc-Bench, medical-o1, 500 each) repeated 50 times,
as ``generations.jsonl`` rows of 25,000 items with 4 samples each, so pass@k and maj@k are
computed too. Times ``score_rows`` (the reward verifiers, evaluation's ``answer_from``) and
``group_metrics`` (accuracy with its 1,000-resample bootstrap, pass@k, maj@k, lengths, budget
adherence) in one process, and prints the figures.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from med_u1.evaluation.benchmarks import BY_DATA_SOURCE
from med_u1.evaluation.metrics import group_metrics
from med_u1.evaluation.scoring import score_rows

BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "bench_responses.jsonl"
GENERATIONS = 100_000
SAMPLES = 4
TARGET_SECONDS = 10.0


def generation_rows() -> list[dict]:
    if not BENCH.exists():
        message = f"shared data not found at {BENCH}"
        if os.environ.get("CI"):
            raise SystemExit(message)
        print(f"SKIP: {message}")
        raise SystemExit(0)
    bench = [json.loads(line) for line in BENCH.open(encoding="utf-8")]
    position = {source: 0 for source in BY_DATA_SOURCE}
    positions = []  # each response's position among those of its source
    for row in bench:
        positions.append(position[row["data_source"]])
        position[row["data_source"]] += 1
    rows = []
    for copy in range(GENERATIONS // len(bench)):
        for index, row in zip(positions, bench):
            kwargs = row["kwargs"]
            rows.append({
                "benchmark": BY_DATA_SOURCE[row["data_source"]].name,
                "item_id": f"{copy}:{index // SAMPLES}",
                "sample": index % SAMPLES,
                "budget": None,
                "data_source": row["data_source"],
                "response": row["solution_str"][row["response_offset"]:],
                "response_tokens": kwargs["valid_response_length"],
                "finish_reason": "stop",
                "reward_model": {"ground_truth": kwargs["ground_truth"], "lower_limit": kwargs["l_limit"],
                                 "upper_limit": kwargs["u_limit"], "num_tokens": kwargs["num_tokens"]},
                "extra_info": {},
            })
    return rows


def main() -> None:
    rows = generation_rows()
    start = time.perf_counter()
    scores = score_rows(rows)
    scored = time.perf_counter()
    results = group_metrics(scores)
    done = time.perf_counter()
    total = done - start
    print(f"generations: {len(rows):,} ({len(results)} benchmarks, {SAMPLES} samples per item)")
    print(f"score:       {scored - start:6.2f} s ({len(rows) / (scored - start):,.0f} generations/s)")
    print(f"aggregate:   {done - scored:6.2f} s (bootstrap, pass@k, maj@k, lengths, adherence)")
    print(f"total:       {total:6.2f} s (target <= {TARGET_SECONDS:.0f} s): {'OK' if total <= TARGET_SECONDS else 'OVER'}")
    for record in results:
        print(f"  {record['benchmark']:<11} accuracy {100 * record['accuracy']:5.1f}%  pass@4 {100 * record['pass@4']:5.1f}%"
              f"  maj@4 {100 * record['maj@4']:5.1f}%")


if __name__ == "__main__":
    main()
