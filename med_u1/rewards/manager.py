"""verl reward-loop manager ``med_u1``: decodes a rollout and scores it with our registry.

Select it with ``reward.reward_manager.name=med_u1``; set knobs with
``+reward.custom_reward_function.reward_kwargs.<knob>=<value>`` (the same place verl
reads them for a custom reward function). Unlike verl's ``naive`` manager it passes the
response's token count and every ``reward_model`` field (limits, budget, options, output
type) to the verifiers, and it scores in the event loop instead of hopping through a
thread pool, since a rule-based score takes tens of microseconds.

Tested with verl 0.9.1 (``verl.experimental.reward_loop``).
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

from verl import DataProto
from verl.experimental.reward_loop.reward_manager import register
from verl.experimental.reward_loop.reward_manager.base import RewardManagerBase

from med_u1.rewards import compute_score as med_u1_compute_score
from med_u1.rewards.config import RewardConfig
from med_u1.rewards.row import scoring_extra_info

MANAGER_NAME = "med_u1"


def decode_response(tokenizer: Any, token_ids: list[int]) -> str:
    """``tokenizer.decode(ids, skip_special_tokens=True)``, straight through the Rust backend when
    the tokenizer is a fast one that cleans up nothing (transformers first re-checks every id in
    Python, which costs more than the decoding itself)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None or getattr(tokenizer, "clean_up_tokenization_spaces", False):
        return tokenizer.decode(token_ids, skip_special_tokens=True)
    return backend.decode(token_ids, skip_special_tokens=True)


def knobs_from_config(config: Any) -> dict[str, Any]:
    """``reward.custom_reward_function.reward_kwargs`` as a plain dict (empty when unset)."""
    custom = config.reward.get("custom_reward_function") or {}
    return dict(custom.get("reward_kwargs") or {})


@register(MANAGER_NAME)
class MedU1RewardManager(RewardManagerBase):
    """Scores each rollout with ``med_u1.rewards.compute_score`` (or a configured custom function)."""

    def __init__(
        self,
        config: Any,
        tokenizer: Any,
        compute_score: Callable[..., Any] | None = None,
        reward_router_address: str | None = None,
        reward_model_tokenizer: Any = None,
    ) -> None:
        super().__init__(config, tokenizer, compute_score)
        custom = config.reward.get("custom_reward_function") or {}
        if custom.get("path"):
            self.score_fn = compute_score
        else:
            knobs = knobs_from_config(config)
            RewardConfig.from_kwargs(knobs)  # fail at start-up, not at the first sample
            self.score_fn = partial(med_u1_compute_score, **knobs)

    async def run_single(self, data: DataProto) -> dict:
        """Score the last sequence of ``data`` (verl passes one prompt's rollout at a time)."""
        return self.score_row(data, len(data) - 1)

    def score_row(self, data: DataProto, row: int) -> dict:
        """Decode row ``row`` of ``data`` and score it; verl's ``{reward_score, reward_extra_info}``."""
        responses = data.batch["responses"][row]
        response_length = int(data.batch["attention_mask"][row, -responses.shape[-1] :].sum())
        response_text = decode_response(self.tokenizer, responses[:response_length].tolist())
        non_tensor = data.non_tensor_batch
        reward_model = non_tensor["reward_model"][row]
        extra_info = scoring_extra_info(reward_model, non_tensor.get("extra_info", [None] * len(data))[row], response_length)
        result = self.score_fn(
            data_source=non_tensor["data_source"][row],
            solution_str=response_text,
            ground_truth=reward_model["ground_truth"],
            extra_info=extra_info,
        )
        if not isinstance(result, dict):
            return {"reward_score": float(result), "reward_extra_info": {"acc": float(result)}}
        return {"reward_score": float(result["score"]), "reward_extra_info": dict(result)}
