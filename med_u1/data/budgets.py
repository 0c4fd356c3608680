"""Thinking-budget sampling with Med-U1's flag semantics, seeded."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Mapping

from med_u1.data.budget_sentence import NO_BUDGET

EXACT_RANGE = (100, 2000)  # Med-U1's "Think for N tokens." range
LOG2_RANGE = (8.0, 14.5)  # --use-log: N = int(2 ** uniform(8, 14.5)), about 256..23170


@dataclass(frozen=True)
class BudgetOptions:
    """Which budget each row gets (Med-U1's flags; the default is an exact budget in 100..2000).

    ``use_both``: half exact, half none. ``use_both_both``: half exact, half maximum
    ("Think for maximum N tokens."). ``keep_source``: the budget already in a Med-U1 row.
    """

    num_tokens: int = NO_BUDGET
    do_normal: bool = False
    use_log: bool = False
    use_both: bool = False
    use_both_both: bool = False
    keep_source: bool = False

    def __post_init__(self) -> None:
        chosen = [name for name in ("do_normal", "use_log", "use_both", "use_both_both", "keep_source") if getattr(self, name)]
        if self.num_tokens != NO_BUDGET:
            chosen.append("num_tokens")
        if self.num_tokens == 0:
            raise ValueError("--num-tokens 0 is not a budget; use --do-normal for no budget")
        if len(chosen) > 1:
            raise ValueError(f"budget flags {', '.join('--' + c for c in chosen)} are mutually exclusive")

    @property
    def mode(self) -> str:
        """A short name of the budget scheme, for the build summary."""
        if self.num_tokens != NO_BUDGET:
            return f"fixed {self.num_tokens}"
        for name in ("do_normal", "use_log", "use_both", "use_both_both", "keep_source"):
            if getattr(self, name):
                return name
        return "exact 100..2000"


def sample_budget(rng: random.Random, options: BudgetOptions, meta: Mapping[str, object]) -> int:
    """One row's budget: N > 0 exact, N < -1 maximum |N|, -1 none."""
    if options.num_tokens != NO_BUDGET:
        return options.num_tokens
    if options.do_normal:
        return NO_BUDGET
    if options.keep_source:
        return int(meta.get("source_num_tokens", NO_BUDGET))  # type: ignore[arg-type]
    if options.use_log:
        return int(2 ** rng.uniform(*LOG2_RANGE))
    if options.use_both:
        return rng.randint(*EXACT_RANGE) if rng.random() < 0.5 else NO_BUDGET
    if options.use_both_both:
        budget = rng.randint(*EXACT_RANGE)
        return -budget if rng.random() < 0.5 else budget
    return rng.randint(*EXACT_RANGE)
