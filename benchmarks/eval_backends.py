"""Generation speed of ``medu1 eval``'s backends, ``hf`` and ``vllm``, on the same model and prompts.

The model is a Qwen2 of 4 layers, hidden size 256 (4 heads of 64), built locally with random
weights by ``med_u1.training.cpu.tiny_model`` (so it rarely ends a response early: nearly every
response runs to ``--max-tokens``). The prompts are real benchmark questions: the first
``--prompts`` shared MediQ and MedXpertQA dev rows (``../shared/data/dev``, read at run time),
rendered with the chat template, greedy. Each backend is the object ``medu1 eval`` uses; the
engine start (model load, and for vLLM its warm-up) is timed apart from generation. Prints one
line per backend: start seconds, generation seconds, response tokens, tokens/s.

    python benchmarks/eval_backends.py [--prompts 256] [--max-tokens 128] [--backends hf,vllm]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from data_build import dev_raws  # a sibling script: benchmarks/ is on sys.path when run
from med_u1.evaluation.backends import EngineSettings, Request, context_length, make_backend
from med_u1.evaluation.sampling import Sampling
from med_u1.training.cpu.tiny_model import TinyModelSpec, build_tiny_model

MODEL = TinyModelSpec(hidden_size=256, intermediate_size=1024, num_hidden_layers=4, num_attention_heads=4,
                      num_key_value_heads=2, max_position_embeddings=4096)


def benchmark_requests(count: int) -> list[Request]:
    """The first ``count`` MediQ and MedXpertQA dev prompts, alternating."""
    per_set = [[Request((name, str(i), 0, None), list(row["prompt"])) for i, row in enumerate(dev_raws(name))]
               for name in ("mediq", "medxpertqa")]
    mixed = [request for pair in zip(*per_set) for request in pair]
    if count > len(mixed):
        raise SystemExit(f"--prompts {count}: the shared dev sets have {len(mixed)}")
    return mixed[:count]


def run_backend(name: str, model: Path, requests: list[Request], args: argparse.Namespace) -> dict[str, float]:
    sampling = Sampling(temperature=0.0, max_tokens=args.max_tokens)
    batch_size = args.hf_batch_size if name == "hf" else args.vllm_batch_size
    engine = EngineSettings(kv_cache_gib=args.kv_cache_gib, dtype="float32", enforce_eager=args.enforce_eager)
    start = time.perf_counter()
    backend = make_backend(name, str(model), sampling, batch_size, context_length(str(model), None), engine)
    started = time.perf_counter()
    outputs = [output for _, output in backend.generate(requests, set())]
    finished = time.perf_counter()
    tokens = sum(o.response_tokens for o in outputs)
    return {"start_s": started - start, "generate_s": finished - started, "tokens": tokens,
            "prompt_tokens": sum(o.prompt_tokens for o in outputs), "tokens_per_s": tokens / (finished - started)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=256)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--backends", default="hf,vllm")
    parser.add_argument("--hf-batch-size", type=int, default=8)
    parser.add_argument("--vllm-batch-size", type=int, default=256)
    parser.add_argument("--kv-cache-gib", type=float, default=2.0)
    parser.add_argument("--enforce-eager", action="store_true")
    args = parser.parse_args()
    requests = benchmark_requests(args.prompts)
    with tempfile.TemporaryDirectory() as tmp:
        model = build_tiny_model(Path(tmp) / "qwen2-4x256", MODEL)
        print(f"model: Qwen2 {MODEL.num_hidden_layers} layers, hidden {MODEL.hidden_size}, random weights, fp32; "
              f"{len(requests)} prompts (MediQ, MedXpertQA), greedy, max {args.max_tokens} new tokens")
        for name in args.backends.split(","):
            figures = run_backend(name, model, requests, args)
            print(f"{name:5s} start {figures['start_s']:6.1f} s | generate {figures['generate_s']:7.1f} s | "
                  f"{figures['prompt_tokens']:,} prompt + {figures['tokens']:,} response tokens | "
                  f"{figures['tokens_per_s']:8.1f} response tokens/s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
