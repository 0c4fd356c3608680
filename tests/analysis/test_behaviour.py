"""Per-response features and the MED-RLVR stage rules on synthetic responses written for these tests."""

from __future__ import annotations

import pytest
from synthetic_rollouts import (
    ANSWER_LEAK,
    CONCISE,
    EMPTY_REASONING,
    HEDGED,
    PADDED,
    PROMPT,
    STAGE_EXAMPLES,
)

from med_u1.analysis.behaviour import STAGES, Budget, describe, read_budget, split_blocks
from med_u1.rewards import compute_score


def test_the_examples_cover_every_stage() -> None:
    assert set(STAGE_EXAMPLES) == set(STAGES)


@pytest.mark.parametrize("stage", STAGES)
def test_each_example_gets_its_stage(stage: str) -> None:
    assert describe(STAGE_EXAMPLES[stage], PROMPT.format(budget="")).stage == stage


@pytest.mark.parametrize("stage", STAGES)
def test_format_validity_agrees_with_the_reward(stage: str) -> None:
    reward = compute_score("MedQA", STAGE_EXAMPLES[stage], "B")
    assert describe(STAGE_EXAMPLES[stage]).format_ok == (reward["format"] > 0)


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        ("Answer: B", "no think block"),
        ("<think>inferior leads</think> B", "no answer block"),
        ("<think>a</think><think>b</think><answer>B</answer>", "repeated tag"),
        ("<think>inferior leads, so the right coronary <answer>B</answer>", "unclosed block"),
        ("<answer>B</answer><think>inferior</think>", "tags out of order"),
        ("Sure. <think>inferior</think><answer>B</answer>", "text before think"),
        ("<think>inferior</think> so <answer>B</answer>", "text between think and answer"),
        ("<think>inferior</think><answer>B</answer> Hope this helps.", "text after answer"),
    ],
)
def test_format_failures_say_why(response: str, reason: str) -> None:
    features = describe(response)
    assert not features.format_ok
    assert features.format_reason == reason
    assert features.stage == "format failure"


def test_think_answer_split_and_reasoning_outside() -> None:
    blocks = split_blocks("Intro <think>inferior leads</think> middle <answer>B</answer> tail")
    assert (blocks.think, blocks.answer) == ("inferior leads", "B")
    assert blocks.outside.split() == ["Intro", "middle", "tail"]
    assert describe(STAGE_EXAMPLES["step-by-step exploit"]).reasoning_outside_think
    assert not describe(CONCISE).reasoning_outside_think


def test_an_r1_prompt_that_opens_the_think_block_counts_as_its_opening_tag() -> None:
    prompt = "user\nWhich artery?\nassistant\n<think>"
    features = describe("ST elevation in the inferior leads.</think><answer>B</answer>", prompt)
    assert features.format_ok
    assert features.think_words == 6


def test_answer_stated_in_the_think_block_and_before_reasoning() -> None:
    leak = describe(ANSWER_LEAK)
    assert leak.answer_in_think and leak.answer_first
    concluded = describe(STAGE_EXAMPLES["reintegrated reasoning"])
    assert concluded.answer_in_think and not concluded.answer_first  # a conclusion, not a leak
    assert not describe(CONCISE).answer_in_think
    for answer in ("(B) Right coronary", "B. Right coronary", "B:"):
        assert describe(f"<think>The answer is B. Inferior leads.</think><answer>{answer}</answer>").answer_first
    article = "<think>Cardiac tamponade: the answer is A here.</think><answer>A pericardial effusion</answer>"
    assert not describe(article).answer_in_think  # an answer starting with the article "A" is not option A
    text = describe("<think>Naegele's rule adds 280 days, giving 10/16/2024 here.</think><answer>10/16/2024</answer>")
    assert text.answer_in_think


def test_reflection_markers_per_thousand_tokens() -> None:
    features = describe(STAGE_EXAMPLES["reintegrated reasoning"])
    assert (features.verification_markers, features.re_examination_markers) == (1, 1)  # "Let me verify", "Wait"
    assert features.reflection_per_1k == pytest.approx(2000 / features.tokens)
    assert describe(CONCISE).reflection_per_1k == 0.0


def test_tokens_from_the_input_else_white_space_words() -> None:
    assert describe(CONCISE).tokens == len(CONCISE.split())
    assert describe(CONCISE).tokens_counted == "words"
    given = describe(CONCISE, tokens=40)
    assert (given.tokens, given.tokens_counted) == (40, "given")


def test_budget_read_from_the_prompt_and_compared() -> None:
    assert read_budget("... Think for 512 tokens.") == Budget("exact", 512)
    assert read_budget("... Think for maximum 256 tokens.") == Budget("max", 256)
    assert read_budget("no budget here") is None
    features = describe(CONCISE, PROMPT.format(budget=" Think for maximum 10 tokens."))
    assert features.budget_kind == "max" and features.budget_ratio == pytest.approx(features.tokens / 10)


def test_budget_gaming_needs_both_a_hit_and_padding() -> None:
    budget = PROMPT.format(budget=" Think for 50 tokens.")
    assert describe(PADDED, budget).budget_gaming
    assert not describe(PADDED, PROMPT.format(budget=" Think for 500 tokens.")).budget_gaming  # misses the budget
    assert not describe(CONCISE, PROMPT.format(budget=f" Think for {len(CONCISE.split())} tokens.")).budget_gaming


def test_empty_reasoning_is_a_direct_answer() -> None:
    features = describe(EMPTY_REASONING)
    assert features.format_ok and features.think_words == 0
    assert features.stage == "direct-answer hacker"


@pytest.mark.parametrize("answer", ["B or C", "probably B", "A/B", "either A or D"])
def test_hedged_answers(answer: str) -> None:
    assert describe(f"<think>inferior leads</think><answer>{answer}</answer>").hedged_answer


@pytest.mark.parametrize("answer", ["B", "(B) Right coronary", "maybe", "22.9 kg/m^2"])
def test_plain_answers_are_not_hedged(answer: str) -> None:
    assert not describe(f"<think>inferior leads</think><answer>{answer}</answer>").hedged_answer
    assert describe(HEDGED).hedged_answer
