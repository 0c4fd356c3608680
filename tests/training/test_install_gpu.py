"""scripts/install_gpu.sh: its dry run installs pins that agree with pyproject's `gpu` extra and with
verl's own metadata, in the order torch -> vLLM -> flash-attn -> project, and never builds
flash-attn in an isolated environment."""

from __future__ import annotations

import importlib.metadata
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "install_gpu.sh"
PY_TAG = f"cp{sys.version_info[0]}{sys.version_info[1]}"
WHEEL_NAME = re.compile(
    r"flash_attn-(?P<version>[\d.]+)\+cu(?P<cuda>\d+)torch(?P<torch>\d+\.\d+)-(?P<py>cp\d+)-(?P=py)-linux_x86_64\.whl$"
)


def dry_run(*args: str) -> list[list[str]]:
    """The commands the dry run prints (its ``+ `` lines), split as the shell would."""
    completed = subprocess.run(
        ["bash", str(SCRIPT), "--dry-run", "--python", sys.executable, *args],
        capture_output=True, text=True, timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    return [shlex.split(line[2:]) for line in completed.stdout.splitlines() if line.startswith("+ ")]


def pip_installs(commands: list[list[str]]) -> list[list[str]]:
    """The arguments after ``-m pip install`` of each pip command."""
    return [cmd[cmd.index("install") + 1:] for cmd in commands if "pip" in cmd and "install" in cmd]


def pins(arguments: list[str]) -> dict[str, str]:
    """``name -> version`` of the ``name==version`` arguments."""
    return {req.name: str(req.specifier)[2:] for req in map(Requirement, arguments)
            if str(req.specifier).startswith("==")}


def gpu_extra() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {req.name: req for req in map(Requirement, project["optional-dependencies"]["gpu"])}


def verl_extra(extra: str) -> list[Requirement]:
    """verl's requirements for ``extra``, its ``verl[...]`` self-references expanded (verl-core left out)."""
    found = []
    for line in importlib.metadata.requires("verl"):
        req = Requirement(line)
        if req.marker is None or not req.marker.evaluate({"extra": extra}):
            continue
        if req.name == "verl":
            found += [r for sub in req.extras - {"verl-core"} for r in verl_extra(sub)]
        else:
            found.append(req)
    return found


def install_steps(commands: list[list[str]]) -> dict[str, int]:
    """Index of the first pip install of torch, vllm, flash-attn and the project."""
    steps: dict[str, int] = {}
    for index, args in enumerate(pip_installs(commands)):
        text = " ".join(args)
        for step, pattern in (("torch", "torch=="), ("vllm", "vllm=="), ("flash-attn", "flash"), ("project", "-e")):
            if pattern in text and step not in steps and not (step == "torch" and "vllm" in text):
                steps[step] = index
    return steps


@pytest.mark.slow
def test_steps_come_in_the_documented_order() -> None:
    steps = install_steps(dry_run())
    assert steps["torch"] < steps["vllm"] < steps["flash-attn"] < steps["project"]


@pytest.mark.slow
def test_script_pins_are_the_gpu_extra_pins() -> None:
    installs = pip_installs(dry_run())
    torch_pins = pins([a for a in installs[0] if "==" in a])
    vllm_pins = pins([a for a in installs[1] if "==" in a])
    extra = gpu_extra()
    for name, version in {**torch_pins, **vllm_pins}.items():
        assert str(extra[name].specifier) == f"=={version}", name
    assert set(torch_pins) == {"torch", "torchvision", "torchaudio"} and "vllm" in vllm_pins
    header = subprocess.run(["bash", str(SCRIPT), "--dry-run"], capture_output=True, text=True, timeout=60).stdout
    assert f"verl{extra['verl'].specifier}" in header.splitlines()[1]


def test_gpu_extra_agrees_with_verl_metadata() -> None:
    extra = gpu_extra()
    verl_version = importlib.metadata.version("verl")
    assert str(extra["verl"].specifier) == f"=={verl_version}" and extra["verl"].extras == {"vllm"}
    upstream = {req.name: req for req in verl_extra("vllm") + verl_extra("fsdp")}
    # Every package pinned here has verl's own pin, and every piece of verl's fsdp extra is here,
    # except flash-attn, which the script installs first (it cannot build in an isolated environment).
    for name, req in extra.items():
        if name != "verl":
            assert str(req.specifier) == str(upstream[name].specifier), name
    for req in verl_extra("fsdp"):
        assert req.name in extra or req.name == "flash-attn", req
    assert "flash-attn" not in extra and "flash-attn" in {req.name for req in verl_extra("fsdp")}


@pytest.mark.slow
def test_flash_attn_wheel_matches_torch_cuda_python_and_verl_pin() -> None:
    commands = dry_run()
    installs = pip_installs(commands)
    wheel_urls = [a for args in installs for a in args if a.endswith(".whl")]
    assert len(wheel_urls) == 1
    match = WHEEL_NAME.search(wheel_urls[0].rsplit("/", 1)[1])
    assert match is not None, wheel_urls[0]
    (flash_pin,) = [str(r.specifier)[2:] for r in verl_extra("fsdp") if r.name == "flash-attn"]
    torch_pin = pins([a for a in installs[0] if a.startswith("torch==")])["torch"]
    # verl names the extra after the build it pins: flash-attn-cu130torch211 = CUDA 13.0, torch 2.11.
    (tag,) = [x for x in importlib.metadata.metadata("verl").get_all("Provides-Extra") if x.startswith("flash-attn-cu")]
    cuda, torch_digits = re.fullmatch(r"flash-attn-cu(\d+)torch(\d+)", tag).groups()
    assert match["version"] == flash_pin
    assert match["torch"] == ".".join(torch_pin.split(".")[:2]) and match["torch"].replace(".", "") == torch_digits
    assert match["cuda"] == cuda
    assert match["py"] == PY_TAG


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["wheel", "source"])
def test_flash_attn_is_never_built_in_an_isolated_environment(mode: str) -> None:
    installs = pip_installs(dry_run("--flash-attn", mode))
    flash = [args for args in installs if any("flash" in a for a in args)]
    assert flash
    for args in flash:
        assert any(a.endswith(".whl") for a in args) or "--no-build-isolation" in args, args
    if mode == "source":
        assert all("--no-build-isolation" in args for args in flash)


