"""``medu1 data build`` end to end: outputs, flags, mixes, decontamination, bad input, verl."""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd
import pytest

from data_helpers import FIXTURES, shared_records
from med_u1.cli import main
from med_u1.data import build as build_module
from med_u1.data.mix import PRESETS, parse_mix, stratified_sample
from med_u1.data.prompts import MEDU1_MCQA_SYSTEM, R1_SYSTEM


def run(args: list[str], capsys) -> tuple[int, str]:
    code = main(["data", "build", *args])
    return code, capsys.readouterr().out


def fail(args: list[str], capsys) -> tuple[int, str]:
    """Run a build that must fail: its exit code and its stderr (one ``medu1: error:`` line)."""
    code = main(["data", "build", *args])
    return code, capsys.readouterr().err


def build_rows(tmp_path, capsys, *args: str) -> tuple[pd.DataFrame, dict]:
    code, out = run([*args, "--local_dir", str(tmp_path)], capsys)
    assert code == 0, out
    parquet, stats = out.strip().splitlines()[-2:]
    return pd.read_parquet(parquet), json.loads(open(stats).read())


def official_medxpertqa(tmp_path) -> str:
    """The shared MedXpertQA dev items rewritten in the official MedXpertQA Text layout (test-time only)."""
    from med_u1.data.loading import load_examples
    from data_helpers import write_raw

    examples = load_examples("medu1", str(write_raw(shared_records("medxpertqa"), tmp_path, "mx")), "test").examples
    path = tmp_path / "medxpertqa_official.jsonl"
    with path.open("w") as handle:
        for i, e in enumerate(examples):
            record = {"id": f"Text-{i}", "question": e.question, "options": dict(e.options), "label": e.answer,
                      "question_type": e.meta.get("question_type", "Reasoning")}
            handle.write(json.dumps(record) + "\n")
    return str(path)


def test_build_writes_parquet_and_stats_and_prints_paths(tmp_path, capsys):
    code, out = run(["--dataset", "medqa", "--input", str(FIXTURES / "medqa_4_options.jsonl"), "--split", "test",
                     "--local_dir", str(tmp_path)], capsys)
    assert code == 0
    assert out.strip().splitlines()[-2:] == [str(tmp_path / "medqa_test.parquet"), str(tmp_path / "medqa_test.stats.json")]
    assert "MedQA" in out and "answer formats: letter=4" in out
    frame = pd.read_parquet(tmp_path / "medqa_test.parquet")
    row = frame.iloc[0]
    assert [m["role"] for m in row["prompt"]] == ["system", "user"]
    assert row["ability"] == "medical" and row["reward_model"]["style"] == "rule"
    assert dict(row["reward_model"]) == {"style": "rule", "ground_truth": "A"}  # the reward fields live in extra_info
    assert row["extra_info"]["output_type"] == "letter" and row["extra_info"]["options"]["A"]
    assert row["extra_info"]["task"] == "mcqa" and row["extra_info"]["uid"] == "medqa:test:0"
    assert list(frame["extra_info"].map(lambda x: x["index"])) == [0, 1, 2, 3]
    stats = json.loads((tmp_path / "medqa_test.stats.json").read_text())
    assert stats["counts"]["per_source"] == {"MedQA": {"test": 4}} and stats["rows"] == 4
    assert set(stats["prompt_length"]) >= {"unit", "p50", "p90", "p99", "max"}
    assert not list(tmp_path.glob("*.tmp"))


def test_same_command_gives_identical_bytes_and_seed_changes_them(tmp_path, capsys, dev_raw_files):
    def once(folder, seed):
        run(["--dataset", "medu1", "--input", str(dev_raw_files["mediq"]), "--use_both_both", "--seed", seed,
             "--local_dir", str(tmp_path / folder)], capsys)
        return (tmp_path / folder / "medu1_train.parquet").read_bytes()

    assert once("a", "7") == once("b", "7")
    assert once("c", "8") != once("a", "7")


def _budgets(frame: pd.DataFrame) -> list[int]:
    return [info["num_tokens"] for info in frame["extra_info"]]


def _budget_text(frame: pd.DataFrame) -> list[str]:
    return [row[-1]["content"] for row in frame["prompt"]]


def test_default_budget_is_exact_100_to_2000(tmp_path, capsys, dev_raw_files):
    frame, stats = build_rows(tmp_path, capsys, "--dataset", "medu1", "--input", str(dev_raw_files["mediq"]))
    budgets = _budgets(frame)
    assert all(100 <= b <= 2000 for b in budgets) and len(set(budgets)) > 100
    for budget, text in zip(budgets, _budget_text(frame)):
        assert text.endswith(f" Think for {budget} tokens.")
    assert stats["budgets"]["exact"] == 200 and stats["budgets"]["none"] == 0


