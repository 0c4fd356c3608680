"""generations.jsonl reading: a write cut off by a kill is dropped (and repaired); real damage is an error."""

from __future__ import annotations

import pytest

from med_u1.errors import UserError
from med_u1.evaluation.rundir import read_jsonl_rows

ROWS = b'{"benchmark": "mediq", "item_id": "1"}\n{"benchmark": "mediq", "item_id": "2"}\n'


@pytest.mark.parametrize("tail", [b'{"benchmark": "med', b'{"benchmark": "mediq", "item_id": "3"}', b"\n\n"])
def test_a_cut_off_last_line_is_dropped_and_repaired(tmp_path, tail):
    path = tmp_path / "generations.jsonl"
    path.write_bytes(ROWS + tail)
    assert [row["item_id"] for row in read_jsonl_rows(path)] == ["1", "2"]
    assert path.read_bytes() == ROWS + tail  # reading alone changes nothing
    assert [row["item_id"] for row in read_jsonl_rows(path, repair=True)] == ["1", "2"]
    assert path.read_bytes() == (ROWS if tail.strip() else ROWS + tail)


def test_a_damaged_line_inside_the_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "generations.jsonl"
    path.write_bytes(b'{"item_id": "1"}\n{"item_id": \n{"item_id": "3"}\n')
    with pytest.raises(UserError, match=r"generations.jsonl, line 2: not a JSON object"):
        read_jsonl_rows(path, repair=True)
