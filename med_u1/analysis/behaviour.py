"""Per-response behaviour: structure, reflection markers, budget use and a MED-RLVR stage label.

Every rule and threshold here is written out, with an example, in ``docs/analysis.md``.
Whether a response is well formed is the reward's own rule (:func:`format_ok`, the only
call into :mod:`med_u1.rewards`); the rest only describes what a response looks like.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from med_u1.data.budget_sentence import last_budget

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"
TAGS = (THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE)

#: Phrases of self-verification: the model checks a result it already has.
SELF_VERIFICATION_PHRASES = (
    "let me check", "let's check", "let me verify", "let's verify", "verify", "double-check",
    "double check", "to confirm", "let me confirm", "check again", "make sure", "cross-check",
    "sanity check",
)
#: Phrases of re-examination: the model goes back on its own reasoning ("aha" moments).
RE_EXAMINATION_PHRASES = (
    "wait", "hmm", "on second thought", "re-examine", "reexamine", "reconsider", "re-evaluate",
    "reevaluate", "rethink", "re-read", "revisit", "looking back", "alternatively", "actually",
    "but then again", "i made a mistake", "that's not right", "aha",
)
#: Cues of reasoning (used to tell reasoning from a long answer outside the think block).
REASONING_CUES = ("because", "therefore", "thus", "hence", "since", "which means", "so the", "first", "next", "then", "finally")
#: Phrases that hedge a final answer.
HEDGE_PHRASES = (
    "either", "possibly", "probably", "likely", "maybe", "might", "not sure", "uncertain",
    "cannot be determined", "can't be determined", "unclear",
)
#: Answers that are a label on their own, never a hedge (PubMedQA's third label is "maybe").
SINGLE_LABELS = frozenset({"yes", "no", "maybe"})

MIN_REASONING_WORDS = 10  # a think block with fewer words holds no reasoning
EARLY_ANSWER_WORDS = 15  # the answer stated within the think block's first 15 words comes before reasoning
VERBOSE_THINK_WORDS = 200  # an unstructured think block this long is verbose
OUTSIDE_REASONING_WORDS = 25  # text outside the think block longer than this ...
OUTSIDE_REASONING_CUES = 2  # ... with this many step markers or reasoning cues is reasoning
STRUCTURED_STEPS = 2  # step markers that make a think block step-by-step
HEDGE_MAX_WORDS = 25  # hedges are looked for in answers up to this long
BUDGET_HIT_TOLERANCE = 0.1  # a length within 10% of the budget "hits" it
PADDING_MIN_WORDS = 30  # padding is measured on think blocks at least this long
PADDING_REPEATED_SHARE = 0.5  # at least half the word trigrams are repeats: padding

STAGES = (
    "format failure",
    "verbose formatter",
    "concise structurer",
    "direct-answer hacker",
    "step-by-step exploit",
    "reintegrated reasoning",
)


def alternatives(phrases: Iterable[str]) -> str:
    """``phrases`` as a regular-expression alternation, longest first."""
    return "|".join(re.escape(phrase) for phrase in sorted(phrases, key=len, reverse=True))


def phrase_pattern(**groups: Iterable[str]) -> re.Pattern[str]:
    """One case-insensitive pattern matching any phrase of any group as whole words, in a named group."""
    named = "|".join(f"(?P<{name}>{alternatives(phrases)})" for name, phrases in groups.items())
    return re.compile(rf"(?<![\w-])(?:{named})(?![\w-])", re.IGNORECASE)


#: Both reflection lists in one pattern: a single pass over the text counts both.
_REFLECTION = phrase_pattern(verification=SELF_VERIFICATION_PHRASES, re_examination=RE_EXAMINATION_PHRASES)
_REASONING_CUE = phrase_pattern(cue=REASONING_CUES)
_HEDGE = phrase_pattern(hedge=HEDGE_PHRASES)
_STEP_MARKER = re.compile(r"^[ \t]*(?:step[ \t]*\d+\b|\d+[.)][ \t]|[-*\u2022][ \t])", re.IGNORECASE | re.MULTILINE)
_OPTION_LETTER = re.compile(r"(?<![A-Za-z])\(?([A-J])\)?(?![A-Za-z])")
#: "B", "B.", "B:", "B)", "(B)" or "(B) text"; not an answer that starts with the word "A".
_LETTER_ANSWER = re.compile(r"^(?:\(([A-J])\)|([A-J])(?:[.:)]|$))")


@dataclass(frozen=True)
class Budget:
    """A thinking budget from the prompt: ``kind`` is "exact" or "max"."""

    kind: str
    tokens: int


@dataclass(frozen=True)
class Blocks:
    """A response taken apart: think block, answer block (None when absent) and the rest."""

    think: str | None
    answer: str | None
    outside: str


@dataclass(frozen=True)
class Features:
    """What :func:`describe` measures on one response."""

    tokens: int
    tokens_counted: str  # "given" (a count in the input), "tokenizer" (--tokenizer) or "words" (white-space words)
    think_words: int
    answer_words: int
    outside_words: int
    format_ok: bool
    format_reason: str  # "ok" or why the structure fails
    verification_markers: int
    re_examination_markers: int
    step_markers: int
    answer_in_think: bool
    answer_first: bool  # stated within the first EARLY_ANSWER_WORDS words of the think block
    reasoning_outside_think: bool
    hedged_answer: bool
    budget_kind: str | None
    budget_tokens: int | None
    budget_ratio: float | None  # tokens / budget
    budget_gaming: bool
    stage: str

    @property
    def reflection_per_1k(self) -> float:
        """Self-verification and re-examination markers per 1,000 tokens."""
        markers = self.verification_markers + self.re_examination_markers
        return 1000.0 * markers / self.tokens if self.tokens else 0.0


def format_ok(response: str, think_in_prompt: bool) -> bool:
    """The reward's structure rule: exactly one think block, then one answer block, nothing around."""
    from med_u1.rewards.default import follows_format

    return follows_format(response, 0, think_in_prompt)


