"""A dataset row's reward fields: what the verifiers read beside the response (no verl import).

Their one home is the row's ``extra_info`` (verl hands ``extra_info`` to a custom reward
function, so they reach ours under any reward manager); ``reward_model`` holds only
``ground_truth``. The data builders write them there, and the ``med_u1`` reward manager and
``medu1 eval`` read them through :func:`scoring_extra_info`, so both hand the verifiers the
same references.
"""

from __future__ import annotations

from typing import Any

#: The reward fields: MedCalc limits, multiple-choice options, answer output type, thinking budget.
REWARD_FIELDS = ("lower_limit", "upper_limit", "options", "output_type", "num_tokens")


def reward_fields(reward_model: Any, extra_info: Any) -> dict[str, Any]:
    """The row's reward fields that are set, from ``extra_info`` (from ``reward_model`` where a
    parquet written by Med-U1 or an earlier version of ours keeps them there)."""
    homes = [home for home in (extra_info, reward_model) if isinstance(home, dict)]
    return {field: value for field in REWARD_FIELDS
            if (value := next((h[field] for h in homes if h.get(field) is not None), None)) is not None}


def scoring_extra_info(reward_model: Any, extra_info: Any, response_length: int | None) -> dict[str, Any]:
    """The row's ``extra_info`` with its reward fields and the response length: a reward
    function's ``extra_info`` argument."""
    merged = dict(extra_info) if isinstance(extra_info, dict) else {}
    merged.update(reward_fields(reward_model, extra_info))
    merged["response_length"] = response_length
    return merged
