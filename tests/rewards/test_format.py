"""The response, its format and its answer: where the response is, the think/answer rule, answer extraction."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from med_u1.rewards.default import END_MARKERS, MAX_BOXED_CHARS, RESPONSE_MARKERS, final_answer, follows_format, last_boxed, response_start
from med_u1.rewards.text import MAX_WRAPPED_CHARS, unwrap
from sweeps import two_sizes


def the_response(text: str) -> str:
    return text[response_start(text) :]


def test_clean_structure_passes():
    assert follows_format("<think>\nreasoning\n</think>\n<answer>B</answer>")
    assert follows_format("  <think>x</think><answer>B</answer>\n")
    assert follows_format("<think>x</think><answer>< 5 mg</answer>")  # a '<' in the answer is not a tag


@pytest.mark.parametrize(
    "response",
    [
        "<think>x</think><answer>B</answer><answer>B</answer>",  # duplicated answer tags
        "<think>x</think><think>y</think><answer>B</answer>",  # duplicated think tags
        "<think>x <answer>B</answer></think>",  # answer inside the think block
        "<answer>B</answer><think>x</think>",  # answer before thinking
        "<think>x</think> more reasoning here <answer>B</answer>",  # reasoning outside the block
        "Let me think. <think>x</think><answer>B</answer>",  # text before the block
        "<think>x</think><answer>B</answer> I hope this helps!",  # trailing text
        "x</think><answer>B</answer>",  # think never opened
        "<think>x<answer>B</answer>",  # think never closed
        "<think>x</think><answer>B",  # answer never closed
        "<think></think>" * 50 + "<answer>B</answer>" * 50,  # tag-count hacking
    ],
)
def test_broken_structures_fail(response):
    assert not follows_format(response)


def test_think_opened_by_the_prompt():
    assert follows_format("reasoning</think><answer>B</answer>", think_in_prompt=True)
    assert not follows_format("<think>reasoning</think><answer>B</answer>", think_in_prompt=True)


TAGS = ("<think>", "</think>", "<answer>", "</answer>")
_NO_TAG = "(?:(?!</?think>|</?answer>).)*"
#: The rule as the docs state it, as one regular expression (fine for short test strings).
_END = "(?:\\s|" + "|".join(map(re.escape, END_MARKERS)) + ")*"
_RULE = re.compile(rf"\s*<think>{_NO_TAG}</think>\s*<answer>{_NO_TAG}</answer>{_END}", re.DOTALL)
_RULE_THINK_IN_PROMPT = re.compile(rf"{_NO_TAG}</think>\s*<answer>{_NO_TAG}</answer>{_END}", re.DOTALL)


@two_sizes(3000)
def test_follows_format_is_the_documented_rule(examples):
    @settings(max_examples=examples, deadline=None)
    @given(st.lists(st.sampled_from([*TAGS, "<", "<thin", "B", " ", "\n", "</", "answer>", "<eos>", "<|im_end|>"]), max_size=40).map("".join), st.booleans())
    def follows_the_rule(response, think_in_prompt):
        rule = _RULE_THINK_IN_PROMPT if think_in_prompt else _RULE
        assert follows_format(response, think_in_prompt=think_in_prompt) == bool(rule.fullmatch(response))

    follows_the_rule()


def test_the_response_after_the_chat_header():
    text = "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>x</think><answer>B</answer><|im_end|><|endoftext|>"
    assert the_response(text) == "\n<think>x</think><answer>B</answer><|im_end|><|endoftext|>"
    assert the_response("<think>x</think><answer>B</answer>") == "<think>x</think><answer>B</answer>"


@pytest.mark.parametrize(
    "prompt",
    [
        "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant",
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|><|start_header_id|>assistant<|end_header_id|>",
        "<bos><start_of_turn>user\nQ<end_of_turn>\n<start_of_turn>model",
    ],
)
def test_the_response_after_each_templates_first_marker(prompt):
    marker = next(marker for marker in RESPONSE_MARKERS if marker in prompt)
    response = f"\n<think>x {marker} y</think><answer>B</answer><|im_end|>"
    assert the_response(prompt + response) == response


@pytest.mark.parametrize("marker", RESPONSE_MARKERS)
def test_a_marker_inside_a_response_passed_alone_does_not_move_its_start(marker):
    response = f"chatter {marker}<think>x</think><answer>C</answer>"
    assert the_response(response) == response
    assert not follows_format(the_response(response))


@pytest.mark.parametrize("tail", ["", "  \n", "<|im_end|>", "<|im_end|>\n<|endoftext|>", " </s> <eos>\n", "<|eot_id|><end_of_turn>", "<eos>" * 200_000])
def test_end_of_turn_tokens_after_the_answer_block_count_as_white_space(tail):
    assert follows_format("<think>x</think><answer>B</answer>" + tail)
    assert not follows_format("<think>x</think><answer>B</answer>" + tail + "x")
    assert not follows_format("<think>x</think><|im_end|><answer>B</answer>" + tail)


def test_answer_extraction_last_block_then_boxed():
    assert final_answer("<answer>A</answer> then <answer> B </answer>") == "B"
    assert final_answer("no tags, \\boxed{\\frac{1}{2}} at last") == "\\frac{1}{2}"
    assert final_answer("nothing here") is None
    assert final_answer("<answer>  </answer>") is None
    assert last_boxed("\\boxed{unclosed") is None


@pytest.mark.parametrize(
    "response,answer",
    [
        ("Reasoning.\n\nThe answer is B.", "B."),
        ("Reasoning... so the final answer is: (C) Hypoxia", "(C) Hypoxia"),
        ("Answer: 24.2 kg/m2\n", "24.2 kg/m2"),
        ("The answer is A, but wait. Answer: B", "B"),
        ("We compute the score.\nTotal is thirteen\n13", "13"),
        ("Long reasoning.\n\\boxed{D}\nSo the answer is C.", "D"),  # a box comes first
        ("<think>the answer is A</think>\nB", "B"),  # only the text after the thinking
        ("<think>x</think><answer>E</answer> the answer is F", "E"),  # an answer block comes first
        ("It is a long final line, longer than anything a bare reply holds", None),
        ("", None),
    ],
)
def test_answer_from_any_reads_free_text(response, answer):
    assert final_answer(response, answer_from="any") == answer


def test_answers_are_read_in_place_after_the_prompt():
    text = "<|im_start|>user\nWrite <answer>A</answer> or \\boxed{A}<|im_end|>\n<|im_start|>assistant\nThe answer is C."
    start = response_start(text)
    assert final_answer(text, start) is None and final_answer(text, start, answer_from="any") == "C."
    assert not follows_format(text, start)


def test_answer_from_tag_ignores_free_text():
    assert final_answer("Reasoning.\n\nThe answer is B.", answer_from="tag") is None


def test_boxed_braces_balance_within_the_window():
    assert last_boxed("\\boxed{a{b}{c{d}}e} tail }") == "a{b}{c{d}}e"
    assert last_boxed("\\fbox{x}") == "x"
    assert last_boxed("\\boxed{" + "x" * (MAX_BOXED_CHARS - 2) + "}") == "x" * (MAX_BOXED_CHARS - 2)
    assert last_boxed("\\boxed{" + "x" * MAX_BOXED_CHARS + "}") is None  # closes too far away


def test_unwrap_peels_nested_wrappers_of_short_answers_only():
    assert unwrap(" **$\\boxed{\\text{B}}$** ") == "B"
    long_answer = "**" + "x" * MAX_WRAPPED_CHARS + "**"
    assert unwrap(f"  {long_answer} ") == long_answer


def test_the_format_verdict_on_real_responses_matches_the_rule(bench_responses):
    for row in bench_responses:
        text = row["solution_str"]
        response = the_response(text)
        assert response.lstrip() == text[row["response_offset"] :].lstrip()
        assert follows_format(text, response_start(text)) == follows_format(response) == bool(_RULE.fullmatch(response)), row["bench_id"]
        assert final_answer(text, response_start(text)) == final_answer(response)
