"""Build a verl ``DataProto`` the way a rollout leaves it, from texts and dataset fields.

A test helper, not library code: the reward-manager tests and ``benchmarks/reward_throughput.py``
drive managers with it exactly as verl's reward loop does.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from verl import DataProto


def _pad(rows: list[list[int]], pad_id: int, left: bool) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(1, max(len(row) for row in rows))
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for index, row in enumerate(rows):
        if not row:
            continue
        span = slice(width - len(row), width) if left else slice(0, len(row))
        ids[index, span] = torch.tensor(row, dtype=torch.long)
        mask[index, span] = 1
    return ids, mask


def rollout_batch(
    tokenizer: Any,
    prompts: Sequence[str],
    responses: Sequence[str],
    data_sources: Sequence[str],
    reward_models: Sequence[dict],
    extra_infos: Sequence[dict] | None = None,
) -> DataProto:
    """Left-padded prompts and right-padded responses with the non-tensor fields verl carries."""
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    prompt_ids, prompt_mask = _pad([tokenizer.encode(p, add_special_tokens=False) for p in prompts], pad_id, left=True)
    response_ids, response_mask = _pad([tokenizer.encode(r, add_special_tokens=False) for r in responses], pad_id, left=False)
    attention_mask = torch.cat([prompt_mask, response_mask], dim=1)
    batch = {
        "prompts": prompt_ids,
        "responses": response_ids,
        "input_ids": torch.cat([prompt_ids, response_ids], dim=1),
        "attention_mask": attention_mask,
        "position_ids": torch.clamp(attention_mask.cumsum(dim=1) - 1, min=0),
    }
    non_tensors = {
        "data_source": np.array(list(data_sources), dtype=object),
        "reward_model": np.array(list(reward_models), dtype=object),
        "extra_info": np.array(list(extra_infos) if extra_infos is not None else [{} for _ in prompts], dtype=object),
    }
    return DataProto.from_dict(tensors=batch, non_tensors=non_tensors)
