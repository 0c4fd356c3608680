"""Fixtures of the data tests: shared dev files as Med-U1 release files, and a tiny tokenizer."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_helpers import DEV_FILES, shared_records, write_raw


@pytest.fixture(scope="session")
def dev_raw_files(tmp_path_factory) -> dict[str, Path]:
    """Each shared dev dataset's raw records in a temporary Med-U1 release file."""
    directory = tmp_path_factory.mktemp("dev_raw")
    return {name: write_raw(shared_records(name), directory, name) for name in DEV_FILES}


@pytest.fixture(scope="session")
def tiny_tokenizer_dir(tmp_path_factory) -> Path:
    """A word-level tokenizer with a Qwen-style chat template, saved locally (no downloads)."""
    pytest.importorskip("transformers", reason="the tokenizer needs transformers (not in the light Python 3.10 test venv)")
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<unk>", "<|im_start|>", "<|im_end|>", "<pad>"]
    words = "a the patient of and is in to with what which answer think tokens for please provide".split()
    vocab = {token: i for i, token in enumerate(specials + words)}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, unk_token="<unk>", pad_token="<pad>", eos_token="<|im_end|>"
    )
    tokenizer.chat_template = (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    directory = tmp_path_factory.mktemp("tiny_tokenizer")
    tokenizer.save_pretrained(directory)
    return directory
