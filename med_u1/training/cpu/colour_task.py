"""The ``cpu-learn`` task: eight colour options, one named in the question.

"Which option names the colour pink? (A) red (B) blue ... (H) brown" -- the answer is the
letter in front of the colour the question names. Colours are asked uniformly, so a
policy that always gives the same letter scores 1/8: the answer depends on the question.
The options keep one order (a tiny model learns the colour -> letter link in a few dozen
GRPO steps; with options shuffled per question it must learn to match words across the
prompt, which a two-layer model does not learn in minutes even with supervision). Rows
carry ``data_source="MedQA"`` and their ``options``, so the project's multiple-choice
verifier judges them like any MedQA row.
"""

from __future__ import annotations

import copy
import dataclasses
import random
from pathlib import Path

from med_u1.data import rows

COLOURS = ("red", "blue", "green", "yellow", "black", "white", "pink", "brown")
LETTERS = ("A", "B", "C", "D", "E", "F", "G", "H")
DATA_SOURCE = "MedQA"
SYSTEM_PROMPT = "Think inside <think> </think>, then answer inside <answer> </answer>."


@dataclasses.dataclass(frozen=True)
class ColourQuestion:
    """One question: the colour asked for and the options in order."""

    colour: str
    options: tuple[str, ...] = COLOURS

    @property
    def answer(self) -> str:
        return LETTERS[self.options.index(self.colour)]

    @property
    def text(self) -> str:
        listed = " ".join(f"({letter}) {option}" for letter, option in zip(LETTERS, self.options))
        return f"{listed}. Which option names the colour {self.colour}?"


def draw_questions(count: int, seed: int) -> list[ColourQuestion]:
    """``count`` questions asking for colours drawn uniformly (seeded)."""
    rng = random.Random(seed)
    return [ColourQuestion(colour=rng.choice(COLOURS)) for _ in range(count)]


def every_question(repeats: int) -> list[ColourQuestion]:
    """Each colour asked ``repeats`` times (a balanced validation set)."""
    return [ColourQuestion(colour=colour) for colour in COLOURS for _ in range(repeats)]


def prompt_messages(question: ColourQuestion) -> list[dict]:
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": question.text}]


def verl_row(question: ColourQuestion, index: int, split: str) -> dict:
    """A verl parquet row judged by the ``mcqa`` verifier (through data source MedQA)."""
    return rows.verl_row(
        data_source=DATA_SOURCE, messages=prompt_messages(question), ground_truth=question.answer,
        uid=f"colour:{split}:{index}", task="mcqa", split=split, index=index,
        fields={"options": dict(zip(LETTERS, question.options))},
    )


def tagged_response(question: ColourQuestion, letter: str) -> str:
    """A well-formed response that names ``letter``."""
    return f"<think>the colour is {question.colour}</think><answer>{letter}</answer>"


def untagged_response(letter: str) -> str:
    """A response that answers without the think block (fails the format check)."""
    return f"<answer>{letter}</answer>"


def next_letter(letter: str) -> str:
    """The letter after ``letter``, wrapping from the last back to A."""
    return LETTERS[(LETTERS.index(letter) + 1) % len(LETTERS)]


def warm_start_response(question: ColourQuestion, rng: random.Random, tagged_share: float, shifted_share: float) -> str:
    """A warm-start target: the layout (with probability ``tagged_share``) and a wrong or random letter.

    With probability ``shifted_share`` the letter is the one after the right answer (always
    wrong), otherwise it is drawn at random. The warm start so teaches the answer format and
    answers that depend on the question, but not the right answers: the policy starts
    below chance.
    """
    letter = next_letter(question.answer) if rng.random() < shifted_share else rng.choice(LETTERS)
    return tagged_response(question, letter) if rng.random() < tagged_share else untagged_response(letter)


def write_parquet(rows: list[dict], path: Path) -> Path:
    import pandas as pd

    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(copy.deepcopy(rows)).to_parquet(path, index=False)
    return path
