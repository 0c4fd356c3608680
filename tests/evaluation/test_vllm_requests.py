"""What the vllm backend asks of vLLM on GPUs (none here: vLLM's own `LLM` is replaced by a recorder
with its interface). The real engine runs on the CPU in test_vllm_cpu.py."""

from __future__ import annotations

import sys
import types
from pathlib import Path

from transformers import AutoTokenizer

import pytest
import torch

from med_u1.errors import UserError
from med_u1.evaluation.backends import CPU_DEFAULT_KV_CACHE_GIB, EngineSettings, Request, VLLMBackend, engine_arguments, render_prompt
from med_u1.evaluation.sampling import PRESETS, derived_seed


class RecordingLLM:
    """vLLM's offline ``LLM`` interface: records the engine settings and each ``generate`` call."""

    instances: list["RecordingLLM"] = []

    def __init__(self, **settings) -> None:
        self.settings = settings
        self.tokenizer = AutoTokenizer.from_pretrained(settings["model"])
        self.calls: list[tuple[list, list]] = []
        RecordingLLM.instances.append(self)

    def get_tokenizer(self):
        return self.tokenizer

    def generate(self, prompts, params, use_tqdm=True):
        self.calls.append((prompts, params))
        completion = lambda i: types.SimpleNamespace(  # noqa: E731
            text=f"answer {i}", token_ids=[1] * (i + 1), finish_reason="length" if i % 2 else "stop")
        return [types.SimpleNamespace(outputs=[completion(i)]) for i in range(len(prompts))]


def test_pending_requests_go_to_vllm_by_chunk_with_a_seed_each(tiny_model: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", types.SimpleNamespace(LLM=RecordingLLM, SamplingParams=types.SimpleNamespace))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    sampling = PRESETS["medu1"]
    backend = VLLMBackend(str(tiny_model), sampling, 256, 2048, EngineSettings(tensor_parallel_size=2))
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Which option? Think for 100 tokens."}]
    requests = [Request(("mediq", str(item), 0, None), messages) for item in range(5)]
    done = {requests[1].key}
    results = list(backend.generate(requests, done))

    (llm,) = RecordingLLM.instances
    # on GPUs vLLM sizes its KV cache from its own memory share
    assert llm.settings == {"model": str(tiny_model), "tensor_parallel_size": 2, "seed": sampling.seed,
                            "max_model_len": 2048, "dtype": "auto", "enforce_eager": False}
    ((prompts, params),) = llm.calls  # one chunk: vLLM batches continuously
    assert len(prompts) == 4 and [r.key for r, _ in results] == [r.key for r in requests if r.key not in done]
    expected_ids = llm.tokenizer(render_prompt(llm.tokenizer, messages), add_special_tokens=False)["input_ids"]
    assert all(prompt["prompt_token_ids"] == expected_ids for prompt in prompts)
    assert [p.seed for p in params] == [derived_seed(sampling.seed, r.key) for r in requests if r.key not in done]
    assert len({p.seed for p in params}) == 4
    assert all((p.temperature, p.top_p, p.max_tokens, p.n) == (0.2, 0.95, 2048, 1) for p in params)
    outputs = [output for _, output in results]
    assert [o.response_tokens for o in outputs] == [1, 2, 3, 4]
    assert [o.finish_reason for o in outputs] == ["stop", "length", "stop", "length"]
    assert all(o.prompt_tokens == len(expected_ids) for o in outputs)


def test_a_cpu_gets_a_kv_cache_size_and_the_flags_override_it(monkeypatch) -> None:
    monkeypatch.delenv("VLLM_CPU_KVCACHE_SPACE", raising=False)
    cpu = engine_arguments("m", EngineSettings(), 512, 0, on_cpu=True)
    assert cpu["kv_cache_memory_bytes"] == int(CPU_DEFAULT_KV_CACHE_GIB * 2**30) and "gpu_memory_utilization" not in cpu
    asked = engine_arguments("m", EngineSettings(kv_cache_gib=0.5, gpu_memory_utilization=0.6, dtype="float32",
                                                 enforce_eager=True), 512, 0, on_cpu=False)
    assert asked["kv_cache_memory_bytes"] == 2**29 and asked["gpu_memory_utilization"] == 0.6
    assert (asked["dtype"], asked["enforce_eager"], asked["max_model_len"]) == ("float32", True, 512)
    monkeypatch.setenv("VLLM_CPU_KVCACHE_SPACE", "3")  # vLLM's own CPU setting is left to vLLM
    assert "kv_cache_memory_bytes" not in engine_arguments("m", EngineSettings(), 512, 0, on_cpu=True)
    with pytest.raises(UserError, match="--kv-cache-gib must be positive"):
        engine_arguments("m", EngineSettings(kv_cache_gib=0), 512, 0, on_cpu=True)
