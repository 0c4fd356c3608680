"""A tiny Qwen2 causal LM with a locally trained byte-level BPE tokenizer.

Used by the CPU smoke run and the tests: nothing is downloaded. The model and tokenizer
are deterministic functions of :class:`TinyModelSpec`, so a directory built once is
reused (a ``spec.json`` marker records what was built there).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

logger = logging.getLogger(__name__)

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
# Text the tokenizer learns merges from: the words and tags the smoke prompts and
# rewarded responses use, so prompts tokenize to a few hundred tokens, not thousands.
TOKENIZER_CORPUS = (
    "You are a helpful medical assistant. Think for 100 tokens. Answer the question.",
    "<think> The patient presents with fever, cough and chest pain. </think>",
    "<answer> A </answer> <answer> B </answer> <answer> C </answer> <answer> D </answer>",
    "Which of the following is the most likely diagnosis? A. pneumonia B. asthma C. sepsis D. anemia",
    "Calculate the body mass index: weight 70 kg, height 175 cm. The answer is 22.86 kg/m^2.",
    "A 45-year-old woman with hypertension, diabetes and chronic kidney disease is treated.",
    "Please reason step by step, and put your final answer within <answer> </answer> tags.",
    "system user assistant The options are: (A) (B) (C) (D) (E) heart lung liver kidney blood",
    "0 1 2 3 4 5 6 7 8 9 10 12 15 20 25 30 40 50 60 70 80 90 100 120 140 mg/dL mmol/L",
)


@dataclasses.dataclass(frozen=True)
class TinyModelSpec:
    """Shape of the tiny model; every field changes the built artefacts."""

    vocab_size: int = 1024
    hidden_size: int = 64
    intermediate_size: int = 128
    num_hidden_layers: int = 2
    num_attention_heads: int = 2  # head size 32: the smallest vLLM's CPU attention supports
    num_key_value_heads: int = 1
    max_position_embeddings: int = 2048
    seed: int = 0
    corpus: tuple[str, ...] = TOKENIZER_CORPUS
    """Text the tokenizer learns its merges from."""
    whole_tokens: tuple[str, ...] = ()
    """Strings the tokenizer keeps as one token each (e.g. answer-format tags)."""
    initializer_range: float = 0.02
    """Standard deviation of the random initial weights."""


def train_tokenizer(spec: TinyModelSpec) -> Tokenizer:
    """Train a byte-level BPE tokenizer on ``spec.corpus`` (deterministic)."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=spec.vocab_size - len(SPECIAL_TOKENS),
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(spec.corpus * 4, trainer=trainer)
    tokenizer.add_tokens(list(spec.whole_tokens))
    return tokenizer


def save_hf_tokenizer(tokenizer: Tokenizer, directory: Path) -> None:
    """Save ``tokenizer`` as a transformers fast tokenizer with the ChatML template."""
    from transformers import PreTrainedTokenizerFast

    hf_tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        bos_token=None,
    )
    hf_tokenizer.chat_template = CHATML_TEMPLATE
    hf_tokenizer.save_pretrained(directory)


def tiny_qwen2_config(spec: TinyModelSpec, tokenizer: Tokenizer):
    """The ``Qwen2Config`` of the tiny model for ``tokenizer``."""
    from transformers import Qwen2Config

    pad_id = tokenizer.token_to_id("<|endoftext|>")
    return Qwen2Config(
        vocab_size=tokenizer.get_vocab_size(),  # no unused ids the random model could sample
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_hidden_layers,
        num_attention_heads=spec.num_attention_heads,
        num_key_value_heads=spec.num_key_value_heads,
        max_position_embeddings=spec.max_position_embeddings,
        tie_word_embeddings=True,
        initializer_range=spec.initializer_range,
        bos_token_id=pad_id,
        eos_token_id=tokenizer.token_to_id("<|im_end|>"),
        pad_token_id=pad_id,
        dtype="float32",
    )


def save_tiny_qwen2(spec: TinyModelSpec, tokenizer: Tokenizer, directory: Path) -> None:
    """Initialise a tiny Qwen2 model with seeded random weights and save it in fp32."""
    import torch
    from transformers import GenerationConfig, Qwen2ForCausalLM

    config = tiny_qwen2_config(spec, tokenizer)
    torch.manual_seed(spec.seed)
    model = Qwen2ForCausalLM(config)
    model.save_pretrained(directory, safe_serialization=True)
    GenerationConfig(
        bos_token_id=config.bos_token_id, eos_token_id=config.eos_token_id, pad_token_id=config.pad_token_id
    ).save_pretrained(directory)


def save_model_description(directory: str | Path, spec: TinyModelSpec = TinyModelSpec()) -> Path:
    """The tiny model's config and tokenizer without weights: enough for checks that read a model folder."""
    directory = Path(directory)
    tokenizer = train_tokenizer(spec)
    save_hf_tokenizer(tokenizer, directory)
    config = tiny_qwen2_config(spec, tokenizer)
    config.architectures = ["Qwen2ForCausalLM"]  # what saving the model would record
    config.save_pretrained(directory)
    return directory


def build_tiny_model(directory: str | Path, spec: TinyModelSpec = TinyModelSpec()) -> Path:
    """Create (or reuse) the tiny model + tokenizer in ``directory`` and return its path."""
    directory = Path(directory)
    marker = directory / "spec.json"
    spec_json = json.dumps(dataclasses.asdict(spec), sort_keys=True)
    if marker.is_file() and marker.read_text() == spec_json:
        logger.debug("reusing tiny model in %s", directory)
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer(spec)
    save_hf_tokenizer(tokenizer, directory)
    save_tiny_qwen2(spec, tokenizer, directory)
    marker.write_text(spec_json)
    logger.debug("built tiny Qwen2 model in %s", directory)
    return directory