def test_do_normal_has_no_budget(tmp_path, capsys):
    frame, stats = build_rows(tmp_path, capsys, "--dataset", "medqa", "--input", str(FIXTURES / "medqa_4_options.jsonl"),
                              "--do_normal")
    assert set(_budgets(frame)) == {-1} and not any("Think for" in t for t in _budget_text(frame))
    assert stats["budgets"] == {"none": 4, "exact": 0, "max": 0}


@pytest.mark.parametrize("value, suffix", [("500", "Think for 500 tokens."), ("-300", "Think for maximum 300 tokens.")])
def test_fixed_num_tokens(tmp_path, capsys, value, suffix):
    frame, _ = build_rows(tmp_path, capsys, "--dataset", "medqa", "--input", str(FIXTURES / "medqa_4_options.jsonl"),
                          "--num_tokens", value)
    assert set(_budgets(frame)) == {int(value)} and all(t.endswith(suffix) for t in _budget_text(frame))


def test_use_log_spans_256_to_23170(tmp_path, capsys, dev_raw_files):
    frame, _ = build_rows(tmp_path, capsys, "--dataset", "medu1", "--input", str(dev_raw_files["medcalc_bench"]), "--use_log")
    budgets = _budgets(frame)
    assert all(256 <= b <= 23170 for b in budgets) and max(budgets) > 2000


def test_use_both_mixes_exact_and_none(tmp_path, capsys, dev_raw_files):
    frame, stats = build_rows(tmp_path, capsys, "--dataset", "medu1", "--input", str(dev_raw_files["mediq"]), "--use_both")
    assert all(b == -1 or 100 <= b <= 2000 for b in _budgets(frame))
    assert 60 < stats["budgets"]["none"] < 140 and stats["budgets"]["max"] == 0


def test_use_both_both_mixes_exact_and_maximum(tmp_path, capsys, dev_raw_files):
    frame, stats = build_rows(tmp_path, capsys, "--dataset", "medu1", "--input", str(dev_raw_files["mediq"]),
                              "--use_both_both")
    assert all(100 <= abs(b) <= 2000 for b in _budgets(frame))
    assert 60 < stats["budgets"]["max"] < 140 and stats["budgets"]["none"] == 0
    assert any(t.endswith("tokens.") and "maximum" in t for t in _budget_text(frame))


def test_sample_multiple_for_train_repeats_train_items_only(tmp_path, capsys):
    fixture = str(FIXTURES / "medqa_4_options.jsonl")
    frame, _ = build_rows(tmp_path, capsys, "--dataset", "medqa", "--input", fixture, "--sample_multiple_for_train", "3")
    uids = [info["uid"] for info in frame["extra_info"]]
    assert len(frame) == 12 and Counter(uids) == {f"medqa:train:{i}": 3 for i in range(4)}
    test_frame, _ = build_rows(tmp_path, capsys, "--dataset", "medqa", "--input", fixture, "--split", "test",
                               "--sample_multiple_for_train", "3")
    assert len(test_frame) == 4


def test_keep_source_budgets_and_released_template_reproduce_med_u1(tmp_path, capsys, dev_raw_files):
    frame, _ = build_rows(tmp_path, capsys, "--dataset", "medu1", "--input", str(dev_raw_files["mediq"]),
                          "--keep_source_budgets", "--template", "medu1_released")
    records = shared_records("mediq")
    assert _budgets(frame) == [r["num_tokens"] for r in records]
    assert all(p[0]["content"] == MEDU1_MCQA_SYSTEM for p in frame["prompt"])
    assert frame["prompt"].iloc[0][1]["content"] in records[0]["raw"]["prompt"][0]["content"]


def test_r1_template(tmp_path, capsys):
    frame, _ = build_rows(tmp_path, capsys, "--dataset", "pubmedqa", "--input", str(FIXTURES / "pubmedqa_ori_pqal.json"),
                          "--template", "r1", "--do_normal")
    assert all(p[0]["content"] == R1_SYSTEM for p in frame["prompt"])


def test_conflicting_budget_flags_are_rejected(tmp_path, capsys):
    code, err = fail(["--dataset", "medqa", "--input", str(FIXTURES / "medqa_4_options.jsonl"), "--use_log", "--use_both",
                   "--local_dir", str(tmp_path)], capsys)
    assert code == 2 and "mutually exclusive" in err and not list(tmp_path.iterdir())


