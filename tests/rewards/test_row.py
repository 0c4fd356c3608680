"""A row's reward fields: read from extra_info, their home, and from reward_model in older parquets."""

from med_u1.rewards.row import reward_fields, scoring_extra_info


def test_extra_info_is_the_home_and_reward_model_fills_what_it_lacks():
    reward_model = {"ground_truth": "22", "lower_limit": "21", "upper_limit": "23", "num_tokens": 512}
    extra_info = {"uid": "x", "num_tokens": 256, "options": None}
    assert reward_fields(reward_model, extra_info) == {"lower_limit": "21", "upper_limit": "23", "num_tokens": 256}
    assert reward_fields({"ground_truth": "A"}, None) == {}


def test_the_scoring_extra_info_keeps_the_row_and_adds_the_response_length():
    merged = scoring_extra_info({"ground_truth": "A", "options": {"A": "x"}}, {"uid": "u", "task": "mcqa"}, 17)
    assert merged == {"uid": "u", "task": "mcqa", "options": {"A": "x"}, "response_length": 17}
