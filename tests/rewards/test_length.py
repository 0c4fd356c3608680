"""Length terms: L1 exact/max and the Med-U1 variants, from verl's token count."""

import pytest

from med_u1.rewards.length import l1_exact, l1_max_factor, length_term, medu1_exact, medu1_max


def test_l1_exact_is_linear_in_the_distance_and_floored():
    assert l1_exact(1000, 1000, 0.0003) == 0.0
    assert l1_exact(1000, 1500, 0.0003) == pytest.approx(-0.15)
    assert l1_exact(1000, 500, 0.0003) == pytest.approx(-0.15)
    assert l1_exact(1000, 100000, 0.0003) == -1.0


def test_l1_max_factor():
    assert l1_max_factor(-1000, 1000, 0.0003) == pytest.approx(0.5)
    assert l1_max_factor(-1000, 0, 0.0003) == pytest.approx(0.8)
    assert l1_max_factor(-1000, 5000, 0.0003) == 0.0


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
    assert length_term("l1", num_tokens, 500, 0.0003) == (0.0, 1.0, 0.0)  # (additive, factor, reported)


def test_unknown_response_length_means_no_term():
    assert length_term("l1", 1000, None, 0.0003) == (0.0, 1.0, 0.0)


def test_modes_route_exact_and_max_budgets():
    assert length_term("l1", 1000, 1500, 0.0003) == pytest.approx((-0.15, 1.0, -0.15))
    assert length_term("l1", -1000, 1000, 0.0003) == pytest.approx((0.0, 0.5, 0.5))
    assert length_term("medu1", -1000, 750, 0.0003) == pytest.approx((0.5, 1.0, 0.5))
    assert length_term("none", 1000, 5000, 0.0003) == (0.0, 1.0, 0.0)
