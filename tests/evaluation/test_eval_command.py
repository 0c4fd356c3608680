"""`medu1 eval` end to end with the tiny local model on parquets built from the shared dev records."""

from __future__ import annotations

import json
import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from med_u1.cli import main as medu1_main
from med_u1.evaluation.items import load_items
from med_u1.evaluation.rundir import key_of

REPO_ROOT = Path(__file__).resolve().parents[2]
RUN_FILES = ("config.json", "generations.jsonl", "scores.jsonl", "metrics.json", "report.md")


def eval_argv(model: Path, data: Path, out: Path, *extra: str) -> list[str]:
    return ["eval", "--model", str(model), "--data", str(data), "--out", str(out), *extra]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def swept_run(tiny_model: Path, bench_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two benchmarks, two items, two sampled answers, two budgets (16 short generations)."""
    out = tmp_path_factory.mktemp("swept") / "run"
    argv = eval_argv(tiny_model, bench_dir, out, "--benchmarks", "mediq,medcalc", "--limit", "2", "--n", "2",
                     "--temperature", "1.0", "--seed", "3", "--max_tokens", "12", "--num_tokens", "8,-4",
                     "--batch_size", "4")
    assert medu1_main(argv) == 0
    return out


def test_run_directory_is_complete(swept_run: Path) -> None:
    for name in RUN_FILES:
        assert (swept_run / name).is_file(), name
    config = json.loads((swept_run / "config.json").read_text())
    assert config["sampling"] == {"temperature": 1.0, "top_p": 1.0, "max_tokens": 12, "n": 2, "seed": 3}
    assert config["num_tokens"] == [8, -4] and config["backend"] == "hf" and config["answer_from"] == "any"
    assert set(config["inputs"]) == {"mediq", "medcalc"}
    assert all(len(entry["sha256"]) == 64 and entry["rows"] == 2 for entry in config["inputs"].values())
    assert config["versions"]["transformers"] and config["versions"]["torch"]

    generations = read_jsonl(swept_run / "generations.jsonl")
    keys = [key_of(row) for row in generations]
    assert len(keys) == len(set(keys)) == 2 * 2 * 2 * 2
    assert {row["budget"] for row in generations} == {8, -4}
    for row in generations:
        assert row["extra_info"]["num_tokens"] == row["budget"]  # the verifiers see the requested budget
        assert 1 <= row["response_tokens"] <= 12 and row["prompt_tokens"] > 50
        assert row["finish_reason"] in ("stop", "length")
    scores = read_jsonl(swept_run / "scores.jsonl")
    assert [key_of(row) for row in scores] == keys
    assert all({"score", "acc", "format", "length", "pred"} <= set(row) for row in scores)

    results = json.loads((swept_run / "metrics.json").read_text())["results"]
    assert {(r["benchmark"], r["budget"]) for r in results} == {(b, n) for b in ("mediq", "medcalc") for n in (8, -4)}
    for record in results:
        assert record["items"] == 2 and record["generations"] == 4
        assert {"pass@1", "pass@2", "maj@1", "maj@2", "accuracy_ci95", "format_rate", "unparseable_rate"} <= set(record)
        if record["budget"] == 8:
            assert record["exact_budget_relative_error"] is not None and record["max_budget_violation_rate"] is None
        else:
            assert record["max_budget_violation_rate"] is not None and record["exact_budget_relative_error"] is None
    report = (swept_run / "report.md").read_text()
    assert "MediQ" in report and "MedCalc-Bench" in report and "@8" in report and "@-4" in report
    plots = sorted(p.name for p in (swept_run / "plots").glob("*.png"))
    assert plots == ["accuracy_per_benchmark.png", "accuracy_vs_budget.png", "length_vs_budget.png"]


def test_a_budget_sweep_rewrites_the_prompt_budget(bench_dir: Path) -> None:
    item = load_items(bench_dir / "mediq_test.parquet", limit=1)[0]
    original = item.messages[-1]["content"]
    assert "Think for" not in original
    exact, maximum = item.with_budget(512), item.with_budget(-256)
    assert exact.messages[-1]["content"].endswith(" Think for 512 tokens.")
    assert maximum.messages[-1]["content"].endswith(" Think for maximum 256 tokens.")
    assert maximum.with_budget(100).messages[-1]["content"].endswith("tags. Think for 100 tokens.")
    assert exact.extra_info["num_tokens"] == 512 and "num_tokens" not in exact.reward_model  # one home
    assert item.with_budget(None) is item


def test_different_sampling_is_refused_naming_the_difference(swept_run: Path, tiny_model: Path, bench_dir: Path, capsys) -> None:
    argv = eval_argv(tiny_model, bench_dir, swept_run, "--benchmarks", "mediq,medcalc", "--limit", "2", "--n", "2",
                     "--temperature", "0.5", "--seed", "3", "--max_tokens", "12", "--num_tokens", "8,-4")
    before = (swept_run / "generations.jsonl").read_bytes()
    assert medu1_main(argv) == 2
    error = capsys.readouterr().err
    assert "sampling.temperature: 1.0 -> 0.5" in error and "--overwrite" in error
    assert (swept_run / "generations.jsonl").read_bytes() == before


def test_overwrite_replaces_the_run(tiny_model: Path, bench_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert medu1_main(eval_argv(tiny_model, bench_dir, out, "--benchmarks", "mediq", "--limit", "2", "--max_tokens", "2")) == 0
    other = eval_argv(tiny_model, bench_dir, out, "--benchmarks", "mediq", "--limit", "1", "--max_tokens", "3")
    assert medu1_main(other) == 2
    assert medu1_main([*other, "--overwrite"]) == 0
    generations = read_jsonl(out / "generations.jsonl")
    assert len(generations) == 1 and json.loads((out / "config.json").read_text())["sampling"]["max_tokens"] == 3


def test_bad_benchmarks_are_named_and_the_others_still_run(tiny_model: Path, bench_dir: Path, tmp_path: Path, capsys) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "mediq_test.parquet").write_bytes((bench_dir / "mediq_test.parquet").read_bytes())
    (data / "broken_test.parquet").write_text("not a parquet file")
    table = pq.read_table(bench_dir / "mediq_test.parquet")
    sources = pa.array(["MyBench"] * table.num_rows)
    pq.write_table(table.set_column(table.column_names.index("data_source"), "data_source", sources),
                   data / "mine_test.parquet")
    out = tmp_path / "run"
    argv = eval_argv(tiny_model, data, out, "--benchmarks", "mediq,broken,medqa,mine", "--limit", "1", "--max_tokens", "2")
    assert medu1_main(argv) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("medu1: error: 3 benchmark(s) not evaluated")
    assert "broken: " in error and "broken_test.parquet: not a readable parquet file" in error
    assert "medqa: file not found" in error and "medqa_test.parquet" in error
    assert "mine: " in error and "unknown data_source 'MyBench'" in error
    assert [row["benchmark"] for row in read_jsonl(out / "generations.jsonl")] == ["mediq"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["failed"]) == {"broken", "medqa", "mine"} and metrics["results"][0]["benchmark"] == "mediq"


def test_an_unknown_reward_knob_stops_before_generating(tiny_model: Path, bench_dir: Path, tmp_path: Path, capsys) -> None:
    argv = eval_argv(tiny_model, bench_dir, tmp_path / "run", "--benchmarks", "mediq", "--knob", "open_metrik=bleu")
    assert medu1_main(argv) == 2
    assert "unknown reward knob(s) ['open_metrik']" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_vllm_backend_without_vllm_is_a_clear_error(tiny_model: Path, bench_dir: Path, tmp_path: Path, capsys) -> None:
    if importlib.util.find_spec("vllm") is not None:  # never start the real engine inside the test process
        pytest.skip("vLLM is installed here")
    argv = eval_argv(tiny_model, bench_dir, tmp_path / "run", "--benchmarks", "mediq", "--limit", "1", "--backend", "vllm")
    assert medu1_main(argv) == 2
    assert "the vllm backend needs vLLM" in capsys.readouterr().err


def start_eval(argv: list[str], stderr: int = subprocess.DEVNULL) -> subprocess.Popen:
    """``medu1 eval`` in its own process and session, as a user or a batch job starts it."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen([sys.executable, "-m", "med_u1.cli", *argv], env=env, cwd=REPO_ROOT,
                            stdout=subprocess.DEVNULL, stderr=stderr, text=True, start_new_session=True)


