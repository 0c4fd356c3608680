"""The medu1 preset reproduces the reference Med-U1 reward and validation metric."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

from med_u1.rewards import compute_score
from med_u1.rewards.medu1 import reference_answer, reference_bleu, reference_ems, vqa_normalise
from med_u1.rewards.replay import replay
from sweeps import two_sizes


def test_agrees_with_reference_scores_on_the_bench(bench_responses):
    score_diffs, acc_diffs = [], []
    for row in bench_responses:
        result = replay(row, "medu1")
        if abs(result["score"] - row["ref_score"]) > 1e-6:
            score_diffs.append((row["bench_id"], result["score"], row["ref_score"]))
        if abs(result["acc"] - row["ref_score_val"]) > 1e-6:
            acc_diffs.append((row["bench_id"], result["acc"], row["ref_score_val"]))
    assert len(bench_responses) == 2000
    assert len(score_diffs) <= 20, score_diffs[:10]
    assert len(acc_diffs) <= 20, acc_diffs[:10]


def test_extracted_answer_and_format_match_the_reference(bench_responses):
    for row in bench_responses:
        result = replay(row, "medu1")
        assert result["pred"] == row["ref_extracted_answer"], row["bench_id"]
        assert result["format"] == float(row["ref_format_ok"]), row["bench_id"]


def nltk_reference_bleu(reference: str, prediction: str) -> float:
    smoothing = SmoothingFunction().method1
    weights = [(1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0)]
    scores = [round(sentence_bleu([reference.split()], prediction.split(), weights=w, smoothing_function=smoothing), 4) for w in weights]
    return float((scores[0] + scores[1] + scores[2]) / 3)


def test_bleu_equals_nltk_on_real_answers(bench_responses):
    for row in bench_responses:
        if row["task"] == "open" and row["ref_extracted_answer"]:
            reference, answer = row["kwargs"]["ground_truth"], row["ref_extracted_answer"]
            assert reference_bleu(reference, answer) == nltk_reference_bleu(reference, answer)


def test_ems_counts_distinct_reference_words_over_candidate_length():
    assert reference_ems("pain pain pain", "pain") == pytest.approx(100 / 3)
    assert reference_ems("The heart", "heart") == 100  # articles dropped
    assert reference_ems("", "heart") == 0


def test_vqa_normalisation_quirks_are_kept():
    assert vqa_normalise("Two dogs, dont run!") == "2 dogs don't run"
    assert vqa_normalise("1,000 (approx.)") == "1000 approx"
    assert vqa_normalise("x." * 40).count(".") == 8  # only the first 32 periods go, as in the reference


def test_reference_defects_are_reproduced():
    knobs = {"preset": "medu1"}
    parenthesised = compute_score("MedXpertQA", "<think>x</think><answer>(B)</answer>", "B", **knobs)
    assert parenthesised["acc"] == 0.0
    assistant_in_text = compute_score("MedXpertQA", "<think>Assistant: x</think><answer>B</answer>", "B", **knobs)
    assert assistant_in_text["format"] == 0.0  # the reference splits at "Assistant:" and loses <think>
    shorter = compute_score("MedXpertQA", "<think>x</think><answer>B</answer>", "B", {"num_tokens": -1000, "response_length": 10}, **knobs)
    longer = compute_score("MedXpertQA", "<think>x</think><answer>B</answer>", "B", {"num_tokens": -1000, "response_length": 900}, **knobs)
    assert shorter["score"] > longer["score"]


def test_bare_response_is_taken_as_the_response():
    result = compute_score("MedXpertQA", "<think>x</think><answer>B</answer>", "B", preset="medu1")
    assert result["score"] == 2.0 and result["acc"] == 1.0


_REFERENCE_ANSWER_REGEX = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)


@two_sizes(3000)
def test_reference_answer_is_the_last_regex_match(examples):
    """The five-search shortcut equals the reference's ``finditer(...)[-1]``, whatever the tag soup."""

    @settings(max_examples=examples, deadline=None)
    @given(st.lists(st.sampled_from(["<answer>", "</answer>", "<answer", "answer>", "</", "<", "B", " ", "\n"]), max_size=30).map("".join))
    def is_the_last_match(response):
        matches = list(_REFERENCE_ANSWER_REGEX.finditer(response))
        assert reference_answer(response) == (matches[-1].group(1).strip() if matches else None)

    is_the_last_match()
