"""The normalised record shared by data building, evaluation and analysis."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from med_u1.rewards import registry

OUTPUT_TYPES = ("letter", "integer", "decimal", "date", "tuple", "text")
SPLITS = ("train", "validation", "test")

DATE_PATTERN = re.compile(r"^\d{2}/\d{2}/\d{4}$")
TUPLE_PATTERN = re.compile(r"^\('\d+ weeks?', '\d+ days?'\)$")
LETTER_PATTERN = re.compile(r"^[A-Z]$")


class FieldError(ValueError):
    """A record field is missing or invalid (location not yet known)."""

    def __init__(self, field_name: str, reason: str):
        super().__init__(f"field {field_name!r}: {reason}")
        self.field = field_name
        self.reason = reason


class RecordError(ValueError):
    """A record is invalid; names the file, the line/row and the field."""

    def __init__(self, file: str, line: str, field_name: str, reason: str):
        super().__init__(f"{file}, {line}, field {field_name!r}: {reason}")
        self.file = file
        self.line = line
        self.field = field_name
        self.reason = reason


@dataclass(frozen=True)
class Location:
    """Where a raw record came from: a file (or dataset id) and a line/row label."""

    file: str
    line: str

    def error(self, field_name: str, reason: str) -> RecordError:
        """A :class:`RecordError` at this location."""
        return RecordError(self.file, self.line, field_name, reason)


@dataclass(frozen=True)
class Example:
    """One question with its reference answer, independent of any prompt format.

    ``options`` maps letters to option texts (multiple choice with letters), ``answer`` is
    the letter, number, date, gestational-age tuple, label word or free text; limits are
    the MedCalc tolerance bounds as strings. ``meta`` carries extra fields
    (difficulty, medical_task, body_system, labels, ...).
    """

    question: str
    answer: str
    source: str
    split: str
    uid: str
    task: str
    output_type: str
    options: Mapping[str, str] | None = None
    lower_limit: str | None = None
    upper_limit: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_choice("source", self.source, registry.canonical_sources())
        _check_choice("split", self.split, SPLITS)
        _check_choice("task", self.task, tuple(registry.TASKS))
        _check_choice("output_type", self.output_type, OUTPUT_TYPES)
        for name in ("question", "answer", "uid"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise FieldError(name, f"must be a non-empty string, got {value!r}")
        if self.options is not None:
            _check_options(self.options, self.answer)
        if self.output_type == "letter" and self.options is None:
            raise FieldError("options", "a letter answer needs options")
        _check_answer_format(self.output_type, self.answer)
        for name in ("lower_limit", "upper_limit"):
            _check_limit(name, getattr(self, name), self.output_type)
        if registry.task_of(self.source) != self.task:
            raise FieldError("task", f"{self.task!r} is not the task of {self.source} ({registry.task_of(self.source)!r})")


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise FieldError(name, f"{value!r} is not one of {', '.join(choices)}")


def _check_options(options: Mapping[str, str], answer: str) -> None:
    if not options:
        raise FieldError("options", "is empty")
    for letter, text in options.items():
        if not isinstance(letter, str) or not LETTER_PATTERN.match(letter):
            raise FieldError("options", f"key {letter!r} is not a capital letter")
        if not isinstance(text, str) or not text.strip():
            raise FieldError("options", f"option {letter} has no text")
    if answer not in options:
        raise FieldError("answer", f"{answer!r} is not among the options {', '.join(options)}")


def _check_answer_format(output_type: str, answer: str) -> None:
    if output_type in ("integer", "decimal") and not _is_number(answer):
        raise FieldError("answer", f"{answer!r} is not a number")
    if output_type == "integer" and not float(answer).is_integer():
        raise FieldError("answer", f"{answer!r} is not an integer")
    if output_type == "date" and not DATE_PATTERN.match(answer):
        raise FieldError("answer", f"{answer!r} is not a MM/DD/YYYY date")
    if output_type == "tuple" and not TUPLE_PATTERN.match(answer):
        raise FieldError("answer", f"{answer!r} is not a ('N weeks', 'M days') tuple")


def _check_limit(name: str, value: str | None, output_type: str) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise FieldError(name, f"must be a string, got {type(value).__name__}")
    if output_type in ("integer", "decimal") and not _is_number(value):
        raise FieldError(name, f"{value!r} is not a number")


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except (TypeError, ValueError):
        return False


def make_example(where: Location, **fields: Any) -> Example:
    """Build an :class:`Example`, turning a field error into a located :class:`RecordError`."""
    try:
        return Example(**fields)
    except FieldError as exc:
        raise where.error(exc.field, exc.reason) from None


def require(record: Mapping[str, Any], name: str, where: Location) -> Any:
    """``record[name]``, or a located error naming the missing field."""
    value = record.get(name) if isinstance(record, Mapping) else None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise where.error(name, "is missing")
    return value


def text_field(record: Mapping[str, Any], name: str, where: Location) -> str:
    """A required field as stripped text."""
    value = require(record, name, where)
    text = str(value).strip()
    if not text:
        raise where.error(name, "is empty")
    return text
