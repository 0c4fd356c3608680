"""Scoring generations with the reward verifiers, exactly as the ``med_u1`` reward manager does."""

from __future__ import annotations

import logging
from typing import Any, Iterable, Mapping

from med_u1.errors import UserError
from med_u1.rewards import compute_score
from med_u1.rewards.row import scoring_extra_info

logger = logging.getLogger(__name__)

#: Evaluation takes the final answer from free text when a response has no <answer> block, so a
#: baseline that ignores the tags is judged on its answer; the format rate is reported apart.
ANSWER_FROM = "any"
SCORE_FIELDS = ("score", "acc", "format", "length", "pred")


def score_row(row: Mapping[str, Any], preset: str = "default", knobs: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The score row of one generation row: its key, budget, length and the verifier's dict."""
    reward_model = row.get("reward_model") or {}
    extra_info = scoring_extra_info(reward_model, row.get("extra_info"), row.get("response_tokens"))
    try:
        result = compute_score(
            row["data_source"], row["response"], reward_model.get("ground_truth"), extra_info,
            preset=preset, **{"answer_from": ANSWER_FROM, **(knobs or {})},
        )
    except KeyError as error:  # an unknown data source names the registered ones
        raise UserError(f"benchmark {row['benchmark']}, item {row['item_id']}: {error.args[0]}") from None
    return {
        "benchmark": row["benchmark"],
        "item_id": row["item_id"],
        "sample": row["sample"],
        "budget": row.get("budget"),
        "data_source": row["data_source"],
        "num_tokens": extra_info.get("num_tokens"),
        "response_tokens": row.get("response_tokens"),
        "finish_reason": row.get("finish_reason"),
        **{field: result.get(field) for field in SCORE_FIELDS},
    }


def score_rows(rows: Iterable[Mapping[str, Any]], preset: str = "default", knobs: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Score every generation row (in order)."""
    return [score_row(row, preset, knobs) for row in rows]
