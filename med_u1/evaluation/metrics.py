"""Metrics per benchmark and budget: accuracy with a bootstrap interval, pass@k, maj@k, format
and unparseable-answer rates, response lengths, and budget adherence."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from functools import lru_cache
from typing import Any, Iterable, Sequence

import numpy as np

BOOTSTRAP_RESAMPLES = 1000
CONFIDENCE = 0.95
_EDGE_PUNCTUATION = re.compile(r"^[\s\(\[\{\"'`*.:;,]+|[\s\)\]\}\"'`*.:;,]+$")
_SPACES = re.compile(r"\s+")


def bootstrap_ci(values: Sequence[float], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0) -> tuple[float, float]:
    """95% percentile bootstrap interval of the mean of ``values`` (one value per item).

    Resampling N items with replacement draws each distinct value a multinomial number of
    times, so the resampled means are computed from counts: exact, and fast for any N.
    """
    if len(values) == 0:
        return (math.nan, math.nan)
    distinct, counts = np.unique(np.asarray(values, dtype=float), return_counts=True)
    draws = np.random.default_rng(seed).multinomial(len(values), counts / counts.sum(), size=resamples)
    means = draws @ distinct / len(values)
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return float(low), float(high)


@lru_cache(maxsize=4096)
def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples of which c are correct (Chen et al. 2021, the Codex paper):
    1 - C(n-c, k) / C(n, k), in exact integers."""
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples, got {n}")
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def normalise_answer(pred: Any) -> str | None:
    """An extracted answer as a vote: lower case, spaces collapsed, edge punctuation and brackets off."""
    if pred is None:
        return None
    text = str(pred)
    if text.isalnum():
        return text.lower()
    text = _SPACES.sub(" ", _EDGE_PUNCTUATION.sub("", text.lower()))
    return text or None


def majority_correct(preds: Sequence[Any], correct: Sequence[float]) -> float:
    """1.0 when the most common extracted answer (first seen wins a tie) was judged correct."""
    return majority_of_votes([normalise_answer(p) for p in preds], correct)


def majority_of_votes(votes: Sequence[str | None], correct: Sequence[float]) -> float:
    """:func:`majority_correct` for answers already normalised."""
    counted = Counter(vote for vote in votes if vote is not None)
    if not counted:
        return 0.0
    winner = counted.most_common(1)[0][0]
    return float(max(c for vote, c in zip(votes, correct) if vote == winner))


def k_values(n: int) -> list[int]:
    """1, 2, 4, ... up to n, and n itself."""
    ks = [1 << i for i in range(n.bit_length()) if 1 << i <= n]
    return ks + ([n] if ks[-1] != n else [])


def percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None


def budget_adherence(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Exact budgets N > 0: mean |n - N| / N. Maximum budgets (N < -1, "maximum |N|"): share with n > |N|."""
    exact, maximum = [], []
    for row in rows:
        budget, length = row.get("num_tokens"), row.get("response_tokens")
        if budget is None or length is None:
            continue
        if budget > 0:
            exact.append(abs(length - budget) / budget)
        elif budget < -1:
            maximum.append(1.0 if length > -budget else 0.0)
    return {
        "exact_budget_generations": len(exact),
        "exact_budget_relative_error": float(np.mean(exact)) if exact else None,
        "max_budget_generations": len(maximum),
        "max_budget_violation_rate": float(np.mean(maximum)) if maximum else None,
    }


def summarise(rows: Sequence[dict[str, Any]], seed: int = 0) -> dict[str, Any]:
    """The metrics of one benchmark and budget from its score rows."""
    by_item: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_item[row["item_id"]].append(row)
    item_acc = [sum(r["acc"] for r in samples) / len(samples) for samples in by_item.values()]
    low, high = bootstrap_ci(item_acc, seed=seed)
    lengths = [r["response_tokens"] for r in rows if r.get("response_tokens") is not None]
    finishes = [r["finish_reason"] == "length" for r in rows if r.get("finish_reason") is not None]
    n = min(len(samples) for samples in by_item.values())
    metrics: dict[str, Any] = {
        "items": len(by_item),
        "generations": len(rows),
        "samples_per_item": n,
        "accuracy": float(np.mean(item_acc)),
        "accuracy_ci95": [low, high],
        "format_rate": float(np.mean([r["format"] for r in rows])),
        "unparseable_rate": float(np.mean([r["pred"] is None for r in rows])),
        "truncated_rate": float(np.mean(finishes)) if finishes else None,
        "response_tokens_mean": float(np.mean(lengths)) if lengths else None,
        "response_tokens_p50": percentile(lengths, 50),
        "response_tokens_p90": percentile(lengths, 90),
        **budget_adherence(rows),
    }
    if n > 1:
        ordered = [sorted(samples, key=lambda r: r["sample"])[:n] for samples in by_item.values()]
        correct = [[r["acc"] for r in samples] for samples in ordered]
        votes = [[normalise_answer(r["pred"]) for r in samples] for samples in ordered]
        for k in k_values(n):
            metrics[f"pass@{k}"] = float(np.mean([pass_at_k(n, sum(a >= 1.0 for a in accs), k) for accs in correct]))
            metrics[f"maj@{k}"] = float(np.mean([majority_of_votes(v[:k], a[:k]) for v, a in zip(votes, correct)]))
    return metrics


def group_metrics(score_rows: Sequence[dict[str, Any]], seed: int = 0) -> list[dict[str, Any]]:
    """One record per (benchmark, budget): ``benchmark``, ``budget`` and :func:`summarise`'s metrics."""
    groups: dict[tuple[str, Any], list[dict[str, Any]]] = defaultdict(list)
    for row in score_rows:
        groups[(row["benchmark"], row.get("budget"))].append(row)
    return [
        {"benchmark": benchmark, "budget": budget, **summarise(rows, seed)}
        for (benchmark, budget), rows in sorted(groups.items(), key=lambda kv: (kv[0][0], _budget_order(kv[0][1])))
    ]


def _budget_order(budget: Any) -> tuple[int, float]:
    return (0, 0.0) if budget is None else (1, abs(budget))
