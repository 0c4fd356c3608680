"""MED-RLVR's rule-based reward (arXiv 2502.19655): format validity first, then correctness.

A response that breaks the required ``<think>...</think> <answer>...</answer>`` format earns
-1 whatever its answer; a well-formed response earns 1 when its answer is correct and 0
otherwise. The paper's own wording could not be read here (only its abstract); the three
values are those its secondary summaries report, see ``docs/rewards.md``.
"""

from __future__ import annotations

MALFORMED = -1.0
WRONG_ANSWER = 0.0
CORRECT_ANSWER = 1.0


def medrlvr_reward(format_ok: bool, correct: bool) -> float:
    """-1 for a malformed response, else 1 for a correct answer and 0 for a wrong one."""
    if not format_ok:
        return MALFORMED
    return CORRECT_ANSWER if correct else WRONG_ANSWER