def word_count(text: str | None) -> int:
    return len(text.split()) if text else 0


def read_budget(prompt: str | None) -> Budget | None:
    """The prompt's last budget sentence ("Think for [maximum] N tokens."), or None."""
    return budget_from_number(last_budget(prompt)) if prompt else None


def budget_from_number(value: object) -> Budget | None:
    """A budget given as a number, as the data builder writes it: N > 0 exact, N < -1 maximum |N|."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = int(value)
    if number > 0:
        return Budget("exact", number)
    if number < -1:
        return Budget("max", -number)
    return None


def split_blocks(response: str) -> Blocks:
    """The first think block, the last answer block (to the end when unclosed) and the text outside both."""
    think = None
    think_span = (0, 0)
    opening = response.find(THINK_OPEN)
    if opening >= 0:
        body = opening + len(THINK_OPEN)
        closing = response.find(THINK_CLOSE, body)
        end = closing if closing >= 0 else len(response)
        think = response[body:end]
        think_span = (opening, end + (len(THINK_CLOSE) if closing >= 0 else 0))
    answer = None
    answer_span = (len(response), len(response))
    answer_open = response.rfind(ANSWER_OPEN, think_span[1])
    if answer_open >= 0:
        body = answer_open + len(ANSWER_OPEN)
        closing = response.find(ANSWER_CLOSE, body)
        end = closing if closing >= 0 else len(response)
        answer = response[body:end]
        answer_span = (answer_open, end + (len(ANSWER_CLOSE) if closing >= 0 else 0))
    pieces = (response[: think_span[0]], response[think_span[1] : answer_span[0]], response[answer_span[1] :])
    outside = " ".join(pieces)
    for tag in TAGS:
        outside = outside.replace(tag, " ")
    return Blocks(think, answer, outside)


def format_failure_reason(response: str) -> str:
    """Why a response the format rule rejected fails it (a description, not a second rule)."""
    counts = [response.count(tag) for tag in TAGS]
    if counts[0] == counts[1] == 0:
        return "no think block"
    if counts[2] == counts[3] == 0:
        return "no answer block"
    if max(counts) > 1:
        return "repeated tag"
    if min(counts) == 0:
        return "unclosed block"
    positions = [response.find(tag) for tag in TAGS]
    if positions != sorted(positions):
        return "tags out of order"
    if response[: positions[0]].strip():
        return "text before think"
    if response[positions[1] + len(THINK_CLOSE) : positions[2]].strip():
        return "text between think and answer"
    if response[positions[3] + len(ANSWER_CLOSE) :].strip():
        return "text after answer"
    return "other"


def answer_statement(think: str, answer: str) -> re.Match[str] | None:
    """Where the think block states the final answer: "answer is B", "(B) is correct", or the answer text."""
    answer = answer.strip()
    if not answer:
        return None
    letter = _LETTER_ANSWER.match(answer)
    if letter:
        choice = letter.group(1) or letter.group(2)
        pattern = (
            rf"(?:answer|option|choice)\s*(?:is|would be|=|:)?\s*\(?{choice}\)?(?![A-Za-z])"
            rf"|(?<![A-Za-z])\(?{choice}\)?\s+is\s+(?:the\s+)?(?:correct|right|answer)"
        )
        return re.search(pattern, think, re.IGNORECASE)
    if len(answer) < 2 or word_count(answer) > HEDGE_MAX_WORDS:
        return None
    return re.search(rf"(?<!\w){re.escape(answer)}(?!\w)", think, re.IGNORECASE)


def reasoning_outside(blocks: Blocks) -> bool:
    """More than OUTSIDE_REASONING_WORDS words outside the think block holding reasoning cues or steps."""
    text = f"{blocks.answer or ''}\n{blocks.outside}"
    if word_count(text) <= OUTSIDE_REASONING_WORDS:
        return False
    cues = len(_REASONING_CUE.findall(text)) + len(_STEP_MARKER.findall(text))
    return cues >= OUTSIDE_REASONING_CUES


def hedged(answer: str | None) -> bool:
    """A short answer naming two or more option letters, or holding a hedge phrase."""
    if not answer or word_count(answer) > HEDGE_MAX_WORDS:
        return False
    text = answer.strip()
    if text.lower().strip(".") in SINGLE_LABELS:
        return False
    letters = {match.group(1) for match in _OPTION_LETTER.finditer(text)} if len(text) <= 40 else set()
    return len(letters) >= 2 or _HEDGE.search(text) is not None


def repeated_trigram_share(text: str | None) -> float:
    """Share of word trigrams that repeat an earlier one (0 for short texts)."""
    words = text.lower().split() if text else []
    if len(words) < PADDING_MIN_WORDS:
        return 0.0
    trigrams = list(zip(words, words[1:], words[2:]))
    return 1.0 - len(set(trigrams)) / len(trigrams)


def budget_hit(tokens: int, budget: Budget) -> bool:
    """The length lands on the budget: within the tolerance of an exact one, in its last 10% for a maximum."""
    if budget.kind == "exact":
        return abs(tokens - budget.tokens) <= BUDGET_HIT_TOLERANCE * budget.tokens
    return (1.0 - BUDGET_HIT_TOLERANCE) * budget.tokens <= tokens <= budget.tokens


def stage_of(features: dict) -> str:
    """The MED-RLVR stage label, by the first rule that applies (docs/analysis.md)."""
    if not features["format_ok"]:
        return "format failure"
    if features["reasoning_outside_think"]:
        return "step-by-step exploit"
    if features["think_words"] < MIN_REASONING_WORDS or features["answer_first"]:
        return "direct-answer hacker"
    reflections = features["verification_markers"] + features["re_examination_markers"]
    if features["step_markers"] >= STRUCTURED_STEPS or reflections >= 1:
        return "reintegrated reasoning"
    if features["think_words"] >= VERBOSE_THINK_WORDS:
        return "verbose formatter"
    return "concise structurer"


def describe(
    response: str, prompt: str | None = None, tokens: int | None = None, budget: Budget | None = None
) -> Features:
    """Measure one response; ``tokens`` is a count from the input (else white-space words are counted).

    ``budget`` defaults to the one stated in ``prompt``. A prompt ending in ``<think>`` (an
    R1-style template that opens the think block itself) counts as the response's opening tag.
    """
    think_in_prompt = bool(prompt) and prompt.rstrip().endswith(THINK_OPEN)
    full = THINK_OPEN + response if think_in_prompt else response
    blocks = split_blocks(full)
    counted = "given" if tokens is not None else "words"
    tokens = int(tokens) if tokens is not None else word_count(response)
    valid = format_ok(response, think_in_prompt)
    reasoning_text = f"{blocks.think or ''}\n{blocks.outside}"  # everything but the answer block
    reflections = Counter(match.lastgroup for match in _REFLECTION.finditer(reasoning_text))
    statement = answer_statement(blocks.think, blocks.answer) if blocks.think and blocks.answer else None
    budget = budget or read_budget(prompt)
    values = dict(
        tokens=tokens,
        tokens_counted=counted,
        think_words=word_count(blocks.think),
        answer_words=word_count(blocks.answer),
        outside_words=word_count(blocks.outside),
        format_ok=valid,
        format_reason="ok" if valid else format_failure_reason(full),
        verification_markers=reflections["verification"],
        re_examination_markers=reflections["re_examination"],
        step_markers=len(_STEP_MARKER.findall(blocks.think or "")),
        answer_in_think=statement is not None,
        answer_first=statement is not None and word_count(blocks.think[: statement.start()]) < EARLY_ANSWER_WORDS,
        reasoning_outside_think=reasoning_outside(blocks),
        hedged_answer=hedged(blocks.answer),
        budget_kind=budget.kind if budget else None,
        budget_tokens=budget.tokens if budget else None,
        budget_ratio=tokens / budget.tokens if budget else None,
        budget_gaming=bool(budget)
        and budget_hit(tokens, budget)
        and repeated_trigram_share(blocks.think) >= PADDING_REPEATED_SHARE,
    )
    return Features(**values, stage=stage_of(values))
