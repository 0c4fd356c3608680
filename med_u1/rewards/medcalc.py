"""MedCalc-Bench verifier, following the benchmark's official evaluation rules.

- decimal calculators: correct when the answer lies in [Lower Limit, Upper Limit];
- integer-score calculators (lower = upper = answer): the answer is rounded first
  (Python's ``round``, as the official evaluator does);
- dates: compared as dates, however written (``9/23/2014``, ``09/23/2014``, ``2014-09-23``);
- gestational age ``('17 weeks', '6 days')``: weeks and days compared, however written.

Numbers may carry units, thousands separators, a leading ``=`` or words around them, or
scientific notation; NaN and infinity are always wrong. Missing or non-numeric limits fall
back to ``ground truth +- calc_tolerance`` (5% by default, MedCalc-Bench's own margin).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from functools import lru_cache
from typing import NamedTuple

from med_u1.rewards.config import CORRECT, WRONG, Reference, RewardConfig, Verdict
from med_u1.rewards.response import unwrap

MAX_CALC_CHARS = 2_000

_NUMBER = re.compile(
    r"(?<![\d.])[-+\u2212]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?(?!\d)"
    r"|(?<![\d.])[-+\u2212]?\.\d+(?:[eE][-+]?\d+)?"
)
_DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d", "%m-%d-%Y", "%Y/%m/%d", "%B %d, %Y", "%b %d, %Y", "%d %B %Y")
_DATE_LIKE = re.compile(r"\d{1,4}[/-]\d{1,2}[/-]\d{1,4}|[A-Za-z]{3,9}\.? \d{1,2}, \d{4}|\d{1,2} [A-Za-z]{3,9} \d{4}")
_WEEKS = re.compile(r"(\d+)\s*(?:weeks?|wks?|w)\b", re.IGNORECASE)
_DAYS = re.compile(r"(\d+)\s*(?:days?|d)\b", re.IGNORECASE)
_PAIR = re.compile(r"^\(?\s*['\"]?\s*(\d+)[^\d,]*,\s*['\"]?\s*(\d+)[^\d]*\)?$")


def parse_number(text: str) -> float | None:
    """The number an answer states: after the last ``=``, the first number found."""
    if "=" in text:
        text = text.rsplit("=", 1)[1]
    match = _NUMBER.search(text)
    if match is None:
        return None
    number = match.group(0)
    if "," in number or "\u2212" in number:
        number = number.replace(",", "").replace("\u2212", "-")
    value = float(number)
    return value if math.isfinite(value) else None


def parse_date(text: str) -> date | None:
    """A calendar date written in any common US/ISO/long form, or None."""
    match = _DATE_LIKE.search(text)
    if match is None:
        return None
    candidate = match.group(0).replace(".", "")
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(candidate, fmt).date()
        except ValueError:
            continue
    return None


def parse_weeks_days(text: str) -> tuple[int, int] | None:
    """``(weeks, days)`` from ``('17 weeks', '6 days')``, ``17 weeks and 6 days``, ``(17, 6)``."""
    weeks, days = _WEEKS.search(text), _DAYS.search(text)
    if weeks and days:
        return int(weeks.group(1)), int(days.group(1))
    if weeks and not days:
        return int(weeks.group(1)), 0
    pair = _PAIR.match(text.strip())
    return (int(pair.group(1)), int(pair.group(2))) if pair else None


def _as_float(value: object) -> float | None:
    try:
        number = float(str(value).replace(",", ""))
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def answer_kind(ground_truth: str, lower: str, upper: str, output_type: str) -> str:
    """``date``, ``tuple``, ``integer`` or ``decimal``: the stated output type, else inferred."""
    if output_type in ("date", "tuple", "integer", "decimal"):
        return output_type
    if "week" in ground_truth.lower():
        return "tuple"
    if parse_date(ground_truth) is not None and "/" in ground_truth:
        return "date"
    truth = _as_float(ground_truth)
    if truth is not None and truth.is_integer() and "." not in ground_truth:
        low, high = _as_float(lower), _as_float(upper)
        if (low is None and high is None) or (low == truth and high == truth):
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
    kind = answer_kind(ground_truth, lower, upper, output_type)
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
