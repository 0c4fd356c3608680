"""A run directory: ``config.json``, ``generations.jsonl`` (appended as each generation finishes),
``scores.jsonl``, ``metrics.json``, ``report.md`` and ``plots/``.

Generations are keyed by (benchmark, item id, sample index, budget); a rerun skips the keys
present, and a last line cut short by a kill is dropped and regenerated.
"""

from __future__ import annotations

import json
import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from med_u1.io import write_atomic, write_json_atomic
from med_u1.errors import UserError

logger = logging.getLogger(__name__)

CONFIG = "config.json"
GENERATIONS = "generations.jsonl"
SCORES = "scores.jsonl"
METRICS = "metrics.json"
REPORT = "report.md"
PLOTS = "plots"
KEY_FIELDS = ("benchmark", "item_id", "sample", "budget")
#: config.json fields that must match to add generations to an existing run.
IDENTITY_FIELDS = ("model", "backend", "sampling.temperature", "sampling.top_p", "sampling.max_tokens", "sampling.seed")


def key_of(row: dict[str, Any]) -> tuple:
    """The (benchmark, item id, sample index, budget) key of a generation or score row."""
    return tuple(row.get(field) for field in KEY_FIELDS)


def _lookup(config: dict[str, Any], dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def config_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``field: old -> new`` for each identity field, and each input file, that differs."""
    changes = [
        f"{field}: {_lookup(old, field)!r} -> {_lookup(new, field)!r}"
        for field in IDENTITY_FIELDS
        if _lookup(old, field) != _lookup(new, field)
    ]
    old_inputs, new_inputs = old.get("inputs", {}), new.get("inputs", {})
    for name in sorted(set(old_inputs) & set(new_inputs)):
        if old_inputs[name].get("sha256") != new_inputs[name].get("sha256"):
            changes.append(f"inputs.{name}: {old_inputs[name].get('path')} changed (sha256 differs)")
    return changes


class RunDir:
    """The files of one evaluation run."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def file(self, name: str) -> Path:
        return self.path / name

    def read_config(self) -> dict[str, Any] | None:
        path = self.file(CONFIG)
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise UserError(f"{path}: not valid JSON ({error.msg}); fix it or rerun with --overwrite") from None

    def prepare(self, config: dict[str, Any], overwrite: bool, dry_run: bool = False) -> bool:
        """Check ``config`` against an existing run (refuse a different model or sampling unless
        ``overwrite``, which clears the run, or the run has no generation yet) and write it,
        keeping earlier inputs on record. With ``dry_run`` only the checks run. Returns whether
        the earlier run's files are (or would be) cleared."""
        old = self.read_config()
        clear = overwrite
        if old is not None and (overwrite or not self.read_generations()):
            clear = True  # nothing generated under the old settings (e.g. the model failed to load)
        elif old is not None:
            changes = config_differences(old, config)
            if changes:
                raise UserError(
                    f"{self.path} holds a run with other settings ({'; '.join(changes)}); "
                    "use another --out, or --overwrite to discard it"
                )
            config = {**config, "inputs": {**old.get("inputs", {}), **config.get("inputs", {})}}
        elif self.file(GENERATIONS).exists() and not overwrite:
            raise UserError(f"{self.path} has {GENERATIONS} but no {CONFIG}; use another --out, or --overwrite")
        if dry_run:
            return clear
        if clear:
            self.clear()
        self.path.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.file(CONFIG), config)
        return clear

    def discard_if_empty(self, created: bool) -> None:
        """After a run stopped before its first generation: remove its config, and the folder when
        ``created`` by this run and now empty, so no empty run is left behind."""
        if self.read_generations():
            return
        self.file(CONFIG).unlink(missing_ok=True)
        self.file(GENERATIONS).unlink(missing_ok=True)
        if created and self.path.is_dir() and not any(self.path.iterdir()):
            self.path.rmdir()

    def clear(self) -> None:
        """Remove the run's files (only those this module writes)."""
        for name in (CONFIG, GENERATIONS, SCORES, METRICS, REPORT):
            self.file(name).unlink(missing_ok=True)
        plots = self.file(PLOTS)
        if plots.is_dir():
            for png in plots.glob("*.png"):
                png.unlink()

    def read_generations(self, repair: bool = False) -> list[dict[str, Any]]:
        """Every complete generation row; with ``repair``, a cut-off last line is removed from the file."""
        return read_jsonl_rows(self.file(GENERATIONS), repair=repair)

    @contextmanager
    def appender(self) -> Iterator[Callable[[dict[str, Any]], None]]:
        """A function appending one generation row and flushing it to the file."""
        with self.file(GENERATIONS).open("a", encoding="utf-8") as handle:

            def append(row: dict[str, Any]) -> None:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                handle.flush()

            yield append

    def write_jsonl(self, name: str, rows: list[dict[str, Any]]) -> None:
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        write_atomic(self.file(name), lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def write_json(self, name: str, payload: Any) -> None:
        write_json_atomic(self.file(name), payload)

    def write_text(self, name: str, text: str) -> None:
        write_atomic(self.file(name), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_jsonl_rows(path: Path, repair: bool = False) -> list[dict[str, Any]]:
    """JSON objects, one a line. A last line without its newline or not parseable is a cut-off
    write: skipped (and truncated away with ``repair``). A bad line elsewhere is a UserError."""
    if not path.is_file():
        return []
    data = path.read_bytes()
    rows: list[dict[str, Any]] = []
    position = 0
    lines = data.split(b"\n")
    for number, line in enumerate(lines, start=1):
        is_last = number == len(lines)
        if not line.strip():
            position += len(line) + (0 if is_last else 1)
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("not an object")
        except ValueError as error:
            if is_last:
                return _drop_tail(path, rows, position, repair, f"line {number} is incomplete")
            raise UserError(f"{path}, line {number}: not a JSON object ({error}); fix or remove the line") from None
        if is_last:  # complete JSON but no newline: the write was cut before it
            return _drop_tail(path, rows, position, repair, f"line {number} has no line end")
        rows.append(row)
        position += len(line) + 1
    return rows


def _drop_tail(path: Path, rows: list[dict[str, Any]], keep_bytes: int, repair: bool, why: str) -> list[dict[str, Any]]:
    logger.warning("%s: %s (an interrupted write); it is %s", path, why, "regenerated" if repair else "ignored")
    if repair:
        with path.open("r+b") as handle:
            handle.truncate(keep_bytes)
            os.fsync(handle.fileno())
    return rows
