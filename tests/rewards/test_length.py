"""Length terms: L1 exact/max and the Med-U1 variants, from verl's token count."""

import pytest

from med_u1.rewards.contract import Budget
from med_u1.rewards.default import NO_LENGTH_TERM, LengthTerm, length_term
from med_u1.rewards.medu1 import medu1_exact, medu1_max


def l1(num_tokens, used):
    return length_term("l1", Budget(num_tokens, used), 0.0003)


def test_l1_exact_is_linear_in_the_distance_and_floored():
    assert l1(1000, 1000).additive == 0.0
    assert l1(1000, 1500).additive == pytest.approx(-0.15)
    assert l1(1000, 500).additive == pytest.approx(-0.15)
    assert l1(1000, 100000).additive == -1.0


def test_l1_max_factor():
    assert l1(-1000, 1000).factor == pytest.approx(0.5)
    assert l1(-1000, 0).factor == pytest.approx(0.8)
    assert l1(-1000, 5000).factor == 0.0


def test_medu1_variants():
    assert medu1_exact(1000, 1000) == 1.0
    assert medu1_exact(1000, 2500) == 0.0
    assert medu1_exact(100, 5000) == -1.0
    assert medu1_max(-1000, 1000) == 0.0
    assert medu1_max(-1000, 750) == pytest.approx(0.5)
    assert medu1_max(-1000, 0) == 1.0  # the reference's defect: shorter always pays
    assert medu1_max(-1000, 1250) == pytest.approx(-0.5)


@pytest.mark.parametrize("num_tokens", [-1, 0, None])
def test_no_budget_means_no_term(num_tokens):
    assert l1(num_tokens, 500) == NO_LENGTH_TERM == LengthTerm(additive=0.0, factor=1.0, reported=0.0)


def test_unknown_response_length_means_no_term():
    assert l1(1000, None) == NO_LENGTH_TERM


def test_modes_route_exact_and_max_budgets():
    assert l1(1000, 1500) == LengthTerm(additive=pytest.approx(-0.15), reported=pytest.approx(-0.15))
    assert l1(-1000, 1000) == LengthTerm(factor=pytest.approx(0.5), reported=pytest.approx(0.5))
    assert length_term("medu1", Budget(-1000, 750), 0.0003) == LengthTerm(additive=0.5, reported=0.5)
    assert length_term("none", Budget(1000, 5000), 0.0003) == NO_LENGTH_TERM
