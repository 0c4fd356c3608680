"""Generation backends: Hugging Face transformers and vLLM (optional), each on GPUs or a CPU.

Both take the full ordered request list of a benchmark and budget plus the keys already done,
and yield ``(request, output)`` for the others as they finish. Prompts are the parquet's chat
messages rendered with the model's chat template, as verl renders them in training.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from med_u1.errors import UserError
from med_u1.evaluation.engine_exit import engines_exit_with_parent
from med_u1.evaluation.sampling import Sampling, derived_seed

logger = logging.getLogger(__name__)

BACKENDS = ("hf", "vllm")


@dataclass(frozen=True)
class Request:
    """One generation to make: its key (benchmark, item id, sample index, budget) and messages."""

    key: tuple[str, str, int, int | None]
    messages: list[dict[str, str]]


@dataclass(frozen=True)
class Output:
    """A finished generation; ``finish_reason`` is ``stop`` (end of turn) or ``length``."""

    text: str
    prompt_tokens: int
    response_tokens: int
    finish_reason: str
    token_ids: tuple[int, ...] = ()


def render_prompt(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The chat template applied with the generation prompt (what verl's rollout sees)."""
    if not getattr(tokenizer, "chat_template", None):
        raise UserError("the model's tokenizer has no chat template; evaluate a chat/instruct model or add one")
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def prompt_ids(tokenizer: Any, messages: list[dict[str, str]]) -> list[int]:
    """The token ids both backends feed the model for ``messages``."""
    return tokenizer(render_prompt(tokenizer, messages), add_special_tokens=False)["input_ids"]


def load_tokenizer(model: str) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(model)
    except OSError as error:
        raise UserError(f"cannot load model {model!r}: {error}") from None


def context_length(model: str, max_model_len: int | None) -> int:
    """Tokens of prompt and response the model is run with: ``--max-model-len``, else the
    model's ``max_position_embeddings`` (what vLLM derives for the models we evaluate)."""
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(model).get_text_config()
    except (OSError, ValueError) as error:
        raise UserError(f"cannot load model {model!r}: {error}") from None
    own = getattr(config, "max_position_embeddings", None)
    if max_model_len is None:
        if own is None:
            raise UserError(f"{model}: its config has no max_position_embeddings; give --max-model-len")
        return own
    if max_model_len < 2:
        raise UserError("--max-model-len must be at least 2")
    if own is not None and max_model_len > own:
        raise UserError(f"--max-model-len {max_model_len} exceeds the model's context of {own} tokens")
    return max_model_len


@dataclass(frozen=True)
class EngineSettings:
    """The vLLM engine's settings (``medu1 eval`` flags); None leaves vLLM's own default."""

    tensor_parallel_size: int = 1
    kv_cache_gib: float | None = None
    gpu_memory_utilization: float | None = None
    dtype: str = "auto"
    enforce_eager: bool = False


#: KV cache on a CPU when neither --kv-cache-gib nor VLLM_CPU_KVCACHE_SPACE is given: vLLM's own
#: default there reserves 92% of the host's RAM (its GPU share), which fails on a shared machine.
CPU_DEFAULT_KV_CACHE_GIB = 2.0


def engine_arguments(model: str, settings: EngineSettings, context: int, seed: int, on_cpu: bool) -> dict[str, Any]:
    """Keyword arguments of ``vllm.LLM``. The KV cache is sized in bytes when asked, or on a CPU by
    default; otherwise vLLM sizes it from the GPU memory share (``gpu_memory_utilization``)."""
    arguments: dict[str, Any] = {
        "model": model, "tensor_parallel_size": settings.tensor_parallel_size, "seed": seed,
        "max_model_len": context, "dtype": settings.dtype, "enforce_eager": settings.enforce_eager,
    }
    kv_cache_gib = settings.kv_cache_gib
    if kv_cache_gib is None and on_cpu and not os.environ.get("VLLM_CPU_KVCACHE_SPACE"):
        kv_cache_gib = CPU_DEFAULT_KV_CACHE_GIB
    if kv_cache_gib is not None:
        if kv_cache_gib <= 0:
            raise UserError(f"--kv-cache-gib must be positive, got {kv_cache_gib}")
        arguments["kv_cache_memory_bytes"] = int(kv_cache_gib * 2**30)
    if settings.gpu_memory_utilization is not None:
        if not 0 < settings.gpu_memory_utilization <= 1:
            raise UserError(f"--gpu-memory-utilization must be in (0, 1], got {settings.gpu_memory_utilization}")
        arguments["gpu_memory_utilization"] = settings.gpu_memory_utilization
    return arguments


#: Requests per generation call when --batch-size is not given.
DEFAULT_BATCH_SIZES = {"hf": 8, "vllm": 256}


def make_backend(name: str, model: str, sampling: Sampling, batch_size: int, context: int, engine: EngineSettings) -> Any:
    """The backend object for ``--backend``."""
    if batch_size < 1:
        raise UserError("--batch-size must be at least 1")
    if name == "hf":
        return HFBackend(model, sampling, batch_size, context)
    if name == "vllm":
        return VLLMBackend(model, sampling, batch_size, context, engine)
    raise UserError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}")


def slices(requests: Sequence[Request], size: int) -> Iterator[tuple[int, Sequence[Request]]]:
    """``(start, requests[start:start + size])``: cut from the full request list, so a resumed run
    makes the same generation calls as an uninterrupted one."""
    for start in range(0, len(requests), size):
        yield start, requests[start : start + size]


