"""MedCalc-Bench Verified: read by ``--dataset medcalc``, its release recorded in the stats file.

The rows are invented, written by the test in the layout of the Verified release's
``datasets/test_data.csv`` (nikhilk7153/MedCalc-Bench-Verified) and of its Hub parquet files
(``nsk7153/MedCalc-Bench-Verified``, ``data/test-*.parquet``): the same 14 columns as v1.2, a
gestational age as a quoted tuple with ``Output Type`` date, and limits at +-5% for decimals.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from med_u1.cli import main
from med_u1.data.sources import get_source
from med_u1.data.sources.base import detect_release

VERIFIED_COLUMNS = [
    "Row Number", "Calculator ID", "Calculator Name", "Category", "Output Type", "Note ID", "Note Type",
    "Patient Note", "Question", "Relevant Entities", "Ground Truth Answer", "Lower Limit", "Upper Limit",
    "Ground Truth Explanation",
]
INVENTED_ROWS = [
    [1, 2, "Invented Clearance", "lab test", "decimal", "pmc-0000001-1", "Extracted",
     "An invented 80-year-old man weighs 50 kg; his invented creatinine is 1.0 mg/dL.",
     "What is the patient's invented clearance in mL/min?", "{'age': [80, 'years'], 'weight': [50.0, 'kg']}",
     "41.66667", "39.58334", "43.75", "Invented: (140 - 80) * 50 / 72 = 41.66667 mL/min."],
    [2, 4, "Invented Risk Points", "risk", "integer", "12", "Synthetic",
     "A made-up patient has one invented risk point.\nAnd a second line.", "What is the invented risk score?",
     "{'risk point': True}", "1", "1", "1", "Invented: one point. Hence, the score is 1."],
    [3, 69, "Invented Gestational Age", "date", "date", "3", "Template",
     "An invented ultrasound date is 03/01/2022; the invented last period began 01/01/2022.",
     "What is the invented gestational age as a tuple?", "{'current date': '03/01/2022'}",
     "('8 weeks', '3 days')", "('8 weeks', '3 days')", "('8 weeks', '3 days')", "Invented: 59 days."],
]


def write_verified_csv(path: Path) -> Path:
    """The invented rows as the Verified release's csv (header, quoted multi-line fields)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(VERIFIED_COLUMNS)
        writer.writerows(INVENTED_ROWS)
    return path


def write_verified_parquet(path: Path) -> Path:
    """The invented rows as the Hub's parquet (every column a string, but Row Number and Calculator ID)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(INVENTED_ROWS, columns=VERIFIED_COLUMNS).astype(str)
    frame[["Row Number", "Calculator ID"]] = frame[["Row Number", "Calculator ID"]].astype("int64")
    frame.to_parquet(path)
    return path


def build(tmp_path: Path, capsys, source: Path | str, *extra: str) -> tuple[int, pd.DataFrame | None, dict | None, str]:
    code = main(["data", "build", "--dataset", "medcalc", "--input", str(source), "--split", "test", "--do_normal",
                 "--local_dir", str(tmp_path / "out"), *extra])
    captured = capsys.readouterr()
    if code != 0:
        return code, None, None, captured.err
    parquet, stats = captured.out.strip().splitlines()[-2:]
    return code, pd.read_parquet(parquet), json.loads(Path(stats).read_text()), captured.out


def test_verified_csv_builds_and_records_its_release_from_the_path(tmp_path, capsys):
    source = write_verified_csv(tmp_path / "MedCalc-Bench-Verified" / "datasets" / "test_data.csv")
    code, frame, stats, out = build(tmp_path, capsys, source)
    assert code == 0
    assert stats["releases"] == {"medcalc": {"release": "verified", "from": "path"}}
    assert "release of medcalc: verified (path)" in out
    assert list(frame["data_source"]) == ["MedCalc-Bench"] * 3
    truths = [(r["ground_truth"], e["lower_limit"], e["upper_limit"], e["output_type"])
              for r, e in zip(frame["reward_model"], frame["extra_info"])]
    assert truths == [
        ("41.66667", "39.58334", "43.75", "decimal"),
        ("1", "1", "1", "integer"),
        ("('8 weeks', '3 days')", "('8 weeks', '3 days')", "('8 weeks', '3 days')", "tuple"),
    ]
    assert [json.loads(e["meta"])["calculator_id"] for e in frame["extra_info"]] == ["2", "4", "69"]
    assert [e["uid"] for e in frame["extra_info"]] == ["medcalc:test:1", "medcalc:test:2", "medcalc:test:3"]
    assert "And a second line." in frame["prompt"][1][1]["content"]


def test_hub_parquet_with_release_flag(tmp_path, capsys):
    source = write_verified_parquet(tmp_path / "download" / "data" / "test-00000-of-00001.parquet")
    code, frame, stats, _ = build(tmp_path, capsys, source, "--release", "verified")
    assert code == 0 and len(frame) == 3
    assert stats["releases"]["medcalc"] == {"release": "verified", "from": "--release"}
    assert frame["extra_info"][0]["lower_limit"] == "39.58334"


def test_undetected_release_is_recorded_as_unknown_with_a_warning(tmp_path, capsys):
    source = write_verified_csv(tmp_path / "calc" / "test_data.csv")
    code, _, stats, out = build(tmp_path, capsys, source)
    assert code == 0
    assert stats["releases"]["medcalc"]["release"] == "unknown"
    assert any("pass --release (verified, v1.2, v1.0)" in warning for warning in stats["warnings"])
    assert "WARNING: medcalc: which release" in out


def test_unknown_release_is_one_line(tmp_path, capsys):
    source = write_verified_csv(tmp_path / "calc.csv")
    code, _, _, err = build(tmp_path, capsys, source, "--release", "v9")
    assert code == 2
    assert err.strip() == "medu1: error: --release 'v9' is not a release of medcalc; known: verified, v1.2, v1.0"


def test_release_flag_on_a_dataset_without_releases(tmp_path, capsys):
    from data_helpers import FIXTURES

    code = main(["data", "build", "--dataset", "medqa", "--input", str(FIXTURES / "medqa_4_options.jsonl"),
                 "--release", "verified", "--local_dir", str(tmp_path)])
    assert code == 2
    assert "--release: none of medqa has releases" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("source, release, how", [
    ("nsk7153/MedCalc-Bench-Verified", "verified", "Hub id"),
    ("ncbi/MedCalc-Bench-v1.0", "v1.0", "Hub id"),
    ("ncbi/MedCalc-Bench-v1.2", "v1.2", "Hub id"),
    ("downloads/medcalc_v1_2/test_data.csv", "v1.2", "path"),
    ("downloads/MEDCALC-BENCH-V1-0/test.parquet", "v1.0", "path"),
    ("downloads/medcalc/test_data.csv", "unknown", "not detected: pass --release"),
])
def test_release_detection(source, release, how):
    assert detect_release(get_source("medcalc"), source) == {"release": release, "from": how}


def test_datasets_without_releases_record_none():
    assert detect_release(get_source("medqa"), "data/medqa/test.jsonl") is None
