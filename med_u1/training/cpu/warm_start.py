"""A short supervised warm start in plain torch/transformers: teach a layout, not answers.

The model learns the tokens of ``(prompt, response)`` pairs' responses (the prompt is
rendered with the tokenizer's chat template and not learnt). The ``cpu-learn`` recipe
feeds it responses whose answers are random letters, so the warmed-up policy writes the
project's answer format part of the time and answers at chance.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

IGNORE_INDEX = -100


@dataclasses.dataclass(frozen=True)
class WarmStartSpec:
    """Optimiser settings of the warm start; every field changes the saved model."""

    steps: int = 150
    batch_size: int = 32
    lr: float = 3e-3
    seed: int = 0


def encode_pair(tokenizer, messages: list[dict], response: str) -> tuple[list[int], list[int]]:
    """Token ids of prompt + response + end-of-turn, and labels that mask the prompt."""
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    prompt_ids = tokenizer(prompt, add_special_tokens=False).input_ids
    response_ids = tokenizer(response + tokenizer.eos_token, add_special_tokens=False).input_ids
    return prompt_ids + response_ids, [IGNORE_INDEX] * len(prompt_ids) + response_ids


def collate(pairs: Sequence[tuple[list[int], list[int]]], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-padded ``input_ids``, ``attention_mask`` and ``labels``."""
    import torch

    width = max(len(ids) for ids, _ in pairs)
    input_ids = torch.full((len(pairs), width), pad_id, dtype=torch.long)
    labels = torch.full((len(pairs), width), IGNORE_INDEX, dtype=torch.long)
    attention_mask = torch.zeros((len(pairs), width), dtype=torch.long)
    for row, (ids, row_labels) in enumerate(pairs):
        input_ids[row, : len(ids)] = torch.tensor(ids)
        labels[row, : len(ids)] = torch.tensor(row_labels)
        attention_mask[row, : len(ids)] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def fit(model, pairs: Sequence[tuple[list[int], list[int]]], pad_id: int, spec: WarmStartSpec) -> float:
    """AdamW on random batches of ``pairs``; returns the last loss.

    One thread: the model is tiny, and on a shared 2-core machine a second busy-waiting
    thread made it several times slower.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        optimizer = torch.optim.AdamW(model.parameters(), lr=spec.lr)
        order = torch.Generator().manual_seed(spec.seed)
        model.train()
        for step in range(spec.steps):
            chosen = torch.randint(len(pairs), (spec.batch_size,), generator=order).tolist()
            loss = model(**collate([pairs[i] for i in chosen], pad_id)).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            logger.debug("warm start step %d: loss %.3f", step, loss.item())
    finally:
        torch.set_num_threads(threads)
    return loss.item()


def warm_start(
    model_dir: str | Path,
    out_dir: str | Path,
    examples: Sequence[tuple[list[dict], str]],
    spec: WarmStartSpec = WarmStartSpec(),
) -> Path:
    """Fine-tune ``model_dir`` on ``examples`` (messages, response) and save it to ``out_dir``.

    Reuses ``out_dir`` when it was built from the same examples and settings.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out_dir = Path(out_dir)
    marker = out_dir / "warm_start.json"
    recipe = json.dumps({"spec": dataclasses.asdict(spec), "examples": list(examples), "base": str(model_dir)})
    if marker.is_file() and marker.read_text() == recipe:
        logger.debug("reusing warm-started model in %s", out_dir)
        return out_dir
    torch.manual_seed(spec.seed)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    pairs = [encode_pair(tokenizer, messages, response) for messages, response in examples]
    loss = fit(model, pairs, tokenizer.pad_token_id, spec)
    logger.info("warm start: %d steps, final loss %.3f", spec.steps, loss)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    model.generation_config.save_pretrained(out_dir)
    marker.write_text(recipe)
    return out_dir
