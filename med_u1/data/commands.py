"""``medu1 data build``: one command from a downloaded dataset to a verl parquet."""

from __future__ import annotations

import argparse
from pathlib import Path

from med_u1.data import prompts
from med_u1.data.budgets import BudgetOptions
from med_u1.data.build import DEFAULT_LOCAL_DIR, DEFAULT_SEED, BuildOptions, build
from med_u1.data.decontam import DEFAULT_NGRAM, DEFAULT_THRESHOLD
from med_u1.data.mix import PRESETS, parse_mix
from med_u1.data.record import SPLITS, RecordError
from med_u1.data.sources import SOURCES
from med_u1.data.stats import format_table
from med_u1.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``data build`` to the top-level parser."""
    data = subparsers.add_parser("data", help="build verl parquet datasets")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="SUBCOMMAND")
    parser = data_commands.add_parser(
        "build",
        help="build <local_dir>/<dataset>_<split>.parquet and its .stats.json",
        description="Datasets: " + "; ".join(f"{name}: {spec.summary}" for name, spec in SOURCES.items()),
    )
    _add_arguments(parser)
    parser.set_defaults(handler=run_build)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument_group("source")
    source.add_argument("--dataset", help=f"loader name: {', '.join(SOURCES)} (not needed with --mix)")
    source.add_argument(
        "--input", action="append", required=True, metavar="PATH_OR_HF_ID",
        help="file, folder or Hugging Face dataset id; with --mix repeat as NAME=PATH for each dataset",
    )
    source.add_argument("--split", default="train", choices=SPLITS)
    source.add_argument("--hf-config", help="Hub dataset config (defaults to the loader's)")
    source.add_argument("--hf-split", help="Hub split name (defaults to the loader's mapping of --split)")
    source.add_argument(
        "--release", help="which release the input is, for datasets with several (medcalc: verified, v1.2, v1.0); "
        "recorded in the stats file (default: detected from the Hub id or the path)",
    )
    source.add_argument("--skip-invalid", action="store_true", help="skip and report invalid records instead of stopping")
    source.add_argument(
        "--mix", help=f"NAME:COUNT,... (COUNT or 'all'), or a preset: {', '.join(PRESETS)}",
    )
    source.add_argument("--name", help="output name (default: the dataset, the preset, or 'mix')")

    out = parser.add_argument_group("output")
    out.add_argument("--local-dir", type=Path, default=DEFAULT_LOCAL_DIR)
    out.add_argument("--template", default="medu1", choices=prompts.TEMPLATES)
    out.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed of budgets and mixes (default {DEFAULT_SEED})")

    budget = parser.add_argument_group("thinking budget (Med-U1 flags; default: exact N in 100..2000)")
    budget.add_argument("--do-normal", action="store_true", help="no budget")
    budget.add_argument("--num-tokens", type=int, default=-1, help="fixed budget; negative = 'Think for maximum N tokens.'")
    budget.add_argument("--use-log", action="store_true", help="N = 2**uniform(8, 14.5)")
    budget.add_argument("--use-both", action="store_true", help="half exact budgets, half no budget")
    budget.add_argument("--use-both-both", action="store_true", help="half exact budgets, half maximum budgets")
    budget.add_argument("--keep-source-budgets", action="store_true", help="keep the budgets of Med-U1 parquet rows")
    budget.add_argument("--sample-multiple-for-train", type=int, default=1, help="repeat each training item K times")

    checks = parser.add_argument_group("decontamination and length filter")
    checks.add_argument(
        "--eval-set", action="append", default=[], metavar="NAME=PATH",
        help="evaluation set to match training items against (NAME is a loader; repeatable)",
    )
    checks.add_argument("--decontaminate", action="store_true", help="drop training items matching an --eval-set")
    checks.add_argument("--ngram", type=int, default=DEFAULT_NGRAM, help="word n-gram size for near duplicates")
    checks.add_argument("--near-threshold", type=float, default=DEFAULT_THRESHOLD, help="n-gram overlap for a near duplicate")
    checks.add_argument("--max-prompt-tokens", type=int, help="drop longer prompts (needs --tokenizer-path)")
    checks.add_argument("--tokenizer-path", help="tokenizer for the length filter and token-length statistics")


def _pair_list(values: list[str], flag: str) -> list[tuple[str, str]]:
    """``NAME=PATH`` values as pairs, in order; a name may repeat (several files of one loader)."""
    pairs = []
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise ValueError(f"{flag} {value!r} is not NAME=PATH")
        pairs.append((name, path))
    return pairs


def _named_pairs(values: list[str], flag: str) -> dict[str, str]:
    return dict(_pair_list(values, flag))


def options_from_args(args: argparse.Namespace) -> BuildOptions:
    """BuildOptions from parsed command-line arguments."""
    if args.mix:
        mix = parse_mix(args.mix)
        inputs = _named_pairs(args.input, "--input")
        name = args.name or (args.mix if args.mix in PRESETS else "mix")
    else:
        if not args.dataset:
            raise ValueError("give --dataset (or --mix)")
        if len(args.input) != 1:
            raise ValueError("give one --input (a file, a folder or a Hub id) without --mix")
        mix, inputs, name = None, {args.dataset: args.input[0]}, args.name
    eval_sets = {f"{dataset}={path}": (dataset, path) for dataset, path in _pair_list(args.eval_set, "--eval-set")}
    return BuildOptions(
        inputs=inputs,
        split=args.split,
        name=name,
        local_dir=args.local_dir,
        mix=mix,
        template=args.template,
        seed=args.seed,
        budget=BudgetOptions(
            num_tokens=args.num_tokens,
            do_normal=args.do_normal,
            use_log=args.use_log,
            use_both=args.use_both,
            use_both_both=args.use_both_both,
            keep_source=args.keep_source_budgets,
        ),
        sample_multiple_for_train=args.sample_multiple_for_train,
        eval_sets=eval_sets,
        decontaminate=args.decontaminate,
        ngram=args.ngram,
        near_threshold=args.near_threshold,
        max_prompt_tokens=args.max_prompt_tokens,
        tokenizer_path=args.tokenizer_path,
        skip_invalid=args.skip_invalid,
        hf_config=args.hf_config,
        hf_split=args.hf_split,
        release=args.release,
    )


def run_build(args: argparse.Namespace) -> int:
    """Handler of ``medu1 data build``: prints the written paths and the summary table."""
    try:
        result = build(options_from_args(args))
    except (RecordError, ValueError, KeyError) as exc:  # a bad record, flag or dataset name
        raise UserError(exc.args[0] if isinstance(exc, KeyError) else str(exc)) from exc
    print(format_table(result.stats))
    print(result.parquet_path)
    print(result.stats_path)
    return 0
