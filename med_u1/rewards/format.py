"""Structure reward: one ``<think>`` block, then one ``<answer>`` block, nothing else.

The check counts every tag (so duplicated or stray tags cannot pay, cf. the tag-count
hacking reported against open-r1) and demands that only white space stands before the
think block, between the two blocks and after the answer block.
"""

from __future__ import annotations

from med_u1.rewards.response import (
    ANSWER_CLOSE,
    ANSWER_OPEN,
    STRUCTURE_TAGS,
    THINK_CLOSE,
    THINK_OPEN,
    TagLayout,
    extract_answer,
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


def read_structure(text: str, start: int = 0, end: int | None = None, think_in_prompt: bool = False) -> tuple[bool, str | None]:
    """``(format_ok, pred)``: :func:`structure_ok` and :func:`extract_answer` of ``text[start:end]``.

    A well-formed response is recognised in place from a handful of searches anchored
    on its tags; anything else is copied out and gets the full tag count.
    """
    end = len(text) if end is None else end
    if not think_in_prompt:
        answer = well_formed_answer(text, start, end)
        if answer is not None:
            return True, answer.strip()
    response = text[start:end]
    return structure_ok(response, TagLayout.of(response), think_in_prompt), extract_answer(response)


_THINK_OPEN_LEN, _THINK_CLOSE_LEN, _ANSWER_OPEN_LEN, _ANSWER_CLOSE_LEN = map(len, STRUCTURE_TAGS)


def well_formed_answer(text: str, start: int = 0, end: int | None = None) -> str | None:
    """The answer block of ``text[start:end]`` when that is exactly one think block then one answer block.

    None when it is not so, and also when the answer holds a ``<`` (left to the full
    check). It walks from one ``<`` to the next (a C-speed search) and gives up at the
    first thing out of place, so a response costs a few searches either way. The
    searches may run past ``end`` (as :func:`response_bounds` sets it): only white space
    and end-of-turn tokens lie there, never a structure tag, and the last check demands
    that nothing but white space follows the answer block up to ``end``.
    """
    think_open = text.find("<", start)
    if think_open < 0 or not text.startswith(THINK_OPEN, think_open) or text[start:think_open].strip():
        return None
    think_close = text.find("<", think_open + _THINK_OPEN_LEN)
    while think_close >= 0 and not text.startswith(STRUCTURE_TAGS, think_close):
        think_close = text.find("<", think_close + 1)
    if think_close < 0 or not text.startswith(THINK_CLOSE, think_close):
        return None
    think_end = think_close + _THINK_CLOSE_LEN
    answer_open = text.find("<", think_end)
    if answer_open < 0 or not text.startswith(ANSWER_OPEN, answer_open) or text[think_end:answer_open].strip():
        return None
    answer_start = answer_open + _ANSWER_OPEN_LEN
    answer_close = text.find("<", answer_start)
    if answer_close < 0 or not text.startswith(ANSWER_CLOSE, answer_close) or text[answer_close + _ANSWER_CLOSE_LEN : end].strip():
        return None
    return text[answer_start:answer_close]
