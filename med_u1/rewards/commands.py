"""``medu1 score``: score a JSON-lines file of responses with the reward registry."""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterator

from tabulate import tabulate

from med_u1.errors import UserError, no_rows_error
from med_u1.io import write_jsonl_atomic
from med_u1.rewards import compute_score
from med_u1.rewards.contract import PRESETS, resolve_config
from med_u1.rewards.registry import task_of
from med_u1.rewards.replay import replay_arguments

#: Top-level fields of an input row that are handed to the verifiers as ``extra_info``.
EXTRA_FIELDS = ("lower_limit", "upper_limit", "options", "output_type", "num_tokens", "response_length")


def parse_knobs(pairs: list[str], preset: str) -> dict[str, str]:
    """``["open_metric=bleu", ...]`` as a dict, checked against ``preset``'s knobs before any row is read.

    Values stay strings (compute_score coerces them); an unknown name or a bad value is a
    UserError naming the valid knobs or values.
    """
    knobs = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UserError(f"--knob expects NAME=VALUE, got {pair!r}")
        knobs[name.strip()] = value.strip()
    try:
        resolve_config({"preset": preset, **knobs})
    except (TypeError, ValueError) as error:
        raise UserError(f"--knob: {error}") from None
    return knobs


def read_rows(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, row) for every non-empty line; a malformed line is an error naming it."""
    with path.open(encoding="utf-8") as handle:
        number = 0
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as error:
                    raise UserError(f"{path}:{number}: not valid JSON ({error.msg})") from None
        except UnicodeDecodeError:
            raise UserError(f"{path}:{number + 1}: not UTF-8 text (is it a JSON-lines file?)") from None


def call_for(row: dict, path: Path, number: int, preset: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The compute_score arguments of a row: our fields, or a bench row's reference ``kwargs``."""
    if "kwargs" in row:
        return replay_arguments(row, preset)
    for field in ("data_source", "ground_truth"):
        if field not in row:
            raise UserError(f"{path}:{number}: missing field {field!r}")
    response = row.get("response", row.get("solution_str"))
    if response is None:
        raise UserError(f"{path}:{number}: missing field 'response' (or 'solution_str')")
    extra = dict(row.get("extra_info") or {})
    extra.update({name: row[name] for name in EXTRA_FIELDS if name in row})
    call = {"data_source": row["data_source"], "solution_str": response, "ground_truth": row["ground_truth"], "extra_info": extra}
    return call, {"preset": preset}


def run_score(args: argparse.Namespace) -> int:
    """Score every row of ``args.input`` and print a per-data-source summary."""
    knobs = parse_knobs(args.knob, args.reward_preset)
    path = Path(args.input)
    if args.out:
        from med_u1.evaluation.rescore import rescore

        print(rescore(path, Path(args.out), args.reward_preset, knobs, args.data, args.data_source))
        print(f"run directory: {args.out}")
        return 0
    scored = []
    groups: dict[str, list[dict]] = defaultdict(list)
    for number, row in read_rows(path):
        call, preset_knobs = call_for(row, path, number, args.reward_preset)
        try:
            result = compute_score(**call, **preset_knobs, **knobs)
        except KeyError as error:
            raise UserError(f"{path}:{number}: {error.args[0]}") from None
        groups[call["data_source"]].append(result)
        scored.append({**row, "reward": result})
    if not scored:
        raise no_rows_error(path)
    rows = [
        [source, task_of(source), str(len(results)), f"{sum(r['acc'] for r in results) / len(results):.3f}",
         f"{sum(r['format'] for r in results) / len(results):.3f}", f"{sum(r['score'] for r in results) / len(results):+.3f}"]
        for source, results in sorted(groups.items())
    ]
    print(tabulate(rows, headers=["data source", "task", "rows", "acc", "format", "mean score"], disable_numparse=True))
    if args.scored_rows:
        write_jsonl_atomic(args.scored_rows, scored)
        print(f"wrote {args.scored_rows}")
    return 0


def add_reward_flags(parser: argparse.ArgumentParser, *aliases: str) -> None:
    """``--reward-preset`` (any registered reward preset) and ``--knob``: the reward flags of every command that scores."""
    parser.add_argument("--reward-preset", *aliases, dest="reward_preset", default="default", choices=PRESETS,
                        metavar="NAME", help=f"reward preset the verifiers score with: {', '.join(sorted(PRESETS))}")
    parser.add_argument("--knob", action="append", default=[], metavar="NAME=VALUE", help="reward knob, repeatable")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``medu1 score``."""
    parser = subparsers.add_parser("score", help="score a JSON-lines file of responses")
    parser.add_argument("--input", required=True, help="JSON lines: data_source, response, ground_truth [, extra fields]")
    add_reward_flags(parser, "--preset")
    parser.add_argument("--scored-rows", metavar="FILE",
                        help="write each row with its reward dict here (JSON lines, atomic)")
    parser.add_argument("--output", dest="scored_rows", help=argparse.SUPPRESS)  # the old name of --scored-rows
    parser.add_argument(
        "--out", metavar="RUN_DIR",
        help="score saved generations into an evaluation run directory (scores, metrics, report, plots); --input may "
        "be a `medu1 eval` generations.jsonl, a Med-U1 vllm_inference.py result file or a verl validation dump",
    )
    parser.add_argument("--data", action="extend", nargs="+", default=[], metavar="PARQUET",
                        help="with --out and a verl dump: the validation parquet(s), to recover each row's references")
    parser.add_argument("--data-source", help="with --out and a verl dump without --data: the rows' data_source")
    parser.set_defaults(handler=run_score)
