"""Every loader on official-format fixtures (invented text) and on the shared Med-U1 dev records."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from data_helpers import DEV_FILES, FIXTURES, shared_records
from med_u1.data import prompts
from med_u1.data.loading import load_examples
from med_u1.data.record import RecordError
from med_u1.data.sources import SOURCES, get_source
from med_u1.data.sources.gpqa import shuffled_options
from med_u1.rewards.medcalc import infer_output_type

# (loader, fixture, data_source, examples kept, left out of the subset, first answer, output types)
FIXTURE_CASES = [
    ("medqa", "medqa_4_options.jsonl", "MedQA", 4, 0, "A", {"letter"}),
    ("medqa", "medqa_5_options.jsonl", "MedQA", 3, 0, "B", {"letter"}),
    ("medxpertqa", "medxpertqa_text.jsonl", "MedXpertQA", 4, 0, "C", {"letter"}),
    ("medcalc", "medcalc_official.csv", "MedCalc-Bench", 4, 0, "68.056", {"decimal", "integer", "date", "tuple"}),
    ("mediq", "mediq_official.jsonl", "MedIQ", 3, 0, "B", {"letter"}),
    ("ehrnoteqa", "ehrnoteqa_invented.jsonl", "EHRNoteQA", 2, 0, "B", {"letter"}),
    ("medical_o1", "medical_o1_official.json", "medical-o1-reasoning-SFT", 2, 0,
     "They lack the invented vitamin Q, which keeps fictional leaves green.", {"text"}),
    ("mmlu_pro", "mmlu_pro.jsonl", "MMLU-Pro", 2, 1, "B", {"letter"}),
    ("pubmedqa", "pubmedqa_ori_pqal.json", "PubMedQA", 3, 0, "yes", {"text"}),
    ("medmcqa", "medmcqa_dev.json", "MedMCQA", 3, 0, "B", {"letter"}),
    ("gpqa", "gpqa_invented.csv", "GPQA", 2, 1, None, {"letter"}),
]


@pytest.mark.parametrize("loader, fixture, source, kept, left_out, first_answer, types", FIXTURE_CASES)
def test_official_format_fixture_loads(loader, fixture, source, kept, left_out, first_answer, types):
    result = load_examples(loader, str(FIXTURES / fixture), "test")
    assert len(result.examples) == kept and result.out_of_subset == left_out
    assert {e.source for e in result.examples} == {source}
    assert {e.output_type for e in result.examples} == types
    assert len({e.uid for e in result.examples}) == kept
    if first_answer is not None:
        assert result.examples[0].answer == first_answer


def test_every_loader_has_a_fixture_case():
    assert {case[0] for case in FIXTURE_CASES} | {"medu1"} == set(SOURCES)


def test_medqa_5_options_and_difficulty():
    example = load_examples("medqa", str(FIXTURES / "medqa_5_options.jsonl"), "train").examples[0]
    assert list(example.options) == list("ABCDE") and example.meta["difficulty"] == "step1"


def test_medcalc_official_limits_and_gestational_tuple():
    examples = load_examples("medcalc", str(FIXTURES / "medcalc_official.csv"), "test").examples
    assert (examples[0].lower_limit, examples[0].upper_limit) == ("64.653", "71.459")
    assert examples[3].answer == "('18 weeks', '6 days')" and examples[3].meta["calculator_id"] == "69"
    assert examples[0].question.startswith("<Context> A fictional 70-year-old")


def test_pubmedqa_labels_reach_the_prompt():
    example = load_examples("pubmedqa", str(FIXTURES / "pubmedqa_ori_pqal.json"), "test").examples[1]
    assert example.answer == "no" and example.uid == "pubmedqa:test:90000002"
    assert "one of yes, no, maybe within the <answer>" in prompts.user_message(example, -1)


def test_medmcqa_official_cop_is_one_based():
    answers = [e.answer for e in load_examples("medmcqa", str(FIXTURES / "medmcqa_dev.json"), "validation").examples]
    assert answers == ["B", "D", "A"]


def test_ehrnoteqa_notes_become_context_and_text_answers_map_to_letters():
    examples = load_examples("ehrnoteqa", str(FIXTURES / "ehrnoteqa_invented.jsonl"), "test").examples
    assert examples[0].question.startswith("<Context>[note 1 start]\nInvented note one")
    assert "[note 2 start]" in examples[0].question and examples[1].answer == "C"


def test_gpqa_shuffle_is_stable_and_keeps_the_correct_answer():
    examples = load_examples("gpqa", str(FIXTURES / "gpqa_invented.csv"), "test").examples
    assert examples[0].options[examples[0].answer] == "Residue Lumina-7"
    options, letter = shuffled_options(["right", "w1", "w2", "w3"], "recX")
    assert (options, letter) == shuffled_options(["right", "w1", "w2", "w3"], "recX")
    assert options[letter] == "right"


@pytest.mark.parametrize(
    "line, field",
    [
        ('{"question": "q", "options": {"A": "x", "B": "y"}, "answer_idx": "E"}', "answer_idx"),
        ('{"question": "q", "answer_idx": "A"}', "options"),
        ('{"question": "q", "options": {"A": "x", "B": "y"}, "answer_idx": "A", "answer": "y"}', "answer"),
        ('{"question": "q", "options": {"A": "x"', "(json)"),
    ],
)
def test_bad_medqa_line_names_file_line_and_field(tmp_path, line, field):
    path = tmp_path / "bad.jsonl"
    path.write_text((FIXTURES / "medqa_4_options.jsonl").read_text() + line + "\n")
    with pytest.raises(RecordError) as caught:
        load_examples("medqa", str(path), "test")
    assert (caught.value.file, caught.value.line, caught.value.field) == (str(path), "line 5", field)
    result = load_examples("medqa", str(path), "test", skip_invalid=True)
    assert len(result.examples) == 4 and [e.line for e in result.invalid] == ["line 5"]


def test_non_numeric_medcalc_limit_names_csv_line(tmp_path):
    text = (FIXTURES / "medcalc_official.csv").read_text().replace("64.653", "about 64")
    (tmp_path / "calc.csv").write_text(text)
    with pytest.raises(RecordError) as caught:
        load_examples("medcalc", str(tmp_path / "calc.csv"), "test")
    assert (caught.value.line, caught.value.field) == ("line 2", "lower_limit")


def test_missing_column_is_named(tmp_path):
    rows = [json.loads(line) for line in (FIXTURES / "mmlu_pro.jsonl").read_text().splitlines()]
    del rows[1]["options"]
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    with pytest.raises(RecordError, match=r"m.jsonl, line 2, field 'options': is missing"):
        load_examples("mmlu_pro", str(tmp_path / "m.jsonl"), "test")


def test_unknown_dataset_lists_known_ones():
    with pytest.raises(KeyError, match="known datasets: medqa, medxpertqa"):
        get_source("medqa_usmle")


def test_missing_local_file_is_not_sent_to_the_hub(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_examples("medqa", str(tmp_path / "absent.jsonl"), "test")


@pytest.mark.parametrize("name", DEV_FILES)
def test_medu1_rows_rebuild_byte_identical_prompts(dev_raw_files, name):
    """Parsed back and re-rendered, every shared Med-U1 row gives its original Qwen prompt."""
    records = shared_records(name)
    examples = load_examples("medu1", str(dev_raw_files[name]), "train").examples
    assert len(examples) == len(records) == 200
    for record, example in zip(records, examples):
        row = record["processed"] or record["raw"]
        system, user = prompts.messages(example, record["num_tokens"], "medu1_released")
        rendered = (
            f"<|im_start|>system\n{system['content']}<|im_end|>\n<|im_start|>user\n{user['content']}<|im_end|>\n"
            "<|im_start|>assistant\n"
        )
        assert rendered == row["prompt"][0]["content"]
        assert example.answer == record["ground_truth"].strip() and example.source == record["data_source"]
        assert (example.lower_limit, example.upper_limit) == (record["lower_limit"], record["upper_limit"])


def test_medcalc_output_types_inferred_from_answers_and_limits(dev_raw_files):
    examples = load_examples("medu1", str(dev_raw_files["medcalc_bench"]), "test").examples
    assert Counter(e.output_type for e in examples) == {"decimal": 111, "integer": 73, "date": 12, "tuple": 4}
    for example in examples:
        if example.output_type == "integer":
            assert example.lower_limit == example.upper_limit and float(example.answer) == float(example.lower_limit)


@pytest.mark.parametrize(
    "answer, lower, upper, expected",
    [("10/26/2023", "10/26/2023", "10/26/2023", "date"), ("('0 weeks', '6 days')", None, None, "tuple"),
     ("3", "3", "3", "integer"), ("3", "2.85", "3.15", "decimal"), ("2.5", "2.5", "2.5", "decimal")],
)
def test_infer_output_type(answer, lower, upper, expected):
    assert infer_output_type(answer, lower, upper) == expected
