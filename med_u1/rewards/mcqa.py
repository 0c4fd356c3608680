"""Multiple-choice verifier: MedQA, MedXpertQA (A-J), MediQ, MedMCQA, MMLU-Pro, EHRNoteQA,
GPQA, and word labels such as PubMedQA's yes/no/maybe.

An answer is read the way a careful grader reads it:

1. The *statement* is what follows the last ``answer is`` / ``answer:`` (``The best answer
   is A because ...``, ``B is incorrect; the answer is A``), else the answer's first paragraph
   (``A`` followed by a blank line and an explanation). It ends at an explanation
   (``because``, ``since``, ``as``, ``which``, ``due to``) or at a blank line.
2. The option texts the statement quotes are set aside, then the option letters it names are
   counted: a letter alone or in a choice's clothes (``(A)``, ``[A]``, ``A.``, ``A:``), but not
   the word "A" or "I" before a lower-case word (``A patient``, ``I think``), nor a letter
   ruled out (``B is incorrect``, ``not B``).
3. Exactly one letter, with no other option's text, is the answer (``Hypoperfusion (A)``,
   ``A, Hypoperfusion``). Several letters (``A or B``, ``(A) (B)``, ``A. Maybe B.``) name
   nothing; so does a letter written with another option's text. With no letter, the
   statement must be one option's text and nothing else.

Word labels (``yes``/``no``/``maybe``, ``true``/``false``): the statement's first word is the
label, and its first clause may hold no other label (``Yes, because ... no difference``
is ``yes``; ``yes or no`` names nothing).
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from collections.abc import Mapping

from med_u1.rewards.contract import CORRECT, WRONG, Reference, RewardConfig, Verdict
from med_u1.rewards.text import unwrap

#: Longest answer worth reading as a statement; longer text can only match an option's text.
MAX_CHOICE_CHARS = 2_000
#: Closed sets of word labels; a ground truth in one of them makes the others wrong answers.
WORD_LABEL_SETS = (("yes", "no", "maybe"), ("true", "false"))

#: A lone letter, possibly after "option"/"answer" and in brackets: ``b``, ``(B).``, ``Option b``.
_LETTER_ONLY = re.compile(r"(?:(?:option|choice|answer)\s*:?\s*)?[(\[]?\s*([A-Za-z])\s*[)\]]?\s*[.:]?", re.IGNORECASE)
#: A commitment: ``answer is``, ``answer would be``, ``answer:``, ``correct option is``.
_COMMITMENT = re.compile(
    r"\b(?:answer|option|choice)\s*(?:\bis\b|\bwould be\b|\bshould be\b|\bmust be\b|:)\s*", re.IGNORECASE
)
#: Where the statement ends and the explanation starts.
_EXPLANATION = re.compile(r"\n\s*\n|\b(?:because|since|as|which|due to|given)\b", re.IGNORECASE)
#: An upper-case letter standing alone (not part of a word or of a code such as ``B12``).
_LETTER = re.compile(r"(?<![A-Za-z0-9])([A-Z])(?![A-Za-z0-9])")
#: After a letter: a lower-case word that makes "A"/"I" the article/pronoun (conjunctions do not).
_ENGLISH_WORD_AFTER = re.compile(r"\s+(?!(?:or|and|nor|vs|versus|is|was|would|seems|appears|looks)\b)[a-z]")
#: After a letter: the letter is ruled out, not named.
_RULED_OUT_AFTER = re.compile(r"[)\]]?\s+(?:is|are|was|seems)\s+(?:not\b|incorrect|wrong|unlikely|less likely)", re.IGNORECASE)
_RULED_OUT_BEFORE = re.compile(r"\bnot\s+[(\[]?$", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[,.;:!?]")
_PUNCTUATION = str.maketrans({char: " " for char in string.punctuation})
#: An option line of a prompt: ``A: text``, ``A. text`` or ``A) text``.
_OPTION_LINE = re.compile(r"^([A-Z])[:.)] +(\S.*)$", re.MULTILINE)


def normalise_text(text: str) -> str:
    """Lower case, punctuation to spaces, single spaces: for comparing option texts."""
    return " ".join(text.lower().translate(_PUNCTUATION).split())


@lru_cache(maxsize=4096)
def labels_for(ground_truth: str, option_keys: tuple[str, ...]) -> tuple[str, ...]:
    """The labels an answer may name: the option keys, else A-J (or up to the truth's letter),
    else the word-label set holding the ground truth."""
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


def options_from_prompt(prompt: str) -> dict[str, str]:
    """The options of the last run of option lines (``A: text``, ``B: text``, ... in order) in ``prompt``.

    An instruction the template appended to the last line after two spaces is cut off.
    """
    lines = _OPTION_LINE.findall(prompt)
    run: list[tuple[str, str]] = []
    for letter, text in reversed(lines):
        if run and ord(letter) != ord(run[0][0]) - 1:
            break
        run.insert(0, (letter, text))
        if letter == "A":
            break
    if len(run) < 2 or run[0][0] != "A":
        return {}
    options = dict(run)
    last = run[-1][0]
    options[last] = re.split(r"\s{2,}", options[last], maxsplit=1)[0]
    return {letter: text.strip() for letter, text in options.items()}


def after_last_commitment(answer: str) -> str:
    """The text after the last ``answer is``/``answer:`` of ``answer``, else all of it."""
    commitments = list(_COMMITMENT.finditer(answer))
    return answer[commitments[-1].end() :] if commitments else answer


def parse_choice(answer: str, labels: tuple[str, ...], options: Mapping[str, str]) -> str | None:
    """The single label ``answer`` commits to, or None when it names none or several."""
    text = unwrap(answer)
    if not text:
        return None
    if len(text) > MAX_CHOICE_CHARS:
        return _option_named_by(text, options)
    if len(labels[0]) > 1:
        return _parse_word_label(text, labels)
    if len(text) == 1:  # a letter alone
        return text.upper() if text.upper() in labels else None
    bare = _LETTER_ONLY.fullmatch(text)
    if bare:
        letter = bare.group(1).upper()
        return letter if letter in labels else None
    return _letter_named_by(after_last_commitment(text), labels, options)


def _letter_named_by(statement: str, labels: tuple[str, ...], options: Mapping[str, str]) -> str | None:
    """Steps 2 and 3 of the module's rule on the statement (cut here at its explanation)."""
    blanked, quoted_at = _set_aside_option_texts(statement, options)
    explanation = _EXPLANATION.search(blanked)
    end = explanation.start() if explanation else len(blanked)
    rest = blanked[:end]
    quoted = {label for label, position in quoted_at.items() if position < end}
    named = {letter for letter in _letters_in(rest) if letter in labels}
    if len(named) > 1 or len(quoted) > 1:
        return None
    if named:
        letter = named.pop()
        return letter if quoted <= {letter} else None
    if quoted and not normalise_text(rest):
        return quoted.pop()
    return None


def _set_aside_option_texts(statement: str, options: Mapping[str, str]) -> tuple[str, dict[str, int]]:
    """``statement`` with the first copy of each option text blanked (longest first, any case),
    and where each was."""
    quoted_at = {}
    lowered = statement.lower()
    if len(lowered) != len(statement):  # a few characters change length in lower case
        lowered = statement
    for label, option in sorted(options.items(), key=lambda item: -len(item[1])):
        needle = option.strip().lower()
        position = lowered.find(needle) if needle else -1
        if position >= 0:
            quoted_at[label] = position
            end = position + len(needle)
            lowered = lowered[:position] + " " * len(needle) + lowered[end:]
            statement = statement[:position] + " " * len(needle) + statement[end:]
    return statement, quoted_at


def _letters_in(text: str) -> list[str]:
    """Upper-case letters ``text`` names as options (not the words "A"/"I", not ruled-out letters)."""
    letters = []
    for match in _LETTER.finditer(text):
        letter, end = match.group(1), match.end()
        if letter in "AI" and _ENGLISH_WORD_AFTER.match(text, end):
            continue
        if _RULED_OUT_AFTER.match(text, end) or _RULED_OUT_BEFORE.search(text, 0, match.start()):
            continue
        letters.append(letter)
    return letters


def _parse_word_label(text: str, labels: tuple[str, ...]) -> str | None:
    statement = _EXPLANATION.split(after_last_commitment(text), maxsplit=1)[0]
    first_clause = _CLAUSE_END.split(statement.strip(), maxsplit=1)[0]
    words = normalise_text(first_clause).split()
    if words and words[0] in labels and not any(word in labels for word in words[1:]):
        return words[0]
    return None


def _option_named_by(text: str, options: Mapping[str, str]) -> str | None:
    wanted = normalise_text(text)
    hits = [label for label, option in options.items() if normalise_text(option) == wanted]
    return hits[0] if len(hits) == 1 else None


def verify_mcqa(pred: str, reference: Reference, config: RewardConfig) -> Verdict:
    """Correct when ``pred`` commits to the ground-truth label."""
    truth = reference.ground_truth.strip()
    options = clean_options(reference.options) if reference.options is not None else {}
    labels = labels_for(truth.upper() if len(truth) == 1 else truth, tuple(options))
    truth = truth.upper() if len(truth) == 1 else truth.lower()
    return CORRECT if parse_choice(pred, labels, options) == truth else WRONG
