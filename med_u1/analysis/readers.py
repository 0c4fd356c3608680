"""Stream responses out of verl's generation dumps and ``medu1 eval`` run directories.

verl 0.9.1 (``RayPPOTrainer._write_generations``) writes ``<dir>/<global_step>.jsonl`` for
``trainer.rollout_data_dir`` (training rollouts) and ``trainer.validation_data_dir``
(validation generations): one JSON object per response with ``input`` (the decoded prompt,
chat template included, special tokens dropped), ``output`` (the decoded response), ``gts``,
``score`` (the summed token-level reward), ``step``, and every list in the reward's extra
information of the same length (validation dumps: ``reward``, ``acc``, ``format``,
``length``, ``pred``; rollout dumps: whatever the training batch carries, often nothing).

A ``medu1 eval`` run directory holds ``generations.jsonl`` (benchmark, item id, sample
index, budget, response, token counts, finish reason) and ``scores.jsonl`` keyed the same way.

Lines are read one at a time; a line that cannot be used becomes a :class:`BadLine` naming
its file and line, and reading goes on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from med_u1.analysis.behaviour import Budget, budget_from_number, read_budget
from med_u1.errors import UserError

EVAL_GENERATIONS = "generations.jsonl"
EVAL_SCORES = "scores.jsonl"

#: Field names tried in order, so that a format's spelling of a field is read wherever it is.
RESPONSE_FIELDS = ("output", "response", "generated_response", "full_response")
PROMPT_FIELDS = ("input", "prompt")
SOURCE_FIELDS = ("data_source", "benchmark")
TOKEN_FIELDS = ("response_tokens", "num_response_tokens", "response_length", "completion_tokens")
REWARD_FIELDS = ("score", "reward")
ITEM_FIELDS = ("item_id", "id", "item", "index")
SAMPLE_FIELDS = ("sample_index", "sample", "sample_idx")
BUDGET_FIELDS = ("budget", "num_tokens")


@dataclass(frozen=True)
class Response:
    """One response with what the input says about it."""

    where: str  # "file:line"
    series: str  # which run or dump folder it belongs to
    step: int  # training step (eval runs: their position on the command line)
    label: str  # the step's name in tables ("12", or an eval run's folder name)
    text: str
    prompt: str | None
    data_source: str | None
    reward: float | None
    acc: float | None
    tokens: int | None
    budget: Budget | None
    truncated: bool | None


@dataclass(frozen=True)
class BadLine:
    """A line that could not be used, and why."""

    where: str
    reason: str


@dataclass(frozen=True)
class Source:
    """One input: a verl dump file, or an eval run directory."""

    kind: str  # "verl" or "eval"
    path: Path
    series: str
    step: int | None  # eval runs: their position; verl files: None (read from each line)


def first(record: Mapping[str, Any], fields: tuple[str, ...]) -> Any:
    """The value of the first of ``fields`` present in ``record`` (None if none is)."""
    for field in fields:
        if field in record and record[field] is not None:
            return record[field]
    return None


def number(value: Any) -> float | None:
    """A finite float from a number or numeric string; None otherwise."""
    if isinstance(value, bool):
        return float(value)
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if result == result and abs(result) != float("inf") else None


def prompt_text(value: Any) -> str | None:
    """A prompt as text: a string, or the contents of a list of chat messages."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(str(message.get("content", "")) for message in value if isinstance(message, dict))
    return None


def step_of_file(path: Path) -> int | None:
    """verl names each dump after its global step."""
    return int(path.stem) if re.fullmatch(r"\d+", path.stem) else None


def dump_files(folder: Path) -> list[Path]:
    """A dump folder's ``*.jsonl`` files, numbered steps first, in step order."""
    def order(file: Path) -> tuple[bool, int, str]:
        step = step_of_file(file)
        return (step is None, step or 0, file.name)

    files = sorted(folder.glob("*.jsonl"), key=order)
    if not files:
        raise UserError(f"{folder}: no *.jsonl dumps in this folder (verl writes <step>.jsonl)")
    return files


def series_name(folder: Path, taken: dict[str, Path]) -> str:
    """The folder's name, or ``parent/name`` when another input folder already has that name."""
    folder = folder.resolve()
    name = folder.name if taken.get(folder.name, folder) == folder else f"{folder.parent.name}/{folder.name}"
    taken.setdefault(name, folder)
    return name


def resolve_sources(paths: list[Path]) -> list[Source]:
    """The inputs named on the command line, in order; folders are expanded."""
    sources: list[Source] = []
    taken: dict[str, Path] = {}
    eval_runs = 0
    for path in paths:
        if not path.exists():
            raise UserError(f"{path}: no such file or folder (give verl dump folders/files or eval run folders)")
        folder = path if path.is_dir() else path.parent
        if (path.is_dir() and (path / EVAL_GENERATIONS).is_file()) or path.name == EVAL_GENERATIONS:
            eval_runs += 1
            sources.append(Source("eval", folder / EVAL_GENERATIONS, series_name(folder, taken), eval_runs))
        else:
            name = series_name(folder, taken)
            files = dump_files(path) if path.is_dir() else [path]
            sources.extend(Source("verl", file, name, None) for file in files)
    return sources


