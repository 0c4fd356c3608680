"""Fixtures of the evaluation tests: the tiny local model and benchmark parquets that
`medu1 data build` makes from the shared dev records (read at run time, never copied)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from med_u1.cli import main as medu1_main

SHARED_DEV = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "dev"
#: benchmark name -> shared dev file
DEV_BENCHMARKS = {"mediq": "mediq", "medxpertqa": "medxpertqa", "medcalc": "medcalc_bench", "medical_o1": "medical_o1_reasoning_sft"}


def missing(message: str) -> None:
    """Skip the test for something absent here; under CI (the CI variable set) fail it."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def shared_dev_file(stem: str) -> Path:
    path = SHARED_DEV / f"{stem}.jsonl"
    if not path.exists():
        missing(f"shared dev records not found at {path} (expected ../shared/data beside the repository)")
    return path


def write_release_file(stem: str, directory: Path) -> Path:
    """A dev file's ``raw`` records as Med-U1 released them (JSON records or verl parquet rows)."""
    raws = [json.loads(line)["raw"] for line in shared_dev_file(stem).open(encoding="utf-8")]
    if "Source" in raws[0]:
        path = directory / f"{stem}.json"
        path.write_text(json.dumps(raws), encoding="utf-8")
    else:
        path = directory / f"{stem}.parquet"
        pq.write_table(pa.Table.from_pylist(raws), path)
    return path


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cpu-smoke model with a context the MedCalc notes fit in (its small vocabulary makes them long).

    It needs torch and transformers (absent from the light Python 3.10 test venv)."""
    pytest.importorskip("torch", reason="the tiny model needs torch (not in the light Python 3.10 test venv)")
    from med_u1.training.cpu.tiny_model import TinyModelSpec, build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-qwen2"), TinyModelSpec(max_position_embeddings=8192))


@pytest.fixture(scope="session")
def bench_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``<name>_test.parquet`` for each dev benchmark, built by ``medu1 data build`` without budgets."""
    raw_dir = tmp_path_factory.mktemp("raw")
    out = tmp_path_factory.mktemp("benchmarks")
    for name, stem in DEV_BENCHMARKS.items():
        source = write_release_file(stem, raw_dir)
        argv = ["data", "build", "--dataset", "medu1", "--input", str(source), "--split", "test", "--do_normal",
                "--name", name, "--local_dir", str(out)]
        assert medu1_main(argv) == 0
    return out
