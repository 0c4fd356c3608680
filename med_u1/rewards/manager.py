"""verl reward-loop manager ``med_u1``: decodes a rollout and scores it with our registry.

Select it with ``reward.reward_manager.name=med_u1``; set knobs with
``+reward.custom_reward_function.reward_kwargs.<knob>=<value>`` (the same place verl
reads them for a custom reward function). Unlike verl's ``naive`` manager it passes the
response's token count and the row's reward fields (limits, budget, options, output type, read
by :mod:`med_u1.rewards.row`) to the verifiers, reads a multiple-choice row's options from the
prompt's option lines when the row has none (Med-U1's released parquets carry none; ours always
do), and it scores in the event loop instead of hopping through a
thread pool, since a rule-based score takes tens of microseconds.

Tested with verl 0.9.1 (``verl.experimental.reward_loop``).
"""

from __future__ import annotations

from typing import Any, Callable

from verl import DataProto
from verl.experimental.reward_loop.reward_manager import register
from verl.experimental.reward_loop.reward_manager.base import RewardManagerBase

from med_u1.rewards import score_row
from med_u1.rewards.contract import resolve_config
from med_u1.rewards.mcqa import options_from_prompt
from med_u1.rewards.registry import task_of
from med_u1.rewards.row import scoring_extra_info

MANAGER_NAME = "med_u1"
#: The reward extra-info key holding the response's generated token count.
RESPONSE_TOKENS = "response_tokens"


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
        #: A custom function configured in verl replaces ours; else the knobs are resolved here,
        #: once (a bad knob fails at start-up, not at the first sample).
        self.custom_score = compute_score if custom.get("path") else None
        self.reward_config = None if self.custom_score else resolve_config(knobs_from_config(config))

    async def run_single(self, data: DataProto) -> dict:
        """Score the last sequence of ``data`` (verl passes one prompt's rollout at a time)."""
        return self.score_sequence(data, len(data) - 1)

    def score_sequence(self, data: DataProto, row: int) -> dict:
        """Decode row ``row`` of ``data`` and score it; verl's ``{reward_score, reward_extra_info}``."""
        responses = data.batch["responses"][row]
        response_length = int(data.batch["attention_mask"][row, -responses.shape[-1] :].sum())
        response_text = decode_response(self.tokenizer, responses[:response_length].tolist())
        non_tensor = data.non_tensor_batch
        data_source = non_tensor["data_source"][row]
        reward_model = non_tensor["reward_model"][row]
        extra_info = scoring_extra_info(reward_model, non_tensor.get("extra_info", [None] * len(data))[row], response_length)
        if extra_info.get("options") is None and is_multiple_choice(data_source):
            extra_info["options"] = options_from_prompt(self.prompt_text(data, row)) or None
        ground_truth = reward_model["ground_truth"]
        if self.custom_score is None:
            result = score_row(self.reward_config, data_source, response_text, ground_truth, extra_info).to_dict()
            score = result["score"]
        else:
            result = self.custom_score(
                data_source=data_source, solution_str=response_text, ground_truth=ground_truth, extra_info=extra_info
            )
            score, result = (result["score"], dict(result)) if isinstance(result, dict) else (result, {"acc": float(result)})
        # The generated token count rides along into verl's generation dumps, where analysis reads
        # it (the decoded response tokenised again can count more tokens than were generated).
        return {"reward_score": float(score), "reward_extra_info": {**result, RESPONSE_TOKENS: response_length}}

    def prompt_text(self, data: DataProto, row: int) -> str:
        """The decoded prompt of row ``row`` (left-padded in ``prompts``)."""
        prompts = data.batch["prompts"][row]
        mask = data.batch["attention_mask"][row, : prompts.shape[-1]]
        return decode_response(self.tokenizer, prompts[mask.bool()].tolist())


def is_multiple_choice(data_source: str) -> bool:
    """Whether ``data_source`` is a registered multiple-choice source."""
    try:
        return task_of(data_source) == "mcqa"
    except KeyError:
        return False
