"""``scripts/data/*.sh`` run ``medu1 data build`` with the recipes' flags."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from data_helpers import REPO_ROOT, shared_records

SCRIPTS = REPO_ROOT / "scripts" / "data"

pytestmark = pytest.mark.slow  # each test runs bash and medu1


def run_script(name: str, args: list[str], tmp_path: Path, **env_vars: str) -> subprocess.CompletedProcess:
    shim_dir = tmp_path / "bin"
    shim_dir.mkdir(exist_ok=True)
    shim = shim_dir / "medu1"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m med_u1.cli "$@"\n')
    shim.chmod(0o755)
    env = {**os.environ, **env_vars, "PATH": f"{shim_dir}:{os.environ['PATH']}"}
    return subprocess.run(["bash", str(SCRIPTS / name), *args], env=env, capture_output=True, text=True, check=True)


def invented_medqa(path: Path, count: int, letters: str = "ABCD", start: int = 0) -> None:
    with path.open("w") as handle:
        for i in range(start, start + count):
            options = {letter: f"Invented choice {letter} {i}" for letter in letters}
            handle.write(json.dumps({"question": f"Invented question number {i} about made-up condition {i}?",
                                     "options": options, "answer_idx": letters[i % len(letters)],
                                     "meta_info": "step1" if i % 3 else "step2&3"}) + "\n")


def invented_medxpertqa(path: Path, count: int) -> None:
    with path.open("w") as handle:
        for i in range(count):
            options = {letter: f"Invented option {letter} {i}" for letter in "ABCDEFGHIJ"}
            handle.write(json.dumps({"id": f"Text-{i}", "question": f"Invented expert question {i}?", "options": options,
                                     "label": "ABCDEFGHIJ"[i % 10], "question_type": "Reasoning" if i % 2 else "Understanding"}) + "\n")


def test_r1zero_script_builds_the_three_datasets_with_its_prompt(tmp_path):
    invented_medqa(tmp_path / "medqa.jsonl", 1200)
    invented_medqa(tmp_path / "medqa_test.jsonl", 20, start=1190)  # 10 of them are training items
    invented_medxpertqa(tmp_path / "medxpertqa.jsonl", 600)
    out = tmp_path / "processed"
    result = run_script("build_r1zero.sh", [str(tmp_path / "medqa.jsonl"), str(tmp_path / "medxpertqa.jsonl"), str(out)],
                        tmp_path, MEDQA_TEST=str(tmp_path / "medqa_test.jsonl"))
    sizes = {p.name: len(pd.read_parquet(p)) for p in sorted(out.glob("*.parquet"))}
    assert sizes == {"medqa_test.parquet": 20, "r1zero_dataset1_train.parquet": 1090,
                     "r1zero_dataset2_train.parquet": 1090, "r1zero_dataset3_train.parquet": 490}
    frame = pd.read_parquet(out / "r1zero_dataset2_train.parquet")
    assert frame["data_source"].value_counts().to_dict() == {"MedQA": 600, "MedXpertQA": 490}
    system, user = frame["prompt"].iloc[0]
    assert system["content"].startswith("A conversation between user and assistant.") and "sinceraly" in system["content"]
    assert "\nAnswer Choices: (A) " in user["content"] and "Think for" not in user["content"]
    assert set(frame["extra_info"].map(lambda x: x["num_tokens"])) == {-1}
    stats = json.loads((out / "r1zero_dataset1_train.stats.json").read_text())
    overlap = stats["decontamination"]["matched"]
    assert 0 < overlap <= 10 and "match an evaluation set" in result.stderr


def test_medrlvr_script_builds_five_option_medqa_with_the_r1_prompt(tmp_path):
    invented_medqa(tmp_path / "train.jsonl", 40, letters="ABCDE")
    invented_medqa(tmp_path / "test.jsonl", 10, letters="ABCDE", start=35)
    out = tmp_path / "medrlvr"
    result = run_script("build_medrlvr.sh", [str(tmp_path / "train.jsonl"), str(tmp_path / "test.jsonl"), str(out)], tmp_path)
    train = pd.read_parquet(out / "medqa_train.parquet")
    assert len(train) == 40 and len(pd.read_parquet(out / "medqa_test.parquet")) == 10
    assert train["prompt"].iloc[0][0]["content"].startswith("A conversation between User and Assistant.")
    assert set(train["extra_info"].map(lambda x: x["num_tokens"])) == {-1}
    assert json.loads((out / "medqa_train.stats.json").read_text())["decontamination"]["exact"] == 5
    assert "no option E" not in result.stderr
    invented_medqa(tmp_path / "four.jsonl", 5)
    warned = run_script("build_medrlvr.sh", [str(tmp_path / "four.jsonl"), str(tmp_path / "test.jsonl"), str(out)], tmp_path)
    assert "no option E" in warned.stderr


def test_medu1_script_builds_training_data_from_train_and_evaluation_data_from_test(tmp_path):
    data_dir = tmp_path / "deepscaler_data"
    (data_dir / "train").mkdir(parents=True)
    (data_dir / "test").mkdir()
    raws = [record["raw"] for record in shared_records("medcalc_bench")]
    (data_dir / "train" / "medcalc.json").write_text(json.dumps(raws[:120]))
    (data_dir / "test" / "medcalc.json").write_text(json.dumps(raws[110:150]))  # 10 training items leak into it
    (data_dir / "test" / "medcalc_test.json").write_text(json.dumps(raws[150:]))
    out = tmp_path / "processed"
    result = run_script("build_medu1.sh", [str(data_dir), str(out), "--use_both_both"], tmp_path)
    assert str(out / "medcalc_train.parquet") in result.stdout
    assert len(pd.read_parquet(out / "medcalc_train.parquet")) == 120
    assert len(pd.read_parquet(out / "medcalc_validation.parquet")) == 40
    test_rows = pd.read_parquet(out / "medcalc_test.parquet")
    assert len(test_rows) == 50 and set(test_rows["extra_info"].map(lambda x: x["split"])) == {"test"}
    stats = json.loads((out / "medcalc_train.stats.json").read_text())
    assert stats["decontamination"]["matched"] >= 10 and "match an evaluation set" in result.stderr
    assert len(stats["decontamination"]["eval_sets"]) == 2


def test_medu1_script_refuses_a_folder_without_train_and_test(tmp_path):
    completed = subprocess.run(["bash", str(SCRIPTS / "build_medu1.sh"), str(tmp_path)], capture_output=True, text=True)
    assert completed.returncode == 2 and "train/ and test/" in completed.stderr


def test_eval_sets_script_builds_unbudgeted_test_sets(tmp_path):
    fixtures = REPO_ROOT / "tests" / "data" / "fixtures"
    out = tmp_path / "processed"
    run_script("build_eval_sets.sh", [str(out), f"medqa={fixtures / 'medqa_4_options.jsonl'}",
                                      f"pubmedqa={fixtures / 'pubmedqa_ori_pqal.json'}"], tmp_path)
    for name, rows in (("medqa_test", 4), ("pubmedqa_test", 3)):
        frame = pd.read_parquet(out / f"{name}.parquet")
        assert len(frame) == rows and set(frame["extra_info"].map(lambda x: x["num_tokens"])) == {-1}
