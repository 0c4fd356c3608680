"""Any model output whatsoever gets a finite score in the documented range (12,000 generated outputs)."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from med_u1.rewards import compute_score
from sweeps import two_sizes

FRAGMENTS = ["<think>", "</think>", "<answer>", "</answer>", "<|im_start|>assistant\n", "<|im_end|>", "Assistant:",
             "\\boxed{", "}", "B", "(A)", "Option C", "3.5", "1,234", "nan", "inf", "09/23/2014", "('17 weeks', '6 days')",
             "=", " ", "\n", "\x00", "\ufffd", "日本語", "🙂", "<answer><answer>", "</answer></answer>"]
ROWS = [
    ("MedXpertQA", "C", {}),
    ("MedIQ", "A", {"options": {"A": "Aspirin", "B": "Heparin"}}),
    ("PubMedQA", "maybe", {}),
    ("MedCalc-Bench", "26.562", {"lower_limit": "25.2339", "upper_limit": "27.8901"}),
    ("MedCalc-Bench", "('17 weeks', '6 days')", {}),
    ("MedCalc-Bench", "09/23/2014", {}),
    ("medical-o1-reasoning-SFT", "Cardiac tamponade due to a penetrating chest wound.", {}),
]
KNOBS = [
    {},
    {"preset": "medu1"},
    {"preset": "medu1", "reward_type": "continuous", "reward_metric": "BLEU"},
    {"length_mode": "medu1"},
    {"open_metric": "rouge_l", "open_reward_type": "continuous"},
]
RANGES = {"default": (-1.0, 2.5), "medu1": (-3.0, 3.0)}

tag_soup = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=20), max_size=60).map("".join)
binary = st.binary(max_size=400).map(lambda raw: raw.decode("utf-8", errors="replace"))
huge = st.tuples(st.sampled_from(FRAGMENTS) | st.text(min_size=1, max_size=8), st.integers(1, 30_000)).map(lambda t: t[0] * t[1])
outputs = st.text(max_size=300) | tag_soup | binary | huge

CONTEXT = st.tuples(st.sampled_from(ROWS), st.sampled_from(KNOBS), st.sampled_from([-1, 300, -500]), st.integers(0, 10_000))


def check(output: str, context) -> None:
    (source, truth, info), knobs, num_tokens, used = context
    result = compute_score(source, output, truth, {**info, "num_tokens": num_tokens, "response_length": used}, **knobs)
    low, high = RANGES[knobs.get("preset", "default")]
    assert math.isfinite(result["score"]) and low <= result["score"] <= high, result
    assert result["acc"] in (0.0, 1.0) and result["format"] in (0.0, 1.0)
    assert math.isfinite(result["length"])
    assert result["pred"] is None or isinstance(result["pred"], str)


def fuzz(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@two_sizes(3000)
def test_tag_soup(examples):
    @fuzz(examples)
    @given(tag_soup, CONTEXT)
    def tag_soup_scores_in_range(output, context):
        check(output, context)

    tag_soup_scores_in_range()


@two_sizes(3000)
def test_binary_garbage(examples):
    @fuzz(examples)
    @given(binary, CONTEXT)
    def binary_garbage_scores_in_range(output, context):
        check(output, context)

    binary_garbage_scores_in_range()


@two_sizes(3000)
def test_unicode_text(examples):
    @fuzz(examples)
    @given(st.text(max_size=300), CONTEXT)
    def unicode_text_scores_in_range(output, context):
        check(output, context)

    unicode_text_scores_in_range()


@two_sizes(3000)
def test_huge_repetitions(examples):
    @fuzz(examples)
    @given(huge, CONTEXT)
    def huge_repetitions_score_in_range(output, context):
        check(output, context)

    huge_repetitions_score_in_range()


WELL_FORMED = "<think>x</think><answer>C</answer>"


@pytest.mark.slow
def test_one_megabyte_adversarial_responses():
    patterns = ["<answer>" * 100_000, "<think>" * 120_000 + "</answer>", "\\boxed{" * 130_000, "(" * 1_000_000,
                "<answer>" + "1," * 500_000 + "</answer>", "<think>x</think><answer>" + "A " * 500_000 + "</answer>",
                "\\boxed{" + "x" * 1_000_000, "<think>x</think><answer>" + "**" * 250_000 + "C" + "**" * 250_000 + "</answer>",
                "<think>x</think><answer>" + "\\boxed{" * 70_000 + "C" + "}" * 70_000 + "</answer>",
                "<think>" + "<" * 1_000_000 + "</think><answer>C</answer>", "</answer>" * 110_000,
                WELL_FORMED + "<eos>" * 200_000, WELL_FORMED + " " * 1_000_000, WELL_FORMED + "<|im_end|>\n" * 80_000 + "x"]
    for pattern in patterns:
        for source, truth, info in ROWS:
            for knobs in KNOBS:
                check(pattern, ((source, truth, info), knobs, -1, 100))


#: Answers just under the longest MedCalc answer read (a worked solution): runs that a
#: backtracking pattern would scan once per position.
LONG_CALC_ANSWERS = ["(" + " " * 19_990 + "x", "1" * 19_990 + "x", "1. The patient" + " " * 19_970 + "x 2",
                     "1. " + "patient's " * 1_990 + "2", "1. Score " + "is " * 6_600 + "x 2", "1 " + "- " * 9_990]


def test_long_worked_solution_shapes_are_scored():
    for answer in LONG_CALC_ANSWERS:
        for source, truth, info in ROWS:
            for knobs in KNOBS:
                check(f"<think>x</think><answer>{answer}</answer>", ((source, truth, info), knobs, -1, 100))


def test_a_megabyte_of_trailing_end_tokens_still_reads_the_answer():
    for tail in ("<eos>" * 200_000, " " * 1_000_000, "<|im_end|>\n" * 80_000):
        result = compute_score("MedXpertQA", WELL_FORMED + tail, "C")
        assert (result["format"], result["acc"], result["pred"]) == (1.0, 1.0, "C")
    result = compute_score("MedXpertQA", WELL_FORMED + "<|im_end|>\n" * 80_000 + "x", "C")
    assert (result["format"], result["acc"]) == (0.0, 1.0)
