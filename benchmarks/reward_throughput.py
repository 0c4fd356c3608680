"""Reward throughput on the 2,000 shared responses (``../shared/data/bench_responses.jsonl``).

Prints samples/s for ``compute_score`` in one process (first pass in a fresh process, and
steady state: answer-side caches cleared before every pass, ground-truth caches kept as
within a GRPO group), per task, with worker processes, the worst time for a 1 MB
adversarial response, and verl's reward-loop path on a DataProto: our manager against
verl's ``naive`` manager driving the same ``compute_score`` and a no-op score. Each figure
that has a floor (:data:`FLOORS`) is printed with it. Times are CPU time of this process
(``time.process_time``), so other jobs on a shared machine do not count; the worker figure
is wall-clock time. Method: ``benchmarks/README.md``.

    python benchmarks/reward_throughput.py [--passes 5] [--workers 2] [--data PATH] [--skip-manager]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "bench_responses.jsonl"
#: The reference Med-U1 reward's speed on a 2-core machine (samples/s): mix, multiple choice + MedCalc.
REFERENCE_MIX, REFERENCE_MCQA_CALC = 3_500, 15_000
#: The speed floors of the default preset: above them, readability wins every tie.
FLOORS = {"mix": 35_000, "mcqa+calc": 50_000, "adversarial_ms": 50.0}


def against_floor(value: float, floor: float, higher_is_better: bool = True) -> str:
    """``(floor 35,000: met)``-style note."""
    met = value >= floor if higher_is_better else value < floor
    return f"(floor {'' if higher_is_better else '< '}{floor:,.0f}: {'met' if met else 'NOT MET'})"


def load_rows(path: Path = SHARED) -> list[dict]:
    if not path.exists():
        message = f"benchmark data not found at {path} (pass --data PATH)"
        if os.environ.get("CI"):
            sys.exit(message)
        print(message + "; nothing to measure")
        sys.exit(0)
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def clear_answer_caches() -> None:
    """Forget memoised answers, so every pass tokenises and scores each response again."""
    from med_u1.rewards.open_text import open_text_score

    open_text_score.cache_clear()


def timed_pass(calls: list[tuple[dict, dict]]) -> float:
    from med_u1.rewards import compute_score

    start = time.process_time()
    for call, knobs in calls:
        compute_score(**call, **knobs)
    return time.process_time() - start


def steady_rate(calls: list[tuple[dict, dict]], passes: int) -> float:
    best = float("inf")
    for _ in range(passes):
        clear_answer_caches()
        best = min(best, timed_pass(calls))
    return len(calls) / best


_worker_calls: list[tuple[dict, dict]] = []


def _load_worker_calls(path: Path) -> None:
    from med_u1.rewards.replay import replay_arguments

    _worker_calls.extend(replay_arguments(row, "default") for row in load_rows(path))


def score_share(share: tuple[int, int]) -> int:
    """Score every ``step``-th call from ``start`` (workers hold the rows; only indices travel)."""
    start, step = share
    clear_answer_caches()
    timed_pass(_worker_calls[start::step])
    return len(_worker_calls[start::step])


def parallel_rate(workers: int, passes: int, path: Path) -> float:
    """samples/s over wall-clock time (the work happens in other processes)."""
    shares = [(index, workers) for index in range(workers)]
    with ProcessPoolExecutor(max_workers=workers, initializer=_load_worker_calls, initargs=(path,)) as pool:
        total = sum(pool.map(score_share, shares))  # start the workers and fill ground-truth caches
        best = float("inf")
        for _ in range(passes):
            start = time.perf_counter()
            list(pool.map(score_share, shares))
            best = min(best, time.perf_counter() - start)
    return total / best


def adversarial_worst_ms() -> float:
    from med_u1.rewards import compute_score

    well_formed = "<think>x</think><answer>B</answer>"
    patterns = ["<answer>" * 125_000, "<think>" * 140_000 + "</answer>", "\\boxed{" * 140_000, "(" * 1_000_000,
                "<answer>" + "1," * 500_000 + "</answer>", "<think>x</think><answer>" + "A " * 500_000 + "</answer>",
                "<answer>B</answer>" * 55_000, "<think></think><answer>x</answer>" * 30_000,
                "\\boxed{" + "x" * 1_000_000, "<think>x</think><answer>" + "**" * 250_000 + "B" + "**" * 250_000 + "</answer>",
                "<think>x</think><answer>" + "\\boxed{" * 70_000 + "B" + "}" * 70_000 + "</answer>",
                "<think>" + "<" * 1_000_000 + "</think><answer>B</answer>", well_formed + "<eos>" * 200_000,
                well_formed + " " * 1_000_000, "</answer>" * 110_000]
    # answers just under the longest MedCalc answer read, 20,000 characters (a worked solution)
    patterns += [f"<think>x</think><answer>{answer}</answer>" for answer in (
        "(" + " " * 19_990 + "x", "1" * 19_990 + "x", "1. The patient" + " " * 19_970 + "x 2", "1. Score " + "is " * 6_600 + "x 2")]
    rows = [("MedXpertQA", "C", {}), ("MedCalc-Bench", "26.562", {"lower_limit": "25.2", "upper_limit": "27.9"}),
            ("medical-o1-reasoning-SFT", "Cardiac tamponade due to a stab wound.", {})]
    worst = 0.0
    for pattern in patterns:
        for source, truth, info in rows:
            for preset in ("default", "medu1"):
                start = time.process_time()
                compute_score(source, pattern, truth, info, preset=preset)
                worst = max(worst, time.process_time() - start)
    return worst * 1000


def manager_rates(rows: list[dict]) -> dict[str, float]:
    """samples/s through verl's reward-loop call pattern (one task per 1-row slice)."""
    from omegaconf import OmegaConf
    from transformers import AutoTokenizer
    from verl.experimental.reward_loop.reward_manager.naive import NaiveRewardManager

    from med_u1.rewards import compute_score
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "rewards"))  # the tests' batch helper
    from verl_batch import rollout_batch
    from med_u1.rewards.manager import MedU1RewardManager
    from med_u1.training.cpu.tiny_model import build_tiny_model

    with tempfile.TemporaryDirectory() as folder:
        tokenizer = AutoTokenizer.from_pretrained(build_tiny_model(folder))
    reward_models = [{"ground_truth": r["kwargs"]["ground_truth"], "lower_limit": r["kwargs"]["l_limit"],
                      "upper_limit": r["kwargs"]["u_limit"], "num_tokens": r["kwargs"]["num_tokens"]} for r in rows]
    data = rollout_batch(tokenizer, [r["solution_str"][: r["response_offset"]] for r in rows],
                         [r["solution_str"][r["response_offset"] :] for r in rows], [r["data_source"] for r in rows], reward_models)
    config = OmegaConf.create({"reward": {"custom_reward_function": {"path": None, "reward_kwargs": {}}}})

    def no_op(**_: object) -> float:
        return 0.0

    managers = {
        "med_u1 manager": MedU1RewardManager(config, tokenizer),
        "naive + med_u1 compute_score": NaiveRewardManager(config, tokenizer, compute_score),
        "naive + no-op score": NaiveRewardManager(config, tokenizer, no_op),
    }

    async def run(manager) -> None:
        await asyncio.gather(*[asyncio.create_task(manager.run_single(data[i : i + 1])) for i in range(len(data))])

    rates = {}
    for name, manager in managers.items():
        manager.loop.run_until_complete(run(manager))
        clear_answer_caches()
        start = time.process_time()
        manager.loop.run_until_complete(run(manager))
        rates[name] = len(rows) / (time.process_time() - start)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--skip-manager", action="store_true", help="skip the DataProto/manager figures")
    parser.add_argument("--data", type=Path, default=SHARED, help="bench_responses.jsonl (default: ../shared/data/)")
    args = parser.parse_args()
    from med_u1.rewards.replay import replay_arguments

    rows = load_rows(args.data)
    calls = [replay_arguments(row, "default") for row in rows]
    cold = len(calls) / timed_pass(calls)
    mix = steady_rate(calls, args.passes)
    print(f"rows: {len(rows)} ({', '.join(sorted({r['task'] for r in rows}))}); cpus: {os.cpu_count()}")
    print(f"default preset, one process, first pass:   {cold:10,.0f} samples/s")
    print(f"default preset, one process, steady state: {mix:10,.0f} samples/s  {against_floor(mix, FLOORS['mix'])}, {mix / REFERENCE_MIX:.1f}x the reference's {REFERENCE_MIX:,}/s")
    for task in ("mcqa", "calc", "open"):
        subset = [call for call, row in zip(calls, rows) if row["task"] == task]
        print(f"  {task:5s} rows ({len(subset):4d}):                   {steady_rate(subset, args.passes):10,.0f} samples/s")
    fast = [call for call, row in zip(calls, rows) if row["task"] in ("mcqa", "calc")]
    fast_rate = steady_rate(fast, args.passes)
    print(f"  mcqa+calc rows:                          {fast_rate:10,.0f} samples/s  {against_floor(fast_rate, FLOORS['mcqa+calc'])}, {fast_rate / REFERENCE_MCQA_CALC:.1f}x the reference's {REFERENCE_MCQA_CALC:,}/s")
    medu1 = [replay_arguments(row, "medu1") for row in rows]
    print(f"medu1 preset, one process, steady state:   {steady_rate(medu1, args.passes):10,.0f} samples/s")
    print(f"default preset, {args.workers} worker processes:        {parallel_rate(args.workers, args.passes, args.data):10,.0f} samples/s")
    worst = adversarial_worst_ms()
    print(f"1 MB adversarial response, worst case:     {worst:10.1f} ms  {against_floor(worst, FLOORS['adversarial_ms'], higher_is_better=False)} (both presets)")
    if not args.skip_manager:
        for name, rate in manager_rates(rows).items():
            print(f"DataProto end to end, {name:30s} {rate:10,.0f} samples/s")


if __name__ == "__main__":
    main()
