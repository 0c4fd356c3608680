"""Rule-based rewards for medical reasoning, in verl's custom-reward form.

How one score is computed, top down: :func:`compute_score` (here) resolves the knobs, looks
up the row's task in the task table, reads the row into a typed :class:`ScoreInput` and hands
it to the preset's ``score`` (``default.py``), which asks the task's verifier (``mcqa.py``,
``medcalc.py``, ``open_text.py``) and returns a :class:`Result`; ``to_dict()`` is verl's
contract. See ``docs/rewards.md``.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from typing import Any

from med_u1.rewards import default, medrlvr, medu1, r1zero  # noqa: F401  (each registers its preset)
from med_u1.rewards.contract import (
    PRESETS,
    UNSCORABLE,
    Budget,
    Reference,
    Result,
    RewardConfig,
    ScoreInput,
    register_preset,
    resolve_config,
)
from med_u1.rewards.medcalc import calculator_output_type
from med_u1.rewards.registry import register_data_source, register_task, task_of

__all__ = [
    "compute_score",
    "score_row",
    "read_input",
    "register_data_source",
    "register_preset",
    "register_task",
    "RewardConfig",
    "ScoreInput",
    "Result",
]

logger = logging.getLogger(__name__)
_warned_sources: set[str] = set()


def compute_score(
    data_source: str,
    solution_str: Any,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    *,
    preset: str = "default",
    **knobs: Any,
) -> dict:
    """Score one response under ``preset``; verl's custom-reward function.

    ``knobs`` are the other fields of :class:`RewardConfig` (``answer_from="any"`` reads
    untagged answers). Raises ``KeyError`` for an unknown ``data_source`` and
    ``TypeError``/``ValueError`` for unknown or invalid knobs; any ``solution_str`` whatsoever
    gets a finite score.
    """
    config = resolve_config({"preset": preset, **knobs})
    return score_row(config, data_source, solution_str, ground_truth, extra_info).to_dict()


def score_row(config: RewardConfig, data_source: str, solution_str: Any, ground_truth: Any, extra_info: Any = None) -> Result:
    """:func:`compute_score` with a resolved configuration (the reward manager resolves it once)."""
    task = task_of(data_source)
    row = read_input(solution_str, ground_truth, extra_info if isinstance(extra_info, (dict, Mapping)) else {})
    if not row.references:
        if data_source not in _warned_sources:
            _warned_sources.add(data_source)
            logger.warning("%s row without a usable ground truth (%r): scored 0", data_source, ground_truth)
        return UNSCORABLE
    return PRESETS[config.preset].score(task, row, config)


# --- reading a row -------------------------------------------------------------------------


def read_input(solution_str: Any, ground_truth: Any, extra_info: Mapping[str, Any]) -> ScoreInput:
    """The typed input of one row: the response as text, one :class:`Reference` per acceptable
    answer (a list ground truth means any of its items), and the length budget."""
    response = solution_str if isinstance(solution_str, str) else as_text(solution_str)
    return ScoreInput(response=response, references=read_references(ground_truth, extra_info), budget=read_budget(extra_info))


def as_text(value: Any) -> str:
    """Decoded text of a response given as str, bytes or anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return "" if value is None else str(value)


def read_references(ground_truth: Any, extra_info: Mapping[str, Any]) -> tuple[Reference, ...]:
    """One :class:`Reference` per usable ground truth, each with the row's limits, options and
    output type (numpy scalars and strings alike; the verifiers read both)."""
    if isinstance(ground_truth, str):
        truths = [ground_truth] if ground_truth.strip() else []
    else:
        truths = [text for text in map(_truth_text, _as_items(ground_truth)) if text is not None]
    output_type = extra_info.get("output_type")
    if output_type is None and ("calculator_id" in extra_info or "meta" in extra_info):
        output_type = output_type_of_calculator(extra_info)
    lower, upper, options = extra_info.get("lower_limit"), extra_info.get("upper_limit"), extra_info.get("options")
    return tuple([Reference(truth, lower, upper, options, output_type) for truth in truths])


def output_type_of_calculator(extra_info: Mapping[str, Any]) -> str | None:
    """The official output type of the MedCalc calculator named by ``calculator_id``, directly
    or in ``meta`` (a dict or JSON text)."""
    calculator = extra_info.get("calculator_id")
    meta = extra_info.get("meta")
    if calculator is None and isinstance(meta, str) and "calculator_id" in meta:
        try:
            meta = json.loads(meta)
        except ValueError:
            return None
    if calculator is None and isinstance(meta, Mapping):
        calculator = meta.get("calculator_id")
    return None if calculator is None else calculator_output_type(calculator)


def read_budget(extra_info: Mapping[str, Any]) -> Budget:
    """The length budget ``num_tokens`` and the tokens verl counted (``response_length``)."""
    tokens = _as_number(extra_info.get("num_tokens"))
    used = extra_info.get("response_length")
    used = _as_number(extra_info.get("valid_response_length") if used is None else used)
    return Budget(num_tokens=None if tokens is None else int(tokens), used=used if used is not None and used >= 0 else None)


def _as_items(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _truth_text(value: Any) -> str | None:
    """A ground truth as text; None for a missing one (None, NaN, infinity, blank, a boolean)."""
    if isinstance(value, str):
        return value if value.strip() else None
    value = _plain(value)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value)
    return text if text.strip() else None


def _plain(value: Any) -> Any:
    """numpy scalars to Python scalars; everything else unchanged."""
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        return value.item()
    return value


def _as_number(value: Any) -> float | None:
    """``value`` as a finite float (numbers, numpy scalars, numeric strings), else None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
