"""``medu1 eval`` and ``medu1 report`` (heavy libraries load inside the handlers)."""

from __future__ import annotations

import argparse
from pathlib import Path

from med_u1.errors import UserError
from med_u1.evaluation.backends import BACKENDS
from med_u1.evaluation.report import FORMATS, PUBLISHED
from med_u1.evaluation.sampling import PRESETS
from med_u1.rewards.commands import add_reward_flags


def parse_budgets(text: str | None) -> list[int | None]:
    """``"512,1024,-512"`` as budgets; ``own`` keeps each row's prompt; None: the rows' own only."""
    if not text:
        return [None]
    budgets: list[int | None] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if part == "own":
            budgets.append(None)
            continue
        try:
            value = int(part)
        except ValueError:
            raise UserError(f"--num-tokens expects integers (N exact, -N maximum, -1 none) or 'own', got {part!r}") from None
        if value == 0:
            raise UserError("--num-tokens 0 is not a budget; use -1 for no budget")
        budgets.append(value)
    return list(dict.fromkeys(budgets))


def handle_eval(args: argparse.Namespace) -> int:
    from med_u1.evaluation.backends import EngineSettings
    from med_u1.evaluation.benchmarks import parse_names
    from med_u1.evaluation.evaluate import EvalOptions, dry_run, evaluate, failure_message
    from med_u1.evaluation.sampling import resolve_sampling
    from med_u1.rewards.commands import parse_knobs

    sampling = resolve_sampling(args.sampling, {
        "temperature": args.temperature, "top_p": args.top_p, "max_tokens": args.max_tokens, "n": args.n, "seed": args.seed,
    })
    if args.limit is not None and args.limit < 1:
        raise UserError("--limit must be at least 1")
    options = EvalOptions(
        model=args.model, data=args.data, out=Path(args.out), benchmarks=parse_names(args.benchmarks), split=args.split,
        backend=args.backend, sampling=sampling, budgets=parse_budgets(args.num_tokens), limit=args.limit,
        batch_size=args.batch_size, max_model_len=args.max_model_len, overwrite=args.overwrite,
        engine=EngineSettings(tensor_parallel_size=args.tensor_parallel_size, kv_cache_gib=args.kv_cache_gib,
                              gpu_memory_utilization=args.gpu_memory_utilization, dtype=args.dtype,
                              enforce_eager=args.enforce_eager),
        reward_preset=args.reward_preset, knobs=parse_knobs(args.knob, args.reward_preset),
    )
    if args.dry_run:
        plan, failed = dry_run(options)
        print(plan)
    else:
        args.on_interrupt = f"run the same command again to resume from the generations saved in {options.out}"
        report, failed = evaluate(options)
        print(report)
        print(f"run directory: {options.out}")
    if failed:
        raise UserError(failure_message(failed, None if args.dry_run else options.out))
    return 0


def handle_report(args: argparse.Namespace) -> int:
    from med_u1.io import write_atomic
    from med_u1.evaluation.plots import accuracy_per_benchmark
    from med_u1.evaluation.report import collect_rows, render

    rows = collect_rows([Path(d) for d in args.run_dirs], args.with_published)
    text = render(rows, args.format)
    if args.out:
        write_atomic(Path(args.out), lambda tmp: tmp.write_text(text, encoding="utf-8"))
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    if args.plots:
        print(f"wrote {accuracy_per_benchmark(rows, Path(args.plots) / 'accuracy_per_benchmark.png')}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``eval`` and ``report``."""
    parser = subparsers.add_parser(
        "eval", help="generate, score and tabulate a model on benchmark parquets",
        description="Generate answers to `medu1 data build` parquets, score them with the reward verifiers, and write "
        "a run directory (config.json, generations.jsonl, scores.jsonl, metrics.json, report.md, plots/). "
        "Rerunning the same command resumes.",
    )
    parser.add_argument("--model", required=True, help="model folder or Hugging Face id (with a chat template)")
    parser.add_argument("--data", action="extend", nargs="+", required=True, metavar="DIR_OR_FILE",
                        help="folders of <dataset>_<split>.parquet files, or parquet files (several after one --data)")
    parser.add_argument("--benchmarks", help="comma list: medmcqa,medqa,pubmedqa,mmlu_pro,gpqa,medxpertqa,medcalc,mediq,"
                        "ehrnoteqa,medical_o1 (groups: r1zero, medu1); default: every file in --data")
    parser.add_argument("--out", required=True, help="run directory (created; an existing one is resumed)")
    parser.add_argument("--split", default="test", help="split suffix of the files in --data folders (default test)")
    parser.add_argument("--backend", default="hf", choices=BACKENDS,
                        help="hf (transformers) or vllm (GPUs: scripts/install_gpu.sh; CPU: scripts/install_cpu_vllm.sh)")
    parser.add_argument("--sampling", "--preset", dest="sampling", default="greedy", choices=PRESETS,
                        help="sampling preset: greedy (T 0) or medu1 (T 0.2, top_p 0.95, 2048 tokens); flags override it")
    parser.add_argument("--n", type=int, help="samples per item (pass@k, maj@k)")
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--top-p", type=float)
    parser.add_argument("--max-tokens", type=int, help="response token limit")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--num-tokens", help="budget sweep: N[,N...] (N exact, -N maximum, -1 none, own = the row's)")
    parser.add_argument("--limit", type=int, help="first M items of each benchmark")
    parser.add_argument("--batch-size", type=int, help="requests per generation call: hf pads them into one batch "
                        "(default 8); vllm runs them as one chunk, written when the chunk is done (default 256)")
    parser.add_argument("--max-model-len", type=int, help="context (prompt + response tokens); default the model's "
                        "max_position_embeddings; longer prompts are skipped and counted")
    engine = parser.add_argument_group("vllm engine")
    engine.add_argument("--tensor-parallel-size", type=int, default=1, help="GPUs per model (default 1)")
    engine.add_argument("--kv-cache-gib", type=float, help="KV cache size in GiB (default: on a CPU 2, or "
                        "VLLM_CPU_KVCACHE_SPACE; on GPUs vLLM's, from --gpu-memory-utilization)")
    engine.add_argument("--gpu-memory-utilization", type=float, help="share of GPU memory vLLM may use "
                        "(vLLM's default 0.92; on a CPU a share of host RAM, unused when the KV cache size is set)")
    engine.add_argument("--dtype", default="auto", help="weights and activations: auto (vLLM picks), bfloat16, "
                        "float16, float32")
    engine.add_argument("--enforce-eager", action="store_true", help="no compiled graphs: faster start, slower "
                        "generation")
    add_reward_flags(parser)
    parser.add_argument("--overwrite", action="store_true", help="discard an existing run in --out")
    parser.add_argument("--dry-run", action="store_true", help="check the inputs and print the plan; load no model")
    parser.set_defaults(handler=handle_eval)

    report = subparsers.add_parser("report", help="tabulate evaluation runs (and published results)")
    report.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    report.add_argument("--format", default="md", choices=FORMATS)
    report.add_argument("--out", help="write the table here instead of printing it")
    report.add_argument("--with-published", action="append", default=[], choices=sorted(PUBLISHED),
                        help="add a paper's published rows (r1zero: Medical R1-Zero, arXiv 2504.13950)")
    report.add_argument("--plots", help="folder for accuracy_per_benchmark.png across the runs")
    report.set_defaults(handler=handle_report)
