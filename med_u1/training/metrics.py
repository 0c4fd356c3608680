"""verl's step metrics, read in one place: its file logger's JSONL and its console logger's lines.

The file logger (``trainer.logger`` with ``file``, path ``VERL_FILE_LOGGER_PATH``) writes one
``{"step": N, "data": {...}}`` object per line; the console logger prints
``step:N - key:value - ...`` (through Ray's log prefix, numpy scalars as ``np.float64(...)``).
A run folder's attempts are merged by :mod:`med_u1.training.run_folder`, which reads each
attempt's file here.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Iterable

logger = logging.getLogger(__name__)

Metrics = dict[str, float]

_CONSOLE_STEP = re.compile(r"(?:^|\s)step:(\d+)((?: - [^\n]*?:[^\n]*?)*)$")
_WRAPPED = re.compile(r"^[\w.]+\((.*)\)$")  # np.float64(0.5), tensor(0.5)


def json_metrics(line: str) -> tuple[int, Metrics] | None:
    """``(step, metrics)`` from ``{"step": N, "data": {...}}`` (or a flat object with ``step``); numbers only."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("step"), int):
        return None
    data = record.get("data", record)
    if not isinstance(data, dict):
        return None
    return record["step"], {k: float(v) for k, v in data.items() if isinstance(v, (int, float)) and k != "step"}


def console_metrics(line: str) -> tuple[int, Metrics] | None:
    """``(step, metrics)`` from a verl console-logger line, else None."""
    match = _CONSOLE_STEP.search(line.rstrip())
    if match is None:
        return None
    metrics = {}
    for item in match.group(2).split(" - ")[1:]:
        key, _, value = item.rpartition(":")
        value = value.strip()
        wrapped = _WRAPPED.match(value)
        try:
            metrics[key.strip()] = float(wrapped.group(1) if wrapped else value)
        except ValueError:
            continue
    return int(match.group(1)), metrics


def read_metrics_lines(path: Path) -> list[tuple[int, Metrics]]:
    """Every step line of a file-logger file or console log, in order.

    A JSON-looking line that does not parse (the half-written last line of a killed run, a
    corrupted line) is skipped with a warning naming the file and line.
    """
    lines = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            is_json = line.lstrip().startswith("{")
            parsed = json_metrics(line) if is_json else console_metrics(line)
            if parsed is not None:
                lines.append(parsed)
            elif is_json:
                logger.warning("%s:%d: skipped: not a verl metrics line", path, number)
    return lines


def by_step(lines: Iterable[tuple[int, Metrics]]) -> dict[int, Metrics]:
    """Lines of the same step merged into one dict (verl logs validation before training at the same step)."""
    steps: dict[int, Metrics] = {}
    for step, metrics in lines:
        steps.setdefault(step, {}).update(metrics)
    return steps


def trained(metrics: Metrics) -> bool:
    """Whether a step's metrics come from a training step (not only a validation before training)."""
    return "training/global_step" in metrics or "critic/score/mean" in metrics


class MetricsTail:
    """New complete lines of a file-logger file as it grows, as ``(step, metrics)``."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0
        self.pending = ""

    def read(self) -> list[tuple[int, Metrics]]:
        if not self.path.is_file():
            return []
        with self.path.open(encoding="utf-8") as handle:
            handle.seek(self.offset)
            chunk = handle.read()
            self.offset = handle.tell()
        lines = (self.pending + chunk).split("\n")
        self.pending = lines.pop()
        return [parsed for parsed in map(json_metrics, filter(str.strip, lines)) if parsed is not None]
