"""Multiple-choice verifier: MedQA, MedXpertQA (A-J), MediQ, MedMCQA, MMLU-Pro, EHRNoteQA,
GPQA, and word labels such as PubMedQA's yes/no/maybe.

An answer counts when it names exactly one label: ``B``, ``B.``, ``(B)``, ``b``,
``Option B``, ``The answer is B``, ``\\boxed{B}``, ``B: <option text>`` or the option text
alone (when the options are known). Answers naming several labels (``A or B``, ``ABCD``)
are wrong.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from typing import Mapping

from med_u1.rewards.config import CORRECT, WRONG, Reference, RewardConfig, Verdict
from med_u1.rewards.response import unwrap

#: Longest answer worth parsing as a choice; longer text can only match an option's text.
MAX_CHOICE_CHARS = 2_000

_LEAD_IN = r"(?:(?:the\s+)?(?:correct\s+|final\s+|best\s+)?(?:answer|option|choice)(?:\s+is)?\s*[:\-]?\s*|option\s+|choice\s+)?"
_LETTER_ONLY = re.compile(_LEAD_IN + r"\(?\s*([A-Za-z])\s*\)?\s*[.:)]?\s*$", re.IGNORECASE)
_LETTER_WITH_TEXT = re.compile(_LEAD_IN + r"\(?([A-Z])\)?\s*[.:)\-]\s+(\S.*)$", re.IGNORECASE | re.DOTALL)
#: Closed sets of word labels; a ground truth in one of them makes the others wrong answers.
WORD_LABEL_SETS = (("yes", "no", "maybe"), ("true", "false"))
_ASCII_LETTERS = frozenset(string.ascii_letters)
_PUNCTUATION = str.maketrans({char: " " for char in string.punctuation})


def normalise_text(text: str) -> str:
    """Lower case, punctuation to spaces, single spaces: for comparing option texts."""
    return " ".join(text.lower().translate(_PUNCTUATION).split())


@lru_cache(maxsize=4096)
def _labels_for(ground_truth: str, option_keys: tuple[str, ...]) -> tuple[str, ...]:
    if option_keys:
        return option_keys
    if len(ground_truth) == 1 and ground_truth.isalpha():
        last = max("J", ground_truth.upper())
        return tuple(string.ascii_uppercase[: string.ascii_uppercase.index(last) + 1])
    lowered = ground_truth.lower()
    for label_set in WORD_LABEL_SETS:
        if lowered in label_set:
            return label_set
    return (lowered,)


def clean_options(options: object) -> dict[str, str]:
    """Options as ``{label: text}``; accepts a dict (None values dropped) or a list (A, B, ...)."""
    if options is None:
        return {}
    if isinstance(options, Mapping):
        return {str(k).strip().upper(): str(v) for k, v in options.items() if v is not None and str(v).strip()}
    if isinstance(options, (list, tuple)):
        return {string.ascii_uppercase[i]: str(v) for i, v in enumerate(options[:26]) if v is not None}
    return {}


def parse_choice(answer: str, labels: tuple[str, ...], options: Mapping[str, str]) -> str | None:
    """The single label ``answer`` names, or None when it names none or several."""
    text = unwrap(answer)
    if not text or len(text) > MAX_CHOICE_CHARS:
        return _match_option_text(text, options) if text else None
    if len(labels[0]) > 1:  # word labels (yes/no/maybe)
        return _parse_word_label(text, labels)
    match = _LETTER_ONLY.match(text)
    if match:
        letter = match.group(1).upper()
        return letter if letter in labels else None
    match = _LETTER_WITH_TEXT.match(text)
    if match and match.group(1).upper() in labels:
        letter = match.group(1).upper()
        named = _match_option_text(match.group(2), options)
        return letter if named in (None, letter) else None
    return _match_option_text(text, options)


def _parse_word_label(text: str, labels: tuple[str, ...]) -> str | None:
    words = normalise_text(text).split()
    for lead in (("the", "answer", "is"), ("answer", "is"), ("answer",)):
        if tuple(words[: len(lead)]) == lead:
            words = words[len(lead) :]
            break
    named = {word for word in words if word in labels}
    if len(words) >= 1 and len(named) == 1 and words[0] in labels:
        return words[0]
    return None


def _match_option_text(text: str, options: Mapping[str, str]) -> str | None:
    if not options:
        return None
    wanted = normalise_text(text)
    hits = [label for label, option in options.items() if normalise_text(option) == wanted]
    return hits[0] if len(hits) == 1 else None


def verify_mcqa(pred: str, reference: Reference, config: RewardConfig) -> Verdict:
    """Correct when ``pred`` names the ground-truth label."""
    truth = reference.ground_truth.strip()
    if pred in _ASCII_LETTERS and len(truth) == 1 and reference.options is None:
        return CORRECT if pred.upper() == truth.upper() else WRONG  # a bare letter: nothing to parse
    options = clean_options(reference.options)
    labels = _labels_for(truth.upper() if len(truth) == 1 else truth, tuple(options))
    truth = truth.upper() if len(truth) == 1 else truth.lower()
    return CORRECT if parse_choice(pred, labels, options) == truth else WRONG
