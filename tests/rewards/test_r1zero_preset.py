"""The r1zero preset: Medical R1-Zero's accuracy, soft/strict format and xml-count terms, summed."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from med_u1.errors import UserError
from med_u1.rewards import compute_score
from med_u1.rewards.r1zero import accuracy, r1zero_score
from sweeps import two_sizes

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
    ("<think>a</think><answer>C</answer>\n", (2.0, 1.0, 1.0, 1.0)),  # the original's ``$`` allows one final line break
    ("<think>a</think><answer>C</answer>\n\n", (2.0, 1.0, 0.0, 1.0)),
]


@pytest.mark.parametrize(("completion", "terms"), HAND_WORKED)
def test_terms_worked_by_hand(completion, terms):
    assert tuple(r1zero_score(completion, "C", OPTIONS["C"])) == terms


def test_total_is_the_unweighted_sum_in_zero_to_five():
    best = r1zero_score("<think>x</think><answer>C</answer>", "C", "Aspirin")
    assert best.total == 5.0
    assert r1zero_score("", "C", "Aspirin").total == 0.0


def test_option_text_credit_needs_the_option_as_text():
    assert accuracy("<answer>Aspirin</answer>", "C", None) == 0.0
    assert accuracy("<answer>Aspirin</answer>", "C", OPTIONS) == 0.0  # the original's MedXpertQA rows
    assert accuracy("<answer>Aspirin</answer>", "C", "") == 1.0  # an empty pattern matches any answer, as in the original


def test_preset_reads_the_option_text_from_the_row_and_the_response_after_the_chat_header():
    text = "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>x</think> <answer>Aspirin</answer><|im_end|>"
    result = compute_score("MedQA", text, "C", {"options": OPTIONS}, preset="r1zero")
    assert result == {"score": 4.0, "acc": 1.0, "format": 1.0, "length": 0.0, "pred": "Aspirin"}
    wrong = compute_score("MedQA", "<think>x</think><answer>D</answer>", "C", {"options": OPTIONS}, preset="r1zero")
    assert (wrong["score"], wrong["acc"]) == (3.0, 0.0)


def test_preset_refuses_tasks_the_original_cannot_score():
    with pytest.raises(UserError, match="multiple-choice"):
        compute_score("MedCalc-Bench", "<think>x</think><answer>3</answer>", "3", preset="r1zero")


def test_a_final_line_break_keeps_the_strict_point_through_the_preset():
    """TRL decodes without special tokens: ``</answer>\n<|im_end|>`` reaches the reward as ``</answer>\n``."""
    chat = "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>x</think><answer>C</answer>{}<|im_end|>"
    terms = {ending: compute_score("MedQA", chat.format(ending), "C", {"options": OPTIONS}, preset="r1zero") for ending in ("\n", "\n\n", " ")}
    assert {ending: (result["score"], result["format"]) for ending, result in terms.items()} == {
        "\n": (5.0, 1.0),
        "\n\n": (4.0, 0.0),
        " ": (4.0, 0.0),
    }


def test_replays_the_terms_the_original_returned(r1zero_reward_cases):
    assert len(r1zero_reward_cases) == 35
    for case in r1zero_reward_cases:
        option = case["options_dict_as_option"] if "options_dict_as_option" in case else case["option_text"]
        terms = r1zero_score(case["completion"], case["letter"], option)
        got = (terms.accuracy, terms.soft_format + terms.strict_format, terms.xml_count, terms.total)
        assert got == (case["accuracy"], case["format"], case["xmlcount"], case["total"]), case["completion"]


# An independent transcription of the original's rules (Qsingle/open-medical-r1 @d4daaea,
# src/open_r1/rewards.py: verify, format_reward, xmlcount_reward_func), the oracle below.
ORIGINAL_SOFT = r"<think>.*?</think>[\s\n]{0,1}<answer>.*?</answer>"
ORIGINAL_STRICT = r"^<think>.*?</think>[\s\n]?<answer>.*?</answer>$"


def original_terms(content: str, reference: str, option: object) -> tuple[float, float, float]:
    """(verify, format_reward, xmlcount_reward_func) as the original computes them."""
    found = re.search(r"<answer>(.*)</answer>", content, re.DOTALL)
    verify = 0.0
    if found is not None:
        answer = found.group(1).strip()
        if answer == reference.strip() or answer == "(" + reference.strip() + ")":
            verify = 2.0
        elif option is not None:
            try:
                verify = 1.0 if re.compile(re.escape(option), re.IGNORECASE).match(answer) else 0.0
            except Exception:  # the original swallows every error here (an options dict, bytes)
                verify = 0.0
    form = float(bool(re.match(ORIGINAL_SOFT, content, re.DOTALL))) + float(bool(re.match(ORIGINAL_STRICT, content, re.DOTALL)))
    xml = sum(0.25 for tag in ("<think>", "</think>", "<answer>", "</answer>") if content.count(tag) == 1)
    return verify, form, xml


_TAG_PIECES = ["<think>", "</think>", "<answer>", "</answer>", "<think", "answer>", "</answer >", "<ANSWER>"]
_SPACE_PIECES = [" ", "\n", "\n\n", "\t", "\r\n", "\r", "\x0b", "\u00a0", "\u2003", "\u2028"]
_ANSWER_PIECES = ["C", "(C)", " C ", "c", "(c)", "C.", "C)", "Chorea", "chorea, given the nodules", "CHOREA", "Cho", "Vitamin B12 (cobalamin)", "vitamin b12 (COBALAMIN) deficiency", "x", "İ"]
_OPTIONS = st.sampled_from(
    ["Chorea", "chorea", "Vitamin B12 (cobalamin)", "C", "(C)", "a.b*c+", "İstanbul", "ſ", "", None, b"Chorea", {"C": "Chorea", "D": "Ataxia"}]
)


@two_sizes(3000)
def test_terms_equal_the_transcribed_original_on_generated_completions(examples):
    @settings(max_examples=examples, deadline=None)
    @given(
        st.lists(st.sampled_from(_TAG_PIECES + _SPACE_PIECES + _ANSWER_PIECES), max_size=14).map("".join),
        st.sampled_from(["C", " C", "C\n"]),
        _OPTIONS,
    )
    def terms_equal(completion, letter, option):
        terms = r1zero_score(completion, letter, option)
        assert (terms.accuracy, terms.soft_format + terms.strict_format, terms.xml_count) == original_terms(completion, letter, option)

    terms_equal()


_WELL_FORMED = st.builds(
    "<think>{}</think>{}<answer>{}</answer>{}".format,
    st.sampled_from(["", "r", "step 1\nstep 2", "a < b", "</answer>", "<answer>B</answer>"]),
    st.sampled_from(["", " ", "\n", "\n\n", "\t", " \n"]),
    st.sampled_from(_ANSWER_PIECES + ["", "B", "C or B", "The answer is C"]),
    st.sampled_from(["", "\n", "\n\n", " ", "\n ", " \n", "\r\n", "tail", "\n<answer>B</answer>", "</answer>", "</answer>\n"]),
)


@two_sizes(1500)
def test_terms_equal_the_transcribed_original_on_near_well_formed_completions(examples):
    @settings(max_examples=examples, deadline=None)
    @given(_WELL_FORMED, _OPTIONS)
    def terms_equal(completion, option):
        terms = r1zero_score(completion, "C", option)
        assert (terms.accuracy, terms.soft_format + terms.strict_format, terms.xml_count) == original_terms(completion, "C", option)

    terms_equal()


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
