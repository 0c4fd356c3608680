"""Metrics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from med_u1.evaluation.metrics import (
    bootstrap_ci, budget_adherence, k_values, majority_correct, normalise_answer, pass_at_k, summarise,
)


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (5, 2, 2, 1 - 3 / 10),  # 1 - C(3,2)/C(5,2)
        (5, 1, 3, 1 - 4 / 10),  # 1 - C(4,3)/C(5,3)
        (4, 1, 1, 0.25),  # pass@1 is the share correct
        (10, 0, 5, 0.0),
        (3, 3, 2, 1.0),
        (8, 3, 4, 1 - 5 / 70),  # 1 - C(5,4)/C(8,4)
        (200, 7, 1, 7 / 200),
    ],
)
def test_pass_at_k_matches_the_codex_estimator_by_hand(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_pass_at_k_needs_k_samples():
    with pytest.raises(ValueError):
        pass_at_k(2, 1, 3)


def test_k_values_are_powers_of_two_then_n():
    assert k_values(1) == [1]
    assert k_values(8) == [1, 2, 4, 8]
    assert k_values(5) == [1, 2, 4, 5]


def test_majority_votes_over_normalised_answers():
    assert normalise_answer(" (B). ") == "b"
    assert normalise_answer(None) is None
    assert majority_correct(["(B)", "B", "C"], [1.0, 1.0, 0.0]) == 1.0
    assert majority_correct(["C", "B", "c."], [0.0, 1.0, 0.0]) == 0.0
    assert majority_correct(["C", "B"], [0.0, 1.0]) == 0.0  # a tie goes to the first answer seen
    assert majority_correct([None, None, "B"], [0.0, 0.0, 1.0]) == 1.0  # no answer is no vote
    assert majority_correct([None, None], [0.0, 0.0]) == 0.0


def test_bootstrap_interval_matches_the_normal_approximation():
    values = [1.0] * 300 + [0.0] * 700
    low, high = bootstrap_ci(values, resamples=4000)
    half = 1.96 * math.sqrt(0.3 * 0.7 / 1000)
    assert low == pytest.approx(0.3 - half, abs=0.006)
    assert high == pytest.approx(0.3 + half, abs=0.006)
    assert bootstrap_ci([1.0] * 20) == (1.0, 1.0)


def test_bootstrap_by_counts_equals_resampling_items():
    rng = np.random.default_rng(1)
    values = rng.choice([0.0, 0.25, 0.5, 1.0], size=400)
    naive = [values[rng.integers(0, len(values), len(values))].mean() for _ in range(4000)]
    low, high = bootstrap_ci(list(values), resamples=4000)
    assert low == pytest.approx(np.quantile(naive, 0.025), abs=0.01)
    assert high == pytest.approx(np.quantile(naive, 0.975), abs=0.01)


def test_budget_adherence_for_exact_and_maximum_budgets():
    rows = [
        {"num_tokens": 100, "response_tokens": 80},  # |80-100|/100 = 0.2
        {"num_tokens": 200, "response_tokens": 260},  # 0.3
        {"num_tokens": -50, "response_tokens": 60},  # over the maximum
        {"num_tokens": -50, "response_tokens": 50},  # at the maximum is within it
        {"num_tokens": -1, "response_tokens": 999},  # no budget
        {"num_tokens": None, "response_tokens": 5},
    ]
    adherence = budget_adherence(rows)
    assert adherence["exact_budget_relative_error"] == pytest.approx(0.25)
    assert adherence["max_budget_violation_rate"] == pytest.approx(0.5)
    assert adherence["exact_budget_generations"] == 2 and adherence["max_budget_generations"] == 2


def test_summary_of_sampled_items():
    def row(item, sample, acc, pred, tokens):
        return {"item_id": item, "sample": sample, "acc": acc, "pred": pred, "format": float(pred is not None),
                "response_tokens": tokens, "finish_reason": "stop", "num_tokens": None}

    rows = [row("a", 0, 1.0, "B", 10), row("a", 1, 0.0, "C", 20), row("a", 2, 1.0, "b", 30),
            row("b", 0, 0.0, None, 40), row("b", 1, 0.0, "A", 50), row("b", 2, 1.0, "D", 60)]
    metrics = summarise(rows)
    assert metrics["items"] == 2 and metrics["samples_per_item"] == 3
    assert metrics["accuracy"] == pytest.approx((2 / 3 + 1 / 3) / 2)
    assert metrics["pass@1"] == pytest.approx(metrics["accuracy"])
    assert metrics["pass@2"] == pytest.approx(((1 - 0 / 3) + (1 - 1 / 3)) / 2)  # a: C(1,2)=0; b: C(2,2)/C(3,2)
    assert metrics["pass@3"] == 1.0
    assert metrics["maj@3"] == pytest.approx(0.5)  # a: B twice -> right; b: A vs D tie -> A, wrong
    assert metrics["maj@2"] == 0.5  # a: B vs C tie -> B; b: only A -> wrong
    assert metrics["format_rate"] == pytest.approx(5 / 6)
    assert metrics["unparseable_rate"] == pytest.approx(1 / 6)
    assert metrics["response_tokens_mean"] == 35 and metrics["response_tokens_p50"] == 35
    assert metrics["response_tokens_p90"] == pytest.approx(55)
