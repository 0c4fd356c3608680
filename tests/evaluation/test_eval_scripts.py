"""scripts/eval/*.sh dry-run to the plan `medu1 eval` would carry out, with their settings."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from med_u1.evaluation.benchmarks import MEDU1_TEST_SETS, R1ZERO_TABLE

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = REPO_ROOT / "scripts" / "eval"


def run_script(script: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **env}
    return subprocess.run(["bash", str(SCRIPTS / script), *args], env=environment, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def data_dir(bench_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every benchmark file the scripts read (MediQ rows under each name: a dry run only counts them)."""
    folder = tmp_path_factory.mktemp("all_benchmarks")
    for name in {*R1ZERO_TABLE, *MEDU1_TEST_SETS} - {"medical_o1"}:
        shutil.copy(bench_dir / "mediq_test.parquet", folder / f"{name}_test.parquet")
    shutil.copy(bench_dir / "medical_o1_test.parquet", folder / "huatuo_test.parquet")  # Med-U1's name for it
    return folder


def test_every_script_is_covered() -> None:
    assert {p.name for p in SCRIPTS.glob("*.sh")} == {"_common.sh", "eval_r1zero_table.sh", "eval_medu1.sh", "eval_budgets.sh"}


@pytest.mark.slow
def test_r1zero_table_script(data_dir: Path, tiny_model: Path) -> None:
    done = run_script("eval_r1zero_table.sh", "--model", f"{tiny_model}/", "--dry-run", "--limit", "3", DATA=str(data_dir))
    assert done.returncode == 0, done.stderr
    assert "'temperature': 0.0" in done.stdout and "'max_tokens': 2048" in done.stdout
    assert f"run directory: outputs/eval/{tiny_model.name}-r1zero (new)" in done.stdout
    for name in R1ZERO_TABLE:
        assert f"  {name}: {data_dir / f'{name}_test.parquet'} (3 items, 3 generations, 0 done)" in done.stdout


@pytest.mark.slow
def test_medu1_script_uses_med_u1_sampling_and_finds_huatuo(data_dir: Path, tiny_model: Path, tmp_path: Path) -> None:
    done = run_script("eval_medu1.sh", "--model", str(tiny_model), "--dry-run", "--out", str(tmp_path / "r"),
                      "--max_tokens", "64", DATA=str(data_dir))
    assert done.returncode == 0, done.stderr
    assert "'temperature': 0.2, 'top_p': 0.95, 'max_tokens': 64" in done.stdout  # a flag overrides the preset
    assert f"medical_o1: {data_dir / 'huatuo_test.parquet'}" in done.stdout
    assert not (tmp_path / "r").exists()  # a dry run writes nothing


@pytest.mark.slow
def test_budget_script_sweeps_budgets_and_names_missing_files(bench_dir: Path, tiny_model: Path) -> None:
    done = run_script("eval_budgets.sh", f"--model={tiny_model}", "--dry-run", "--limit", "2", DATA=str(bench_dir),
                      BENCHMARKS="mediq,ehrnoteqa")
    assert done.returncode == 2
    assert "budgets: 256, 512, 1024, -256, -512, -1024" in done.stdout
    assert "mediq: " in done.stdout and "(2 items, 12 generations, 0 done)" in done.stdout
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("medu1: error: 1 benchmark(s) would not be evaluated: ehrnoteqa: file not found")
