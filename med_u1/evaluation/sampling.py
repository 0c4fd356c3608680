"""Sampling settings and the presets ``greedy`` and ``medu1``; flags override a preset."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any, Mapping

from med_u1.errors import UserError
from med_u1.registry import Registry


@dataclass(frozen=True)
class Sampling:
    """How each answer is generated; ``temperature`` 0 means greedy decoding."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 2048
    n: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise UserError(f"--temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise UserError(f"--top-p must be in (0, 1], got {self.top_p}")
        if self.max_tokens < 1 or self.n < 1:
            raise UserError("--max-tokens and --n must be at least 1")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


#: ``medu1``: Med-U1's evaluation script (Monncyann/Med-U1 at 2229be6a8781811441821b4232bf1af101f630d1,
#: scripts/eval/main_inference_eval.sh: TEMPERATURE=0.2, TOP_P=0.95, MAX_TOKENS=2048, one sample
#: per prompt through verl/verl/trainer/vllm_inference.py).
PRESETS: Registry[Sampling] = Registry("sampling preset")
PRESETS.add("greedy", Sampling(temperature=0.0, top_p=1.0, max_tokens=2048, n=1))
PRESETS.add("medu1", Sampling(temperature=0.2, top_p=0.95, max_tokens=2048, n=1))


def resolve_sampling(preset: str, overrides: Mapping[str, Any]) -> Sampling:
    """The preset with every flag that was given (not None) replacing its field."""
    given = {k: v for k, v in overrides.items() if v is not None}
    return dataclasses.replace(PRESETS.get(preset), **given)


def derived_seed(*parts: Any) -> int:
    """A stable 31-bit seed from ``parts`` (the same on every machine and Python run)."""
    text = "|".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") & 0x7FFFFFFF
