"""The tiny model is built locally, deterministically, with a ChatML tokenizer."""

from __future__ import annotations

import hashlib
from pathlib import Path

from transformers import AutoConfig, AutoTokenizer

from med_u1.training.cpu.tiny_model import TinyModelSpec, build_tiny_model


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_building_twice_gives_identical_files(tmp_path: Path) -> None:
    first, second = build_tiny_model(tmp_path / "a"), build_tiny_model(tmp_path / "b")
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        assert digest(first / name) == digest(second / name)


def test_existing_build_is_reused_and_a_new_spec_rebuilds(tmp_path: Path) -> None:
    directory = build_tiny_model(tmp_path)
    stamp = (directory / "model.safetensors").stat().st_mtime_ns
    build_tiny_model(tmp_path)
    assert (directory / "model.safetensors").stat().st_mtime_ns == stamp
    build_tiny_model(tmp_path, TinyModelSpec(num_hidden_layers=1))
    assert AutoConfig.from_pretrained(directory).num_hidden_layers == 1


def test_tokenizer_renders_chatml_and_matches_the_model_vocabulary(tmp_path: Path) -> None:
    directory = build_tiny_model(tmp_path)
    tokenizer = AutoTokenizer.from_pretrained(directory)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Dose of aspirin?"}]
    text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    assert text == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nDose of aspirin?<|im_end|>\n<|im_start|>assistant\n"
    assert tokenizer.decode(tokenizer.encode(text)) == text  # byte-level: lossless
    assert tokenizer.eos_token == "<|im_end|>"
    config = AutoConfig.from_pretrained(directory)
    assert config.vocab_size == len(tokenizer)
    assert config.eos_token_id == tokenizer.eos_token_id
