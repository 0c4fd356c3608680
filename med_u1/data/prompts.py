"""Prompt templates: chat messages (system + user, unrendered) for an Example and a budget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from med_u1.data.budget_sentence import budget_sentence
from med_u1.data.record import Example
from med_u1.registry import Registry

#: Med-U1's "internal dialogue" system prompt (its builder; shipped MedCalc/open-text files).
INTERNAL_DIALOGUE_SYSTEM = (
    "You are a helpful medical assistant. Please consider the provided question, as if you were a human "
    "pondering deeply. Engage in an internal dialogue using expressions such as 'let me think', 'wait', "
    "'Hmm', 'oh, I see', 'let's break it down', etc, or other natural language thought expressions. "
    "It's encouraged to include self-reflection or verification in the reasoning process. Provide your "
    "detailed reasoning within the <think> </think> tags and final answer within the <answer> </answer> "
    "tags, respectively, i.e., <think> reasoning process here </think><answer> final answer here </answer>."
)
#: The older R1-style system prompt of Med-U1's shipped multiple-choice parquets.
MEDU1_MCQA_SYSTEM = (
    "You are a helpful medical assistant. There is a conversation between User and Assistant. The user asks "
    "a medical question, and the Assistant solves it. The Assistant first thinks about the reasoning process "
    "in the mind and then provides the user with just the final answer. The reasoning process and final "
    "answer are enclosed within <think> </think> and <answer> </answer> tags, respectively, i.e., <think> "
    "reasoning process here </think><answer> final answer here </answer>."
)
#: The DeepSeek-R1-Zero style system prompt used by Medical R1-Zero and MED-RLVR.
R1_SYSTEM = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
    "The assistant first thinks about the reasoning process in the mind and then provides the user with "
    "the answer. The reasoning process and answer are enclosed within <think> </think> and <answer> "
    "</answer> tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here </answer>."
)

#: Medical R1-Zero's system prompt (open-medical-r1 ``src/open_r1/grpo.py``), its wording kept
#: exactly, the missing spaces after two full stops and the misspelling included.
R1ZERO_SYSTEM = (
    "A conversation between user and assistant. The user asks a question, and the assistant solves it. "
    "The assistant first thinks about the reasoning process in the mind and then provides the user with "
    "the answer.The reasoning process is to solve the problem step by step, so you will think about it "
    "sinceraly.The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> "
    "tags, respectively, i.e., <think> reasoning process here </think><answer> answer here </answer>"
)

#: Per-answer-type instructions (Med-U1's wording; each starts with a space, as Med-U1's do).
LETTER_INSTRUCTION = " Please provide only the single option letter (e.g., A, B, C, D, etc.) within the <answer> </answer> tags."
NUMERIC_INSTRUCTION = (
    " Please provide the numerical value (e.g., 42 or 3.14) or specific answer (e.g., 10/25/2020 or "
    "('17 weeks', '6 days')) within the <answer> </answer> tags."
)
TEXT_INSTRUCTION = " Please provide your text answer within the <answer> </answer> tags."
LABEL_INSTRUCTION = " Please provide only one of {labels} within the <answer> </answer> tags."
ANSWER_INSTRUCTIONS = (LETTER_INSTRUCTION, NUMERIC_INSTRUCTION, TEXT_INSTRUCTION)


def user_message(example: Example, num_tokens: int) -> str:
    """The user turn: question, answer instruction, thinking budget (joined as Med-U1 does)."""
    return f"{question_body(example)} {answer_instruction(example)} {budget_sentence(num_tokens)}"


def r1zero_user_message(example: Example, num_tokens: int) -> str:
    """Medical R1-Zero's user turn: the question, then ``\\nAnswer Choices: (A) text (B) text ...``."""
    text = example.question
    if example.options:
        text += "\nAnswer Choices: " + " ".join(f"({key}) {value}" for key, value in example.options.items())
    budget = budget_sentence(num_tokens)
    return f"{text} {budget}" if budget else text


@dataclass(frozen=True)
class Template:
    """A named prompt layout: the system prompt for each task and the user turn."""

    name: str
    system_for: Callable[[str], str]
    summary: str
    user: Callable[[Example, int], str] = user_message


TEMPLATES: Registry[Template] = Registry("prompt template")
for _template in (
    Template("medu1", lambda task: INTERNAL_DIALOGUE_SYSTEM, "Med-U1 internal-dialogue system prompt, every task"),
    Template(
        "medu1_released",
        lambda task: MEDU1_MCQA_SYSTEM if task == "mcqa" else INTERNAL_DIALOGUE_SYSTEM,
        "as Med-U1's released parquets: older R1-style prompt for multiple choice",
    ),
    Template("r1", lambda task: R1_SYSTEM, "DeepSeek-R1-Zero style system prompt (MED-RLVR)"),
    Template(
        "r1zero",
        lambda task: R1ZERO_SYSTEM,
        "Medical R1-Zero's system prompt and 'Answer Choices: (A) ...' user turn",
        r1zero_user_message,
    ),
):
    TEMPLATES.add(_template.name, _template)


def answer_instruction(example: Example) -> str:
    """The instruction for the Example's answer format."""
    if example.output_type == "letter":
        return LETTER_INSTRUCTION
    if example.task == "calc":
        return NUMERIC_INSTRUCTION
    labels = example.meta.get("labels")
    if labels:
        return LABEL_INSTRUCTION.format(labels=", ".join(labels))
    return TEXT_INSTRUCTION


def question_body(example: Example) -> str:
    """The question followed by its options as ``A: text`` lines (Med-U1's layout)."""
    if not example.options:
        return example.question
    return example.question + "\n" + "\n".join(f"{k}: {v}" for k, v in example.options.items())


def messages(example: Example, num_tokens: int, template: str = "medu1") -> list[dict[str, str]]:
    """System + user chat messages for verl (the chat template is applied by verl)."""
    layout = TEMPLATES.get(template)
    return [
        {"role": "system", "content": layout.system_for(example.task)},
        {"role": "user", "content": layout.user(example, num_tokens)},
    ]
