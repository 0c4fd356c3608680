"""A tiny Llama GGUF written with the ``gguf`` package, as llama.cpp's converters write one: 4-bit
(Q4_1) matrices, float32 norms, a byte-level BPE vocabulary with ChatML special tokens and a
chat template."""

from __future__ import annotations

from pathlib import Path

import pytest

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]  # ids 0 (unk), 1 (bos), 2 (eos, pad)
MERGES = ["Ġ t", "h e"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
HIDDEN, LAYERS, HEADS, KV_HEADS, FFN = 64, 2, 2, 1, 128


def write_tiny_gguf(path: Path, seed: int = 0) -> Path:
    """A 2-layer Llama GGUF of ~64 KB; ``seed`` draws its weights."""
    gguf = pytest.importorskip("gguf", reason="writing a GGUF needs the gguf package (pip install gguf==0.19.0)")
    import numpy as np
    from gguf.quants import quantize
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    tokens = SPECIAL_TOKENS + list(bytes_to_unicode().values()) + [merge.replace(" ", "") for merge in MERGES]
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny")
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_1)
    writer.add_context_length(256)
    writer.add_embedding_length(HIDDEN)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(FFN)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(HIDDEN // HEADS)
    writer.add_vocab_size(len(tokens))
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("smollm")
    writer.add_token_list(tokens)
    writer.add_token_types([gguf.TokenType.CONTROL] * len(SPECIAL_TOKENS)
                           + [gguf.TokenType.NORMAL] * (len(tokens) - len(SPECIAL_TOKENS)))
    writer.add_token_merges(MERGES)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_pad_token_id(2)
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)

    rng = np.random.default_rng(seed)
    head_dim = HIDDEN // HEADS

    def matrix(name: str, rows: int, columns: int) -> None:
        weights = (rng.standard_normal((rows, columns)) * 0.1).astype(np.float32)
        writer.add_tensor(name, quantize(weights, gguf.GGMLQuantizationType.Q4_1), raw_dtype=gguf.GGMLQuantizationType.Q4_1)

    def norm(name: str) -> None:
        writer.add_tensor(name, np.ones(HIDDEN, dtype=np.float32))

    matrix("token_embd.weight", len(tokens), HIDDEN)
    norm("output_norm.weight")
    for layer in range(LAYERS):
        norm(f"blk.{layer}.attn_norm.weight")
        norm(f"blk.{layer}.ffn_norm.weight")
        matrix(f"blk.{layer}.attn_q.weight", HIDDEN, HIDDEN)
        matrix(f"blk.{layer}.attn_k.weight", KV_HEADS * head_dim, HIDDEN)
        matrix(f"blk.{layer}.attn_v.weight", KV_HEADS * head_dim, HIDDEN)
        matrix(f"blk.{layer}.attn_output.weight", HIDDEN, HIDDEN)
        matrix(f"blk.{layer}.ffn_gate.weight", FFN, HIDDEN)
        matrix(f"blk.{layer}.ffn_up.weight", FFN, HIDDEN)
        matrix(f"blk.{layer}.ffn_down.weight", HIDDEN, FFN)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny GGUF (needs gguf, and transformers for its byte alphabet)."""
    pytest.importorskip("torch", reason="the conversion needs torch (not in the light Python 3.10 test venv)")
    return write_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny-Q4_1.gguf")
