"""What the vllm backend asks of vLLM (no GPU here: vLLM's own `LLM` is replaced by a recorder with
its interface; the generation itself is exercised only on GPU machines)."""

from __future__ import annotations

import sys
import types
from pathlib import Path

from transformers import AutoTokenizer

from med_u1.evaluation.backends import Request, VLLMBackend, render_prompt
from med_u1.evaluation.sampling import PRESETS, derived_seed


class RecordingLLM:
    """vLLM's offline ``LLM`` interface: records the engine settings and each ``generate`` call."""

    instances: list["RecordingLLM"] = []

    def __init__(self, model: str, tensor_parallel_size: int, seed: int) -> None:
        self.settings = {"model": model, "tensor_parallel_size": tensor_parallel_size, "seed": seed}
        self.tokenizer = AutoTokenizer.from_pretrained(model)
        self.calls: list[tuple[list, list]] = []
        RecordingLLM.instances.append(self)

    def get_tokenizer(self):
        return self.tokenizer

    def generate(self, prompts, params, use_tqdm=True):
        self.calls.append((prompts, params))
        completion = lambda i: types.SimpleNamespace(  # noqa: E731
            text=f"answer {i}", token_ids=[1] * (i + 1), finish_reason="length" if i % 2 else "stop")
        return [types.SimpleNamespace(outputs=[completion(i)]) for i in range(len(prompts))]


def test_all_pending_requests_go_to_vllm_at_once_with_a_seed_each(tiny_model: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", types.SimpleNamespace(LLM=RecordingLLM, SamplingParams=types.SimpleNamespace))
    sampling = PRESETS["medu1"]
    backend = VLLMBackend(str(tiny_model), sampling, tensor_parallel_size=2)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Which option? Think for 100 tokens."}]
    requests = [Request(("mediq", str(item), 0, None), messages) for item in range(5)]
    done = {requests[1].key}
    results = list(backend.generate(requests, done))

    (llm,) = RecordingLLM.instances
    assert llm.settings == {"model": str(tiny_model), "tensor_parallel_size": 2, "seed": sampling.seed}
    ((prompts, params),) = llm.calls  # one call: vLLM batches continuously
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
