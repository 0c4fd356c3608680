"""One build: load -> mix -> decontaminate -> budgets and prompts -> length filter -> parquet + summary."""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from med_u1.data import decontam, prompts, stats
from med_u1.data.budgets import BudgetOptions, sample_budget
from med_u1.data.loading import load_examples
from med_u1.data.mix import sample_mix
from med_u1.data.record import Example, RecordError
from med_u1.data.rows import verl_row
from med_u1.data.sources import get_source
from med_u1.data.sources.base import detect_release
from med_u1.errors import UserError
from med_u1.io import write_atomic, write_json_atomic

logger = logging.getLogger(__name__)

DEFAULT_SEED = 42
DEFAULT_LOCAL_DIR = Path("processed_data")
#: Sources with no training split: training on them contaminates their own benchmark.
EVAL_ONLY_SOURCES = ("MedXpertQA",)


@dataclass(frozen=True)
class BuildOptions:
    """Everything a build depends on (the same options give byte-identical output)."""

    inputs: Mapping[str, str]  # dataset loader name -> file, folder or Hub id
    split: str = "train"
    name: str | None = None  # output stem; defaults to the dataset name
    local_dir: Path = DEFAULT_LOCAL_DIR
    mix: Mapping[str, int | None] | None = None
    template: str = "medu1"
    seed: int = DEFAULT_SEED
    budget: BudgetOptions = field(default_factory=BudgetOptions)
    sample_multiple_for_train: int = 1
    eval_sets: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # label -> (dataset, source)
    decontaminate: bool = False
    ngram: int = decontam.DEFAULT_NGRAM
    near_threshold: float = decontam.DEFAULT_THRESHOLD
    max_prompt_tokens: int | None = None
    tokenizer_path: str | None = None
    skip_invalid: bool = False
    hf_config: str | None = None
    hf_split: str | None = None
    release: str | None = None  # the input's release (e.g. MedCalc-Bench "verified"), else detected

    def __post_init__(self) -> None:
        for dataset in [*(self.mix or ()), *self.inputs, *(dataset for dataset, _ in self.eval_sets.values())]:
            get_source(dataset)  # an unknown name is reported before a missing input
        prompts.TEMPLATES.get(self.template)
        if self.mix is not None and set(self.mix) != set(self.inputs):
            raise ValueError(f"the mix needs an input for each of {', '.join(self.mix)}; got {', '.join(self.inputs)}")
        if self.mix is None and len(self.inputs) != 1:
            raise ValueError("give exactly one input, or several with a mix")
        if self.max_prompt_tokens is not None and not self.tokenizer_path:
            raise ValueError("--max-prompt-tokens needs --tokenizer-path")
        if self.sample_multiple_for_train < 1:
            raise ValueError("--sample-multiple-for-train must be at least 1")
        if self.decontaminate and not self.eval_sets:
            raise ValueError("--decontaminate needs at least one --eval-set")
        if self.release is not None and not any(get_source(dataset).releases for dataset in self.inputs):
            raise ValueError(f"--release: none of {', '.join(self.inputs)} has releases to choose from")

    @property
    def output_name(self) -> str:
        """The dataset name in output file names: ``name``, else the (single) input's dataset."""
        return self.name or next(iter(self.inputs))

    @property
    def stem(self) -> str:
        """``<name>_<split>``, the output files' stem."""
        return f"{self.output_name}_{self.split}"


@dataclass
class BuildResult:
    """Where the build wrote its files, and its summary."""

    parquet_path: Path
    stats_path: Path
    stats: dict[str, Any]


def build(options: BuildOptions) -> BuildResult:
    """Run one build; nothing is written unless every step succeeds."""
    rng = random.Random(options.seed)
    loaded = {dataset: _load(options, dataset, source, options.split) for dataset, source in options.inputs.items()}
    examples = (
        sample_mix({k: v.examples for k, v in loaded.items()}, options.mix, rng)
        if options.mix is not None
        else next(iter(loaded.values())).examples
    )
    summary: dict[str, Any] = {
        "invalid_skipped": sum(len(result.invalid) for result in loaded.values()),
        "invalid": [_error_entry(exc) for result in loaded.values() for exc in result.invalid],
        "out_of_subset": sum(result.out_of_subset for result in loaded.values()),
        "warnings": _eval_only_warnings(examples, options.split),
    }
    releases = input_releases(options)
    if releases:
        summary["releases"] = releases
        summary["warnings"] += [
            f"{dataset}: which release {options.inputs[dataset]} is was not detected; pass --release "
            f"({', '.join(get_source(dataset).releases)}) to record it"
            for dataset, found in releases.items() if found["release"] == "unknown"
        ]
    if options.eval_sets:
        examples, summary["decontamination"] = _decontaminate(options, examples)
        summary["decontaminated"] = len(summary["decontamination"]["matches"]) if options.decontaminate else 0
    rows = make_rows(examples, options, rng)
    lengths, unit = prompt_lengths(rows, options.tokenizer_path)
    if options.max_prompt_tokens is not None:
        rows, lengths, dropped = _drop_long(rows, lengths, options.max_prompt_tokens)
        summary["length_filtered"] = len(dropped)
        summary["length_filter"] = {"max_prompt_tokens": options.max_prompt_tokens, "dropped_uids": dropped}
    if not rows:
        raise ValueError("the build has no rows left to write")
    for index, row in enumerate(rows):
        row["extra_info"]["index"] = index
    summary.update(
        dataset=options.output_name,
        split=options.split,
        rows=len(rows),
        examples=len(examples),
        counts=stats.count_rows(rows),
        budgets=stats.budget_summary([row["extra_info"]["num_tokens"] for row in rows]),
        prompt_length=stats.length_summary(lengths, unit),
        config=_config_entry(options),
    )
    parquet_path = options.local_dir / f"{options.stem}.parquet"
    stats_path = options.local_dir / f"{options.stem}.stats.json"
    write_atomic(parquet_path, lambda tmp: write_parquet(rows, tmp))
    write_json_atomic(stats_path, summary)
    return BuildResult(parquet_path, stats_path, summary)


