"""Benchmark parquet rows: what a bad file or row says."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from med_u1.errors import UserError
from med_u1.evaluation.benchmarks import name_of_file, parse_names, resolve
from med_u1.evaluation.items import load_items

GOOD = {
    "data_source": "MedIQ",
    "prompt": [{"role": "user", "content": "Which? A: x B: y Think for 100 tokens."}],
    "reward_model": {"ground_truth": "A", "num_tokens": 100},
    "extra_info": {"uid": "q1"},
}


def write(tmp_path, rows, name="bench_test.parquet"):
    path = tmp_path / name
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_a_missing_column_is_named(tmp_path):
    path = write(tmp_path, [{k: v for k, v in GOOD.items() if k != "reward_model"}])
    with pytest.raises(UserError, match=r"bench_test.parquet: missing column\(s\) reward_model"):
        load_items(path)


def test_a_bad_row_is_named_with_its_field(tmp_path):
    path = write(tmp_path, [GOOD, {**GOOD, "reward_model": {"num_tokens": 5, "style": "rule"}}])
    with pytest.raises(UserError, match=r"bench_test.parquet, row 1, field 'reward_model': expected a mapping with 'ground_truth'"):
        load_items(path)


def test_item_ids_are_uids_unless_they_repeat(tmp_path):
    assert [i.item_id for i in load_items(write(tmp_path, [GOOD, {**GOOD, "extra_info": {"uid": "q2"}}]))] == ["q1", "q2"]
    assert [i.item_id for i in load_items(write(tmp_path, [GOOD, GOOD], "twice.parquet"))] == ["0", "1"]


def test_names_files_and_groups(tmp_path):
    from pathlib import Path

    assert name_of_file(Path("mediq_test.parquet"), "test") == "mediq"
    assert name_of_file(Path("huatuo_validation.parquet"), "test") == "medical_o1"
    assert name_of_file(Path("mine.parquet"), "test") == "mine"
    assert parse_names("r1zero,medqa,huatuo") == ["medmcqa", "medqa", "pubmedqa", "mmlu_pro", "gpqa", "medxpertqa", "medical_o1"]
    write(tmp_path, [GOOD], "mediq_test.parquet")
    write(tmp_path, [GOOD], "mediq_train.parquet")
    write(tmp_path, [GOOD], "bench_test.parquet")
    found, missing = resolve([], [str(tmp_path)], "test")
    assert set(found) == {"mediq", "bench"} and not missing
    found, missing = resolve(["mediq", "pubmedqa"], [str(tmp_path)], "test")
    assert list(found) == ["mediq"] and "pubmedqa_test.parquet" in missing["pubmedqa"]
