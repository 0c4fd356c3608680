"""``medu1 score --input FILE --out RUN_DIR``: score saved generations again, without generating.

FILE may be:
- our ``generations.jsonl``;
- a Med-U1 ``vllm_inference.py`` result file: a JSON list of ``{id, data_source, ground_truth,
  lower_limit, upper_limit, generated_response, full_response}`` (``full_response`` is scored;
  its ``id`` restarts at 0 in every batch of that script, so items are numbered by position);
- a verl 0.9.1 validation dump (``trainer.validation_data_dir``/``<step>.jsonl``, written by
  ``RayPPOTrainer._write_generations``: ``input, output, gts, score, step`` and the reward's extra
  fields). It has no ``data_source``: give the validation parquet with ``--data`` (rows are matched
  by their user message inside the decoded input) or one ``--data-source``.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

from med_u1.data.budget_sentence import last_budget
from med_u1.errors import UserError, no_rows_error
from med_u1.evaluation.benchmarks import BY_DATA_SOURCE
from med_u1.evaluation.items import Item, load_items
from med_u1.io import file_sha256
from med_u1.evaluation.rundir import GENERATIONS, RunDir, read_jsonl_rows
from med_u1.evaluation.scoring import ANSWER_FROM



def benchmark_of(data_source: str) -> str:
    return BY_DATA_SOURCE[data_source].name if data_source in BY_DATA_SOURCE else data_source


def detect_format(path: Path) -> str:
    """Which kind of file: ``generations`` (ours), ``medu1`` or ``verl``, from its first record."""
    with path.open(encoding="utf-8") as handle:
        head = handle.read(1 << 16).lstrip()
    if not head:
        raise no_rows_error(path)
    if head.startswith("["):
        return "medu1"
    first = head.split("\n", 1)[0]
    try:
        row = json.loads(first)
    except json.JSONDecodeError:
        raise UserError(f"{path}: neither a JSON list (Med-U1 results) nor JSON lines (generations, verl dump)") from None
    if {"benchmark", "item_id", "response"} <= set(row):
        return "generations"
    if {"input", "output", "gts"} <= set(row):
        return "verl"
    raise UserError(
        f"{path}, line 1: unknown layout (keys {sorted(row)}); expected medu1 eval generations "
        "(benchmark, item_id, response, ...) or a verl validation dump (input, output, gts, ...)"
    )


def generation(benchmark: str, item_id: str, sample: int, data_source: str, response: str, reward_model: dict[str, Any],
               extra_info: dict[str, Any] | None = None, response_tokens: int | None = None) -> dict[str, Any]:
    """A generation row in our layout (fields a saved file lacks are None)."""
    return {
        "benchmark": benchmark, "item_id": item_id, "sample": sample, "budget": None, "data_source": data_source,
        "response": response, "prompt_tokens": None, "response_tokens": response_tokens, "finish_reason": None,
        "reward_model": reward_model, "extra_info": extra_info or {},
    }


def read_medu1_results(path: Path) -> list[dict[str, Any]]:
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise UserError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(records, list):
        raise UserError(f"{path}: expected a JSON list of Med-U1 results")
    rows = []
    for position, record in enumerate(records):
        for field in ("data_source", "ground_truth", "full_response"):
            if not isinstance(record, dict) or field not in record:
                raise UserError(f"{path}, record {position}: missing field {field!r}")
        limits = {"lower_limit": record.get("lower_limit"), "upper_limit": record.get("upper_limit")}
        source = record["data_source"]
        rows.append(generation(benchmark_of(source), str(position), 0, source, record["full_response"],
                               {"ground_truth": record["ground_truth"]}, limits))
    return rows


def user_text(item: Item) -> str:
    return [m["content"] for m in item.messages if m.get("role") == "user"][-1]


def read_verl_dump(path: Path, data: Sequence[str], data_source: str | None) -> list[dict[str, Any]]:
    """Rows of a verl validation dump; samples of the same prompt share an item id."""
    items = [item for parquet in data for item in load_items(Path(parquet))]
    matched: dict[str, Item | None] = {}
    samples: dict[str, int] = defaultdict(int)
    rows = []
    for number, record in enumerate(read_jsonl_rows(path), start=1):
        for field in ("input", "output", "gts"):
            if field not in record:
                raise UserError(f"{path}, line {number}: missing field {field!r} (not a verl validation dump?)")
        prompt = record["input"]
        if prompt not in matched:
            matched[prompt] = next((item for item in items if user_text(item) in prompt), None)
        item = matched[prompt]
        source = record.get("data_source") or (item.data_source if item else data_source)
        if not source:
            raise UserError(
                f"{path}, line {number}: no data_source; pass the validation parquet with --data "
                "(or --data-source when every row has the same one)"
            )
        item_id = item.item_id if item else hashlib.sha1(prompt.encode()).hexdigest()[:16]
        reward_model = dict(item.reward_model) if item else {"ground_truth": record["gts"]}
        extra_info = dict(item.extra_info) if item else {"num_tokens": last_budget(prompt)}
        rows.append(generation(benchmark_of(source), item_id, samples[item_id], source, record["output"],
                               reward_model, extra_info))
        samples[item_id] += 1
    return rows


def read_generations_file(path: Path, data: Sequence[str] = (), data_source: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """``(format, generation rows)`` of a saved file."""
    if not path.is_file():
        raise UserError(f"{path}: file not found")
    kind = detect_format(path)
    if kind == "medu1":
        rows = read_medu1_results(path)
    elif kind == "verl":
        rows = read_verl_dump(path, data, data_source)
    else:
        rows = read_jsonl_rows(path)
    if not rows:
        raise no_rows_error(path)
    return kind, rows


def rescore(path: Path, out: Path, preset: str, knobs: dict[str, Any], data: Sequence[str] = (),
            data_source: str | None = None) -> str:
    """Score ``path`` into the run directory ``out``; returns report.md's text."""
    from med_u1.evaluation.evaluate import check_scoring, finish_run, package_versions

    check_scoring(preset, knobs)
    run = RunDir(out)
    kind, rows = read_generations_file(path, data, data_source)
    own_run = path.resolve() == run.file(GENERATIONS).resolve()
    if not own_run and run.read_config() is not None:
        raise UserError(f"{out} holds another run (config.json); re-score into a new --out folder")
    config = RunDir(path.parent).read_config() if kind == "generations" else None  # the run that generated them
    if config is None:
        config = {"model": str(path), "name": path.parent.name if kind == "medu1" else f"{path.parent.name}/{path.stem}",
                  "backend": f"rescored {kind} file", "inputs": {"generations": {"path": str(path), "sha256": file_sha256(path)}}}
    config = {**config, "reward_preset": preset, "reward_knobs": knobs, "answer_from": ANSWER_FROM, "versions": package_versions()}
    run.path.mkdir(parents=True, exist_ok=True)
    run.write_json("config.json", config)
    if not own_run:
        run.write_jsonl(GENERATIONS, rows)
    report, _ = finish_run(run, config, rows, {})
    return report
