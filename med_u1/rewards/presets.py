"""The two reward presets behind ``compute_score``.

``default`` (the corrected reward)::

    score = correct_weight * credit * factor
          + format_weight * format
          + length_weight * additive

with ``credit`` the verifier's 0-1 credit (0 without an answer), ``format`` 1/0 from
:func:`med_u1.rewards.format.read_structure`, and ``(additive, factor)`` the length term of
``length_mode`` (:func:`med_u1.rewards.length.length_term`).

``medu1`` reproduces the reference Med-U1 reward, see :mod:`med_u1.rewards.medu1`;
``r1zero`` Medical R1-Zero's (:mod:`med_u1.rewards.r1zero`) and ``medrlvr`` MED-RLVR's
(:mod:`med_u1.rewards.medrlvr`). Their adapters below only read the row and the response;
the rules live in those modules.
"""

from __future__ import annotations

from med_u1.errors import UserError
from med_u1.rewards.config import Reference, RewardConfig
from med_u1.rewards.format import read_structure
from med_u1.rewards.length import length_term
from med_u1.rewards.medrlvr import medrlvr_reward
from med_u1.rewards.medu1 import score_medu1
from med_u1.rewards.r1zero import answer_span, r1zero_score
from med_u1.rewards.registry import TASKS
from med_u1.rewards.response import response_end, response_start


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


def correct_option_text(reference: Reference) -> str | None:
    """The text of the option the ground-truth letter names, when the row lists its options."""
    options = reference.options
    if hasattr(options, "get"):
        text = options.get(reference.ground_truth)
        return str(text) if text is not None else None
    return None


def completion_text(solution_str: str) -> str:
    """The completion as TRL hands it to a reward: after the chat header and its line break, without end tokens."""
    start = response_start(solution_str)
    if start and solution_str.startswith("\n", start):
        start += 1
    return solution_str[start : response_end(solution_str, start)]


def score_r1zero(
    task: str, solution_str: str, references: list[Reference], num_tokens: int | None, response_length: float | None, config: RewardConfig
) -> dict:
    """The ``r1zero`` preset: Medical R1-Zero's summed reward (0-5) against the first reference.

    Multiple-choice rows only (the original knows nothing else); ``acc`` is 1 when the
    accuracy term gives any credit, ``format`` the strict-format term.
    """
    if task != "mcqa":
        raise UserError(
            f"the r1zero preset scores multiple-choice rows only, not task {task!r}: "
            "use it on multiple-choice data, or another preset (default, medu1, medrlvr)"
        )
    reference = references[0]
    completion = completion_text(solution_str)
    terms = r1zero_score(completion, reference.ground_truth.strip(), correct_option_text(reference))
    return {
        "score": terms.total,
        "acc": 1.0 if terms.accuracy > 0 else 0.0,
        "format": terms.strict_format,
        "length": 0.0,
        "pred": answer_span(completion),
    }


def score_medrlvr(
    task: str, solution_str: str, references: list[Reference], num_tokens: int | None, response_length: float | None, config: RewardConfig
) -> dict:
    """The ``medrlvr`` preset: -1 malformed, 0 wrong, 1 correct (the project's structure rule and verifiers)."""
    format_ok, pred = read_structure(solution_str, response_start(solution_str), config.think_in_prompt)
    verify = TASKS[task]
    correct = bool(pred) and any(verify(pred, reference, config).correct for reference in references)
    return {
        "score": medrlvr_reward(format_ok, correct),
        "acc": 1.0 if correct else 0.0,
        "format": 1.0 if format_ok else 0.0,
        "length": 0.0,
        "pred": pred,
    }


PRESET_SCORERS = {"default": score_default, "medu1": score_reference, "r1zero": score_r1zero, "medrlvr": score_medrlvr}

