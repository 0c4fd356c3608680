"""The r1zero preset: Medical R1-Zero's accuracy, soft/strict format and xml-count terms, summed."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from med_u1.errors import UserError
from med_u1.rewards import compute_score
from med_u1.rewards.r1zero import accuracy, r1zero_score, soft_format, strict_format, xml_count

OPTIONS = {"A": "Metformin", "B": "Insulin", "C": "Aspirin", "D": "Warfarin"}


# Worked by hand from the original's rules: (completion, (accuracy, soft, strict, xml)).
HAND_WORKED = [
    ("<think>Reasoning.</think> <answer>C</answer>", (2.0, 1.0, 1.0, 1.0)),
    ("<think>\nstep 1\nstep 2\n</think>\n<answer>\nC\n</answer>", (2.0, 1.0, 1.0, 1.0)),
    ("<think>a</think>\n\n<answer>C</answer>", (2.0, 0.0, 0.0, 1.0)),  # two white-space characters
    ("<think>a</think><answer>(C)</answer> Thanks!", (2.0, 1.0, 0.0, 1.0)),  # text after the answer
    ("<think>a</think><answer>aspirin, 81 mg daily</answer>", (1.0, 1.0, 1.0, 1.0)),  # option-text prefix
    ("<think>a</think><answer>C. Aspirin</answer>", (0.0, 1.0, 1.0, 1.0)),  # neither the letter nor the text first
    ("<think>a</think><answer>(c)</answer>", (0.0, 1.0, 1.0, 1.0)),  # letters compare case-sensitively
    ("<answer>C</answer>", (2.0, 0.0, 0.0, 0.5)),
    ("<think>a</think><answer>B</answer><answer>C</answer>", (0.0, 1.0, 1.0, 0.5)),  # greedy span "B</answer><answer>C"
    ("<think>a</think><think>b</think><answer>C</answer>", (2.0, 1.0, 1.0, 0.5)),
    ("I would pick C.", (0.0, 0.0, 0.0, 0.0)),
]


@pytest.mark.parametrize(("completion", "terms"), HAND_WORKED)
def test_terms_worked_by_hand(completion, terms):
    assert tuple(r1zero_score(completion, "C", OPTIONS["C"])) == terms


def test_total_is_the_unweighted_sum_in_zero_to_five():
    best = r1zero_score("<think>x</think><answer>C</answer>", "C", "Aspirin")
    assert best.total == 5.0
    assert r1zero_score("", "C", "Aspirin").total == 0.0


def test_option_text_credit_needs_the_option_text():
    assert accuracy("<answer>Aspirin</answer>", "C", None) == 0.0
    assert accuracy("<answer>Aspirin</answer>", "C", "") == 0.0


def test_preset_reads_the_option_text_from_the_row_and_the_response_after_the_chat_header():
    text = "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>x</think> <answer>Aspirin</answer><|im_end|>"
    result = compute_score("MedQA", text, "C", {"options": OPTIONS}, preset="r1zero")
    assert result == {"score": 4.0, "acc": 1.0, "format": 1.0, "length": 0.0, "pred": "Aspirin"}
    wrong = compute_score("MedQA", "<think>x</think><answer>D</answer>", "C", {"options": OPTIONS}, preset="r1zero")
    assert (wrong["score"], wrong["acc"]) == (3.0, 0.0)


def test_preset_refuses_tasks_the_original_cannot_score():
    with pytest.raises(UserError, match="multiple-choice"):
        compute_score("MedCalc-Bench", "<think>x</think><answer>3</answer>", "3", preset="r1zero")


_PATTERN = r"<think>.*?</think>\s?<answer>.*?</answer>"
_PIECES = st.sampled_from(["<think>", "</think>", "<answer>", "</answer>", " ", "\n", "\n\n", "x", "C", "<", ">"])


@settings(max_examples=2000, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_format_terms_equal_the_regular_expressions(completion):
    assert soft_format(completion) == (1.0 if re.match(_PATTERN, completion, re.DOTALL) else 0.0)
    assert strict_format(completion) == (1.0 if re.fullmatch(_PATTERN, completion, re.DOTALL) else 0.0)
    greedy = re.search(r"<answer>(.*)</answer>", completion, re.DOTALL)
    expected = 0.0 if greedy is None else 2.0 if greedy.group(1).strip() in ("C", "(C)") else 0.0
    assert accuracy(completion, "C", None) == expected
    assert xml_count(completion) == 0.25 * sum(completion.count(t) == 1 for t in ("<think>", "</think>", "<answer>", "</answer>"))


def test_scores_real_multiple_choice_responses_within_range(bench_responses):
    rows = [row for row in bench_responses if row["task"] == "mcqa"]
    assert len(rows) >= 500
    for row in rows:
        result = compute_score(row["data_source"], row["solution_str"], row["kwargs"]["ground_truth"], preset="r1zero")
        assert 0.0 <= result["score"] <= 5.0
        assert result["format"] <= result["score"]


def test_adversarial_megabyte_is_scored():
    soup = "<think>" + "</think> <answer>" * 60_000 + "x" * 100_000
    assert r1zero_score(soup, "C", "Aspirin") == (0.0, 0.0, 0.0, 0.25)
