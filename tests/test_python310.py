"""Python 3.10: the reward, data and evaluation-scoring tests, run under Python 3.10 in a venv
that holds the light dependencies only (pyproject's, without torch, transformers, tokenizers,
datasets, verl and Ray): those modules must import and work without them. Their fast tier runs
there (``-m "not slow"``); the full-size Hypothesis sweeps and the data scripts run once, under
the suite's own Python.

The venv is built once per set of requirements under ``~/.cache/med-u1/`` and reused. The
test skips with one line when no Python 3.10 is found (``MEDU1_PYTHON310`` names one), and
fails instead when the ``CI`` variable is set.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
#: Dependencies left out of the light venv: the training and generation stack (virtualenv: only a
#: resolver bound for Ray's sake, see pyproject.toml).
HEAVY = frozenset({"verl", "torch", "transformers", "tokenizers", "datasets", "virtualenv"})
#: The tests run under Python 3.10: rewards, data building, and scoring evaluation results.
LIGHT_TESTS = (
    "tests/rewards",
    "tests/data",
    "tests/evaluation/test_metrics.py",
    "tests/evaluation/test_items.py",
    "tests/evaluation/test_rundir.py",
    "tests/evaluation/test_rescore_and_report.py",
)
#: Test modules of those folders that exist to drive the heavy stack, left out there.
NEEDS_HEAVY = {"tests/rewards/test_manager.py": "drives verl's reward loop on DataProto batches (torch, verl)"}
VENV_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "med-u1"

pytestmark = pytest.mark.slow


def find_python310() -> str | None:
    """A working Python 3.10: ``MEDU1_PYTHON310``, ``python3.10`` on the PATH (a pyenv shim may
    not run), or pyenv's own build."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [os.environ.get("MEDU1_PYTHON310"), shutil.which("python3.10")]
    candidates += [str(path) for path in sorted(pyenv_root.glob("versions/3.10*/bin/python3.10"), reverse=True)]
    return next((python for python in candidates if python and is_python310(python)), None)


def is_python310(python: str) -> bool:
    check = "import sys; sys.exit(sys.version_info[:2] != (3, 10))"
    try:
        return subprocess.run([python, "-c", check], capture_output=True, timeout=60).returncode == 0
    except OSError:
        return False


def light_requirements() -> list[str]:
    """pyproject's dependencies and test extra, as pinned or ranged there, without :data:`HEAVY`."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    return [text for text in wanted if Requirement(text).name.lower() not in HEAVY]


def light_venv(python: str, requirements: list[str]) -> Path:
    """The cached venv for ``python`` and ``requirements``, built on first use."""
    key = hashlib.sha256("\n".join([os.path.realpath(python), *requirements]).encode()).hexdigest()[:12]
    venv = VENV_CACHE / f"py310-light-{key}"
    if (venv / "complete").exists():
        return venv
    building = venv.with_name(f"{venv.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    run([python, "-m", "venv", str(building)], "create the Python 3.10 venv")
    run([str(building / "bin" / "python"), "-m", "pip", "install", "--quiet", *requirements], "install the light dependencies")
    (building / "complete").write_text("\n".join(requirements) + "\n", encoding="utf-8")
    shutil.rmtree(venv, ignore_errors=True)
    try:
        building.rename(venv)
    except OSError:  # another run finished the same venv first
        shutil.rmtree(building, ignore_errors=True)
        assert (venv / "complete").exists(), f"could not move the Python 3.10 venv into {venv}"
    return venv


def run(command: list[str], what: str, **options) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, **options)
    assert done.returncode == 0, f"could not {what} ({' '.join(command[:3])} ...):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


def test_light_tests_pass_under_python310():
    if sys.version_info[:2] == (3, 10):
        pytest.skip("already running under Python 3.10")
    python = find_python310()
    if python is None:
        message = "no Python 3.10 found (set MEDU1_PYTHON310, or put python3.10 on the PATH)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    venv = light_venv(python, light_requirements())
    ignored = [f"--ignore={path}" for path in NEEDS_HEAVY]
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow",
               *LIGHT_TESTS, *ignored]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"the light tests failed under Python 3.10:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
    assert " passed" in done.stdout.splitlines()[-1]
