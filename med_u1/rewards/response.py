"""Locate the model's response in a decoded string and take its tagged parts apart.

Every function here runs in time linear in the input (``str.find``/``rfind``/``count``
and regular expressions without backtracking), so a megabyte of tag soup costs
milliseconds.
"""

from __future__ import annotations

import re
from typing import NamedTuple

#: Chat-template markers after which the assistant's turn starts (Qwen/ChatML, Llama 3, Gemma),
#: tried in this order: the response starts after the first occurrence of the first one found.
RESPONSE_MARKERS = (
    "<|im_start|>assistant",
    "<|start_header_id|>assistant<|end_header_id|>",
    "<start_of_turn>model",
)
#: Tokens a chat template opens a conversation with: a string that starts with one holds the
#: prompt before the response (verl < 0.4); any other string is the response alone.
PROMPT_OPENINGS = ("<|im_start|>", "<|begin_of_text|>", "<|start_header_id|>", "<bos>", "<start_of_turn>", "<s>")
_PROMPT_OPENING = re.compile(r"\s*(?:" + "|".join(map(re.escape, PROMPT_OPENINGS)) + ")")
#: End-of-turn tokens that a decoder may leave at the end of a response.
END_MARKERS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<end_of_turn>", "</s>", "<eos>")
#: Any one end-of-turn token, as a regular expression.
END_MARKER_PATTERN = "(?:" + "|".join(map(re.escape, END_MARKERS)) + ")"
#: Most end-of-turn tokens :data:`TRAILER_PATTERN` takes (each costs the regex engine a step).
MAX_TRAILER_MARKERS = 16
#: What :func:`response_end` cuts off, as a regular expression anchored at the end of the text,
#: when it holds at most :data:`MAX_TRAILER_MARKERS` end-of-turn tokens.
TRAILER_PATTERN = rf"\s*(?:{END_MARKER_PATTERN}\s*){{0,{MAX_TRAILER_MARKERS}}}\Z"

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"


STRUCTURE_TAGS = (THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE)
#: Each tag's first seven characters, which tell the four apart.
_TAG_INDEX = {tag[:7]: index for index, tag in enumerate(STRUCTURE_TAGS)}
#: Past this many ``<`` characters a string is tag soup, counted by :meth:`TagLayout.of_soup`.
MAX_ANGLES_SCANNED = 64
#: One slot per ``<`` a scan may visit (a constant, so a scan does not build its own range).
ANGLE_SLOTS = range(MAX_ANGLES_SCANNED)
#: Farthest a ``\\boxed{`` looks for its closing brace, in characters.
MAX_BOXED_CHARS = 20_000
#: Longest answer :func:`unwrap` peels wrappers off.
MAX_WRAPPED_CHARS = 2_000
_BRACES = re.compile(r"[{}]")


def isolate_response(text: str) -> str:
    """The assistant's part of ``text``: after the chat marker, without end tokens.

    verl >= 0.4 passes the response alone; older versions pass prompt + response, which
    this handles as long as the prompt was rendered with a known chat template.
    """
    start, end = response_bounds(text)
    return text[start:end]


def response_bounds(text: str) -> tuple[int, int]:
    """``(start, end)`` of :func:`isolate_response`'s part of ``text``.

    The reward's hot path needs only :func:`response_start`: it reads the response in place,
    since slicing a non-ASCII string costs a scan of every character.
    """
    start = response_start(text)
    return start, response_end(text, start)


def response_start(text: str) -> int:
    """Where the response starts: 0 for a response passed alone; in a string that opens with a
    chat template's first token (prompt + response), after the first occurrence of the first
    assistant marker found."""
    if not _PROMPT_OPENING.match(text):
        return 0
    for marker in RESPONSE_MARKERS:
        position = text.find(marker)
        if position >= 0:
            return position + len(marker)
    return 0


def response_end(text: str, start: int) -> int:
    """Where the response ends: before the trailing white space and end-of-turn tokens.

    While the response ends with a token, every copy of that token is blanked to as many
    spaces and the white space is cut: C-speed passes, however many tokens a decoder left.
    (Tokens cannot overlap, since each holds one ``<``, its first character.)
    """
    response = text[start:].rstrip()
    while response.endswith(END_MARKERS):
        marker = next(marker for marker in END_MARKERS if response.endswith(marker))
        response = response.replace(marker, " " * len(marker)).rstrip()
    return start + len(response)