class HFBackend:
    """transformers ``generate`` in fixed batches with left padding.

    Batches are cut from the full request list, so a resumed run regenerates exactly the batches
    an uninterrupted run would, with the same seed per batch: its outputs are the same. A response
    stops where prompt and response fill the context, as in vLLM.
    """

    def __init__(self, model: str, sampling: Sampling, batch_size: int, context: int) -> None:
        import torch
        from transformers import AutoModelForCausalLM

        self.sampling, self.batch_size, self.context = sampling, batch_size, context
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.tokenizer = load_tokenizer(model)
        try:
            dtype = "auto" if self.device == "cuda" else torch.float32
            self.model = AutoModelForCausalLM.from_pretrained(model, dtype=dtype).to(self.device).eval()
        except OSError as error:
            raise UserError(f"cannot load model {model!r}: {error}") from None
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.stop_ids = self._stop_ids()

    def _stop_ids(self) -> set[int]:
        ids = self.model.generation_config.eos_token_id
        stop = set(ids if isinstance(ids, list) else [ids] if ids is not None else [])
        if self.tokenizer.eos_token_id is not None:
            stop.add(self.tokenizer.eos_token_id)
        return stop

    def generate(self, requests: Sequence[Request], done: set) -> Iterator[tuple[Request, Output]]:
        for start, batch in slices(requests, self.batch_size):
            if all(r.key in done for r in batch):
                continue
            outputs = self._generate_batch(batch, derived_seed(self.sampling.seed, batch[0].key, start))
            for request, output in zip(batch, outputs):
                if request.key not in done:
                    yield request, output

    def _generate_batch(self, batch: Sequence[Request], seed: int) -> list[Output]:
        import torch
        from transformers import GenerationConfig

        texts = [render_prompt(self.tokenizer, r.messages) for r in batch]
        encoded = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
        prompt_lengths = encoded["attention_mask"].sum(dim=1).tolist()
        config = GenerationConfig(
            max_new_tokens=min(self.sampling.max_tokens, self.context - min(prompt_lengths)),
            do_sample=not self.sampling.greedy,
            temperature=self.sampling.temperature if not self.sampling.greedy else None,
            top_p=self.sampling.top_p if not self.sampling.greedy else None,
            top_k=0 if not self.sampling.greedy else None,
            eos_token_id=sorted(self.stop_ids),
            pad_token_id=self.tokenizer.pad_token_id,
        )
        torch.manual_seed(seed)
        with torch.no_grad():
            generated = self.model.generate(**encoded, generation_config=config)
        width = encoded["input_ids"].shape[1]
        return [self._output(row[width:].tolist(), int(n)) for row, n in zip(generated, prompt_lengths)]

    def _output(self, ids: list[int], prompt_tokens: int) -> Output:
        ids = ids[: min(self.sampling.max_tokens, self.context - prompt_tokens)]
        end = next((i for i, token in enumerate(ids) if token in self.stop_ids), None)
        kept = ids if end is None else ids[: end + 1]  # the end-of-turn token counts, as in verl
        text = self.tokenizer.decode(kept, skip_special_tokens=True)
        return Output(text, prompt_tokens, len(kept), "length" if end is None else "stop", tuple(kept))


class VLLMBackend:
    """vLLM's offline ``LLM`` on GPUs (tensor parallel) or a CPU. Requests go in chunks of
    ``chunk_size``, each scheduled continuously and returned when it is done, so an interruption
    loses at most the chunk in flight; one seed per request, so chunking does not change samples."""

    def __init__(self, model: str, sampling: Sampling, chunk_size: int, context: int, engine: EngineSettings) -> None:
        import torch

        try:
            from vllm import LLM
        except ImportError:
            raise UserError(
                "the vllm backend needs vLLM, which is not installed: on a CPU run scripts/install_cpu_vllm.sh, "
                "on GPUs scripts/install_gpu.sh; or use --backend hf"
            ) from None
        self.sampling, self.chunk_size = sampling, chunk_size
        arguments = engine_arguments(model, engine, context, sampling.seed, on_cpu=not torch.cuda.is_available())
        logger.info("starting vLLM: %s", arguments)
        with engines_exit_with_parent():  # a killed run leaves no engine behind
            self.llm = LLM(**arguments)
        self.tokenizer = self.llm.get_tokenizer()

    def generate(self, requests: Sequence[Request], done: set) -> Iterator[tuple[Request, Output]]:
        from vllm import SamplingParams

        for _, part in slices(requests, self.chunk_size):
            chunk = [r for r in part if r.key not in done]
            if not chunk:
                continue
            prompts = [{"prompt_token_ids": prompt_ids(self.tokenizer, r.messages)} for r in chunk]
            params = [
                SamplingParams(
                    n=1,
                    temperature=self.sampling.temperature,
                    top_p=self.sampling.top_p,
                    max_tokens=self.sampling.max_tokens,
                    seed=derived_seed(self.sampling.seed, r.key),
                )
                for r in chunk
            ]
            results = self.llm.generate(prompts, params, use_tqdm=False)
            for request, prompt, result in zip(chunk, prompts, results):
                completion = result.outputs[0]
                finish = "length" if completion.finish_reason == "length" else "stop"
                ids = tuple(completion.token_ids)
                yield request, Output(completion.text, len(prompt["prompt_token_ids"]), len(ids), finish, ids)
