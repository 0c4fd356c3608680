"""The shared Example record and its validation."""

from __future__ import annotations

import pytest

from med_u1.data.record import Example, FieldError, Location, RecordError, make_example

BASE = dict(question="Q?", answer="B", source="MedQA", split="test", uid="u1", task="mcqa", output_type="letter",
            options={"A": "one", "B": "two"})


def test_valid_example_keeps_fields():
    example = Example(**BASE, meta={"difficulty": "step1"})
    assert example.options == {"A": "one", "B": "two"} and example.meta["difficulty"] == "step1"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"answer": "E"}, "answer"),
        ({"options": {"A": "one", "b": "two"}}, "options"),
        ({"source": "MedQA-USMLE"}, "source"),
        ({"task": "qa"}, "task"),
        ({"task": "open", "output_type": "text", "options": None}, "task"),  # not MedQA's task in the task table
        ({"question": "  "}, "question"),
        ({"task": "calc", "output_type": "decimal", "options": None, "answer": "1.5", "lower_limit": "x"}, "lower_limit"),
        ({"task": "calc", "output_type": "date", "options": None, "answer": "2021-01-02"}, "answer"),
        ({"task": "calc", "output_type": "integer", "options": None, "answer": "2.5"}, "answer"),
        ({"task": "calc", "output_type": "tuple", "options": None, "answer": "(17 weeks, 6 days)"}, "answer"),
    ],
)
def test_invalid_fields_are_named(changes, field):
    with pytest.raises(FieldError) as caught:
        Example(**{**BASE, **changes})
    assert caught.value.field == field


def test_make_example_names_file_line_and_field():
    with pytest.raises(RecordError) as caught:
        make_example(Location("data/x.jsonl", "line 7"), **{**BASE, "answer": "Z"})
    assert (caught.value.file, caught.value.line, caught.value.field) == ("data/x.jsonl", "line 7", "answer")
    assert "data/x.jsonl, line 7, field 'answer'" in str(caught.value)


def test_example_is_frozen():
    example = Example(**BASE)
    with pytest.raises(AttributeError):
        example.answer = "A"  # type: ignore[misc]
