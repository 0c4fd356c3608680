"""Length terms for "Think for N tokens" prompts.

``num_tokens`` N > 0 asks for exactly N tokens, N < 0 for at most |N|, -1 (or 0, None)
sets no budget. ``used`` is the response's token count as verl measured it (never
re-tokenised here).

- L1 (Aggarwal & Welleck 2025, arXiv 2503.04697), additive exact:  ``-alpha * |N - n|``
- L1 max, a factor on correctness:                                   ``clip(alpha * (|N| - n) + 0.5, 0, 1)``
- Med-U1 exact:                                                      ``clip(1 - |n - N| / 1500, -1, 1)``
- Med-U1 max:                                                        ``clip(-(n - |N|) / 500, -1, 1)``
"""

from __future__ import annotations

#: ``(additive, factor, reported)``: ``additive`` is added to the reward, ``factor`` multiplies the
#: correctness term, ``reported`` is what the result's ``length`` field shows. A plain tuple: it is
#: built once per response, and a named tuple's constructor costs a C call with arguments.
LengthTerm = tuple[float, float, float]

NO_LENGTH_TERM: LengthTerm = (0.0, 1.0, 0.0)


def _clip(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def l1_exact(num_tokens: int, used: float, alpha: float) -> float:
    """L1-exact penalty, floored at -1 so one runaway response cannot dominate a batch."""
    value = -alpha * abs(num_tokens - used)
    return -1.0 if value < -1.0 else value


def l1_max_factor(num_tokens: int, used: float, alpha: float) -> float:
    """L1-max multiplier on correctness: 1 well under budget, 0.5 at it, 0 far beyond."""
    return _clip(alpha * (abs(num_tokens) - used) + 0.5, 0.0, 1.0)


def medu1_exact(num_tokens: int, used: float) -> float:
    """Med-U1's exact-budget term."""
    return _clip(1.0 - abs(used - num_tokens) / 1500.0, -1.0, 1.0)


def medu1_max(num_tokens: int, used: float) -> float:
    """Med-U1's maximum-budget term (rewards any response shorter than the budget)."""
    return _clip(-(used - abs(num_tokens)) / 500.0, -1.0, 1.0)


def length_term(mode: str, num_tokens: int | None, used: float | None, alpha: float) -> LengthTerm:
    """The length term of ``mode`` ("l1", "medu1", "none") for one response."""
    if num_tokens is None or num_tokens == -1 or num_tokens == 0 or used is None or mode == "none":  # no budget
        return NO_LENGTH_TERM
    if mode == "medu1":
        value = medu1_exact(num_tokens, used) if num_tokens > 0 else medu1_max(num_tokens, used)
        return value, 1.0, value
    if num_tokens > 0:
        value = l1_exact(num_tokens, used, alpha)
        return value, 1.0, value
    factor = l1_max_factor(num_tokens, used, alpha)
    return 0.0, factor, factor
