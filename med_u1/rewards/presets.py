"""The two reward presets behind ``compute_score``.

``default`` (the corrected reward)::

    score = correct_weight * credit * factor
          + format_weight * format
          + length_weight * additive

with ``credit`` the verifier's 0-1 credit (0 without an answer), ``format`` 1/0 from
:func:`med_u1.rewards.format.read_structure`, and ``(additive, factor)`` the length term of
``length_mode`` (:func:`med_u1.rewards.length.length_term`).

``medu1`` reproduces the reference Med-U1 reward, see :mod:`med_u1.rewards.medu1`.
"""

from __future__ import annotations

from med_u1.rewards.config import Reference, RewardConfig
from med_u1.rewards.format import read_structure
from med_u1.rewards.length import length_term
from med_u1.rewards.medu1 import score_medu1
from med_u1.rewards.registry import TASKS
from med_u1.rewards.response import response_start


def score_default(
    task: str, solution_str: str, references: list[Reference], num_tokens: int | None, response_length: float | None, config: RewardConfig
) -> dict:
    """The corrected reward: any of ``references`` may match (several acceptable answers)."""
    format_ok, pred = read_structure(solution_str, response_start(solution_str), config.think_in_prompt)
    correct, credit = False, 0.0
    if pred:
        verify = TASKS[task]
        for reference in references:
            verdict = verify(pred, reference, config)
            correct = correct or verdict.correct
            if verdict.credit > credit:
                credit = verdict.credit
    additive, factor, reported = length_term(config.length_mode, num_tokens, response_length, config.length_alpha)
    score = (
        config.correct_weight * credit * factor
        + config.format_weight * (1.0 if format_ok else 0.0)
        + config.length_weight * additive
    )
    return {
        "score": score,
        "acc": 1.0 if correct else 0.0,
        "format": 1.0 if format_ok else 0.0,
        "length": reported,
        "pred": pred,
    }


def score_reference(
    task: str, solution_str: str, references: list[Reference], num_tokens: int | None, response_length: float | None, config: RewardConfig
) -> dict:
    """The ``medu1`` preset for the first reference (the reference code knows only one)."""
    reference = references[0]
    return score_medu1(
        task,
        solution_str,
        reference.ground_truth,
        reference.lower_limit,
        reference.upper_limit,
        num_tokens,
        response_length,
        config,
    )


PRESET_SCORERS = {"default": score_default, "medu1": score_reference}

