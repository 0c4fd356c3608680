"""`medu1 score --out` on our generations, a Med-U1 result file and a verl validation dump;
`medu1 report` over run directories with the published Medical R1-Zero rows."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from med_u1.cli import main as medu1_main
from med_u1.evaluation.backends import render_prompt
from med_u1.evaluation.benchmarks import BY_DATA_SOURCE
from med_u1.evaluation.items import load_items
from med_u1.evaluation.scoring import ANSWER_FROM
from med_u1.rewards import compute_score

BENCH_RESPONSES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "bench_responses.jsonl"
MEDU1_BATCH_SIZE = 16  # vllm_inference.py numbers results from 0 again in every batch


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def medu1_result_file(bench_responses: list[dict], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared responses as Med-U1's vllm_inference.py writes them: full_response is the text
    after the assistant header; result_<data>.json in a folder named after the model."""
    records = []
    for index, row in enumerate(bench_responses):
        full = row["solution_str"].split("<|im_start|>assistant", 1)[1]
        kwargs = row["kwargs"]
        records.append({
            "id": index % MEDU1_BATCH_SIZE, "data_source": row["data_source"], "ground_truth": kwargs["ground_truth"],
            "lower_limit": kwargs["l_limit"], "upper_limit": kwargs["u_limit"], "generated_response": full[-50:],
            "full_response": full,
        })
    path = tmp_path_factory.mktemp("vllm_infer_results") / "Med-U1-7B" / "result_mixed_test.json"
    path.parent.mkdir()
    path.write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def medu1_run(medu1_result_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rescored") / "medu1-run"
    assert medu1_main(["score", "--input", str(medu1_result_file), "--out", str(out)]) == 0
    return out


def test_a_medu1_result_file_rescores(medu1_run: Path, medu1_result_file: Path) -> None:
    records = json.loads(medu1_result_file.read_text())
    scores = read_jsonl(medu1_run / "scores.jsonl")
    assert len(scores) == len(records) == 2000
    assert len({(s["benchmark"], s["item_id"]) for s in scores}) == 2000  # ids repeat per batch; positions do not
    for record, score in zip(records, scores):
        extra = {"lower_limit": record["lower_limit"], "upper_limit": record["upper_limit"], "response_length": None}
        expected = compute_score(record["data_source"], record["full_response"], record["ground_truth"], extra,
                                 answer_from=ANSWER_FROM)
        assert score["acc"] == expected["acc"] and score["pred"] == expected["pred"]
        assert score["benchmark"] == BY_DATA_SOURCE[record["data_source"]].name
    # the MedCalc limits reach the verifier: answers inside them that differ from the ground truth are right
    within = [(r, s) for r, s in zip(records, scores) if r["data_source"] == "MedCalc-Bench" and s["acc"] == 1.0
              and s["pred"].strip() != str(r["ground_truth"]).strip()]
    assert within
    results = {r["benchmark"]: r for r in json.loads((medu1_run / "metrics.json").read_text())["results"]}
    assert set(results) == {"mediq", "medxpertqa", "medcalc", "medical_o1"}
    for name, record in results.items():
        accs = [s["acc"] for s in scores if s["benchmark"] == name]
        assert record["accuracy"] == pytest.approx(sum(accs) / len(accs)) and record["items"] == 500
    config = json.loads((medu1_run / "config.json").read_text())
    assert config["name"] == "Med-U1-7B" and config["backend"] == "rescored medu1 file"


def test_our_generations_rescore_with_another_preset(medu1_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "again"
    assert medu1_main(["score", "--input", str(medu1_run / "generations.jsonl"), "--out", str(out), "--preset", "medu1"]) == 0
    scores = read_jsonl(out / "scores.jsonl")
    assert [(s["item_id"], s["benchmark"]) for s in scores] == [
        (s["item_id"], s["benchmark"]) for s in read_jsonl(medu1_run / "scores.jsonl")
    ]
    assert min(s["score"] for s in scores) < -1  # the medu1 preset's range is [-3, 3]
    config = json.loads((out / "config.json").read_text())
    assert config["reward_preset"] == "medu1" and config["name"] == "Med-U1-7B"  # the generating run's settings


def test_a_verl_validation_dump_rescores(bench_dir: Path, tiny_model: Path, tmp_path: Path, capsys) -> None:
    from transformers import AutoTokenizer
    from verl.trainer.ppo.ray_trainer import RayPPOTrainer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    items = load_items(bench_dir / "mediq_test.parquet", limit=3)
    inputs, outputs, gts = [], [], []
    for item in items:
        ids = tokenizer(render_prompt(tokenizer, item.messages), add_special_tokens=False)["input_ids"]
        truth = item.reward_model["ground_truth"]
        wrong = next(letter for letter in "ABCD" if letter != truth)
        for answer in (truth, wrong):  # verl repeats each prompt n times, interleaved
            inputs.append(tokenizer.decode(ids, skip_special_tokens=True))
            outputs.append(f"<think>reasoning</think><answer>{answer}</answer>")
            gts.append(truth)
    RayPPOTrainer._write_generations(inputs, outputs, gts, [0.0] * 6, {"acc": [1.0, 0.0] * 3}, str(tmp_path / "val"), 4)
    dump = tmp_path / "val" / "4.jsonl"

    out = tmp_path / "run"
    argv = ["score", "--input", str(dump), "--out", str(out), "--data", str(bench_dir / "mediq_test.parquet")]
    assert medu1_main(argv) == 0
    scores = read_jsonl(out / "scores.jsonl")
    assert [s["item_id"] for s in scores] == [item.item_id for item in items for _ in range(2)]
    assert [s["sample"] for s in scores] == [0, 1] * 3
    assert [s["acc"] for s in scores] == [1.0, 0.0] * 3 and {s["benchmark"] for s in scores} == {"mediq"}
    (record,) = json.loads((out / "metrics.json").read_text())["results"]
    assert record["accuracy"] == 0.5 and record["pass@2"] == 1.0 and record["samples_per_item"] == 2

    bare = tmp_path / "bare"
    assert medu1_main(["score", "--input", str(dump), "--out", str(bare)]) == 2
    assert "--data" in capsys.readouterr().err
    assert medu1_main(["score", "--input", str(dump), "--out", str(bare), "--data_source", "MedIQ"]) == 0
    assert [s["acc"] for s in read_jsonl(bare / "scores.jsonl")] == [1.0, 0.0] * 3


def test_report_orders_columns_and_cites_the_published_rows(medu1_run: Path, tmp_path: Path, capsys) -> None:
    assert medu1_main(["report", str(medu1_run), "--with-published", "r1zero", "--plots", str(tmp_path / "plots")]) == 0
    table = capsys.readouterr().out
    header = table.splitlines()[0]
    order = ["MedMCQA", "MedQA-USMLE", "PubMedQA", "MMLU-Pro Medical", "GPQA Medical", "MedXpertQA", "MedCalc-Bench",
             "MediQ", "medical-o1", "mean"]
    positions = [header.index(name) for name in order]
    assert positions == sorted(positions)
    assert "| QwQ-32B " in table and "67.32" in table and "20.92" in table and "Dataset3" in table
    assert "Medical R1-Zero (arXiv 2504.13950), Tab. 1" in table and "open-medical-r1" in table
    assert (tmp_path / "plots" / "accuracy_per_benchmark.png").stat().st_size > 5000

    assert medu1_main(["report", str(medu1_run), "--format", "csv", "--out", str(tmp_path / "t.csv")]) == 0
    rows = list(csv.reader(io.StringIO((tmp_path / "t.csv").read_text())))
    assert rows[0] == ["model", "MedXpertQA", "MedCalc-Bench", "MediQ", "medical-o1", "mean"]
    assert rows[1][0] == "Med-U1-7B" and len(rows) == 2
    metrics = {r["benchmark"]: r["accuracy"] for r in json.loads((medu1_run / "metrics.json").read_text())["results"]}
    assert float(rows[1][3]) == pytest.approx(100 * metrics["mediq"], abs=0.005)
    capsys.readouterr()

    assert medu1_main(["report", str(medu1_run), "--format", "json", "--with-published", "r1zero"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload[0]["row"] == "Med-U1-7B" and payload[0]["accuracy"]["medmcqa"] is None
    assert payload[1]["row"] == "QwQ-32B" and payload[1]["accuracy"]["medqa"] == 80.13


def test_report_of_a_folder_that_is_no_run_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert medu1_main(["report", str(tmp_path)]) == 2
    assert "is it a `medu1 eval` run directory" in capsys.readouterr().err