def test_presets():
    assert parse_mix("r1zero_dataset1") == {"medqa": 1090}
    assert parse_mix("r1zero_dataset2") == {"medqa": 600, "medxpertqa": 490}
    assert parse_mix("r1zero_dataset3") == {"medxpertqa": 490}
    assert set(PRESETS["medoption"]) == {"mediq", "medxpertqa", "ehrnoteqa"}
    assert parse_mix("medqa:3,mediq:all") == {"medqa": 3, "mediq": None}
    with pytest.raises(ValueError):
        parse_mix("medqa:0")


def test_mix_samples_without_replacement_stratified_by_difficulty(tmp_path, capsys):
    source = official_medxpertqa(tmp_path)
    frame, stats = build_rows(tmp_path, capsys, "--mix", "medxpertqa:100,medqa:2", "--input", f"medxpertqa={source}",
                              "--input", f"medqa={FIXTURES / 'medqa_4_options.jsonl'}")
    uids = [info["uid"] for info in frame["extra_info"]]
    assert len(uids) == len(set(uids)) == 102 and stats["counts"]["per_source"] == {
        "MedQA": {"train": 2}, "MedXpertQA": {"train": 100}}
    full = Counter(json.loads(line)["question_type"] for line in open(source))
    sampled = Counter(json.loads(m)["question_type"] for m, s in zip(frame["extra_info"].map(lambda x: x["meta"]),
                                                                      frame["data_source"]) if s == "MedXpertQA")
    for stratum, n in full.items():
        assert abs(sampled[stratum] - n * 100 / 200) <= 1
    assert any("MedXpertQA has no training split" in w for w in stats["warnings"])


def test_preset_asking_for_more_than_available_fails(tmp_path, capsys):
    code, err = fail(["--mix", "r1zero_dataset1", "--input", f"medqa={FIXTURES / 'medqa_4_options.jsonl'}",
                   "--local_dir", str(tmp_path)], capsys)
    assert code == 2 and "asked for 1090 items but only 4" in err


def test_stratified_sample_is_seeded():
    import random

    from med_u1.data.loading import load_examples

    examples = load_examples("medqa", str(FIXTURES / "medqa_4_options.jsonl"), "train").examples
    first = stratified_sample(examples, 2, random.Random(1))
    assert first == stratified_sample(examples, 2, random.Random(1))
    assert Counter(e.meta["difficulty"] for e in first) == {"step1": 1, "step2&3": 1}


def test_decontamination_reports_and_drops_medxpertqa_test_items(tmp_path, capsys, dev_raw_files):
    eval_path = official_medxpertqa(tmp_path)
    args = ["--dataset", "medu1", "--input", str(dev_raw_files["medxpertqa"]), "--eval_set", f"medxpertqa={eval_path}",
            "--eval_set", f"medqa={FIXTURES / 'medqa_4_options.jsonl'}"]
    frame, stats = build_rows(tmp_path / "kept", capsys, *args)
    report = stats["decontamination"]
    assert len(frame) == 200 and report["matched"] == 200 and report["exact"] == 200
    assert report["per_eval_set"] == {f"medxpertqa={eval_path}": 200} and report["dropped"] is False
    code, err = fail([*args, "--decontaminate", "--local_dir", str(tmp_path / "dropped")], capsys)
    assert code == 2 and "no rows left" in err  # every item dropped: no empty file is written
    assert not (tmp_path / "dropped").exists()


def test_near_duplicates_are_found_and_dropped(tmp_path, capsys, dev_raw_files):
    eval_path = official_medxpertqa(tmp_path)
    lines = open(eval_path).read().splitlines()[:20]
    edited = []
    for line in lines:  # reword the start and end: no longer an exact match
        record = json.loads(line)
        record["question"] = "Consider this case. " + record["question"].replace("?", "? Explain.", 1)
        edited.append(json.dumps(record))
    (tmp_path / "near.jsonl").write_text("\n".join(edited))
    frame, stats = build_rows(tmp_path, capsys, "--dataset", "medu1", "--input", str(dev_raw_files["medxpertqa"]),
                              "--eval_set", f"medxpertqa={tmp_path / 'near.jsonl'}", "--decontaminate")
    report = stats["decontamination"]
    assert report["matched"] == 20 and report["near"] >= 15 and len(frame) == 180 and stats["decontaminated"] == 20