def read_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line number, parsed JSON or a BadLine reason string)`` for every non-blank line."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number_, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield number_, json.loads(line)
            except json.JSONDecodeError as error:
                yield number_, f"not JSON ({error.msg} at column {error.colno})"


def verl_response(record: dict, where: str, source: Source) -> Response | BadLine:
    """One line of a verl dump."""
    text = first(record, RESPONSE_FIELDS)
    if not isinstance(text, str):
        return BadLine(where, f"no response text (expected a string in one of {', '.join(RESPONSE_FIELDS)})")
    step = record.get("step", step_of_file(source.path))
    if isinstance(step, bool) or not isinstance(step, int):
        return BadLine(where, f"no integer 'step' (got {step!r}) and the file name is not a step")
    prompt = prompt_text(first(record, PROMPT_FIELDS))
    return Response(
        where=where,
        series=source.series,
        step=step,
        label=str(step),
        text=text,
        prompt=prompt,
        data_source=first(record, SOURCE_FIELDS),
        reward=number(first(record, REWARD_FIELDS)),
        acc=number(record.get("acc")),
        tokens=int_or_none(first(record, TOKEN_FIELDS)),
        budget=read_budget(prompt) or budget_from_number(first(record, BUDGET_FIELDS)),
        truncated=None,
    )


def int_or_none(value: Any) -> int | None:
    result = number(value)
    return None if result is None else int(result)


def eval_key(record: Mapping[str, Any]) -> tuple:
    """The (benchmark, item, sample, budget) key that ties a generation to its score."""
    return tuple(str(first(record, fields)) for fields in (SOURCE_FIELDS, ITEM_FIELDS, SAMPLE_FIELDS, BUDGET_FIELDS))


def flat_scores(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """A score line's verifier dict, whether at top level or nested one level down."""
    if "acc" in record or ("score" in record and not isinstance(record["score"], dict)):
        return record
    for value in record.values():
        if isinstance(value, dict) and ("acc" in value or "score" in value):
            return value
    return record


def read_eval_scores(run_dir: Path, bad: list[BadLine]) -> dict[tuple, tuple[float | None, float | None]]:
    """``key -> (reward, acc)`` from ``scores.jsonl`` (absent: no rewards); bad lines go to ``bad``."""
    path = run_dir / EVAL_SCORES
    scores: dict[tuple, tuple[float | None, float | None]] = {}
    if not path.is_file():
        return scores
    for line, record in read_lines(path):
        if not isinstance(record, dict):
            bad.append(BadLine(f"{path}:{line}", record if isinstance(record, str) else "not a JSON object"))
            continue
        verdict = flat_scores(record)
        scores[eval_key(record)] = (number(first(verdict, REWARD_FIELDS)), number(verdict.get("acc")))
    return scores


def eval_response(record: dict, where: str, source: Source, scores: Mapping[tuple, tuple]) -> Response | BadLine:
    """One line of an eval run's ``generations.jsonl``, with its score when ``scores.jsonl`` has it."""
    text = first(record, RESPONSE_FIELDS)
    if not isinstance(text, str):
        return BadLine(where, f"no response text (expected a string in one of {', '.join(RESPONSE_FIELDS)})")
    prompt = prompt_text(first(record, PROMPT_FIELDS))
    reward, acc = scores.get(eval_key(record), (None, None))
    finish = record.get("finish_reason")
    return Response(
        where=where,
        series="eval",
        step=source.step or 0,
        label=source.series,
        text=text,
        prompt=prompt,
        data_source=first(record, SOURCE_FIELDS),
        reward=reward,
        acc=acc,
        tokens=int_or_none(first(record, TOKEN_FIELDS)),
        budget=read_budget(prompt) or budget_from_number(first(record, BUDGET_FIELDS)),
        truncated=None if finish is None else finish == "length",
    )


def iter_responses(paths: list[Path]) -> Iterator[Response | BadLine]:
    """Every response of every input, in order, one line in memory at a time."""
    for source in resolve_sources(paths):
        bad: list[BadLine] = []
        scores = read_eval_scores(source.path.parent, bad) if source.kind == "eval" else {}
        yield from bad
        for line, record in read_lines(source.path):
            where = f"{source.path}:{line}"
            if isinstance(record, str):
                yield BadLine(where, record)
            elif not isinstance(record, dict):
                yield BadLine(where, "not a JSON object")
            elif source.kind == "eval":
                yield eval_response(record, where, source, scores)
            else:
                yield verl_response(record, where, source)
