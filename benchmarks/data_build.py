"""Speed of ``medu1 data build``: 10,000 records, no tokenizer filtering (target: under 10 s on 2 cores).

The records are the shared Med-U1 dev records (``../shared/data/dev``, read at run time) repeated
with fresh ids to 10,000: 5,000 MedCalc JSON records (long patient notes) and 5,000 MediQ/MedXpertQA
verl rows, built through the same ``build()`` the CLI runs. Prints the wall-clock figure.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from med_u1.data.build import BuildOptions, build

SHARED_DEV = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dev"
RECORDS = 10_000
TARGET_SECONDS = 10.0


def dev_raws(name: str) -> list[dict]:
    """The `raw` records of a shared dev file (a SKIP when absent, an error under CI)."""
    path = SHARED_DEV / f"{name}.jsonl"
    if not path.exists():
        message = f"shared data not found at {path}"
        if os.environ.get("CI"):
            raise SystemExit(message)
        print(f"SKIP: {message}")
        raise SystemExit(0)
    return [json.loads(line)["raw"] for line in path.open(encoding="utf-8")]


def write_inputs(directory: Path) -> tuple[Path, Path]:
    """10,000 records in two Med-U1 release files (JSON records and a verl parquet)."""
    half = RECORDS // 2
    calc = [{**raw, "id": i} for i, raw in enumerate(islice(cycle(dev_raws("medcalc_bench")), half))]
    rows = []
    for i, raw in enumerate(islice(cycle(dev_raws("mediq") + dev_raws("medxpertqa")), half)):
        rows.append({**raw, "extra_info": {"index": i, "split": "train"}})
    calc_path, rows_path = directory / "medcalc.json", directory / "medoption.parquet"
    calc_path.write_text(json.dumps(calc), encoding="utf-8")
    pq.write_table(pa.Table.from_pylist(rows), rows_path)
    return calc_path, rows_path


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        calc_path, rows_path = write_inputs(directory)
        options = BuildOptions(
            inputs={"medu1": str(directory)}, split="train", local_dir=directory / "out", name="bench"
        )
        start = time.perf_counter()
        result = build(options)
        seconds = time.perf_counter() - start
    rows = result.stats["rows"]
    status = "OK" if seconds < TARGET_SECONDS else "SLOW"
    print(f"data build: {rows} records in {seconds:.2f} s ({rows / seconds:,.0f} records/s) "
          f"[target < {TARGET_SECONDS:.0f} s: {status}]")
    return 0 if rows == RECORDS else 1


if __name__ == "__main__":
    sys.exit(main())
