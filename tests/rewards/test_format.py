"""Structure reward: one think block then one answer block, nothing else around them."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from med_u1.rewards.format import anchored_structure, read_structure, structure_ok
from med_u1.rewards.response import (
    END_MARKERS,
    MAX_ANGLES_SCANNED,
    MAX_BOXED_CHARS,
    MAX_TRAILER_MARKERS,
    MAX_WRAPPED_CHARS,
    RESPONSE_MARKERS,
    TagLayout,
    extract_answer,
    isolate_response,
    last_boxed,
    response_bounds,
    response_start,
    unwrap,
)


def ok(response: str, **kwargs) -> bool:
    return structure_ok(response, TagLayout.of(response), **kwargs)


def test_clean_structure_passes():
    assert ok("<think>\nreasoning\n</think>\n<answer>B</answer>")
    assert ok("  <think>x</think><answer>B</answer>\n")


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
    assert not ok(response)


def test_think_opened_by_the_prompt():
    assert ok("reasoning</think><answer>B</answer>", think_in_prompt=True)
    assert not ok("<think>reasoning</think><answer>B</answer>", think_in_prompt=True)


def test_isolate_response_after_chat_header_and_without_end_tokens():
    text = "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>x</think><answer>B</answer><|im_end|><|endoftext|>"
    assert isolate_response(text) == "\n<think>x</think><answer>B</answer>"
    assert isolate_response("<think>x</think><answer>B</answer>") == "<think>x</think><answer>B</answer>"


def strip_end_markers(text: str) -> str:
    """The obvious copying oracle for response_bounds' end: drop trailing end tokens and white space."""
    text = text.rstrip()
    while text.endswith(END_MARKERS):
        marker = next(marker for marker in END_MARKERS if text.endswith(marker))
        text = text[: -len(marker)].rstrip()
    return text


@pytest.mark.parametrize(
    "prompt",
    [
        "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant",
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|><|start_header_id|>assistant<|end_header_id|>",
        "<bos><start_of_turn>user\nQ<end_of_turn>\n<start_of_turn>model",
    ],
)
def test_isolate_response_after_each_templates_first_marker(prompt):
    marker = next(marker for marker in RESPONSE_MARKERS if marker in prompt)
    response = f"\n<think>x {marker} y</think><answer>B</answer>"
    assert isolate_response(prompt + response + "<|im_end|>") == response


@pytest.mark.parametrize(
    "tail", ["", "  \n", "<|im_end|>", "<|im_end|>\n<|endoftext|>", " </s> <eos>\n", "<|eot_id|><end_of_turn>"]
)
def test_response_bounds_cut_what_strip_end_markers_strips(tail):
    text = "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>a < b</think><answer>x > y</answer>" + tail
    start, end = response_bounds(text)
    assert text[start:end] == strip_end_markers(text[start:]) == "\n<think>a < b</think><answer>x > y</answer>"


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["<|im_start|>assistant", "<|im_end|>", "</s>", "<", ">", "x", " ", "\n", "<eos>", "eos>", "<|"]), max_size=30).map("".join))
def test_response_bounds_agree_with_strip_end_markers(text):
    start, end = response_bounds(text)
    marker = text.find("<|im_start|>assistant") if text.lstrip().startswith("<|im_start|>") else -1
    assert text[start:end] == strip_end_markers(text[marker + 21 :] if marker >= 0 else text)


def test_response_bounds_cut_any_number_of_end_tokens():
    response = "\n<think>x</think><answer>B</answer>"
    for tail in ("<|endoftext|>" * 5_000, "<eos>\n" * 5_000, " " * 100_000):
        text = "<|im_start|>assistant" + response + tail
        assert isolate_response(text) == strip_end_markers(response + tail) == response


def test_answer_extraction_last_block_then_boxed():
    assert extract_answer("<answer>A</answer> then <answer> B </answer>") == "B"
    assert extract_answer("no tags, \\boxed{\\frac{1}{2}} at last") == "\\frac{1}{2}"
    assert extract_answer("nothing here") is None
    assert last_boxed("\\boxed{unclosed") is None


