"""MedCalc-Bench verifier, following the benchmark's official evaluation rules.

- decimal calculators: correct when the answer lies in [Lower Limit, Upper Limit];
- integer-score calculators: the answer is rounded first (Python's ``round``, as the
  official evaluator does) and compared with the ground truth;
- dates: compared as dates, however written (``9/23/2014``, ``2014-09-23``, ``October 26th, 2023``);
- gestational age ``('17 weeks', '6 days')``: weeks and days compared, however written
  (``(17, 6)``, ``[17, 6]``, ``17 weeks and 6 days``, ``17 weeks, 6 days (125 days)``).

A worked solution (more than one sentence holding a number) is read by its concluding
statement only (:func:`concluding_statement`); without one it is wrong, so a number of the
working is never paid.

The answer is the quantity the model commits to: after the last ``=``, without asides in
brackets (``24.2 (normal 18.5-24.9)``), the last number that is not part of a unit (``E3 V4 M6,
total 13`` is 13; ``85 mL/min/1.73 m²`` is 85). A hedge is wrong even when one of its values
is right: a range (``37-45``, ``3 to 10``, ``between 30 and 45``), ``38 ± 20``, ``38 or 60``,
a list of numbers, two dates, two gestational ages. NaN and infinity are always wrong.

The output type comes from the row: ``output_type``, else the official calculator id
(:data:`CALCULATOR_OUTPUT_TYPES`); only a row with neither has it inferred
(:func:`infer_output_type`). Missing or non-numeric limits fall back to
``ground truth ± calc_tolerance`` (5% by default, MedCalc-Bench's own margin).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from functools import lru_cache
from typing import NamedTuple

from med_u1.rewards.contract import CORRECT, WRONG, Reference, RewardConfig, Verdict
from med_u1.rewards.text import unwrap

#: Longest answer read at all: a worked solution ending in its conclusion fits many times over.
MAX_CALC_CHARS = 20_000
OUTPUT_TYPES = ("decimal", "integer", "date", "tuple")
#: Output type of each official calculator id, as the official evaluator sorts them
#: (ncbi-nlp/MedCalc-Bench ``evaluation/evaluate.py`` at commit 048ba77d).
CALCULATOR_OUTPUT_TYPES = {
    **{calculator: "date" for calculator in (13, 68)},
    69: "tuple",
    **{calculator: "integer" for calculator in (4, 15, 16, 17, 18, 20, 21, 25, 27, 28, 29, 32, 33, 36, 43, 45, 48, 51)},
    **{
        calculator: "decimal"
        for calculator in (2, 3, 5, 6, 7, 8, 9, 10, 11, 19, 22, 23, 24, 26, 30, 31, 38, 39, 40, 44, 46, 49, *range(56, 68))
    },
}

#: A number standing alone: not glued to a letter (``E3``, ``m2``), not after ``/`` or ``^``
#: (``/1.73 m²``, ``10^9``), not the base of a power.
_NUMBER = re.compile(
    r"(?<![\w.^/])[-+\u2212]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\d^])"
    r"|(?<![\w.^/])[-+\u2212]?\.\d+(?:[eE][-+]?\d+)?(?![\d^])"
)
#: Asides after the value: a bracketed remark (``(normal 18.5-24.9)``), ``out of 10``.
_ASIDE = re.compile(r"(?<=[\w%\u00b2\u00b3.])\s*(?:\([^()]*\)|\[[^\[\]]*\])|(?<!\s)\s+out of\s+\d+", re.IGNORECASE)
#: Two values offered at once: a range, ``±``, an alternative, a list.
_HEDGE = re.compile(
    r"\d\s*(?:-|\u2013|\u2014|\bto\b|\bor\b|\band\b|\u00b1|\+/-|\+-|[,;]\s)\s*[-+\u2212]?\.?\d|\bbetween\b",
    re.IGNORECASE,
)
#: A statement of one of the patient's values: a conclusion only when it restates the result
#: of the working before it (``... = 1.238. The patient's delta ratio is 1.238.``), since the
#: same words also state the inputs (``The patient's weight is 42 kg.``).
_PATIENT_VALUE = re.compile(r"\bpatient'?s?\b[^.!?]*?\s[-+\u2212]?\.?\d", re.IGNORECASE)
#: A running total is a step of the working, however it is worded (``making the current total 3``).
_RUNNING_TOTAL = re.compile(r"\b(?:current|running)\s+(?:total|score|sum)\b|\bso far\b", re.IGNORECASE)
_DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d", "%m-%d-%Y", "%Y/%m/%d", "%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y")
_ORDINAL = r"(?:st|nd|rd|th)?"
#: A date in numbers (``9/23/2014``, ``2014-09-23``) or words, with or without an ordinal
#: (``September 23, 2014``, ``Oct 26th 2023``, ``26th of October, 2023``).
_DATE_LIKE = re.compile(
    r"\d{1,4}[/-]\d{1,2}[/-]\d{1,4}"
    rf"|[A-Za-z]{{3,9}}\.? \d{{1,2}}{_ORDINAL},? \d{{4}}"
    rf"|\d{{1,2}}{_ORDINAL} (?:of )?[A-Za-z]{{3,9}}\.?,? \d{{4}}"
)
#: What a date in words drops before it is read: an ordinal's letters, ``of``, commas, points.
_DATE_NOISE = re.compile(r"(?<=\d)(?:st|nd|rd|th)\b|\bof\b|[.,]")
_WEEKS = re.compile(r"(?<!\d)(\d+)\s*(?:weeks?|wks?|w)\b", re.IGNORECASE)
_DAYS = re.compile(r"(?<!\d)(\d+)\s*(?:days?|d)\b", re.IGNORECASE)
#: Two whole numbers and a comma, with anything but digits around: ``(17, 6)``, ``[17, 6]``, ``GA: 17, 6``.
_PAIR = re.compile(r"\D*?(\d+)[^\d,]*,[^\d,]*(\d+)\D*")
#: A total in days in brackets after a gestational age: ``(125 days)``, ``(i.e. 125 days)``.
_DAYS_TOTAL = re.compile(r"\(\s*(?:(?:i\.?e\.?,?|=|total:?|a total of)\s*)?\d+\s*days?(?: in total| total)?\s*\)", re.IGNORECASE)
#: Where a sentence ends: after ``.``/``!``/``?`` before a capital (not inside ``1.7``), or a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s*(?=[A-Z])|\n+")
#: Words that make a sentence a conclusion rather than a step of the working.
_CONCLUSION = re.compile(
    r"\b(?:hence|therefore|thus|in total|total|overall|final(?:ly)?|answer|altogether|in conclusion|in summary"
    r"|equivalent|comes to|amounts to)\b|="
    r"|\b(?:score|estimated|calculated|corrected|adjusted)\b[^.!?]*?\b(?:is|was|of)\s+[-+\u2212]?\.?\d",
    re.IGNORECASE,
)


def concluding_statement(text: str) -> str | None:
    """The statement that holds the answer: a short answer whole; for a worked solution (more
    than one sentence holding a number), its last such sentence when that states a conclusion
    (``Hence, the patient's APACHE II score is 26.``) or restates the working's result
    (:data:`_PATIENT_VALUE`), else None: a step of the working
    (``Age 67 gives 5 points.``, ``making the current total 3``) is never the answer."""
    with_numbers = [sentence for sentence in _SENTENCE_END.split(text) if _NUMBER.search(sentence)]
    if len(with_numbers) <= 1:
        return text
    conclusion, working = with_numbers[-1], with_numbers[-2]
    if _RUNNING_TOTAL.search(conclusion):
        return None
    if _CONCLUSION.search(conclusion) or _PATIENT_VALUE.search(conclusion) and _last_number(conclusion) == _last_number(working):
        return conclusion
    return None


def _last_number(text: str) -> float:
    return float(_NUMBER.findall(text)[-1].replace(",", "").replace("\u2212", "-"))


def committed_part(text: str) -> str:
    """The part of an answer that states its value: after the last ``=``, without asides."""
    if "=" in text:
        text = text.rsplit("=", 1)[1]
    return _ASIDE.sub("", text)


def parse_number(text: str) -> float | None:
    """The number an answer commits to (see the module docstring); None for a hedge or no number."""
    text = committed_part(text)
    if _HEDGE.search(text):
        return None
    numbers = _NUMBER.findall(text)
    if not numbers:
        return None
    value = float(numbers[-1].replace(",", "").replace("\u2212", "-"))
    return value if math.isfinite(value) else None


def parse_date(text: str) -> date | None:
    """The one calendar date an answer states, in any common US/ISO/long form; None for none or two."""
    dates = {_read_date(match.group(0)) for match in _DATE_LIKE.finditer(committed_part(text))}
    dates.discard(None)
    return dates.pop() if len(dates) == 1 else None


def _read_date(candidate: str) -> date | None:
    candidate = " ".join(_DATE_NOISE.sub(" ", candidate).split())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(candidate, fmt).date()
        except ValueError:
            continue
    return None


def parse_weeks_days(text: str) -> tuple[int, int] | None:
    """``(weeks, days)`` from ``('17 weeks', '6 days')``, ``17 weeks and 6 days``, ``17w 6d``, days
    alone (``6 days``), or two numbers and a comma (``(17, 6)``, ``[17, 6]``); a total in brackets
    after it is an aside (``17 weeks, 6 days (125 days)``); None for none or two ages."""
    if "=" in text:
        text = text.rsplit("=", 1)[1]
    text = _DAYS_TOTAL.sub("", text)
    weeks, days = _WEEKS.findall(text), _DAYS.findall(text)
    if len(weeks) > 1 or len(days) > 1:
        return None
    if weeks:
        return int(weeks[0]), int(days[0]) if days else 0
    if days:
        return divmod(int(days[0]), 7)
    pair = _PAIR.fullmatch(text.strip())
    return (int(pair.group(1)), int(pair.group(2))) if pair else None


def _as_float(value: object) -> float | None:
    try:
        number = float(str(value).replace(",", ""))
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def output_type_of(ground_truth: str, lower: str, upper: str, output_type: str) -> str:
    """``date``, ``tuple``, ``integer`` or ``decimal``: the row's output type, else inferred."""
    if output_type in OUTPUT_TYPES:
        return output_type
    return infer_output_type(ground_truth, lower, upper)


def calculator_output_type(calculator_id: object) -> str | None:
    """The official output type of a MedCalc-Bench calculator id (``"13"``, ``13``, ``13.0``), if known."""
    number = _as_float(calculator_id)
    return CALCULATOR_OUTPUT_TYPES.get(int(number)) if number is not None and number.is_integer() else None


def infer_output_type(ground_truth: str, lower: str | None, upper: str | None) -> str:
    """The output type of a row that states neither an output type nor a calculator id.

    ``tuple`` when the ground truth names weeks; ``date`` when it is a date written with ``/``;
    ``integer`` when it is a whole number written without a point, both limits equal it and it
    is not 0 (a decimal calculator whose truth is 0 gets the limits 0/0 too); else ``decimal``,
    so a row without limits gets the ``calc_tolerance`` margin.
    """
    if "week" in ground_truth.lower():
        return "tuple"
    if "/" in ground_truth and parse_date(ground_truth) is not None:
        return "date"
    truth = _as_float(ground_truth)
    if truth is not None and truth.is_integer() and truth != 0 and "." not in ground_truth:
        if _as_float(lower) == truth and _as_float(upper) == truth:
            return "integer"
    return "decimal"


class CalcTruth(NamedTuple):
    """The ground-truth side of a MedCalc check: its kind, value (None: unreadable) and bounds."""

    kind: str
    value: date | tuple[int, int] | float | None
    low: float = 0.0
    high: float = 0.0


@lru_cache(maxsize=8192)
def read_calc_truth(ground_truth: str, lower: str, upper: str, output_type: str, tolerance: float) -> CalcTruth:
    """Parse a ground truth once (a GRPO group of rollouts shares it); limits as ``str``."""
    kind = output_type_of(ground_truth, lower, upper, output_type)
    if kind == "date":
        return CalcTruth(kind, parse_date(ground_truth))
    if kind == "tuple":
        return CalcTruth(kind, parse_weeks_days(ground_truth))
    truth = _as_float(ground_truth)
    if truth is None or kind == "integer":
        return CalcTruth(kind, truth)
    low, high = _as_float(lower), _as_float(upper)
    if low is None or high is None or low > high:
        margin = abs(truth) * tolerance
        low, high = truth - margin, truth + margin
    return CalcTruth(kind, truth, low, high)


def verify_medcalc(pred: str, reference: Reference, config: RewardConfig) -> Verdict:
    """Correct when ``pred`` matches the MedCalc-Bench ground truth under the official rules."""
    text = unwrap(pred)
    if not text or len(text) > MAX_CALC_CHARS:
        return WRONG
    text = concluding_statement(text)
    if text is None:
        return WRONG
    truth = read_calc_truth(
        reference.ground_truth.strip(), str(reference.lower_limit), str(reference.upper_limit), str(reference.output_type), config.calc_tolerance
    )
    if truth.value is None:
        return WRONG
    if truth.kind == "date":
        return CORRECT if parse_date(text) == truth.value else WRONG
    if truth.kind == "tuple":
        return CORRECT if parse_weeks_days(text) == truth.value else WRONG
    value = parse_number(text)
    if value is None:
        return WRONG
    if truth.kind == "integer":
        return CORRECT if round(value) == round(truth.value) else WRONG
    return CORRECT if truth.low <= value <= truth.high else WRONG
