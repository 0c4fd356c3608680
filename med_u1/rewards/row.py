"""What the verifiers read from a verl dataset row, beside the response (no verl import here).

Shared by the ``med_u1`` reward manager (training, validation) and ``medu1 eval`` so both hand
the verifiers the same references.
"""

from __future__ import annotations

from typing import Any

#: ``reward_model`` fields handed to the verifiers through ``extra_info``.
REWARD_MODEL_FIELDS = ("lower_limit", "upper_limit", "options", "output_type", "num_tokens")


def scoring_extra_info(reward_model: Any, extra_info: Any, response_length: int | None) -> dict[str, Any]:
    """The row's ``extra_info`` with the ``reward_model`` fields and the response length added."""
    merged = dict(extra_info) if isinstance(extra_info, dict) else {}
    if isinstance(reward_model, dict):
        for field in REWARD_MODEL_FIELDS:
            if reward_model.get(field) is not None:
                merged[field] = reward_model[field]
    merged["response_length"] = response_length
    return merged
