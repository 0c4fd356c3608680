"""``medu1 analyze`` on synthetic verl dumps and eval runs: per-step tables, alarms, bad lines, memory."""

from __future__ import annotations

import csv
import json
import tracemalloc
from pathlib import Path

import pytest
from synthetic_rollouts import CONCISE, RISING_PATTERNS, STAGE_EXAMPLES, verl_line, write_dump

from med_u1.analysis.aggregate import PATTERNS
from med_u1.analysis.analyze import run_analyze
from med_u1.analysis.behaviour import STAGES
from med_u1.cli import main as medu1_main


def read_steps(out: Path) -> dict:
    return json.loads((out / "steps.json").read_text())


def test_stage_distribution_per_step_and_one_example_per_stage(tmp_path: Path) -> None:
    dump = write_dump(tmp_path / "val", {1: list(STAGE_EXAMPLES.values()), 2: [CONCISE] * 4})
    out = tmp_path / "out"
    assert medu1_main(["analyze", str(dump), "--out", str(out)]) == 0
    report = read_steps(out)
    first, second = report["steps"]
    assert (first["series"], first["step"], first["responses"]) == ("val", 1, 6)
    assert all(first[f"stage:{stage}"] == pytest.approx(1 / 6) for stage in STAGES)
    assert second["stage:concise structurer"] == 1.0
    assert first["self_verification_rate"] == pytest.approx(1 / 6)
    assert first["format_rate"] == pytest.approx(5 / 6)
    assert first["format_failures"] == {"no think block": 1}
    assert first["mean_tokens"] == pytest.approx(sum(len(t.split()) for t in STAGE_EXAMPLES.values()) / 6)
    assert first["accuracy"] == 1.0 and first["mean_reward"] == 1.0
    assert set(report["examples"]) == set(STAGES)
    assert report["examples"]["verbose formatter"]["where"].endswith("1.jsonl:2")
    summary = (out / "summary.md").read_text()
    for stage in STAGES:
        assert f"### {stage}" in summary
    assert STAGE_EXAMPLES["direct-answer hacker"] in summary
    with (out / "steps.csv").open() as handle:
        assert [row["label"] for row in csv.DictReader(handle)] == ["1", "2"]
    with (out / "responses.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["stage"] for row in rows[:6]] == list(STAGES)
    assert {p.name for p in (out / "plots").iterdir()} == {"stages.png", "behaviour.png"}


@pytest.mark.parametrize("pattern", sorted(RISING_PATTERNS))
def test_a_rising_hacking_pattern_raises_its_alarm(tmp_path: Path, pattern: str) -> None:
    before, after, budget = RISING_PATTERNS[pattern]
    dump = write_dump(tmp_path / "rollouts", {1: before, 2: after}, budget=budget)
    analysis = run_analyze([dump], tmp_path / "out", plots=False)
    alarms = analysis.alarms()
    assert [(a["pattern"], a["step"]) for a in alarms] == [(pattern, 2)]
    assert alarms[0]["rate"] == pytest.approx(0.6) and alarms[0]["lowest_earlier_rate"] == 0.0


def test_a_steady_pattern_does_not_alarm(tmp_path: Path) -> None:
    _, after, budget = RISING_PATTERNS["hedged_answer"]
    dump = write_dump(tmp_path / "rollouts", {1: after, 2: after}, budget=budget)  # 60% at both steps
    assert run_analyze([dump], tmp_path / "out", plots=False).alarms() == []
    assert set(read_steps(tmp_path / "out")["alarm_rule"]["patterns"]) == set(PATTERNS)


def test_malformed_lines_are_reported_with_file_and_line_and_the_rest_counted(tmp_path: Path, capsys) -> None:
    dump = tmp_path / "val"
    dump.mkdir()
    good = json.dumps(verl_line(CONCISE, 3, acc=1.0))
    lines = [good, '{"input": "truncated', good, '{"input": "no output", "step": 3}', "[1, 2]", good]
    (dump / "3.jsonl").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    assert medu1_main(["analyze", str(dump), "--out", str(out), "--no-plots"]) == 0
    assert "3 responses in 1 steps, 3 bad lines skipped" in capsys.readouterr().out
    report = read_steps(out)
    assert report["steps"][0]["responses"] == 3
    where = [bad["where"] for bad in report["bad_lines"]["listed"]]
    assert where == [f"{dump / '3.jsonl'}:{n}" for n in (2, 4, 5)]
    assert "not JSON" in report["bad_lines"]["listed"][0]["reason"]
    assert f"{dump / '3.jsonl'}:2" in (out / "summary.md").read_text()


def test_eval_run_directories_join_generations_and_scores(tmp_path: Path) -> None:
    runs = []
    for name, acc in (("ckpt-100", 0.0), ("ckpt-200", 1.0)):
        run = tmp_path / name
        run.mkdir()
        generations, scores = [], []
        for sample in range(3):
            key = {"benchmark": "MedQA", "item_id": "q1", "sample_index": sample, "budget": 64}
            generations.append({**key, "prompt": "Which artery? Think for 64 tokens.", "response": CONCISE,
                                "prompt_tokens": 30, "response_tokens": 40, "finish_reason": "stop", "extra": 1})
            scores.append({**key, "score": 1.5 * acc, "acc": acc, "format": 1.0, "pred": "B"})
        (run / "generations.jsonl").write_text("".join(json.dumps(g) + "\n" for g in generations))
        (run / "scores.jsonl").write_text("".join(json.dumps(s) + "\n" for s in reversed(scores)))
        runs.append(run)
    out = tmp_path / "out"
    assert medu1_main(["analyze", *map(str, runs), "--out", str(out), "--no-plots"]) == 0
    first, second = read_steps(out)["steps"]
    assert (first["series"], first["label"], second["label"]) == ("eval", "ckpt-100", "ckpt-200")
    assert (first["accuracy"], second["accuracy"], second["mean_reward"]) == (0.0, 1.0, 1.5)
    assert second["mean_tokens"] == 40 and second["tokens_counted"] == "given"
    assert second["budget_exact_deviation"] == pytest.approx(24 / 64)
    assert second["truncated_rate"] == 0.0 and second["data_sources"] == {"MedQA": 3}


def test_dump_folders_of_the_same_name_stay_apart(tmp_path: Path) -> None:
    first = write_dump(tmp_path / "run-a" / "validation", {1: [CONCISE] * 2})
    second = write_dump(tmp_path / "run-b" / "validation", {1: [CONCISE] * 3})
    analysis = run_analyze([first, second], tmp_path / "out", plots=False)
    counts = {series: stats.responses for (series, _), stats in analysis.steps.items()}
    assert counts == {"validation": 2, "run-b/validation": 3}


def test_missing_input_is_one_clear_error(tmp_path: Path, capsys) -> None:
    assert medu1_main(["analyze", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 2
    assert "nowhere: no such file or folder" in capsys.readouterr().err


def peak_memory_of_analysis(tmp_path: Path, lines: int) -> int:
    """Peak traced memory of analysing a dump of ``lines`` responses (about 0.9 KB each)."""
    dump = tmp_path / f"dump-{lines}"
    dump.mkdir()
    texts = [json.dumps(verl_line(text, 1, acc=1.0)) + "\n" for text in STAGE_EXAMPLES.values()]
    with (dump / "1.jsonl").open("w") as handle:
        for number in range(lines):
            handle.write(texts[number % len(texts)])
    tracemalloc.start()
    try:
        analysis = run_analyze([dump], tmp_path / f"out-{lines}", plots=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert analysis.steps[("dump-" + str(lines), 1)].responses == lines
    return peak


@pytest.mark.slow  # tracemalloc over 11,000 responses
def test_memory_does_not_grow_with_the_dump(tmp_path: Path) -> None:
    peak_memory_of_analysis(tmp_path, 50)  # imports and compiled patterns, once
    small = peak_memory_of_analysis(tmp_path, 1_000)
    large = peak_memory_of_analysis(tmp_path, 10_000)  # 10x the lines (9 MB), same peak
    assert large < 1.25 * small + 64_000
    assert large < 2_000_000
