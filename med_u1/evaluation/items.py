"""Benchmark items read from a verl parquet, and the generation requests made from them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from med_u1.data.budget_sentence import with_budget
from med_u1.errors import UserError

REQUIRED_COLUMNS = ("prompt", "data_source", "reward_model")


@dataclass(frozen=True)
class Item:
    """One benchmark row: its id, chat messages and what the verifiers need."""

    item_id: str
    messages: list[dict[str, str]]
    data_source: str
    reward_model: dict[str, Any]
    extra_info: dict[str, Any]

    def with_budget(self, num_tokens: int | None) -> "Item":
        """The item asking for ``num_tokens`` (Med-U1's convention: N exact, -N maximum, -1 none).

        The last user message's budget sentence is replaced and the budget recorded in
        ``extra_info``, where the verifiers read it; ``None`` keeps the row's own prompt and budget.
        """
        if num_tokens is None:
            return self
        messages = [dict(m) for m in self.messages]
        last_user = max(i for i, m in enumerate(messages) if m.get("role") == "user")
        messages[last_user]["content"] = with_budget(messages[last_user]["content"], num_tokens)
        return Item(
            self.item_id, messages, self.data_source,
            self.reward_model, {**self.extra_info, "num_tokens": num_tokens},
        )


def load_items(path: Path, limit: int | None = None) -> list[Item]:
    """The first ``limit`` rows of a verl parquet as Items; a bad file or row is a UserError naming it."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    except Exception as error:  # pyarrow raises several types for a file that is not parquet
        raise UserError(f"{path}: not a readable parquet file ({error})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(missing)} (expected a `medu1 data build` parquet)")
    if limit is not None:
        table = table.slice(0, limit)
    rows = table.to_pylist()
    ids = [_row_id(row, index) for index, row in enumerate(rows)]
    if len(set(ids)) != len(ids):
        ids = [str(index) for index in range(len(rows))]
    return [_item(row, item_id, path, index) for index, (row, item_id) in enumerate(zip(rows, ids))]


def _row_id(row: dict[str, Any], index: int) -> str:
    extra = row.get("extra_info")
    uid = extra.get("uid") if isinstance(extra, dict) else None
    return str(uid) if uid not in (None, "") else str(index)


def _item(row: dict[str, Any], item_id: str, path: Path, index: int) -> Item:
    where = f"{path}, row {index}"
    messages = row["prompt"]
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) and "content" in m for m in messages):
        raise UserError(f"{where}, field 'prompt': expected a list of {{role, content}} chat messages")
    if not any(m.get("role") == "user" for m in messages):
        raise UserError(f"{where}, field 'prompt': no user message")
    reward_model = row["reward_model"]
    if not isinstance(reward_model, dict) or reward_model.get("ground_truth") is None:
        raise UserError(f"{where}, field 'reward_model': expected a mapping with 'ground_truth'")
    if not isinstance(row["data_source"], str) or not row["data_source"]:
        raise UserError(f"{where}, field 'data_source': expected a non-empty string")
    extra = row.get("extra_info") if isinstance(row.get("extra_info"), dict) else {}
    return Item(item_id, [dict(m) for m in messages], row["data_source"], dict(reward_model), dict(extra))
