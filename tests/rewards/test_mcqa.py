"""Multiple-choice verifier: accepted answer forms, ambiguity, option text, word labels."""

import pytest

from med_u1.rewards import compute_score
from med_u1.rewards.contract import Reference, RewardConfig
from med_u1.rewards.default import MAX_BARE_LINE_CHARS
from med_u1.rewards.mcqa import clean_options, options_from_prompt, parse_choice, verify_mcqa

LETTERS = tuple("ABCDEFGHIJ")
OPTIONS = {"A": "Aspirin", "B": "Muscarinic antagonist", "C": "Beta blocker", "D": "Calcium channel blocker"}


@pytest.mark.parametrize(
    "answer",
    ["B", "B.", "(B)", "b", "Option B", "option b", "\\boxed{B}", "B: Muscarinic antagonist",
     "B. Muscarinic antagonist", "(B) Muscarinic antagonist", "The answer is B", "Answer: B",
     "The correct answer is (B).", "**B**", " B ", "\\boxed{\\text{B}}", "Muscarinic antagonist",
     "muscarinic antagonist."],
)
def test_accepted_forms_name_the_letter(answer):
    assert parse_choice(answer, tuple(OPTIONS), OPTIONS) == "B"


@pytest.mark.parametrize("answer", ["A or B", "ABCD", "A, B", "A and B", "B, C", "", "K", "none of these", "B: Beta blocker"])
def test_ambiguous_or_foreign_answers_name_nothing(answer):
    assert parse_choice(answer, tuple(OPTIONS), OPTIONS) is None


def test_option_text_needs_known_options():
    assert parse_choice("Muscarinic antagonist", LETTERS, {}) is None


@pytest.mark.parametrize("answer,expected", [("yes", True), ("Yes, because the trial was randomised.", True),
                                             ("The answer is yes", True), ("no", False), ("yes or no", False), ("maybe", False)])
def test_word_labels_such_as_pubmedqa(answer, expected):
    verdict = verify_mcqa(answer, Reference(ground_truth="yes"), RewardConfig())
    assert verdict.correct is expected


def test_options_given_as_list_or_dict_with_nulls():
    assert clean_options(["x", "y"]) == {"A": "x", "B": "y"}
    assert clean_options({"A": "x", "B": None, "c": "z"}) == {"A": "x", "C": "z"}


def test_letters_beyond_j_follow_the_ground_truth():
    verdict = verify_mcqa("L", Reference(ground_truth="L"), RewardConfig())
    assert verdict.correct


CORRECT_FORMS = {"mcq_correct", "mcq_letter_paren", "mcq_letter_dot", "mcq_boxed", "mcq_lowercase", "mcq_option_word",
                 "mcq_letter_with_text", "mcq_correct_padded", "mcq_sentence", "mcq_option_text_only"}


def test_bench_mcqa_answers_are_judged_by_their_letter(bench_responses):
    """On the real MediQ/MedXpertQA rollouts every correct-letter form counts and wrong ones do not."""
    checked = 0
    for row in bench_responses:
        if row["task"] != "mcqa" or row["structure"] in ("truncated", "no_answer_tags", "empty_answer"):
            continue
        options = options_from_prompt(row["solution_str"][: row["response_offset"]])
        result = compute_score(row["data_source"], row["solution_str"], row["kwargs"]["ground_truth"], {"options": options})
        expected = 1.0 if row["variant"] in CORRECT_FORMS else 0.0
        assert result["acc"] == expected, (row["bench_id"], row["variant"], result["pred"])
        checked += 1
    assert checked > 800


@pytest.mark.parametrize("truth", ["A", "c", "J", "K", "Z", "5", " B "])
def test_a_bare_letter_gets_the_verdict_of_the_parsed_form(truth):
    """Bare letters skip parsing; the verdict must be the one ``(x)`` gets through the parser."""
    config = RewardConfig()
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz":
        fast = verify_mcqa(letter, Reference(truth), config)
        parsed = verify_mcqa(f"({letter})", Reference(truth), config)
        assert fast == parsed, letter


def test_lower_case_letters_changes_of_mind_and_conjunctions_on_real_questions(mcqa_dev_records):
    """The forms models write, built from each dev question's own options, judged as a grader would."""
    checked = 0
    for record in mcqa_dev_records:
        prompt = record["raw"]["prompt"][-1]["content"]
        options = options_from_prompt(prompt)
        truth = record["ground_truth"]
        other = next(label for label in options if label != truth)
        forms = {
            f"The answer is {truth.lower()}": True,
            f"{truth.lower()}) {options[truth].lower()}": True,
            f"{truth.lower()}) {options[other]}": False,
            f"{other.lower()}) {options[other].lower()}": False,
            f"{other}... wait, actually {truth}": True,
            f"The answer is {other.lower()}. Wait, no, the answer is {truth.lower()}.": True,
            f"{truth}... wait, actually {other}": False,
            f"Both {other} and {truth} are correct": False,
            f"{truth} and {other} are both correct": False,
        }
        for answer, expected in forms.items():
            result = compute_score(record["data_source"], f"<think>x</think><answer>{answer}</answer>", truth, {"options": options})
            assert result["acc"] == float(expected), (record["uid"], answer)
            checked += 1
    assert checked == 9 * len(mcqa_dev_records) >= 3600


def untagged_forms(truth: str, other: str, options: dict[str, str]) -> dict[str, bool]:
    """Untagged answers that quote an option's own text, as instruct models write them, and their verdicts."""
    chosen, others = options[truth], options[other]
    listing = "\n".join(f"{label}: {text}" for label, text in options.items())
    return {
        f"{truth}: {chosen}": True,
        f"{truth}. {chosen}": True,
        f"({truth}) {chosen}": True,
        f"**{truth}. {chosen}**": True,
        f"{truth.lower()}) {chosen}": True,
        f"{truth}: {chosen}\n\nExplanation: {other} ({others}) does not fit the history.": True,
        f"{truth}: {chosen}\nOption {other} does not fit the history.": True,
        f"Looking at the history and the findings.\n\n{truth}: {chosen}": True,
        f"{truth}: {chosen}. This option is correct because it fits the history.": True,
        f"{other}: {others}\n\nWait, that does not fit.\n\n{truth}: {chosen}": True,
        f"{other}: {chosen}": False,
        f"{truth}: {others}": False,
        listing: False,
    }


def test_untagged_choices_quoting_their_option_text_on_real_questions(mcqa_dev_records):
    """Baselines answer untagged with a letter and its option's exact text; every such form is read
    however long the text and whatever words it holds (commas, "and", "or", "with", "to", quotes)."""
    checked = long_choices = 0
    for record in mcqa_dev_records:
        options = options_from_prompt(record["raw"]["prompt"][-1]["content"])
        truth = record["ground_truth"]
        other = next(label for label in options if label != truth)
        long_choices += len(f"{truth}: {options[truth]}") > MAX_BARE_LINE_CHARS
        for answer, expected in untagged_forms(truth, other, options).items():
            result = compute_score(record["data_source"], answer, truth, {"options": options}, answer_from="any")
            assert result["acc"] == float(expected), (record["uid"], answer)
            checked += 1
    assert checked == 13 * len(mcqa_dev_records) >= 5200
    assert long_choices >= 100  # longer than a bare last line may be: these were once unparseable
