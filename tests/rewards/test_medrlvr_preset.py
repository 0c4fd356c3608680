"""The medrlvr preset: -1 for a malformed response, 0 for a wrong answer, 1 for a correct one."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from med_u1.rewards import compute_score
from med_u1.rewards.medrlvr import medrlvr_reward
from sweeps import two_sizes


def test_rule_worked_by_hand():
    assert medrlvr_reward(format_ok=False, correct=True) == -1.0
    assert medrlvr_reward(format_ok=False, correct=False) == -1.0
    assert medrlvr_reward(format_ok=True, correct=False) == 0.0
    assert medrlvr_reward(format_ok=True, correct=True) == 1.0


@pytest.mark.parametrize(
    ("response", "score"),
    [
        ("<think>The vignette fits B.</think> <answer>B</answer>", 1.0),
        ("<think>x</think>\n<answer>(B)</answer>", 1.0),  # the project's multiple-choice verifier reads "(B)"
        ("<think>x</think> <answer>C</answer>", 0.0),
        ("<answer>B</answer>", -1.0),  # no reasoning block
        ("<think>x</think> <answer>B</answer> I hope this helps.", -1.0),  # text after the answer
        ("The answer is B.", -1.0),
    ],
)
def test_preset_scores(response, score):
    result = compute_score("MedQA", response, "B", {"options": {"A": "a", "B": "b", "C": "c"}}, preset="medrlvr")
    assert result["score"] == score


def test_real_responses_take_one_of_three_values(bench_responses):
    seen = set()
    for row in bench_responses:
        if row["task"] != "mcqa":
            continue
        result = compute_score(row["data_source"], row["solution_str"], row["kwargs"]["ground_truth"], preset="medrlvr")
        expected = -1.0 if result["format"] == 0.0 else result["acc"]
        assert result["score"] == expected
        seen.add(result["score"])
    assert seen == {-1.0, 0.0, 1.0}


_PIECES = st.sampled_from(["<think>", "</think>", "<answer>", "</answer>", " ", "\n", "B", "C", "x", "<|im_end|>"])


@two_sizes(1000)
def test_any_response_gets_one_of_the_three_values(examples):
    @settings(max_examples=examples, deadline=None)
    @given(st.lists(_PIECES, max_size=10).map("".join))
    def one_of_three(response):
        result = compute_score("MedQA", response, "B", preset="medrlvr")
        assert result["score"] == (-1.0 if result["format"] == 0.0 else result["acc"])

    one_of_three()
