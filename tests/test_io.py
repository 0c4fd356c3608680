"""Outputs are written atomically with the user's umask (not mkstemp's 0o600)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from med_u1.cli import main
from med_u1.io import write_atomic, write_json_atomic, write_jsonl_atomic

FIXTURES = Path(__file__).resolve().parent / "data" / "fixtures"


@pytest.fixture
def umask():
    """Set a umask for the test and put the previous one back afterwards."""
    previous = os.umask(0o022)

    def set_mask(mask: int) -> None:
        os.umask(mask)

    yield set_mask
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask,expected", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_atomic_writes_follow_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    write_json_atomic(tmp_path / "a.json", {"x": 1})
    write_jsonl_atomic(tmp_path / "b.jsonl", [{"x": 1}, {"x": 2}])
    assert mode(tmp_path / "a.json") == mode(tmp_path / "b.jsonl") == expected
    assert (tmp_path / "b.jsonl").read_text().splitlines() == ['{"x": 1}', '{"x": 2}']


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")

    def broken(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(target, broken)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_command_outputs_are_readable_by_the_group_and_others(tmp_path, umask, capsys):
    umask(0o022)
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"data_source": "MedQA", "response": "<answer>A</answer>", "ground_truth": "A"}) + "\n")
    assert main(["score", "--input", str(rows), "--output", str(tmp_path / "scored.jsonl")]) == 0
    assert main(["data", "build", "--dataset", "medqa", "--input", str(FIXTURES / "medqa_4_options.jsonl"),
                 "--local_dir", str(tmp_path / "built")]) == 0
    written = [tmp_path / "scored.jsonl", tmp_path / "built" / "medqa_train.parquet", tmp_path / "built" / "medqa_train.stats.json"]
    assert [mode(path) for path in written] == [0o644] * 3
