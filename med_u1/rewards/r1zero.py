"""Medical R1-Zero's reward (Qsingle/open-medical-r1 @d4daaea, ``src/open_r1/rewards.py``):
four terms summed with equal weights, each giving what the original's function gives.

* ``accuracy`` (0, 1 or 2; the original's ``verify``): the text from the first ``<answer>`` to
  the last ``</answer>`` (a greedy span), stripped, earns 2 when it is the answer letter or the
  letter in parentheses (``C``, ``(C)``), else 1 when the option given is text and the answer
  starts with it (a case-insensitive regular-expression match of the escaped text), else 0; no
  span earns 0. An option that is not text (the original's MedXpertQA rows pass the whole
  options dict) earns no text credit, as the original's swallowed exception gives.
* ``soft_format`` (0 or 1; first half of ``format_reward``): from its start, the completion is
  ``<think>...</think>``, at most one white-space character, then ``<answer>...</answer>``
  (anything may follow).
* ``strict_format`` (0 or 1; second half): the whole completion has that shape, where, as with
  the original's ``$``, one line break may end the completion after ``</answer>``.
* ``xml_count`` (0 to 1; ``xmlcount_reward_func``): 0.25 for each of ``<think>``, ``</think>``,
  ``<answer>``, ``</answer>`` that occurs exactly once.

The total lies in [0, 5]. The format patterns are compiled with ``re.DOTALL`` (multi-line
reasoning can pass). Each term is computed without backtracking, in time linear in the
completion, with the results the original regular expressions give.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from med_u1.errors import UserError
from med_u1.rewards.contract import Reference, Result, RewardConfig, ScoreInput, register_preset
from med_u1.rewards.default import END_MARKERS, response_start
from med_u1.rewards.mcqa import clean_options

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"
XML_TAGS = (THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE)
XML_TAG_CREDIT = 0.25
EXACT_LETTER_CREDIT = 2.0
OPTION_TEXT_CREDIT = 1.0
#: Between the think block and the answer block: at most one white-space character.
_BLOCK_SEPARATOR = re.compile(r"</think>\s?<answer>")


class R1ZeroScore(NamedTuple):
    """The four terms of the reward; ``total`` is their sum."""

    accuracy: float
    soft_format: float
    strict_format: float
    xml_count: float

    @property
    def total(self) -> float:
        return self.accuracy + self.soft_format + self.strict_format + self.xml_count


def answer_span(completion: str) -> str | None:
    """The stripped text from the first ``<answer>`` to the last ``</answer>`` after it, or None."""
    start = completion.find(ANSWER_OPEN)
    end = completion.rfind(ANSWER_CLOSE)
    if start < 0 or end < start + len(ANSWER_OPEN):
        return None
    return completion[start + len(ANSWER_OPEN) : end].strip()


def accuracy(completion: str, letter: str, option: object) -> float:
    """2 for the letter (or ``(letter)``), 1 for an answer starting with ``option`` when it is
    text (any case), else 0: the original's ``verify(content, reference, option)``."""
    answer = answer_span(completion)
    if answer is None:
        return 0.0
    letter = letter.strip()
    if answer in (letter, f"({letter})"):
        return EXACT_LETTER_CREDIT
    if isinstance(option, str) and re.match(re.escape(option), answer, re.IGNORECASE):
        return OPTION_TEXT_CREDIT
    return 0.0


def _first_separator_end(completion: str) -> int | None:
    """End of the first ``</think>\\s?<answer>`` after the opening ``<think>``, or None."""
    if not completion.startswith(THINK_OPEN):
        return None
    separator = _BLOCK_SEPARATOR.search(completion, len(THINK_OPEN))
    return None if separator is None else separator.end()


def soft_format(completion: str) -> float:
    """1 when the completion starts with ``<think>.*?</think>\\s?<answer>.*?</answer>``."""
    answer_start = _first_separator_end(completion)
    return 1.0 if answer_start is not None and completion.find(ANSWER_CLOSE, answer_start) >= 0 else 0.0


def strict_format(completion: str) -> float:
    """1 when the whole completion is ``<think>.*?</think>\\s?<answer>.*?</answer>``, a final line
    break allowed (the original's ``$`` matches before a line break that ends the string)."""
    answer_start = _first_separator_end(completion)
    if answer_start is None:
        return 0.0
    end = len(completion) - 1 if completion.endswith("\n") else len(completion)
    return 1.0 if completion.endswith(ANSWER_CLOSE, answer_start, end) else 0.0


def xml_count(completion: str) -> float:
    """0.25 for each of the four tags that occurs exactly once."""
    return sum(XML_TAG_CREDIT for tag in XML_TAGS if completion.count(tag) == 1)


def r1zero_score(completion: str, letter: str, option: object) -> R1ZeroScore:
    """The four terms for one completion, the correct ``letter`` and the ``option`` the original
    passes with it (the correct option's text)."""
    return R1ZeroScore(
        accuracy(completion, letter, option),
        soft_format(completion),
        strict_format(completion),
        xml_count(completion),
    )


def correct_option_text(reference: Reference) -> str | None:
    """The text of the option the ground-truth letter names, when the row lists its options."""
    text = clean_options(reference.options).get(reference.ground_truth.strip().upper(), "")
    return text if text.strip() else None


def completion_text(text: str) -> str:
    """The completion as TRL hands it to a reward: after the chat header and its line break,
    without the end-of-turn tokens that end it (TRL decodes without special tokens, keeping the
    white space around them)."""
    start = response_start(text)
    if start and text.startswith("\n", start):
        start += 1
    end = len(text)
    spaces_after_markers: list[str] = []
    while True:
        stop = end
        while stop > start and text[stop - 1].isspace():
            stop -= 1
        marker = next((marker for marker in END_MARKERS if text.endswith(marker, start, stop)), None)
        if marker is None:
            return text[start:end] + "".join(reversed(spaces_after_markers))
        spaces_after_markers.append(text[stop:end])
        end = stop - len(marker)


def score(task: str, row: ScoreInput, config: RewardConfig) -> Result:
    """The ``r1zero`` preset: Medical R1-Zero's summed reward (0-5) against the first reference.

    Multiple-choice rows only (the original knows nothing else); ``acc`` is 1 when the
    accuracy term gives any credit, ``format`` the strict-format term.
    """
    if task != "mcqa":
        raise UserError(
            f"the r1zero preset scores multiple-choice rows only, not task {task!r}: "
            "use it on multiple-choice data, or another preset (default, medu1, medrlvr)"
        )
    reference = row.references[0]
    completion = completion_text(row.response)
    terms = r1zero_score(completion, reference.ground_truth.strip(), correct_option_text(reference))
    return Result(
        score=terms.total,
        acc=1.0 if terms.accuracy > 0 else 0.0,
        format=terms.strict_format,
        length=0.0,
        pred=answer_span(completion),
    )


register_preset("r1zero", score, "Medical R1-Zero's reward: accuracy 2/1/0 + soft and strict format + tag count, in [0, 5]")