def test_unrelated_eval_set_matches_nothing(tmp_path, capsys, dev_raw_files):
    _, stats = build_rows(tmp_path, capsys, "--dataset", "medu1", "--input", str(dev_raw_files["mediq"]),
                          "--eval_set", f"medxpertqa={FIXTURES / 'medxpertqa_text.jsonl'}")
    assert stats["decontamination"]["matched"] == 0


def test_length_filter_drops_long_prompts_and_reports_them(tmp_path, capsys, tiny_tokenizer_dir, dev_raw_files):
    args = ["--dataset", "medu1", "--input", str(dev_raw_files["medcalc_bench"]), "--tokenizer_path", str(tiny_tokenizer_dir)]
    full, full_stats = build_rows(tmp_path / "full", capsys, *args)
    assert full_stats["prompt_length"]["unit"] == "tokens"
    limit = full_stats["prompt_length"]["p50"]
    kept, stats = build_rows(tmp_path / "cut", capsys, *args, "--max_prompt_tokens", str(limit))
    assert stats["length_filtered"] == len(full) - len(kept) > 0 and stats["prompt_length"]["max"] <= limit
    assert len(stats["length_filter"]["dropped_uids"]) == stats["length_filtered"]


def test_bad_input_stops_the_build_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text((FIXTURES / "mediq_official.jsonl").read_text() + '{"id": 9, "question": "q", "context": "c", '
                   '"options": {"A": "x", "B": "y"}, "answer_idx": "E"}\n')
    out_dir = tmp_path / "out"
    code, err = fail(["--dataset", "mediq", "--input", str(bad), "--local_dir", str(out_dir)], capsys)
    assert code == 2 and f"{bad}, line 4, field 'answer_idx'" in err and not out_dir.exists()
    frame, stats = build_rows(out_dir, capsys, "--dataset", "mediq", "--input", str(bad), "--skip_invalid")
    assert len(frame) == 3 and stats["invalid_skipped"] == 1 and stats["invalid"][0]["line"] == "line 4"


def test_unknown_dataset_name_lists_known_ones(tmp_path, capsys):
    code, err = fail(["--dataset", "medqa_usmle", "--input", "x.jsonl", "--local_dir", str(tmp_path)], capsys)
    assert code == 2 and "known datasets: medqa, medxpertqa, medcalc" in err


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    from med_u1.data.build import BuildOptions, build

    def broken(rows, path):
        path.write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(build_module, "write_parquet", broken)
    with pytest.raises(OSError):
        build(BuildOptions(inputs={"medqa": str(FIXTURES / "medqa_4_options.jsonl")}, local_dir=tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_verl_rlhf_dataset_loads_output_and_ground_truth_scores_correct(tmp_path, capsys, tiny_tokenizer_dir):
    pytest.importorskip("med_u1.rewards")
    from omegaconf import OmegaConf
    from transformers import AutoTokenizer
    from verl.utils.dataset.rl_dataset import RLHFDataset

    from med_u1.rewards import compute_score

    files = []
    for loader, fixture in [("medqa", "medqa_5_options.jsonl"), ("medcalc", "medcalc_official.csv"),
                            ("pubmedqa", "pubmedqa_ori_pqal.json"), ("medical_o1", "medical_o1_official.json"),
                            ("gpqa", "gpqa_invented.csv"), ("medmcqa", "medmcqa_dev.json"),
                            ("ehrnoteqa", "ehrnoteqa_invented.jsonl"), ("mmlu_pro", "mmlu_pro.jsonl"),
                            ("mediq", "mediq_official.jsonl"), ("medxpertqa", "medxpertqa_text.jsonl")]:
        _, out = run(["--dataset", loader, "--input", str(FIXTURES / fixture), "--local_dir", str(tmp_path)], capsys)
        files.append(out.strip().splitlines()[-2])
    tokenizer = AutoTokenizer.from_pretrained(tiny_tokenizer_dir)
    config = OmegaConf.create({"max_prompt_length": 4096, "filter_overlong_prompts": True,
                               "cache_dir": str(tmp_path / "cache"), "filter_overlong_prompts_workers": 1})
    dataset = RLHFDataset(files, tokenizer, config)
    assert len(dataset) == 28
    for i in range(len(dataset)):
        item = dataset[i]
        truth = item["reward_model"]["ground_truth"]
        answer = f"<think>Let me think.</think><answer>{truth}</answer>"
        result = compute_score(item["data_source"], answer, truth, item["extra_info"])
        assert result["acc"] == 1.0, (item["data_source"], truth, result)
