"""The thinking-budget sentence at the end of a prompt, written and read only here.

Med-U1's convention for a budget N: ``Think for N tokens.`` (N > 0, exact), ``Think for
maximum |N| tokens.`` (N < -1, an upper bound) and no sentence for -1 (no budget). Data
builders write it; the Med-U1 row reader, evaluation (budget sweeps, rescoring) and analysis
read it back as the same signed number.
"""

from __future__ import annotations

import re

NO_BUDGET = -1
_SENTENCE = re.compile(r"Think for (maximum )?(\d+) tokens\.")
_TRAILING = re.compile(r"\s*" + _SENTENCE.pattern + r"\s*$")


def budget_sentence(num_tokens: int) -> str:
    """``Think for N tokens.`` for N > 0, ``Think for maximum |N| tokens.`` for N < -1, "" for -1."""
    if num_tokens == NO_BUDGET:
        return ""
    if num_tokens < 0:
        return f"Think for maximum {abs(num_tokens)} tokens."
    if num_tokens == 0:
        raise ValueError("a thinking budget of 0 tokens is not meaningful")
    return f"Think for {num_tokens} tokens."


def last_budget(text: str) -> int | None:
    """The signed budget of the last budget sentence anywhere in ``text``, or None without one."""
    matches = _SENTENCE.findall(text)
    if not matches:
        return None
    maximum, number = matches[-1]
    return _signed(maximum, number)


def split_budget(text: str) -> tuple[str, int | None]:
    """``text`` without its trailing budget sentence (and the spaces before it), and that budget."""
    match = _TRAILING.search(text)
    if match is None:
        return text, None
    return text[: match.start()], _signed(match.group(1), match.group(2))


def with_budget(text: str, num_tokens: int) -> str:
    """``text`` asking for ``num_tokens`` instead of its own trailing budget (if any)."""
    body = split_budget(text)[0].rstrip()
    return f"{body} {budget_sentence(num_tokens)}".rstrip()


def _signed(maximum: str | None, number: str) -> int:
    return -int(number) if maximum else int(number)
