"""``medu1 plot`` on verl metrics as the file logger and the console logger write them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from synthetic_rollouts import RISING_PATTERNS, write_dump

from med_u1.analysis.plots import components_by_source, read_metrics
from med_u1.cli import main as medu1_main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def step_metrics(step: int) -> dict[str, float]:
    metrics = {"critic/score/mean": -0.5 + 0.25 * step, "response_length/mean": 30.0 + 4 * step, "timing_s/step": 3.0}
    for source in ("MedQA", "MedCalc-Bench"):
        metrics[f"val-aux/{source}/score/mean@1"] = 0.1 * step
        metrics[f"val-aux/{source}/format/mean@1"] = 0.2 * step
        metrics[f"val-aux/{source}/length/mean@1"] = -0.01 * step
        metrics[f"val-core/{source}/acc/mean@1"] = 0.05 * step
    return metrics


def write_metrics_jsonl(run: Path, steps: int = 4) -> Path:
    """verl's file logger: ``{"step": N, "data": {...}}`` per line."""
    run.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"step": step, "data": step_metrics(step)}) for step in range(1, steps + 1)]
    (run / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    return run


def console_line(step: int) -> str:
    """verl's console logger through Ray's log prefix, numpy scalars printed as numpy prints them."""
    items = [f"{key}:np.float64({value!r})" for key, value in step_metrics(step).items()]
    return "\x1b[36m(TaskRunner pid=42)\x1b[0m " + " - ".join([f"step:{step}", *items])


def test_console_log_reads_the_same_metrics_as_the_file_logger(tmp_path: Path) -> None:
    run = write_metrics_jsonl(tmp_path / "run")
    log = tmp_path / "train.log"
    log.write_text("\n".join(["Training Progress: 0%", *(console_line(s) for s in range(1, 5)), "done"]) + "\n")
    assert read_metrics(log) == read_metrics(run)
    assert read_metrics(run)[2]["critic/score/mean"] == 0.0


def test_components_are_found_per_data_source(tmp_path: Path) -> None:
    sources = components_by_source(read_metrics(write_metrics_jsonl(tmp_path / "run")))
    assert sorted(sources) == ["MedCalc-Bench", "MedQA"]
    assert sources["MedQA"] == {
        "score": "val-aux/MedQA/score/mean@1",
        "format": "val-aux/MedQA/format/mean@1",
        "length": "val-aux/MedQA/length/mean@1",
        "acc": "val-core/MedQA/acc/mean@1",
    }


def test_plot_writes_reward_length_components_and_stage_pngs(tmp_path: Path, capsys) -> None:
    run = write_metrics_jsonl(tmp_path / "run")
    before, after, _ = RISING_PATTERNS["answer_leak"]
    analysis = tmp_path / "analysis"
    assert medu1_main(["analyze", str(write_dump(tmp_path / "val", {1: before, 2: after})), "--out", str(analysis)]) == 0
    capsys.readouterr()
    out = tmp_path / "plots"
    assert medu1_main(["plot", str(run), "--out", str(out), "--analysis", str(analysis)]) == 0
    names = {"reward_length.png", "components.png", "stages.png"}
    assert {p.name for p in out.iterdir()} == names
    for name in names:
        assert (out / name).read_bytes()[:8] == PNG_MAGIC
    assert capsys.readouterr().out.count("wrote ") == 3


@pytest.mark.parametrize("content", ["", "not metrics\n"])
def test_a_file_without_metrics_is_one_clear_error(tmp_path: Path, capsys, content: str) -> None:
    path = tmp_path / "metrics.jsonl"
    path.write_text(content)
    assert medu1_main(["plot", str(path), "--out", str(tmp_path / "plots")]) == 2
    assert "no verl step metrics found" in capsys.readouterr().err
