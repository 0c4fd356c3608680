"""Generation backends: Hugging Face transformers (CPU or GPU) and vLLM (GPU, optional).

Both take the full ordered request list of a benchmark and budget plus the keys already done,
and yield ``(request, output)`` for the others as they finish. Prompts are the parquet's chat
messages rendered with the model's chat template, as verl renders them in training.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from med_u1.errors import UserError
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


def render_prompt(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The chat template applied with the generation prompt (what verl's rollout sees)."""
    if not getattr(tokenizer, "chat_template", None):
        raise UserError("the model's tokenizer has no chat template; evaluate a chat/instruct model or add one")
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def make_backend(name: str, model: str, sampling: Sampling, batch_size: int, tensor_parallel_size: int) -> Any:
    """The backend object for ``--backend``."""
    if name == "hf":
        return HFBackend(model, sampling, batch_size)
    if name == "vllm":
        return VLLMBackend(model, sampling, tensor_parallel_size)
    raise UserError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}")


class HFBackend:
    """transformers ``generate`` in fixed batches with left padding.

    Batches are cut from the full request list, so a resumed run regenerates exactly the batches
    an uninterrupted run would, with the same seed per batch: its outputs are the same.
    """

    def __init__(self, model: str, sampling: Sampling, batch_size: int) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if batch_size < 1:
            raise UserError("--batch-size must be at least 1")
        self.sampling, self.batch_size = sampling, batch_size
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(model)
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
        for start in range(0, len(requests), self.batch_size):
            batch = requests[start : start + self.batch_size]
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
        config = GenerationConfig(
            max_new_tokens=self.sampling.max_tokens,
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
        prompt_lengths = encoded["attention_mask"].sum(dim=1).tolist()
        width = encoded["input_ids"].shape[1]
        return [self._output(row[width:].tolist(), int(n)) for row, n in zip(generated, prompt_lengths)]

    def _output(self, ids: list[int], prompt_tokens: int) -> Output:
        end = next((i for i, token in enumerate(ids) if token in self.stop_ids), None)
        kept = ids if end is None else ids[: end + 1]  # the end-of-turn token counts, as in verl
        text = self.tokenizer.decode(kept, skip_special_tokens=True)
        return Output(text, prompt_tokens, len(kept), "length" if end is None else "stop")


class VLLMBackend:
    """vLLM's offline ``LLM``: the whole request list submitted at once (continuous batching),
    tensor parallel over ``tensor_parallel_size`` GPUs, one seed per request."""

    def __init__(self, model: str, sampling: Sampling, tensor_parallel_size: int) -> None:
        try:
            from vllm import LLM
        except ImportError:
            raise UserError(
                "the vllm backend needs vLLM, which is not installed: install the GPU extra "
                "(pip install -e '.[gpu]') or use --backend hf"
            ) from None
        self.sampling = sampling
        self.llm = LLM(model=model, tensor_parallel_size=tensor_parallel_size, seed=sampling.seed)
        self.tokenizer = self.llm.get_tokenizer()

    def generate(self, requests: Sequence[Request], done: set) -> Iterator[tuple[Request, Output]]:
        from vllm import SamplingParams

        pending = [r for r in requests if r.key not in done]
        if not pending:
            return
        prompts = [
            {"prompt_token_ids": self.tokenizer(render_prompt(self.tokenizer, r.messages), add_special_tokens=False)["input_ids"]}
            for r in pending
        ]
        params = [
            SamplingParams(
                n=1,
                temperature=self.sampling.temperature,
                top_p=self.sampling.top_p,
                max_tokens=self.sampling.max_tokens,
                seed=derived_seed(self.sampling.seed, r.key),
            )
            for r in pending
        ]
        results = self.llm.generate(prompts, params, use_tqdm=False)
        for request, prompt, result in zip(pending, prompts, results):
            completion = result.outputs[0]
            finish = "length" if completion.finish_reason == "length" else "stop"
            yield request, Output(completion.text, len(prompt["prompt_token_ids"]), len(completion.token_ids), finish)
