"""Tiny verl parquet files for the CPU smoke run.

Rows come from the shared dev records (``<shared>/dev/*.jsonl``, read at run time, never
copied into the repository) or, when those are absent, from the built-in examples of
:mod:`med_u1.examples`.
"""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Iterable

from med_u1.data.budget_sentence import budget_sentence
from med_u1.data.rows import verl_row
from med_u1.examples import EXAMPLES, Example
from med_u1.rewards.registry import task_of
from med_u1.rewards.row import reward_fields

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You are a helpful medical assistant. Think inside <think> </think> and put the final "
    "answer inside <answer> </answer>."
)


SMOKE_BUDGET = 100
"""The thinking budget given to built-in examples."""


def example_row(example: Example) -> dict:
    """A verl row for one built-in example (budget :data:`SMOKE_BUDGET`)."""
    messages = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": f"{example.question} {budget_sentence(SMOKE_BUDGET)}"},
    ]
    return verl_row(
        data_source=example.data_source, messages=messages, ground_truth=example.ground_truth,
        uid=f"builtin:{example.data_source}:{example.question[:32]}", task=task_of(example.data_source),
        split="train", index=0, fields={**example.extra_info, "num_tokens": SMOKE_BUDGET},
    )


def verl_row_of(record: dict) -> dict | None:
    """The verl row inside a dev record (``processed``, else a verl-shaped ``raw``), in our layout."""
    row = record.get("processed") or record.get("raw")
    if not isinstance(row, dict) or "prompt" not in row:
        return None
    fields = {**reward_fields(row["reward_model"], row.get("extra_info")), "num_tokens": record["num_tokens"]}
    return verl_row(
        data_source=row["data_source"], messages=row["prompt"], ground_truth=row["reward_model"]["ground_truth"],
        uid=record["uid"], task=record["task"], split=row.get("extra_info", {}).get("split", "train"), fields=fields,
    )


def prompt_chars(row: dict) -> int:
    return sum(len(message["content"]) for message in row["prompt"])


def read_dev_rows(shared_data_dir: Path) -> list[dict]:
    """Every verl row of ``<shared_data_dir>/dev/*.jsonl``, in file order."""
    rows = []
    for path in sorted((shared_data_dir / "dev").glob("*.jsonl")):
        with path.open() as handle:
            rows.extend(filter(None, (verl_row_of(json.loads(line)) for line in handle)))
    return rows


def shortest_per_source(rows: Iterable[dict], per_source: int) -> list[dict]:
    """The ``per_source`` shortest prompts of each data source (stable, so deterministic)."""
    by_source: dict[str, list[dict]] = {}
    for row in rows:
        by_source.setdefault(row["data_source"], []).append(row)
    chosen = []
    for source in sorted(by_source):
        chosen.extend(sorted(by_source[source], key=prompt_chars)[:per_source])
    return chosen


def select_smoke_rows(shared_data_dir: Path | None, per_source: int) -> list[dict]:
    """Short rows from the shared dev records when present, else the built-in examples."""
    if shared_data_dir is not None and (shared_data_dir / "dev").is_dir():
        rows = shortest_per_source(read_dev_rows(shared_data_dir), per_source)
        if rows:
            logger.debug("smoke data: %d shared dev rows from %s", len(rows), shared_data_dir)
            return rows
    logger.debug("smoke data: built-in examples (no dev records under %s)", shared_data_dir)
    return [example_row(example) for example in EXAMPLES]


def write_parquet(rows: list[dict], path: Path, split: str) -> Path:
    """Write ``rows`` as a verl parquet file, re-indexing ``extra_info`` for ``split``."""
    rows = copy.deepcopy(rows)
    for index, row in enumerate(rows):
        row["extra_info"].update(index=index, split=split)
    import pandas as pd

    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(path, index=False)
    return path


def smoke_parquet_paths(out_dir: str | Path) -> dict[str, Path]:
    """Where :func:`build_smoke_parquet` writes: ``train.parquet`` and ``val.parquet``."""
    return {"train": Path(out_dir) / "train.parquet", "val": Path(out_dir) / "val.parquet"}


def build_smoke_parquet(out_dir: str | Path, shared_data_dir: str | Path | None, per_source: int = 1) -> dict:
    """Write ``train.parquet`` and ``val.parquet`` (same rows) and return their paths."""
    rows = select_smoke_rows(Path(shared_data_dir) if shared_data_dir else None, per_source)
    paths = smoke_parquet_paths(out_dir)
    return {"train": write_parquet(rows, paths["train"], "train"), "val": write_parquet(rows, paths["val"], "test")}
