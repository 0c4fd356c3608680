"""The warm start learns the responses' tokens only, moves the weights, and reuses a finished build."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import AutoTokenizer

from med_u1.training.cpu.tiny_model import build_tiny_model
from med_u1.training.cpu.warm_start import IGNORE_INDEX, WarmStartSpec, encode_pair, warm_start

RESPONSE = "<think>x</think><answer>A</answer>"
EXAMPLES = [([{"role": "user", "content": f"Which letter, {i}?"}], RESPONSE) for i in range(4)]


def test_the_prompt_is_masked_and_the_response_ends_the_turn(tmp_path: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(build_tiny_model(tmp_path))
    ids, labels = encode_pair(tokenizer, EXAMPLES[0][0], RESPONSE)
    prompt = labels.count(IGNORE_INDEX)
    assert prompt > 0 and labels[:prompt] == [IGNORE_INDEX] * prompt
    assert labels[prompt:] == ids[prompt:] and ids[-1] == tokenizer.eos_token_id
    assert tokenizer.decode(ids[prompt:]) == RESPONSE + tokenizer.eos_token


def test_a_few_steps_change_the_weights_and_the_same_call_reuses_them(tmp_path: Path) -> None:
    base = build_tiny_model(tmp_path / "base")
    spec = WarmStartSpec(steps=2, batch_size=2)
    warm = warm_start(base, tmp_path / "warm", EXAMPLES, spec)
    before, after = load_file(base / "model.safetensors"), load_file(warm / "model.safetensors")
    assert before.keys() == after.keys()
    assert any(not torch.equal(before[name], after[name]) for name in before)
    stamp = (warm / "model.safetensors").stat().st_mtime_ns
    assert warm_start(base, tmp_path / "warm", EXAMPLES, spec) == warm
    assert (warm / "model.safetensors").stat().st_mtime_ns == stamp
