"""MED-RLVR's rule-based reward (arXiv 2502.19655): format validity first, then correctness.

A response that breaks the required ``<think>...</think> <answer>...</answer>`` format earns
-1 whatever its answer; a well-formed response earns 1 when its answer is correct and 0
otherwise. The paper's own wording could not be read here (only its abstract); the three
values are those its secondary summaries report, see ``docs/rewards.md``.
"""

from __future__ import annotations

from med_u1.rewards.contract import Result, RewardConfig, ScoreInput, register_preset
from med_u1.rewards.default import best_verdict, final_answer, follows_format, response_start
from med_u1.rewards.registry import TASKS

MALFORMED = -1.0
WRONG_ANSWER = 0.0
CORRECT_ANSWER = 1.0


def medrlvr_reward(format_ok: bool, correct: bool) -> float:
    """-1 for a malformed response, else 1 for a correct answer and 0 for a wrong one."""
    if not format_ok:
        return MALFORMED
    return CORRECT_ANSWER if correct else WRONG_ANSWER


def score(task: str, row: ScoreInput, config: RewardConfig) -> Result:
    """The ``medrlvr`` preset: -1 malformed, 0 wrong, 1 correct (the project's format rule and verifiers)."""
    text = row.response
    start = response_start(text)
    format_ok = follows_format(text, start, config.think_in_prompt)
    pred = final_answer(text, start, config.answer_from)
    correct = bool(pred) and best_verdict(TASKS[task], pred, row.references, config).correct
    return Result(
        score=medrlvr_reward(format_ok, correct),
        acc=1.0 if correct else 0.0,
        format=1.0 if format_ok else 0.0,
        length=0.0,
        pred=pred,
    )


register_preset("medrlvr", score, "MED-RLVR's rule: -1 malformed, 0 wrong, 1 correct")
