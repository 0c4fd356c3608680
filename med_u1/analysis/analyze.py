"""``medu1 analyze``: stream responses, describe each, aggregate per step, write the tables and plots.

Outputs in the chosen folder: ``responses.csv`` (one row of features per response, written
as it streams), ``steps.json`` and ``steps.csv`` (per step), ``summary.md`` (tables, alarms,
one example per stage) and ``plots/*.png``.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
from pathlib import Path
from typing import Callable, Iterable

from med_u1.analysis.aggregate import ALARM_MIN_RATE, ALARM_MIN_RISE, MAX_BAD_LINES_LISTED, PATTERNS, Analysis
from med_u1.analysis.behaviour import STAGES, Features, describe
from med_u1.analysis.readers import BadLine, Response, iter_responses
from med_u1.io import write_atomic
from med_u1.errors import UserError

logger = logging.getLogger(__name__)

FEATURE_FIELDS = [f.name for f in dataclasses.fields(Features)]
RESPONSE_COLUMNS = ["where", "series", "step", "label", "data_source", "reward", "acc", *FEATURE_FIELDS, "reflection_per_1k"]
STEP_COLUMNS = (
    "series", "label", "responses", "mean_reward", "accuracy", "format_rate", "mean_tokens",
    "self_verification_rate", "reflection_per_1k_tokens",
)

TokenCounter = Callable[[str], int]


def tokenizer_counter(path: str | None) -> TokenCounter | None:
    """Token counts from a Hugging Face tokenizer (a local folder or Hub id), when one is given."""
    if path is None:
        return None
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as error:
        raise UserError(f"--tokenizer {path}: cannot load a tokenizer there ({error})") from error
    return lambda text: len(tokenizer.encode(text, add_special_tokens=False))


def features_of(response: Response, count_tokens: TokenCounter | None) -> Features:
    """A count in the input wins, then the tokenizer, then white-space words."""
    tokens = response.tokens
    if tokens is None and count_tokens is not None:
        tokens = count_tokens(response.text)
    features = describe(response.text, response.prompt, tokens, response.budget)
    if response.tokens is None and count_tokens is not None:
        features = dataclasses.replace(features, tokens_counted="tokenizer")
    return features


def response_row(response: Response, features: Features) -> dict:
    row = {name: getattr(response, name) for name in ("where", "series", "step", "label", "data_source", "reward", "acc")}
    row.update((name, getattr(features, name)) for name in FEATURE_FIELDS)  # asdict() deep-copies: slow
    row["reflection_per_1k"] = features.reflection_per_1k
    return row


def analyze_stream(
    items: Iterable[Response | BadLine], count_tokens: TokenCounter | None = None, per_response: Callable | None = None
) -> Analysis:
    """Aggregate a stream of responses (and bad lines); ``per_response(response, features)`` sees each."""
    analysis = Analysis()
    for item in items:
        if isinstance(item, BadLine):
            analysis.add_bad_line(item)
            if analysis.bad_line_count <= MAX_BAD_LINES_LISTED:  # all are counted in the outputs
                logger.warning("%s: skipped: %s", item.where, item.reason)
            continue
        features = features_of(item, count_tokens)
        analysis.add(item, features)
        if per_response is not None:
            per_response(item, features)
    return analysis


def run_analyze(inputs: list[Path], out_dir: Path, tokenizer: str | None = None, plots: bool = True) -> Analysis:
    """Analyse ``inputs`` and write every output into ``out_dir``."""
    count_tokens = tokenizer_counter(tokenizer)
    out_dir.mkdir(parents=True, exist_ok=True)
    holder: dict[str, Analysis] = {}

    def write_responses(tmp: Path) -> None:
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, RESPONSE_COLUMNS)
            writer.writeheader()
            holder["analysis"] = analyze_stream(
                iter_responses(inputs), count_tokens, lambda r, f: writer.writerow(response_row(r, f))
            )

    write_atomic(out_dir / "responses.csv", write_responses)
    analysis = holder["analysis"]
    if not analysis.steps:
        raise UserError(f"no readable response in {', '.join(map(str, inputs))} ({analysis.bad_line_count} bad lines)")
    write_tables(analysis, out_dir)
    if plots:
        from med_u1.analysis.plots import plot_analysis

        plot_analysis(analysis.rows(), out_dir / "plots")
    return analysis


def report(analysis: Analysis) -> dict:
    """Everything ``steps.json`` holds."""
    return {
        "steps": analysis.rows(),
        "alarms": analysis.alarms(),
        "alarm_rule": {"min_rate": ALARM_MIN_RATE, "min_rise": ALARM_MIN_RISE, "patterns": PATTERNS},
        "bad_lines": {"count": analysis.bad_line_count, "listed": [dataclasses.asdict(b) for b in analysis.bad_lines]},
        "examples": {stage: dataclasses.asdict(example) for stage, example in analysis.examples.items()},
    }


def write_tables(analysis: Analysis, out_dir: Path) -> None:
    payload = report(analysis)
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    write_atomic(out_dir / "steps.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    write_atomic(out_dir / "steps.csv", lambda tmp: write_steps_csv(payload["steps"], tmp))
    summary = summary_markdown(payload)
    write_atomic(out_dir / "summary.md", lambda tmp: tmp.write_text(summary, encoding="utf-8"))


def write_steps_csv(rows: list[dict], path: Path) -> None:
    columns = [key for key in rows[0] if not isinstance(rows[0][key], dict)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def cell(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def markdown_table(headers: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return lines


def summary_markdown(payload: dict) -> str:
    """The human-readable summary: per-step table, stage shares, alarms, bad lines, one example per stage."""
    steps = payload["steps"]
    lines = ["# Reasoning behaviour per step", ""]
    lines += markdown_table(list(STEP_COLUMNS), [[row[c] for c in STEP_COLUMNS] for row in steps])
    lines += ["", "## MED-RLVR stages (share of responses)", ""]
    lines += markdown_table(
        ["series", "label", *STAGES], [[row["series"], row["label"], *(row[f"stage:{s}"] for s in STAGES)] for row in steps]
    )
    lines += ["", "## Hacking patterns (rate)", ""]
    lines += markdown_table(
        ["series", "label", *PATTERNS], [[row["series"], row["label"], *(row[f"pattern:{p}"] for p in PATTERNS)] for row in steps]
    )
    lines += ["", "## Alarms", ""]
    if payload["alarms"]:
        lines += [
            f"- **{a['pattern']}** at {a['series']} step {a['label']}: {a['rate']:.0%} of {a['responses']} "
            f"({a['meaning']}), up from {a['lowest_earlier_rate']:.0%}"
            for a in payload["alarms"]
        ]
    else:
        lines.append(f"None (a pattern alarms at >= {ALARM_MIN_RATE:.0%} after rising >= {ALARM_MIN_RISE:.0%} points).")
    bad = payload["bad_lines"]
    if bad["count"]:
        lines += ["", f"## Bad lines ({bad['count']}, skipped)", ""]
        lines += [f"- {b['where']}: {b['reason']}" for b in bad["listed"]]
    lines += ["", "## One example per stage", ""]
    for stage in STAGES:
        example = payload["examples"].get(stage)
        lines += [f"### {stage}", ""]
        if example is None:
            lines += ["(no response in this stage)", ""]
            continue
        lines += [f"{example['where']} ({example['series']} step {example['label']}):", "", "```text"]
        lines += [example["text"].replace("```", "'''"), "```", ""]
    return "\n".join(lines) + "\n"