def wait_for_lines(process: subprocess.Popen, path: Path, lines: int, seconds: float = 240) -> None:
    """Until ``path`` has ``lines`` complete lines; the process must still be running then."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        if path.is_file() and path.read_bytes().count(b"\n") >= lines:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run finished before it could be interrupted"
    assert path.is_file() and path.read_bytes().count(b"\n") >= lines, f"no {lines} lines in {path} after {seconds} s"


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_same_files(tiny_model: Path, bench_dir: Path, tmp_path: Path) -> None:
    common = ["--benchmarks", "mediq,medxpertqa", "--limit", "3", "--n", "2", "--temperature", "1.0", "--seed", "7",
              "--max_tokens", "24", "--batch_size", "2"]
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    assert medu1_main(eval_argv(tiny_model, bench_dir, whole, *common)) == 0

    process = start_eval(eval_argv(tiny_model, bench_dir, resumed, *common))
    generations = resumed / "generations.jsonl"
    wait_for_lines(process, generations, 3)
    process.send_signal(signal.SIGKILL)
    process.wait()
    written = generations.read_bytes().count(b"\n")
    assert 3 <= written < 12
    with generations.open("a", encoding="utf-8") as handle:  # a write cut off by the kill
        handle.write('{"benchmark": "mediq", "item_id": "medu1:te')

    assert medu1_main(eval_argv(tiny_model, bench_dir, resumed, *common)) == 0
    for name in ("generations.jsonl", "scores.jsonl", "metrics.json"):
        assert (resumed / name).read_bytes() == (whole / name).read_bytes(), name
    config = [json.loads((d / "config.json").read_text()) for d in (whole, resumed)]
    assert config[0] == config[1]
    assert medu1_main(eval_argv(tiny_model, bench_dir, resumed, *common)) == 0  # finished: nothing generated again
    assert (resumed / "generations.jsonl").read_bytes() == (whole / "generations.jsonl").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("signum,to_group", [(signal.SIGINT, False), (signal.SIGTERM, True)])
def test_a_stop_signal_ends_the_run_with_one_line_and_the_rerun_resumes(tiny_model: Path, bench_dir: Path,
                                                                          tmp_path: Path, signum: int,
                                                                          to_group: bool) -> None:
    """Ctrl-C, or SIGTERM to the process group (a scheduler's stop; SIGHUP and SIGTERM to the command
    alone take the same path: tests/test_processes.py, tests/training/cpu/test_stop.py)."""
    out = tmp_path / "run"
    argv = eval_argv(tiny_model, bench_dir, out, "--benchmarks", "mediq", "--limit", "6", "--max_tokens", "24",
                     "--batch_size", "1")
    process = start_eval(argv, stderr=subprocess.PIPE)
    generations = out / "generations.jsonl"
    wait_for_lines(process, generations, 1)
    if to_group:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signum
    what = "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
    assert stderr.strip().splitlines()[-1].startswith(f"medu1: {what}; run the same command again to resume")
    written = len(read_jsonl(generations))
    assert 1 <= written < 6
    assert medu1_main(argv) == 0
    assert len(read_jsonl(generations)) == 6


def test_a_model_that_fails_to_load_leaves_no_run_folder(tiny_model: Path, bench_dir: Path, tmp_path: Path,
                                                         capsys) -> None:
    out = tmp_path / "run"
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("not JSON", encoding="utf-8")
    assert medu1_main(eval_argv(broken, bench_dir, out, "--benchmarks", "mediq", "--limit", "1")) == 2
    assert "cannot load model" in capsys.readouterr().err
    assert not out.exists()
    assert medu1_main(eval_argv(tiny_model, bench_dir, out, "--benchmarks", "mediq", "--limit", "1", "--max_tokens", "2")) == 0
    assert json.loads((out / "config.json").read_text())["model"] == str(tiny_model)


def test_a_failed_load_into_an_existing_folder_keeps_the_folder_and_removes_the_config(bench_dir: Path, tmp_path: Path,
                                                                                      capsys) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("not JSON", encoding="utf-8")
    assert medu1_main(eval_argv(broken, bench_dir, out, "--benchmarks", "mediq", "--limit", "1")) == 2
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("model, message", [
    ("outputs/nosuch-model", "--model outputs/nosuch-model: no such model folder (give a local folder or a Hub id "
                             "such as Qwen/Qwen2.5-3B-Instruct)"),
    ("./nosuch", "--model ./nosuch: no such model folder (give a local folder or a Hub id such as Qwen/Qwen2.5-3B-Instruct)"),
    ("outputs", "--model outputs: not a Hugging Face model folder (no config.json)"),
    ("notes.txt", "--model notes.txt: a file, not a model folder"),
])
@pytest.mark.parametrize("dry_run", [False, True])
def test_a_path_like_model_that_is_not_a_model_is_one_line_at_once(bench_dir: Path, tmp_path: Path, monkeypatch, capsys,
                                                                   model: str, message: str, dry_run: bool) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "outputs").mkdir()
    (tmp_path / "notes.txt").write_text("not a model", encoding="utf-8")
    argv = ["eval", "--model", model, "--data", str(bench_dir), "--out", "outputs/eval/run", "--benchmarks", "mediq"]
    assert medu1_main([*argv, "--dry-run"] if dry_run else argv) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"medu1: error: {message}"]
    assert not (tmp_path / "outputs" / "eval").exists()


def test_the_dry_run_prepares_the_folder_as_the_real_run_does(tiny_model: Path, bench_dir: Path, tmp_path: Path,
                                                                capsys) -> None:
    """A folder with a config but no generations (an earlier run stopped before its first one)
    is taken over by the real run, so the dry run plans a new run there instead of refusing."""
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.json").write_text(json.dumps({"model": "another-model", "backend": "hf"}), encoding="utf-8")
    argv = eval_argv(tiny_model, bench_dir, out, "--benchmarks", "mediq", "--limit", "1", "--max_tokens", "2")
    assert medu1_main([*argv, "--dry-run"]) == 0
    assert f"run directory: {out} (new)" in capsys.readouterr().out
    assert json.loads((out / "config.json").read_text())["model"] == "another-model"  # the dry run wrote nothing
    assert medu1_main(argv) == 0
    assert json.loads((out / "config.json").read_text())["model"] == str(tiny_model)
    assert medu1_main([*argv, "--dry-run"]) == 0
    assert "(1 items, 1 generations, 1 done)" in capsys.readouterr().out


def test_a_missing_data_path_is_named(tiny_model: Path, tmp_path: Path, capsys) -> None:
    assert medu1_main(eval_argv(tiny_model, tmp_path / "processed_dat", tmp_path / "run")) == 2
    assert f"--data {tmp_path / 'processed_dat'}: no such file or folder" in capsys.readouterr().err
