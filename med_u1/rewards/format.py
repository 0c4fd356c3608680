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

    Without ``think_in_prompt`` the layout is decided in place by :func:`anchored_structure`
    from a few searches; only the rare undecided response is copied out for the full tag count.
    """
    if not think_in_prompt:
        format_ok, answer = anchored_structure(text, start, end)
        if format_ok:
            return True, answer.strip()  # type: ignore[union-attr]
        if format_ok is False:
            return False, extract_answer(text, start, end)
    response = text[start:end]
    return structure_ok(response, TagLayout.of(response), think_in_prompt), extract_answer(response)


_THINK_OPEN_LEN, _THINK_CLOSE_LEN, _ANSWER_OPEN_LEN, _ANSWER_CLOSE_LEN = map(len, STRUCTURE_TAGS)


def anchored_structure(text: str, start: int = 0, end: int | None = None) -> tuple[bool | None, str | None]:
    """:func:`structure_ok` of ``text[start:end]`` decided by walking its tags in order.

    Returns ``(True, answer block)`` for a well-formed response, ``(False, None)`` when
    the structure fails, and ``(None, None)`` when the answer block holds a ``<`` that
    is not a tag (left to the full check). It walks from one ``<`` to the next (a C-speed
    search): the first must open the think block, the first tag after it must close it,
    the next ``<`` must open the answer and the one after must close it, with only white
    space around. Any other first tag means a duplicated or misplaced tag, so the first
    thing out of place decides. Searches may run past ``end`` (as :func:`response_bounds`
    sets it): only white space and end-of-turn tokens lie there, never a structure tag.
    """
    failed = (False, None)
    think_open = text.find("<", start)
    if think_open < 0 or not text.startswith(THINK_OPEN, think_open) or text[start:think_open].strip():
        return failed
    think_close = text.find("<", think_open + _THINK_OPEN_LEN)
    while not text.startswith(THINK_CLOSE, think_close):  # a failed search (-1) matches no tag
        if think_close < 0 or text.startswith(STRUCTURE_TAGS, think_close):
            return failed
        think_close = text.find("<", think_close + 1)
    think_end = think_close + _THINK_CLOSE_LEN
    answer_open = text.find("<", think_end)
    if answer_open < 0 or not text.startswith(ANSWER_OPEN, answer_open) or text[think_end:answer_open].strip():
        return failed
    answer_start = answer_open + _ANSWER_OPEN_LEN
    answer_close = text.find("<", answer_start)
    if answer_close < 0:
        return failed
    if not text.startswith(ANSWER_CLOSE, answer_close):
        return failed if text.startswith(STRUCTURE_TAGS, answer_close) else (None, None)
    if text[answer_close + _ANSWER_CLOSE_LEN : end].strip():
        return failed
    return True, text[answer_start:answer_close]