@pytest.mark.slow
def test_project_is_installed_with_the_gpu_extra_and_checked_by_the_doctor() -> None:
    commands = dry_run("--test")
    (editable,) = [args for args in pip_installs(commands) if "-e" in args]
    assert editable[-1] == f"{ROOT}[gpu,test]"
    assert commands[-1][-2:] == ["med_u1.cli", "doctor"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="this machine has an NVIDIA driver")
def test_real_run_without_a_driver_stops_before_installing_anything() -> None:
    completed = subprocess.run(
        ["bash", str(SCRIPT), "--python", sys.executable], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 1
    assert "no NVIDIA driver" in completed.stderr and 'pip install -e ".[cpu,test]"' in completed.stderr
    assert not any(line.startswith("+ ") for line in completed.stdout.splitlines())


def pip_report_entry(name: str, version: str, requires_dist: list[str]) -> dict:
    return {"metadata": {"name": name, "version": version, "requires_dist": requires_dist}}


def report_file(tmp_path: Path, vllm_torch: str) -> Path:
    """A pip report holding the installed verl's real metadata, and vLLM's and torch's Requires-Dist
    lines as their 0.24.0 and 2.11.0 releases state them (vLLM's torch pin replaceable)."""
    vllm = [f"torch=={vllm_torch}", "torchvision==0.26.0", "torchaudio==2.11.0", "transformers>=5.5.3"]
    torch = ['cuda-toolkit[cublas,cudart]==13.0.2; platform_system == "Linux"', "filelock"]
    report = {"install": [
        pip_report_entry("verl", importlib.metadata.version("verl"), importlib.metadata.requires("verl")),
        pip_report_entry("vllm", "0.24.0", vllm),
        pip_report_entry("torch", "2.11.0", torch),
    ]}
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    return path


def check_pins(report: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "check_gpu_pins.py"), "--report", str(report)],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.slow
def test_pin_check_passes_on_agreeing_metadata(tmp_path: Path) -> None:
    completed = check_pins(report_file(tmp_path, vllm_torch="2.11.0"))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    assert len(lines) == 13 and all(line.startswith("ok") for line in lines)
    assert any("flash-attn-cu130torch211" in line for line in lines)


@pytest.mark.slow
def test_pin_check_names_a_disagreement(tmp_path: Path) -> None:
    completed = check_pins(report_file(tmp_path, vllm_torch="2.10.0"))
    assert completed.returncode == 1
    (mismatch,) = [line for line in completed.stdout.splitlines() if line.startswith("MISMATCH")]
    assert "vllm 0.24.0 requires torch: 2.10.0 (install_gpu.sh: 2.11.0)" in mismatch
