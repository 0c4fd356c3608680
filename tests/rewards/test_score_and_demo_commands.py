"""``medu1 score`` and ``medu1 demo`` end to end."""

import json

import pytest

from med_u1.cli import main
from med_u1.demo import score_examples
from med_u1.errors import UserError
from med_u1.examples import EXAMPLES


def test_score_command_writes_every_row_with_its_reward(tmp_path, capsys):
    rows = [
        {"data_source": "MedXpertQA", "response": "<think>x</think><answer>(C)</answer>", "ground_truth": "C"},
        {"data_source": "MedCalc-Bench", "response": "<think>x</think><answer>7 points</answer>", "ground_truth": "7",
         "lower_limit": "7", "upper_limit": "7"},
    ]
    source = tmp_path / "responses.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    output = tmp_path / "out" / "scored.jsonl"
    assert main(["score", "--input", str(source), "--output", str(output), "--knob", "format_weight=0"]) == 0
    scored = [json.loads(line) for line in output.read_text().splitlines()]
    assert [row["reward"]["score"] for row in scored] == [1.0, 1.0]
    assert "MedCalc-Bench" in capsys.readouterr().out
    assert not list(output.parent.glob(".*tmp"))


def test_score_command_replays_bench_rows_with_the_reference_preset(tmp_path, bench_responses):
    source = tmp_path / "bench.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in bench_responses[:50]))
    output = tmp_path / "scored.jsonl"
    main(["score", "--input", str(source), "--preset", "medu1", "--output", str(output)])
    scored = [json.loads(line) for line in output.read_text().splitlines()]
    assert [row["reward"]["score"] for row in scored] == pytest.approx([row["ref_score"] for row in bench_responses[:50]])


@pytest.mark.parametrize("content,message", [("{not json\n", "not valid JSON"), ('{"response": "x", "ground_truth": "A"}\n', "data_source"),
                                             ('{"data_source": "Nope", "response": "x", "ground_truth": "A"}\n', "unknown data_source")])
def test_score_command_names_the_bad_line(tmp_path, content, message):
    source = tmp_path / "bad.jsonl"
    source.write_text('{"data_source": "MedQA", "response": "x", "ground_truth": "A"}\n' + content)
    with pytest.raises(UserError) as error:
        main(["-v", "score", "--input", str(source)])
    assert f"{source}:2" in str(error.value) and message in str(error.value)


def test_demo_prints_both_tables(capsys):
    assert main(["demo", "--no-train"]) == 0
    out = capsys.readouterr().out
    assert "medu1 mean score" in out and "letter in parentheses" in out
    assert out.rstrip().endswith("medu1 train --recipe cpu-learn")  # where to watch the policy learn


def test_builtin_examples_show_what_the_default_preset_fixes():
    default = {row["label"]: row for row in score_examples(EXAMPLES)}
    reference = {row["label"]: row for row in score_examples(EXAMPLES, preset="medu1")}
    for label in ("letter in parentheses", "option text only", "number with units", "ISO date", "written out"):
        assert default[label]["acc"] == 1.0 and reference[label]["acc"] == 0.0, label
    for label in ("two letters", "wrong letter", "out of tolerance", "not a number", "unrelated"):
        assert default[label]["acc"] == 0.0, label
    assert default["answer inside think"]["format"] == 0.0