class TagLayout(NamedTuple):
    """Counts and first positions of the four structure tags in a response (-1: absent)."""

    counts: tuple[int, int, int, int]
    firsts: tuple[int, int, int, int]

    @classmethod
    def of(cls, response: str) -> "TagLayout":
        """Hop between ``<`` characters; tag soup with many of them goes to :meth:`of_soup`."""
        counts = [0, 0, 0, 0]
        firsts = [-1, -1, -1, -1]
        position = response.find("<")
        for _ in ANGLE_SLOTS:
            if position < 0:
                return cls(tuple(counts), tuple(firsts))  # type: ignore[arg-type]
            index = _TAG_INDEX.get(response[position : position + 7])
            if index is not None and response.startswith(STRUCTURE_TAGS[index], position):
                counts[index] += 1
                if firsts[index] < 0:
                    firsts[index] = position
            position = response.find("<", position + 1)
        return cls.of_soup(response)

    @classmethod
    def of_soup(cls, response: str) -> "TagLayout":
        """``str.count`` each tag (C speed, whatever the number of tags), then ``find`` the first."""
        counts = tuple(response.count(tag) for tag in STRUCTURE_TAGS)
        firsts = tuple(response.find(tag) if count else -1 for tag, count in zip(STRUCTURE_TAGS, counts))
        return cls(counts, firsts)  # type: ignore[arg-type]


def last_answer_block(text: str, start: int = 0, end: int | None = None) -> str | None:
    """Content of the last complete ``<answer>...</answer>`` block (innermost) in ``text[start:end]``, or None."""
    close = text.rfind(ANSWER_CLOSE, start, end)
    if close < 0:
        return None
    open_ = text.rfind(ANSWER_OPEN, start, close)
    if open_ < 0:
        return None
    return text[open_ + len(ANSWER_OPEN) : close]


def last_boxed(text: str, start: int = 0, end: int | None = None) -> str | None:
    """Content of the last balanced ``\\boxed{...}`` (or ``\\fbox{...}``) in ``text[start:end]``, or None.

    The closing brace is looked for within :data:`MAX_BOXED_CHARS` of the opening one,
    hopping from brace to brace, so an unclosed box in a long text costs little.
    """
    end = len(text) if end is None else end
    box = text.rfind("\\boxed{", start, end)
    if box < 0:
        box = text.rfind("\\fbox{", start, end)
        if box < 0:
            return None
    brace = text.index("{", box)
    depth = 0
    for match in _BRACES.finditer(text, brace, min(end, brace + MAX_BOXED_CHARS)):
        depth += 1 if match.group() == "{" else -1
        if depth == 0:
            return text[brace + 1 : match.start()]
    return None


def extract_answer(text: str, start: int = 0, end: int | None = None) -> str | None:
    """The final answer in ``text[start:end]``: the last ``<answer>`` block, else the last ``\\boxed{}``; stripped."""
    answer = last_answer_block(text, start, end)
    if answer is None:
        answer = last_boxed(text, start, end)
    return None if answer is None else answer.strip()


_WRAPPERS = (
    re.compile(r"^\\boxed\{(.*)\}$", re.DOTALL),
    re.compile(r"^\\text(?:bf)?\{(.*)\}$", re.DOTALL),
    re.compile(r"^\$+(.*?)\$+$", re.DOTALL),
    re.compile(r"^\*\*(.*)\*\*$", re.DOTALL),
    re.compile(r"^`+(.*?)`+$", re.DOTALL),
)


_WRAPPER_STARTS = frozenset("\\$*`")


def unwrap(answer: str) -> str:
    """Peel LaTeX/markdown wrappers (``\\boxed{}``, ``\\text{}``, ``$..$``, ``**..**``) off an answer.

    An answer longer than :data:`MAX_WRAPPED_CHARS` is only stripped: peeling costs a
    pass over the answer per layer, and no real answer hides under that many wrappers.
    """
    answer = answer.strip()
    if len(answer) > MAX_WRAPPED_CHARS:
        return answer
    changed = True
    while changed and answer and answer[0] in _WRAPPER_STARTS:
        changed = False
        for pattern in _WRAPPERS:
            match = pattern.match(answer)
            if match:
                answer = match.group(1).strip()
                changed = True
    return answer
