"""MedCalc-Bench official csv/parquet (``Calculator ID, Calculator Name, Category, Output Type,
Patient Note, Question, Ground Truth Answer, Lower Limit, Upper Limit, Ground Truth Explanation``).

Every release has these columns: v1.0, v1.2 and MedCalc-Bench Verified (re-verified ground
truths, the release the MedCalc-Bench authors now point to)."""

from __future__ import annotations

from typing import Any, Mapping

from med_u1.data.record import TUPLE_PATTERN, Example, Location, make_example
from med_u1.data.sources.base import SourceSpec, make_uid, require, text_field

OFFICIAL_OUTPUT_TYPES = ("decimal", "integer", "date")
#: release name -> Hub id (the GitHub repositories hold the same rows as csv files)
RELEASES = {
    "verified": "nsk7153/MedCalc-Bench-Verified",
    "v1.2": "ncbi/MedCalc-Bench-v1.2",
    "v1.0": "ncbi/MedCalc-Bench-v1.0",
}


def calc_question(note: str, question: str) -> str:
    """Med-U1's layout of a MedCalc patient note and question."""
    return f"<Context> {note} </Context> <Question> {question} </Question>"


def number_text(value: Any) -> str:
    """A limit or answer as text; whole floats lose their ``.0`` (csv/parquet readers add it)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def calc_example(
    where: Location, *, name: str, split: str, index: int, record_id: Any, question: str,
    answer: str, lower: str | None, upper: str | None, output_type: str, meta: Mapping[str, Any],
) -> Example:
    """A MedCalc Example."""
    return make_example(
        where,
        question=question,
        answer=answer,
        lower_limit=lower,
        upper_limit=upper,
        source="MedCalc-Bench",
        split=split,
        uid=make_uid(name, split, record_id, index),
        task="calc",
        output_type=output_type,
        meta=dict(meta),
    )


def parse(record: Mapping[str, Any], where: Location, split: str, index: int) -> Example:
    """One official MedCalc-Bench row."""
    answer = number_text(require(record, "Ground Truth Answer", where))
    declared = text_field(record, "Output Type", where).lower()
    if declared not in OFFICIAL_OUTPUT_TYPES:
        raise where.error("Output Type", f"{declared!r} is not one of {', '.join(OFFICIAL_OUTPUT_TYPES)}")
    output_type = "tuple" if TUPLE_PATTERN.match(answer) else declared
    calculator_id = number_text(require(record, "Calculator ID", where))
    return calc_example(
        where,
        name="medcalc",
        split=split,
        index=index,
        record_id=record.get("Row Number"),
        question=calc_question(text_field(record, "Patient Note", where), text_field(record, "Question", where)),
        answer=answer,
        lower=number_text(require(record, "Lower Limit", where)),
        upper=number_text(require(record, "Upper Limit", where)),
        output_type=output_type,
        meta={
            "calculator_id": calculator_id,
            "calculator_name": text_field(record, "Calculator Name", where),
            "category": text_field(record, "Category", where),
            "difficulty": text_field(record, "Category", where),
        },
    )


SPEC = SourceSpec(
    name="medcalc",
    parse=parse,
    summary="MedCalc-Bench official csv/parquet (Calculator ID, ..., Lower Limit, Upper Limit)",
    hf_id=RELEASES["verified"],
    hf_splits={"train": "train", "test": "test"},
    releases=RELEASES,
)
