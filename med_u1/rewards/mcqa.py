"""Multiple-choice verifier: MedQA, MedXpertQA (A-J), MediQ, MedMCQA, MMLU-Pro, EHRNoteQA,
GPQA, and word labels such as PubMedQA's yes/no/maybe.

An answer is read the way a careful grader reads it:

1. The *statement* is what follows the last ``answer is`` / ``answer:`` (``The best answer
   is A because ...``, ``B is incorrect; the answer is A``; not a judgement such as ``This option
   is correct``), else the answer's first paragraph
   (``A`` followed by a blank line and an explanation). It ends at an explanation
   (``because``, ``since``, ``as``, ``which``, ``due to``) or at a blank line. After a change
   of mind (``B... wait, actually A``) its last part that names an option counts.
2. The option texts the statement quotes are set aside, then the option letters it names are
   counted: a letter alone or in a choice's clothes (``(A)``, ``[A]``, ``A.``, ``A:``), in
   lower case only where nothing else can be meant (``a)``, ``a.``, a final ``a``), but not
   the article "A" or the pronoun "I" (``A patient``, ``I think``), nor a letter ruled out
   (``B is incorrect``, ``not B``).
3. Exactly one letter, with no other option's text, is the answer (``Hypoperfusion (A)``,
   ``A, Hypoperfusion``, ``a) hypoperfusion``). Several letters (``A or B``, ``(A) (B)``,
   ``Both D and A are correct``) name nothing; so does a letter written with another option's
   text. With no letter, the statement must be one option's text, an article aside.

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
#: Words an option's text may stand beside and still be the whole answer (``a hypoperfusion``).
_ARTICLES = frozenset({"a", "an", "the"})
#: What an option's text is replaced with once read: neither a word nor white space, so the
#: article before it stays an article (``a hypoxia``).
_SET_ASIDE = "_"

#: A lone letter, possibly after "option"/"answer" and in brackets: ``b``, ``(B).``, ``Option b``.
_LETTER_ONLY = re.compile(r"(?:(?:option|choice|answer)\s*:?\s*)?[(\[]?\s*([A-Za-z])\s*[)\]]?\s*[.:]?", re.IGNORECASE)
#: A commitment: ``answer is``, ``answer would be``, ``answer:``, ``correct option is``; not a
#: judgement of an option already named (``B: ... This option is correct because ...``).
_COMMITMENT = re.compile(
    r"\b(?:answer|option|choice)\s*(?:\bis\b|\bwould be\b|\bshould be\b|\bmust be\b|:)\s*"
    r"(?!\s*(?:not\s+)?(?:correct|incorrect|wrong|right|true|false)\b)",
    re.IGNORECASE,
)
#: Where the statement ends and the explanation starts.
_EXPLANATION = re.compile(r"\n\s*\n|\b(?:because|since|as|which|due to|given)\b", re.IGNORECASE)
_JOINERS = r"or|and|nor|vs|versus"
#: A letter standing alone (not part of a word, a code such as ``B12`` or a contraction such as
#: ``I'm``): any upper-case one; a lower-case one only where nothing else can be meant: in or
#: before a bracket (``(a)``, ``a)``), before punctuation or the end (``a.``, ``a,``; not
#: ``i.e.``), or before a conjunction (``a or b``). The article "a" is followed by its noun.
_LETTER = re.compile(
    r"(?<![A-Za-z0-9])([A-Z])(?![A-Za-z0-9'\u2019])"
    r"|(?<![A-Za-z0-9.'\u2019])([a-z])"
    rf"(?=\s*[)\]]|[.:,;!?]*\s*$|[.:,;!?](?![A-Za-z])|\s+(?:{_JOINERS})\b)"
)
#: After "A": a lower-case word that makes it the article, unless a conjunction or a verb
#: (``A patient`` is the article; ``A or B``, ``Both D and A are correct`` name letters).
_ARTICLE_A = re.compile(
    rf"\s+(?!(?:{_JOINERS}|is|are|was|were|would|could|should|might|may|must|will|can|seems?|appears?|looks?"
    r"|remains|fits|has|have|had|does|do)\b)[a-z]"
)
#: After "I": a lower-case word that makes it the pronoun, unless a conjunction or a verb of
#: the third person (``I think`` is the pronoun; ``I is correct`` names option I).
_PRONOUN_I = re.compile(rf"\s+(?!(?:{_JOINERS}|is|seems|appears|looks|remains|fits|has|does)\b)[a-z]")
#: A change of mind: the answer is the last part after one that names an option
#: (``B... wait, actually A``, ``B, no, A``, ``B. Correction: A``).
_CORRECTION = re.compile(
    r"\b(?:wait|actually|correction|on second thought|scratch that|i mean|no(?=\s*[,.;:!]))\b", re.IGNORECASE
)
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
    """Steps 2 and 3 of the module's rule on the statement, cut at its explanation; after a
    change of mind (:data:`_CORRECTION`), on the last part that names an option."""
    blanked, quoted_at = _set_aside_option_texts(statement, options)
    explanation = _EXPLANATION.search(blanked)
    end = explanation.start() if explanation else len(blanked)
    for start, stop in reversed(_parts(blanked, end)):
        rest = blanked[start:stop]
        quoted = {label for label, position in quoted_at.items() if start <= position < stop}
        named = {letter for letter in _letters_in(rest) if letter in labels}
        if named or quoted:
            return _single_choice(named, quoted, rest)
    return None


def _parts(text: str, end: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of the parts of ``text[:end]`` between changes of mind."""
    bounds, start = [], 0
    for correction in _CORRECTION.finditer(text, 0, end):
        bounds.append((start, correction.start()))
        start = correction.end()
    bounds.append((start, end))
    return bounds


def _single_choice(named: set[str], quoted: set[str], rest: str) -> str | None:
    """The one option a part names: one letter quoting no other option's text, or, without a
    letter, one option's text with nothing but an article beside it."""
    if len(named) > 1 or len(quoted) > 1:
        return None
    if named:
        letter = next(iter(named))
        return letter if quoted <= {letter} else None
    if quoted and set(normalise_text(rest).split()) <= _ARTICLES:
        return next(iter(quoted))
    return None


def _set_aside_option_texts(statement: str, options: Mapping[str, str]) -> tuple[str, dict[str, int]]:
    """``statement`` with the first copy of each option text replaced by :data:`_SET_ASIDE`
    (longest first, any case), and where each was."""
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
            lowered = lowered[:position] + _SET_ASIDE * len(needle) + lowered[end:]
            statement = statement[:position] + _SET_ASIDE * len(needle) + statement[end:]
    return statement, quoted_at


def _letters_in(text: str) -> list[str]:
    """Letters ``text`` names as options, upper-cased (not the words "A"/"I", not ruled-out letters)."""
    letters = []
    for match in _LETTER.finditer(text):
        letter, end = match.group(1) or match.group(2).upper(), match.end()
        if match.group(1) == "A" and _ARTICLE_A.match(text, end) or match.group(1) == "I" and _PRONOUN_I.match(text, end):
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
