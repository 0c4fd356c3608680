"""The verdict tables of docs/rewards.md, checked row by row: the docs and the code cannot disagree."""

import re
from pathlib import Path

import pytest

from med_u1.rewards import compute_score

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rewards.md"
OPTIONS = {"A": "Hypoperfusion", "B": "Hypoxia", "C": "Hepatitis B vaccine", "D": "Beta blocker"}
_UNESCAPED_BAR = re.compile(r"(?<!\\)\|")


def table(name: str) -> list[list[str]]:
    """The body rows of the table between ``<!-- examples:NAME -->`` markers, cells unquoted."""
    text = DOCS.read_text(encoding="utf-8")
    body = text.split(f"<!-- examples:{name} -->", 1)[1].split(f"<!-- /examples:{name} -->", 1)[0]
    rows = []
    for line in body.strip().splitlines()[2:]:
        cells = [cell.strip().replace("\\|", "|") for cell in _UNESCAPED_BAR.split(line.strip())[1:-1]]
        rows.append([cell[1:-1].replace("\\n", "\n") if cell.startswith("`") else cell for cell in cells])
    return rows


def answered(answer: str) -> str:
    return f"<think>x</think><answer>{answer}</answer>"


@pytest.mark.parametrize("answer,verdict,why", table("mcqa"))
def test_multiple_choice_examples(answer, verdict, why):
    """With the options, and without them where the verdict does not rest on an option's text."""
    for info in ({"options": OPTIONS}, {}) if "text" not in why else ({"options": OPTIONS},):
        assert compute_score("MedQA", answered(answer), "A", info)["acc"] == (verdict == "correct"), (answer, info)


UNTAGGED_OPTIONS = {"A": "Prescribing desmopressin", "B": "Reassuring the parents and use of an enuresis alarm",
                    "C": "Imipramine at bedtime, with a review in two weeks",
                    "D": "Referral to a paediatric urologist or nephrologist"}


@pytest.mark.parametrize("response,verdict,why", table("untagged"))
def test_untagged_examples(response, verdict, why):
    result = compute_score("MedIQ", response, "B", {"options": UNTAGGED_OPTIONS}, answer_from="any")
    assert result["acc"] == (verdict == "correct"), response


@pytest.mark.parametrize("answer,verdict,why", table("pubmedqa"))
def test_pubmedqa_examples(answer, verdict, why):
    assert compute_score("PubMedQA", answered(answer), "yes")["acc"] == (verdict == "correct")


def limits(cell: str) -> dict:
    if cell == "-":
        return {}
    lower, upper = cell.strip("[]").split(", ")
    return {"lower_limit": lower, "upper_limit": upper}


@pytest.mark.parametrize("answer,truth,bounds,output_type,verdict,why", table("calc"))
def test_medcalc_examples(answer, truth, bounds, output_type, verdict, why):
    info = {**limits(bounds), **({"output_type": output_type} if output_type != "-" else {})}
    assert compute_score("MedCalc-Bench", answered(answer), truth, info)["acc"] == (verdict == "correct")


@pytest.mark.parametrize("response,format_ok,why", table("format"))
def test_format_examples(response, format_ok, why):
    assert compute_score("MedXpertQA", response, "C")["format"] == float(format_ok)


def test_every_table_has_rows():
    names = ("mcqa", "untagged", "pubmedqa", "calc", "format")
    assert {name: len(table(name)) > 3 for name in names} == dict.fromkeys(names, True)