def _load(options: BuildOptions, dataset: str, source: str, split: str):
    return load_examples(
        dataset, source, split, skip_invalid=options.skip_invalid, hf_config=options.hf_config, hf_split=options.hf_split
    )


def input_releases(options: BuildOptions) -> dict[str, dict[str, str]]:
    """For each input of a dataset with several releases: which release it is, and how that was decided."""
    found = {
        dataset: detect_release(get_source(dataset), source, options.release)
        for dataset, source in options.inputs.items()
    }
    return {dataset: release for dataset, release in found.items() if release is not None}


def make_rows(examples: Sequence[Example], options: BuildOptions, rng: random.Random) -> list[dict[str, Any]]:
    """verl rows; training items repeat ``sample_multiple_for_train`` times with fresh budgets."""
    repeats = options.sample_multiple_for_train if options.split == "train" else 1
    return [
        example_row(example, sample_budget(rng, options.budget, example.meta), options.template)
        for _ in range(repeats)
        for example in examples
    ]


def example_row(example: Example, num_tokens: int, template: str) -> dict[str, Any]:
    """The verl row of ``example`` asking for ``num_tokens`` (its index is set once the row order is final)."""
    fields = {
        "lower_limit": example.lower_limit,
        "upper_limit": example.upper_limit,
        "options": dict(example.options) if example.options else None,
        "output_type": example.output_type,
        "num_tokens": num_tokens,
    }
    return verl_row(
        data_source=example.source, messages=prompts.messages(example, num_tokens, template), ground_truth=example.answer,
        uid=example.uid, task=example.task, split=example.split, fields=fields,
        meta=json.dumps(dict(example.meta), sort_keys=True, ensure_ascii=False),
    )


def write_parquet(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """Write rows as parquet (deterministic: same rows, same bytes)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(list(rows)), path)


def prompt_lengths(rows: Sequence[dict[str, Any]], tokenizer_path: str | None) -> tuple[list[int], str]:
    """Prompt lengths in tokens (chat template applied) with a tokenizer, else in characters."""
    if not tokenizer_path:
        return [sum(len(m["content"]) for m in row["prompt"]) for row in rows], "characters"
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_path)
    except OSError as exc:
        raise UserError(
            f"--tokenizer-path {tokenizer_path!r}: cannot load a tokenizer ({exc}). "
            "Pass a local model folder, or a Hub id on a machine that can reach huggingface.co"
        ) from exc
    texts = [tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True, tokenize=False) for row in rows]
    encoded = tokenizer(texts, add_special_tokens=False)["input_ids"]
    return [len(ids) for ids in encoded], "tokens"


def _drop_long(
    rows: list[dict[str, Any]], lengths: list[int], limit: int
) -> tuple[list[dict[str, Any]], list[int], list[str]]:
    kept = [i for i, n in enumerate(lengths) if n <= limit]
    dropped = [rows[i]["extra_info"]["uid"] for i, n in enumerate(lengths) if n > limit]
    if dropped:
        logger.warning("dropped %d prompts longer than %d tokens", len(dropped), limit)
    return [rows[i] for i in kept], [lengths[i] for i in kept], dropped


def _decontaminate(options: BuildOptions, examples: list[Example]) -> tuple[list[Example], dict[str, Any]]:
    eval_sets = {
        label: _load(options, dataset, source, "test").examples for label, (dataset, source) in options.eval_sets.items()
    }
    matches = decontam.find_contamination(examples, eval_sets, options.ngram, options.near_threshold)
    if matches:
        logger.warning(
            "%d of %d training items match an evaluation set%s",
            len(matches), len(examples), "; dropping them" if options.decontaminate else " (kept: pass --decontaminate to drop)",
        )
    if options.decontaminate:
        matched = {match.train_uid for match in matches}
        examples = [example for example in examples if example.uid not in matched]
    return examples, decontam.report(matches, eval_sets, options.decontaminate)


def _eval_only_warnings(examples: Sequence[Example], split: str) -> list[str]:
    if split != "train":
        return []
    present = sorted({e.source for e in examples} & set(EVAL_ONLY_SOURCES))
    return [
        f"{source} has no training split: these {sum(e.source == source for e in examples)} items are benchmark "
        f"items, so evaluating on {source} after training on them is contaminated"
        for source in present
    ]


def _error_entry(exc: RecordError) -> dict[str, str]:
    return {"file": exc.file, "line": exc.line, "field": exc.field, "reason": exc.reason}


def _config_entry(options: BuildOptions) -> dict[str, Any]:
    return {
        "inputs": dict(options.inputs),
        "mix": dict(options.mix) if options.mix is not None else None,
        "template": options.template,
        "seed": options.seed,
        "budget": options.budget.mode,
        "sample_multiple_for_train": options.sample_multiple_for_train,
        "eval_sets": {label: list(spec) for label, spec in options.eval_sets.items()},
        "decontaminate": options.decontaminate,
        "max_prompt_tokens": options.max_prompt_tokens,
        "tokenizer_path": options.tokenizer_path,
    }
