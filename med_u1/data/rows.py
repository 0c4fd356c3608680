"""The verl dataset row, built in one place: the data builder and the CPU runs' toy data use it.

A row is ``data_source``, ``prompt`` (chat messages, unrendered), ``ability``,
``reward_model {style, ground_truth}`` and ``extra_info {index, split, uid, task, <reward
fields>[, meta]}``; the reward fields (:data:`med_u1.rewards.row.REWARD_FIELDS`) live only in
``extra_info``, where verl hands them to the reward function.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from med_u1.rewards.row import REWARD_FIELDS


def verl_row(
    *,
    data_source: str,
    messages: Sequence[Mapping[str, str]],
    ground_truth: str,
    uid: str,
    task: str,
    split: str,
    fields: Mapping[str, Any],
    index: int = -1,
    meta: str | None = None,
) -> dict[str, Any]:
    """One row; ``fields`` holds the reward fields (absent ones are written as None), ``meta``
    optional JSON text, ``index`` -1 until the row order is final."""
    extra_info: dict[str, Any] = {"index": index, "split": split, "uid": uid, "task": task}
    extra_info.update({name: fields.get(name) for name in REWARD_FIELDS})
    if meta is not None:
        extra_info["meta"] = meta
    return {
        "data_source": data_source,
        "prompt": [dict(message) for message in messages],
        "ability": "medical",
        "reward_model": {"style": "rule", "ground_truth": ground_truth},
        "extra_info": extra_info,
    }