def test_boxed_braces_balance_within_the_window():
    assert last_boxed("\\boxed{a{b}{c{d}}e} tail }") == "a{b}{c{d}}e"
    assert last_boxed("\\fbox{x}") == "x"
    assert last_boxed("\\boxed{" + "x" * (MAX_BOXED_CHARS - 2) + "}") == "x" * (MAX_BOXED_CHARS - 2)
    assert last_boxed("\\boxed{" + "x" * MAX_BOXED_CHARS + "}") is None  # closes too far away


def test_unwrap_peels_nested_wrappers_of_short_answers_only():
    assert unwrap(" **$\\boxed{\\text{B}}$** ") == "B"
    long_answer = "**" + "x" * MAX_WRAPPED_CHARS + "**"
    assert unwrap(f"  {long_answer} ") == long_answer


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(["<think>", "</think>", "<answer>", "</answer>", "<", "<<", "<thin", "x", " ", "\n", "<|im_end|>"]), max_size=120).map("".join))
def test_angle_hopping_layout_equals_the_regex_layout(response):
    """Short strings take the ``<``-hopping path, tag soup the regex path; both must agree."""
    assert TagLayout.of(response) == TagLayout.of_soup(response)


def test_layout_paths_agree_on_real_responses(bench_responses):
    for row in bench_responses:
        response = isolate_response(row["solution_str"])
        assert TagLayout.of(response) == TagLayout.of_soup(response)


def full_check(response: str, think_in_prompt: bool = False) -> tuple[bool, str | None]:
    return structure_ok(response, TagLayout.of(response), think_in_prompt), extract_answer(response)


@settings(max_examples=3000, deadline=None)
@given(
    st.lists(st.sampled_from(["<think>", "</think>", "<answer>", "</answer>", "<", "<thin", "B", " ", "\n", "<|im_end|>"]), max_size=40).map("".join),
    st.booleans(),
)
def test_read_structure_equals_the_full_check(response, think_in_prompt):
    """The anchored shortcut for well-formed responses never changes a verdict or an answer."""
    assert read_structure(response, think_in_prompt=think_in_prompt) == full_check(strip_end_markers(response), think_in_prompt)


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(st.sampled_from(["<think>", "</think>", "<answer>", "</answer>", "<", "B", " ", "\n"]), max_size=30).map("".join),
    st.lists(st.sampled_from(END_MARKERS + (" ", "\n", "<", "x")), max_size=4).map("".join),
)
def test_read_structure_in_place_equals_the_full_check_on_the_copy(response, tail):
    """In place, searches may run past the response's end into end tokens; verdicts must not change."""
    text = "<|im_start|>user\nQ<|im_end|><|im_start|>assistant" + response + tail
    assert read_structure(text, response_start(text)) == full_check(isolate_response(text))


def test_read_structure_equals_the_full_check_on_real_responses(bench_responses):
    decided = Counter()
    for row in bench_responses:
        text = row["solution_str"]
        response = isolate_response(text)
        assert read_structure(text, response_start(text)) == read_structure(response) == full_check(response)
        decided[anchored_structure(response)[0]] += 1
    assert decided[True] > 0 and decided[False] > 0


def test_anchored_structure_leaves_angle_brackets_in_the_answer_to_the_full_check():
    assert anchored_structure("<think>x</think><answer>B</answer>") == (True, "B")
    assert anchored_structure("<think>x</think><answer>B</answer><answer>B</answer>") == (False, None)
    assert anchored_structure("<think>x</think><answer>< 5 mg</answer>") == (None, None)
    assert read_structure("<think>x</think><answer>< 5 mg</answer>") == (True, "< 5 mg")


@pytest.mark.parametrize(
    "response",
    [
        "<think>" + "a < b " * (MAX_ANGLES_SCANNED + 1) + "</think><answer>B</answer>",  # many other '<' in the think block
        "<think>x</think><answer>B</answer>" + "<eos>" * (MAX_TRAILER_MARKERS + 1),  # many end tokens
        "<think>x</think><answer>B</answer>" + "<eos>" * (MAX_TRAILER_MARKERS + 1) + "more",
    ],
)
def test_anchored_structure_leaves_long_walks_to_the_full_check(response):
    assert anchored_structure(response) == (None, None)
    assert read_structure(response) == full_check(strip_end_markers(response))
