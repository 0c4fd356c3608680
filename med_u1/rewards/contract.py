"""What goes into a score and what comes out: the named types every preset and verifier share,
the reward knobs, and the preset registry (a :class:`~med_u1.registry.Registry`).

A score takes a :class:`ScoreInput` (the response, the acceptable references, the length
budget) and a :class:`RewardConfig`, and returns a :class:`Result` whose ``to_dict()`` is
verl's custom-reward contract.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from collections.abc import Mapping
from typing import Any, Callable

from med_u1.registry import Registry

LENGTH_MODES = ("l1", "medu1", "none")
OPEN_METRICS = ("merge", "bleu", "em", "rouge_l")
REWARD_TYPES = ("discrete", "continuous")
MEDU1_METRICS = ("BLEU", "EMS", "Merge")
ANSWER_SOURCES = ("tag", "any")
#: Keyword arguments verl itself may pass to a custom reward function; accepted and ignored.
VERL_PASSTHROUGH_KWARGS = frozenset({"reward_router_address", "reward_model_tokenizer"})


@dataclass(slots=True)
class Reference:
    """One acceptable answer of a dataset row, with what its verifier needs besides the text."""

    ground_truth: str
    lower_limit: Any = None
    upper_limit: Any = None
    options: Mapping[str, str] | None = None
    output_type: str | None = None


@dataclass(slots=True)
class Budget:
    """The length budget: ``num_tokens`` N (> 0 exact, < -1 at most |N|, -1/None none) and
    ``used``, the response's token count as verl measured it (None when unknown)."""

    num_tokens: int | None = None
    used: float | None = None


@dataclass(slots=True)
class ScoreInput:
    """One row to score. ``response`` is the decoded text verl passed: the response alone
    (verl >= 0.4), or the prompt followed by the response (older verl)."""

    response: str
    references: tuple[Reference, ...]
    budget: Budget


@dataclass(slots=True)
class Verdict:
    """A verifier's judgement: ``correct`` feeds ``acc``; ``credit`` (0-1) feeds the reward.

    (The per-row types here are plain slotted dataclasses, cheap to build; treat them as values.)"""

    correct: bool
    credit: float


CORRECT = Verdict(True, 1.0)
WRONG = Verdict(False, 0.0)


@dataclass(slots=True)
class Result:
    """A preset's score of one row."""

    score: float
    acc: float
    format: float
    length: float
    pred: str | None

    def to_dict(self) -> dict:
        """verl's contract: ``score`` is the reward, the other keys are logged per data source."""
        return {"score": self.score, "acc": self.acc, "format": self.format, "length": self.length, "pred": self.pred}


#: The result for a row without a usable ground truth. A constant gives every rollout of the
#: prompt the same reward, hence no advantage: a broken row teaches nothing instead of noise.
UNSCORABLE = Result(score=0.0, acc=0.0, format=0.0, length=0.0, pred=None)


@dataclass(frozen=True)
class RewardConfig:
    """Every knob of the reward; ``preset`` picks which registered preset scores with them.

    ``default`` preset knobs: weights, ``length_mode``/``length_alpha``, the open-text metric
    and threshold, ``calc_tolerance``, ``think_in_prompt``, ``answer_from``. ``medu1`` preset
    knobs keep the reference names: ``reward_metric``, ``reward_type``, ``bleu_threshold``,
    ``scale_factor``, ``check_think``.
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
    answer_from: str = "tag"
    reward_metric: str = "Merge"
    reward_type: str = "discrete"
    bleu_threshold: float = 45.0
    scale_factor: float = 100.0
    check_think: bool = True

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ValueError(PRESETS.unknown_message(self.preset))
        _require_choice("length_mode", self.length_mode, LENGTH_MODES)
        _require_choice("open_metric", self.open_metric, OPEN_METRICS)
        _require_choice("open_reward_type", self.open_reward_type, REWARD_TYPES)
        _require_choice("answer_from", self.answer_from, ANSWER_SOURCES)
        _require_choice("reward_type", self.reward_type, REWARD_TYPES)
        _require_choice("reward_metric", self.reward_metric, MEDU1_METRICS)
        for name in ("correct_weight", "format_weight", "length_weight", "length_alpha", "calc_tolerance"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"reward knob {name} must be a finite number >= 0, got {value!r}")


KNOB_NAMES = frozenset(spec.name for spec in dataclasses.fields(RewardConfig))


def resolve_config(knobs: Mapping[str, Any]) -> RewardConfig:
    """The configuration of ``knobs`` (``compute_score`` keywords or Hydra values), resolved once
    per distinct set of knobs. Unknown knobs are a ``TypeError``, bad values a ``ValueError``."""
    items = tuple(knobs.items())
    try:
        hash(items)
    except TypeError:  # a list or dict value: key the cache by its JSON text
        items = tuple((name, _hashable(value)) for name, value in items)
    return _resolve(items)


@lru_cache(maxsize=256)
def _resolve(items: tuple[tuple[str, Any], ...]) -> RewardConfig:
    known = {name: value for name, value in items if name not in VERL_PASSTHROUGH_KWARGS}
    unknown = sorted(set(known) - KNOB_NAMES)
    if unknown:
        raise TypeError(f"unknown reward knob(s) {unknown}; known knobs: {sorted(KNOB_NAMES)}")
    fields = dataclasses.fields(RewardConfig)
    return RewardConfig(**{spec.name: _coerce(spec.name, known[spec.name], type(spec.default)) for spec in fields if spec.name in known})


def _hashable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


def _require_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"reward knob {name}={value!r} is not one of {', '.join(choices)}")


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
    return value if isinstance(value, str) else str(value)


#: A preset's score: ``(task, row, config) -> Result``.
Scorer = Callable[[str, ScoreInput, RewardConfig], Result]


@dataclass(frozen=True)
class Preset:
    """A named reward: its ``score`` and a one-line ``summary`` for listings."""

    name: str
    score: Scorer
    summary: str


PRESETS: Registry[Preset] = Registry("reward preset")


def register_preset(name: str, score: Scorer, summary: str, *, replace: bool = False) -> Preset:
    """Make ``score`` available as ``preset=name``; registering a taken name needs ``replace=True``."""
    return PRESETS.add(name, Preset(name, score, summary), replace=replace)
