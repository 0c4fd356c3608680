"""What every source loader provides, and helpers they share."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from med_u1.data.record import Example, Location, make_example, require, text_field

#: ``parse(record, where, split, index)`` -> an Example, or None to leave the record out.
Parser = Callable[[Mapping[str, Any], Location, str, int], "Example | None"]


@dataclass(frozen=True)
class SourceSpec:
    """A dataset the builder can read: its parser and where it lives on the Hub."""

    name: str
    parse: Parser
    summary: str
    hf_id: str | None = None
    hf_config: str | None = None
    #: our split name -> the Hub split name
    hf_splits: Mapping[str, str] = field(default_factory=lambda: {"train": "train", "validation": "validation", "test": "test"})
    #: releases of the dataset with the same columns: release name -> its Hub id
    releases: Mapping[str, str] = field(default_factory=dict)


def detect_release(spec: SourceSpec, source: str, given: str | None = None) -> dict[str, str] | None:
    """Which release of ``spec`` the input ``source`` is, and how that was decided: the
    ``given`` name (``--release``), the Hub id, or the release's name in the path
    (``MedCalc-Bench-Verified/...``, ``medcalc_v1.2.csv``); None for a dataset without releases."""
    if not spec.releases:
        return None
    if given is not None:
        if given not in spec.releases:
            raise ValueError(f"--release {given!r} is not a release of {spec.name}; known: {', '.join(spec.releases)}")
        return {"release": given, "from": "--release"}
    for name, hub_id in spec.releases.items():
        if source == hub_id:
            return {"release": name, "from": "Hub id"}
    path = _release_words(source)
    named = [name for name in spec.releases if _release_words(name) in path]
    if len(named) == 1:
        return {"release": named[0], "from": "path"}
    return {"release": "unknown", "from": "not detected: pass --release"}


def _release_words(text: str) -> str:
    """``text`` lower-cased with ``-`` and ``_`` read as ``.`` (``v1_2`` and ``V1-2`` match ``v1.2``)."""
    return text.lower().replace("-", ".").replace("_", ".")


def make_uid(name: str, split: str, record_id: Any, index: int) -> str:
    """``name:split:id`` with the record's own id when it has one, else its position."""
    return f"{name}:{split}:{record_id if record_id not in (None, '') else index}"


def parse_options(value: Any, where: Location, field_name: str = "options") -> dict[str, str]:
    """Options as ``{letter: text}`` from a dict, a list of texts or a list of ``{key, value}``."""
    if isinstance(value, Mapping):
        options = {str(k).strip(): str(v).strip() for k, v in value.items() if v is not None}
    elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Mapping) for v in value):
        options = {str(v.get("key", "")).strip(): str(v.get("value", "")).strip() for v in value}
    elif isinstance(value, (list, tuple)) and len(value) <= 26:
        options = {string.ascii_uppercase[i]: str(v).strip() for i, v in enumerate(value) if v is not None}
    else:
        raise where.error(field_name, f"expected a dict or a list of options, got {type(value).__name__}")
    if not options:
        raise where.error(field_name, "has no options")
    return options


def letter_for(answer: str, options: Mapping[str, str], where: Location, field_name: str) -> str:
    """The option letter ``answer`` names: a letter key, or an option's exact text."""
    answer = str(answer).strip()
    if answer.upper() in options and len(answer) == 1:
        return answer.upper()
    matches = [letter for letter, text in options.items() if text == answer]
    if len(matches) == 1:
        return matches[0]
    raise where.error(field_name, f"{answer!r} is not among the options {', '.join(options)}")


def mcqa_example(
    *,
    where: Location,
    name: str,
    source: str,
    split: str,
    index: int,
    record_id: Any,
    question: str,
    options: Mapping[str, str],
    answer: str,
    meta: Mapping[str, Any] | None = None,
) -> Example:
    """A lettered multiple-choice Example."""
    return make_example(
        where,
        question=question,
        answer=answer,
        options=dict(options),
        source=source,
        split=split,
        uid=make_uid(name, split, record_id, index),
        task="mcqa",
        output_type="letter",
        meta=dict(meta or {}),
    )


def context_question(context: str, question: str) -> str:
    """Med-U1's layout of a case and its question (used for MediQ and EHRNoteQA)."""
    return f"<Context>{context}</Context> <Question>{question}</Question>"


__all__ = [
    "SourceSpec",
    "detect_release",
    "Parser",
    "make_uid",
    "parse_options",
    "letter_for",
    "mcqa_example",
    "context_question",
    "require",
    "text_field",
]
