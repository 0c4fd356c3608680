"""compute_score: the verl contract, the default preset's arithmetic and the bad-input rules."""

import math

import numpy as np
import pytest

from med_u1.rewards import compute_score
from med_u1.rewards.contract import PRESETS, Budget, Reference, Result, RewardConfig, ScoreInput, resolve_config

GOOD = "<think>The pericardium fills with blood.</think>\n<answer>B</answer>"
KEYS = {"score", "acc", "format", "length", "pred"}


def test_result_fields_and_default_weights():
    result = compute_score("MedXpertQA", GOOD, "B")
    assert set(result) >= KEYS
    assert result == {"score": 1.5, "acc": 1.0, "format": 1.0, "length": 0.0, "pred": "B"}
    wrong = compute_score("MedXpertQA", GOOD, "C")
    assert (wrong["score"], wrong["acc"]) == (0.5, 0.0)
    no_format = compute_score("MedXpertQA", "The answer is \\boxed{B}", "B")
    assert (no_format["score"], no_format["format"], no_format["pred"]) == (1.0, 0.0, "B")


def test_prompt_plus_response_as_older_verl_passes_it():
    text = "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n" + GOOD + "<|im_end|>"
    assert compute_score("MedXpertQA", text, "B")["score"] == 1.5


def test_length_terms_use_the_token_count_from_extra_info():
    exact = compute_score("MedXpertQA", GOOD, "B", {"num_tokens": 1000, "response_length": 1500})
    assert exact["length"] == pytest.approx(-0.15) and exact["score"] == pytest.approx(1.35)
    capped = compute_score("MedXpertQA", GOOD, "B", {"num_tokens": -1000, "response_length": 1000})
    assert capped["length"] == pytest.approx(0.5) and capped["score"] == pytest.approx(1.0)
    medu1_mode = compute_score("MedXpertQA", GOOD, "B", {"num_tokens": 1000, "response_length": 1000}, length_mode="medu1")
    assert medu1_mode["score"] == pytest.approx(2.5)


def test_knobs_change_weights_and_accept_hydra_strings():
    result = compute_score("MedXpertQA", GOOD, "B", format_weight="0", correct_weight="2")
    assert result["score"] == 2.0


def test_unknown_data_source_names_it_and_the_registered_ones():
    with pytest.raises(KeyError) as error:
        compute_score("NoSuchBench", GOOD, "B")
    assert "NoSuchBench" in str(error.value) and "MedXpertQA" in str(error.value)


@pytest.mark.parametrize("preset", ["default", "medu1"])
def test_knobs_resolve_once_into_a_typed_config(preset):
    assert resolve_config({"preset": preset}) == RewardConfig(preset=preset)
    resolved = resolve_config({"preset": preset, "format_weight": "0.2", "think_in_prompt": "true"})
    assert resolved == RewardConfig(preset=preset, format_weight=0.2, think_in_prompt=True)
    assert resolve_config({"preset": preset, "format_weight": "0.2", "think_in_prompt": "true"}) is resolved  # cached


def test_a_preset_scores_a_typed_input_into_a_result():
    row = ScoreInput(response=GOOD, references=(Reference("C"), Reference("B")), budget=Budget(num_tokens=1000, used=1000))
    result = PRESETS["default"].score("mcqa", row, RewardConfig())
    assert result == Result(score=1.5, acc=1.0, format=1.0, length=0.0, pred="B")
    assert result.to_dict() == compute_score("MedXpertQA", GOOD, ["C", "B"], {"num_tokens": 1000, "response_length": 1000})


def test_answer_from_any_reads_untagged_answers_and_still_reports_the_format():
    untagged = "Let me think about the pericardium.\n\nThe answer is B."
    assert compute_score("MedXpertQA", untagged, "B")["acc"] == 0.0  # default: the <answer> block only
    result = compute_score("MedXpertQA", untagged, "B", answer_from="any")
    assert (result["acc"], result["format"], result["pred"]) == (1.0, 0.0, "B.")
    assert compute_score("MedXpertQA", GOOD, "B", answer_from="any") == compute_score("MedXpertQA", GOOD, "B")
    calc = compute_score("MedCalc-Bench", "BMI = 70 / 1.7^2\nAnswer: 24.2 kg/m2", "24.2", {"lower_limit": "23", "upper_limit": "25.4"}, answer_from="any")
    assert calc["acc"] == 1.0


@pytest.mark.parametrize("knobs", [{"presett": "medu1"}, {"preset": "other"}, {"preset": None}, {"preset": ["medu1"]}, {"format_weight": "heavy"}, {"length_weight": -1}, {"answer_from": "free"}])
def test_bad_knobs_are_errors(knobs):
    with pytest.raises((TypeError, ValueError)):
        compute_score("MedXpertQA", GOOD, "B", **knobs)


@pytest.mark.parametrize("truth", [None, float("nan"), "", "   ", [], np.array([])])
def test_missing_ground_truth_scores_zero(truth):
    assert compute_score("MedXpertQA", GOOD, truth) == {"score": 0.0, "acc": 0.0, "format": 0.0, "length": 0.0, "pred": None}


def test_list_ground_truth_accepts_any_item():
    assert compute_score("MedXpertQA", GOOD, ["A", "B"])["acc"] == 1.0
    assert compute_score("MedXpertQA", GOOD, np.array(["A", "C"]))["acc"] == 0.0
    assert compute_score("MedCalc-Bench", "<think>x</think><answer>5</answer>", [5, None])["acc"] == 1.0


def test_numeric_ground_truths_and_numpy_extra_info():
    info = {"lower_limit": np.float64(25.2), "upper_limit": "27.9", "num_tokens": np.int64(-1), "response_length": np.int64(40)}
    assert compute_score("MedCalc-Bench", "<think>x</think><answer>26 kg/m2</answer>", 26.562, info)["acc"] == 1.0


@pytest.mark.parametrize("response", [None, b"<think>x</think><answer>B</answer>", 12345, "\x00\xff" * 10])
def test_any_response_object_gets_a_finite_score(response):
    result = compute_score("MedXpertQA", response, "B")
    assert math.isfinite(result["score"])


def test_bytes_response_is_decoded():
    assert compute_score("MedXpertQA", b"<think>x</think><answer>B</answer>", "B")["acc"] == 1.0
