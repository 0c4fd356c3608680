"""Structure reward: one ``<think>`` block, then one ``<answer>`` block, nothing else.

The check counts every tag (so duplicated or stray tags cannot pay, cf. the tag-count
hacking reported against open-r1) and demands that only white space stands before the
think block, between the two blocks and after the answer block.
"""

from __future__ import annotations

import re

from med_u1.rewards.response import (
    ANGLE_SLOTS,
    ANSWER_CLOSE,
    END_MARKER_PATTERN,
    STRUCTURE_TAGS,
    THINK_CLOSE,
    TRAILER_PATTERN,
    TagLayout,
    extract_answer,
    response_end,
)


def structure_ok(response: str, layout: TagLayout, think_in_prompt: bool = False) -> bool:
    """True when ``response`` is exactly ``<think>...</think><answer>...</answer>``.

    With ``think_in_prompt`` the chat template already opened ``<think>`` (R1-style
    prompts), so the response must contain no ``<think>`` of its own.
    """
    think_open, think_close, answer_open, answer_close = layout.firsts
    expected_opens = 0 if think_in_prompt else 1
    if layout.counts != (expected_opens, 1, 1, 1):
        return False
    if not think_close < answer_open < answer_close:
        return False
    if not think_in_prompt and response[:think_open].strip():
        return False
    between = response[think_close + len(THINK_CLOSE) : answer_open]
    after = response[answer_close + len(ANSWER_CLOSE) :]
    return not between.strip() and not after.strip()


def read_structure(text: str, start: int = 0, think_in_prompt: bool = False) -> tuple[bool, str | None]:
    """``(format_ok, pred)``: :func:`structure_ok` and :func:`extract_answer` of the response in ``text``.

    The response runs from ``start`` to :func:`response_end` (trailing white space and
    end-of-turn tokens are not part of it). Without ``think_in_prompt`` the layout is
    decided in place by :func:`anchored_structure`, and only the rare undecided response
    is copied out for the full tag count. (The answer is extracted from the whole rest of
    ``text``: the trailer holds no answer tag, box or brace, so the result is the same.)
    """
    if not think_in_prompt:
        format_ok, answer = anchored_structure(text, start)
        if format_ok:
            return True, answer.strip()  # type: ignore[union-attr]
        if format_ok is False:
            return False, extract_answer(text, start)
    response = text[start : response_end(text, start)]
    return structure_ok(response, TagLayout.of(response), think_in_prompt), extract_answer(response)


#: The think block's opening tag, after nothing but white space.
_THINK_OPENING = re.compile(r"\s*<think>")
#: From the think block's closing tag to the end: white space, an answer block without ``<``, the trailer.
_ANSWER_TO_THE_END = re.compile(r"</think>\s*<answer>([^<]*)</answer>" + TRAILER_PATTERN)
#: From the think block's closing tag, what only the full check decides: an answer block whose
#: first ``<`` is not a structure tag, or one followed by more end-of-turn tokens than the above takes.
_ANSWER_FOR_THE_FULL_CHECK = re.compile(
    r"</think>\s*<answer>[^<]*(?:<(?!/?(?:think|answer)>)|</answer>\s*" + END_MARKER_PATTERN + ")"
)
_UNDECIDED = (None, None)


def anchored_structure(text: str, start: int = 0) -> tuple[bool | None, str | None]:
    """:func:`structure_ok` of the response from ``start``, decided in place.

    Returns ``(True, answer block)`` for a well-formed response, ``(False, None)`` when
    the structure fails, and ``(None, None)`` when only the full check can tell. Only
    white space may precede ``<think>``; then the walk hops from one ``<`` of the think
    block to the next (a C-speed search). At each, a regular expression tries the rest of
    a well-formed response: ``</think>``, white space, an answer block without ``<``, and
    after it nothing but the trailer :func:`response_end` cuts. The first structure tag
    met ends the walk: a misplaced or duplicated tag fails; after ``</think>``, an answer
    block holding another ``<``, or followed by more end-of-turn tokens than
    :data:`~med_u1.rewards.response.MAX_TRAILER_MARKERS`, is undecided, and anything else
    fails. A think block with more than
    :data:`~med_u1.rewards.response.MAX_ANGLES_SCANNED` other ``<`` is undecided too.
    """
    failed = (False, None)
    opening = _THINK_OPENING.match(text, start)
    if opening is None:
        return failed
    angle = text.find("<", opening.end())
    for _ in ANGLE_SLOTS:
        if angle < 0:
            return failed
        answer = _ANSWER_TO_THE_END.match(text, angle)
        if answer is not None:
            return True, answer.group(1)
        if text.startswith(STRUCTURE_TAGS, angle):
            closes_think = text.startswith(THINK_CLOSE, angle)
            return _UNDECIDED if closes_think and _ANSWER_FOR_THE_FULL_CHECK.match(text, angle) else failed
        angle = text.find("<", angle + 1)
    return _UNDECIDED  # tag soup: the full check counts tags at C speed
