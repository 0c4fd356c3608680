"""Smoke parquet files from the shared dev records or the built-in examples."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from med_u1.examples import EXAMPLES
from med_u1.training.cpu import smoke as cpu_smoke
from med_u1.training.cpu.smoke_data import (
    build_smoke_parquet,
    prompt_chars,
    read_dev_rows,
)

SOURCES = ["MedCalc-Bench", "MedIQ", "MedXpertQA", "medical-o1-reasoning-SFT"]


def test_shared_dev_records_give_the_shortest_row_of_each_source(tmp_path: Path, shared_data_dir: Path) -> None:
    files = build_smoke_parquet(tmp_path, shared_data_dir, per_source=1)
    train = pd.read_parquet(files["train"])
    assert sorted(train["data_source"]) == SOURCES
    all_rows = read_dev_rows(shared_data_dir)
    for row in train.to_dict("records"):
        same_source = [r for r in all_rows if r["data_source"] == row["data_source"]]
        assert sum(len(m["content"]) for m in row["prompt"]) == min(prompt_chars(r) for r in same_source)
        assert row["extra_info"]["uid"].startswith("Med-U1:")
        assert row["extra_info"]["task"] in {"calc", "mcqa", "open"}
        assert row["reward_model"]["ground_truth"]


def test_without_dev_records_the_built_in_examples_are_used(tmp_path: Path) -> None:
    files = build_smoke_parquet(tmp_path / "out", tmp_path / "missing")
    train, val = pd.read_parquet(files["train"]), pd.read_parquet(files["val"])
    assert len(train) == len(val) == len(EXAMPLES)
    assert list(train["extra_info"].map(lambda e: e["index"])) == list(range(len(EXAMPLES)))
    assert set(val["extra_info"].map(lambda e: e["split"])) == {"test"}
    first = train.iloc[0]
    assert [m["role"] for m in first["prompt"]] == ["system", "user"]
    assert first["reward_model"]["ground_truth"] == EXAMPLES[0].ground_truth


def test_the_run_builds_its_model_and_rows_and_its_summary_fits_a_terminal(tmp_path: Path) -> None:
    cpu_smoke.build(tmp_path, None)
    assert (tmp_path / cpu_smoke.MODEL_FOLDER / "model.safetensors").is_file()
    assert len(pd.read_parquet(tmp_path / "data" / "train.parquet")) == len(EXAMPLES)
    summary = cpu_smoke.summary(tmp_path).splitlines()
    assert summary[0] == f"log of Ray and verl: {tmp_path / 'train.log'}" and summary[1].startswith("step metrics: ")
    assert summary[2].startswith("Why the reward does not rise") and max(map(len, summary[2:])) <= 100
