"""`medu1 score` on a file without rows says so, with either output flag, and writes nothing."""

from __future__ import annotations

import pytest

from med_u1.cli import main

EMPTY_CONTENTS = {"empty": "", "blank lines": "\n  \n\n"}
#: (output flag, content): ``--out`` also reads a Med-U1 results file, a JSON list
CASES = [(flag, content) for flag in ("--output", "--out") for content in EMPTY_CONTENTS.values()] + [("--out", "[]\n")]


@pytest.mark.parametrize("flag, content", CASES)
def test_a_file_without_rows_is_one_line(tmp_path, capsys, flag, content):
    source = tmp_path / "responses.jsonl"
    source.write_text(content, encoding="utf-8")
    target = tmp_path / "scored"
    assert main(["score", "--input", str(source), flag, str(target)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"medu1: error: {source}: the file has no rows"]
    assert not target.exists()
