"""Rule-based rewards for medical reasoning, in verl's custom-reward form.

``compute_score(data_source, solution_str, ground_truth, extra_info=None, **knobs)``
returns ``{"score", "acc", "format", "length", "pred"}``; see ``docs/rewards.md``.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any, Mapping

from med_u1.rewards.config import Reference, RewardConfig, config_for
from med_u1.rewards.medcalc import calculator_output_type
from med_u1.rewards.presets import PRESET_SCORERS
from med_u1.rewards.registry import register_data_source, register_task, task_of

__all__ = ["compute_score", "register_data_source", "register_task", "RewardConfig"]

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
    """Score one response under ``preset`` ("default" or "medu1").

    ``knobs`` are the other fields of RewardConfig. Raises KeyError for an unknown
    ``data_source`` and TypeError/ValueError for unknown or invalid knobs; any
    ``solution_str`` whatsoever gets a finite score.
    """
    config = config_for(preset, knobs)
    task = task_of(data_source)
    info = extra_info if type(extra_info) is dict or isinstance(extra_info, Mapping) else {}
    references = read_references(ground_truth, info)
    if not references:
        if data_source not in _warned_sources:
            _warned_sources.add(data_source)
            logger.warning("%s row without a usable ground truth (%r): scored 0", data_source, ground_truth)
        return unscorable()
    num_tokens, response_length = read_budget(info)
    text = solution_str if type(solution_str) is str else as_text(solution_str)
    return PRESET_SCORERS[config.preset](task, text, references, num_tokens, response_length, config)


def unscorable() -> dict:
    """The result for a row without a usable ground truth: all zeros.

    A constant gives every rollout of the prompt the same reward, hence no advantage:
    a broken row teaches nothing instead of teaching noise.
    """
    return {"score": 0.0, "acc": 0.0, "format": 0.0, "length": 0.0, "pred": None}


def is_missing(value: Any) -> bool:
    """None, NaN or an empty/blank string."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def as_text(value: Any) -> str:
    """Decoded text of a response given as str, bytes or anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return "" if value is None else str(value)


def read_budget(extra_info: Mapping[str, Any]) -> tuple[int | None, float | None]:
    """``(num_tokens, response_length)``: the length budget and the tokens verl counted."""
    tokens = extra_info.get("num_tokens")
    length = extra_info.get("response_length")
    if length is None:
        length = extra_info.get("valid_response_length")
    if type(tokens) is int and type(length) is int and length >= 0:  # as verl passes them
        return tokens, float(length)
    return _as_int(tokens), _as_length(length)


#: Builds a Reference from a complete field tuple without the Python-level ``__new__`` (a hot path).
_tuple_new = tuple.__new__


def read_references(ground_truth: Any, extra_info: Mapping[str, Any]) -> list[Reference]:
    """One Reference per acceptable answer: a list ground truth means any of its items.

    Limits, options and output type are passed on as the row has them; the verifiers
    read numpy scalars and strings alike.
    """
    get = extra_info.get
    details = (get("lower_limit"), get("upper_limit"), get("options"), get("output_type") or _calculator_output_type(extra_info))
    if type(ground_truth) is str and ground_truth.strip():
        return [_tuple_new(Reference, (ground_truth,) + details)]
    return [_tuple_new(Reference, (text,) + details) for text in map(_truth_text, _as_items(ground_truth)) if text is not None]


def _calculator_output_type(extra_info: Mapping[str, Any]) -> str | None:
    """The output type of the MedCalc calculator named by ``calculator_id`` or ``meta`` (a dict or JSON)."""
    calculator = extra_info.get("calculator_id")
    meta = extra_info.get("meta")
    if calculator is None and meta:
        if isinstance(meta, str):
            try:
                meta = json.loads(meta)
            except ValueError:
                return None
        calculator = meta.get("calculator_id") if isinstance(meta, Mapping) else None
    return None if calculator is None else calculator_output_type(calculator)


def _as_items(value: Any) -> list[Any]:
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _truth_text(value: Any) -> str | None:
    value = _plain(value)
    if is_missing(value) or isinstance(value, bool):
        return None
    if isinstance(value, float):
        return None if math.isinf(value) else repr(value) if not value.is_integer() else str(int(value))
    return str(value)


_PLAIN_TYPES = (str, int, float, type(None))


def _plain(value: Any) -> Any:
    """numpy scalars to Python scalars; everything else unchanged."""
    if isinstance(value, _PLAIN_TYPES):
        return value
    return value.item() if getattr(value, "ndim", None) == 0 and hasattr(value, "item") else value


def _as_int(value: Any) -> int | None:
    if type(value) is int:
        return value
    value = _plain(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if math.isfinite(number) else None


def _as_length(value: Any) -> float | None:
    if type(value) is int:
        return float(value) if value >= 0 else None
    value = _plain(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None
