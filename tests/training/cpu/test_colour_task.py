"""The cpu-learn task: judged by the real reward, unsolvable by a constant answer, warm start without answers."""

from __future__ import annotations

import re

import pytest

from med_u1.rewards import compute_score
from med_u1.training.cpu import colour_task
from med_u1.training.cpu import learn as cpu_learn


def score(row: dict, response: str) -> dict:
    info = {**row["extra_info"], **row["reward_model"]}
    return compute_score(row["data_source"], response, row["reward_model"]["ground_truth"], info)


def validation_rows() -> list[dict]:
    return [colour_task.verl_row(q, i, "test") for i, q in enumerate(colour_task.every_question(cpu_learn.VAL_REPEATS))]


def test_the_mcqa_verifier_judges_letter_and_format() -> None:
    row = colour_task.verl_row(colour_task.ColourQuestion("pink"), 0, "test")
    question = row["prompt"][-1]["content"]
    assert question.endswith("Which option names the colour pink?") and "(G) pink" in question
    right = colour_task.tagged_response(colour_task.ColourQuestion("pink"), "G")
    assert score(row, right) == pytest.approx({"score": 1.5, "acc": 1.0, "format": 1.0, "length": 0.0, "pred": "G"})
    assert score(row, colour_task.untagged_response("G"))["acc"] == 1.0
    assert score(row, colour_task.untagged_response("G"))["format"] == 0.0
    assert score(row, "<think>x</think><answer>F</answer>")["acc"] == 0.0


@pytest.mark.parametrize("letter", colour_task.LETTERS)
def test_a_constant_letter_scores_chance(letter: str) -> None:
    rows = validation_rows()
    accuracy = sum(score(row, colour_task.untagged_response(letter))["acc"] for row in rows) / len(rows)
    assert accuracy == pytest.approx(1 / len(colour_task.LETTERS))


def test_the_warm_start_never_teaches_the_right_letter_more_than_chance() -> None:
    examples = cpu_learn.warm_start_examples()
    right = tagged = 0
    for messages, response in examples:
        colour = re.search(r"colour (\w+)\?$", messages[-1]["content"]).group(1)
        letter = re.search(r"<answer>(\w)</answer>", response).group(1)
        right += letter == colour_task.ColourQuestion(colour).answer
        tagged += response.startswith("<think>")
    assert right / len(examples) < 0.1  # random letters only: (1 - shifted share) / 8
    assert 0.2 < tagged / len(examples) < 0.4


def test_prompts_fit_the_recipe_and_tags_are_single_tokens(tmp_path) -> None:
    from transformers import AutoTokenizer

    from med_u1.training.cpu.tiny_model import build_tiny_model

    tokenizer = AutoTokenizer.from_pretrained(build_tiny_model(tmp_path / "model", cpu_learn.MODEL_SPEC))
    text = tokenizer.apply_chat_template(
        colour_task.prompt_messages(colour_task.ColourQuestion("red")), add_generation_prompt=True, tokenize=False
    )
    assert 40 < len(tokenizer(text).input_ids) <= 128  # data.max_prompt_length of the recipe
    response = tokenizer.tokenize(colour_task.tagged_response(colour_task.ColourQuestion("red"), "A"))
    assert {"<think>", "</think>", "<answer>", "</answer>"} <= set(response)
    assert len(response) + 1 <= 24  # + end of turn; data.max_response_length
