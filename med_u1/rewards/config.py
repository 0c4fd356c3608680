"""Reward knobs and the reference answer a verifier checks against."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping, NamedTuple

PRESETS = ("default", "medu1", "r1zero", "medrlvr")
LENGTH_MODES = ("l1", "medu1", "none")
OPEN_METRICS = ("merge", "bleu", "em", "rouge_l")
REWARD_TYPES = ("discrete", "continuous")
MEDU1_METRICS = ("BLEU", "EMS", "Merge")
ANSWER_FROM = ("tag", "any")

#: Keyword arguments verl itself may pass to a custom reward function; accepted and ignored.
VERL_PASSTHROUGH_KWARGS = frozenset({"reward_router_address", "reward_model_tokenizer"})


@dataclass(frozen=True)
class RewardConfig:
    """Every knob of the reward; ``preset`` picks which scorer uses them.

    ``default`` preset knobs: weights, ``length_mode``/``length_alpha``, the open-text
    metric and threshold, ``calc_tolerance``, ``think_in_prompt``.
    ``medu1`` preset knobs keep the reference names: ``reward_metric``, ``reward_type``,
    ``bleu_threshold``, ``scale_factor``, ``check_think``.
    """

    preset: str = "default"
    correct_weight: float = 1.0
    format_weight: float = 0.5
    length_weight: float = 1.0
    length_mode: str = "l1"
    length_alpha: float = 0.0003
    open_metric: str = "merge"
    open_reward_type: str = "discrete"
    open_threshold: float = 45.0
    calc_tolerance: float = 0.05
    think_in_prompt: bool = False
    reward_metric: str = "Merge"
    reward_type: str = "discrete"
    bleu_threshold: float = 45.0
    scale_factor: float = 100.0
    check_think: bool = True
    answer_from: str = "tag"

    def __post_init__(self) -> None:
        _require_choice("preset", self.preset, PRESETS)
        _require_choice("length_mode", self.length_mode, LENGTH_MODES)
        _require_choice("open_metric", self.open_metric, OPEN_METRICS)
        _require_choice("open_reward_type", self.open_reward_type, REWARD_TYPES)
        _require_choice("reward_type", self.reward_type, REWARD_TYPES)
        _require_choice("reward_metric", self.reward_metric, MEDU1_METRICS)
        _require_choice("answer_from", self.answer_from, ANSWER_FROM)
        for name in ("correct_weight", "format_weight", "length_weight", "length_alpha", "calc_tolerance"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"reward knob {name} must be a finite number >= 0, got {value!r}")

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> "RewardConfig":
        """Build from ``compute_score`` keyword arguments, rejecting unknown knobs (memoised)."""
        try:
            return _configs_seen[tuple(kwargs.items())]
        except (KeyError, TypeError):
            pass
        config = _config_from_items(tuple(sorted((k, _hashable(v)) for k, v in kwargs.items())))
        if len(_configs_seen) < 256:
            try:
                _configs_seen[tuple(kwargs.items())] = config
            except TypeError:
                pass
        return config


def _require_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"reward knob {name}={value!r} is not one of {', '.join(choices)}")


def _hashable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


_configs_seen: dict[tuple, "RewardConfig"] = {}
KNOB_NAMES = frozenset(f.name for f in dataclasses.fields(RewardConfig))


@lru_cache(maxsize=256)
def _config_from_items(items: tuple[tuple[str, Any], ...]) -> RewardConfig:
    known = {k: v for k, v in items if k not in VERL_PASSTHROUGH_KWARGS}
    unknown = sorted(set(known) - KNOB_NAMES)
    if unknown:
        raise TypeError(f"unknown reward knob(s) {unknown}; known knobs: {sorted(KNOB_NAMES)}")
    typed = {}
    for spec in dataclasses.fields(RewardConfig):
        if spec.name in known:
            typed[spec.name] = _coerce(spec.name, known[spec.name], type(spec.default))
    return RewardConfig(**typed)


def _coerce(name: str, value: Any, kind: type) -> Any:
    """Accept the string forms Hydra overrides produce ("0.5", "true")."""
    if kind is bool:
        if isinstance(value, str):
            if value.lower() in ("true", "1", "yes"):
                return True
            if value.lower() in ("false", "0", "no"):
                return False
            raise ValueError(f"reward knob {name} expects true/false, got {value!r}")
        return bool(value)
    if kind is float:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(f"reward knob {name} expects a number, got {value!r}") from None
    return str(value)


#: Each preset with no other knob set: the configuration of most calls, built once.
PRESET_CONFIGS = {name: RewardConfig(preset=name) for name in PRESETS}


def config_for(preset: Any, knobs: Mapping[str, Any]) -> RewardConfig:
    """The configuration of a ``compute_score`` call: ``preset`` and any other ``knobs``."""
    if not knobs and type(preset) is str and preset in PRESET_CONFIGS:
        return PRESET_CONFIGS[preset]
    return RewardConfig.from_kwargs({"preset": preset, **knobs})


class Reference(NamedTuple):
    """What a verifier checks a prediction against (taken from the dataset row)."""

    ground_truth: str
    lower_limit: Any = None
    upper_limit: Any = None
    options: Mapping[str, str] | None = None
    output_type: str | None = None


class Verdict(NamedTuple):
    """A verifier's judgement: ``correct`` feeds ``acc``; ``credit`` (0-1) feeds the reward."""

    correct: bool
    credit: float


CORRECT = Verdict(True, 1.0)
WRONG = Verdict(False, 0.0)
