"""``medu1 doctor``: its real report on this (CPU) machine, and its verdicts on declared figures."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest

from med_u1.cli import main
from med_u1.doctor import (
    FAIL,
    OK,
    WARN,
    Machine,
    RayCluster,
    Torch,
    check_entry_point,
    check_gpu_package,
    check_python,
    check_ray,
    check_torch,
    fits_gpu_memory,
    ray_node_checks,
    recipe_fit,
    tally_ray_nodes,
)
from med_u1.training.hardware import HardwareNeeds, configured_gpus, hardware_needs
from med_u1.training.recipes import RECIPES, get_recipe

ROOT = Path(__file__).resolve().parents[1]
H100 = 79.19  # GiB an 80 GB H100 reports
A100_40 = 39.39


def doctor(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "med_u1.cli", "doctor", *args],
                          capture_output=True, text=True, timeout=600, cwd=ROOT, env=env)


def lines_by_name(report: str) -> dict[str, str]:
    """``name -> line`` of the report's verdict lines (``STATUS  name  detail``)."""
    found = {}
    for line in report.splitlines():
        status = line[:4].strip()
        if status in (OK, WARN, FAIL):
            found[line[6:].split("  ")[0].strip()] = line
    return found


def cuda_usable() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.fixture(scope="module")
def cpu_report() -> subprocess.CompletedProcess:
    if cuda_usable():
        pytest.skip("this machine has a usable GPU: the CPU report does not apply")
    return doctor("--recipe", "medu1-grpo")


@pytest.mark.slow
def test_cpu_report_says_so_plainly_and_points_to_the_cpu_recipes(cpu_report: subprocess.CompletedProcess) -> None:
    first = cpu_report.stdout.splitlines()[0]
    assert first.startswith("This machine has no usable GPU") and "medu1 train --recipe cpu-smoke" in first
    lines = lines_by_name(cpu_report.stdout)
    assert lines["torch"].startswith(WARN) and "CPU-only build" in lines["torch"]
    assert lines["python"].startswith(OK) and sys.version.split()[0] in lines["python"]
    assert lines["verl"].startswith(OK) and importlib.metadata.version("verl") in lines["verl"]
    assert lines["ray"].startswith(OK) and importlib.metadata.version("ray") in lines["ray"]
    assert lines["verl.plugins"].startswith(OK) and "med_u1.plugin" in lines["verl.plugins"]
    assert lines["reward manager"].startswith(OK) and "MedU1RewardManager" in lines["reward manager"]
    for package in ("vllm", "flash-attn"):  # GPU-only packages: a warning on a CPU machine, not a failure
        assert lines[package][:4].strip() in (OK, WARN)


@pytest.mark.slow
def test_cpu_report_fails_a_gpu_recipe_with_the_fix_and_a_nonzero_exit(cpu_report: subprocess.CompletedProcess) -> None:
    lines = lines_by_name(cpu_report.stdout)
    gpus = lines["recipe medu1-grpo: GPUs"]
    needed = configured_gpus(get_recipe("medu1-grpo").overrides)
    assert gpus.startswith(FAIL) and "0 on" in gpus and f"needs {needed}" in gpus
    assert cpu_report.returncode == 1
    statuses = [line[:4].strip() for line in lines.values()]
    summary = cpu_report.stdout.splitlines()[-1]
    assert summary == f"{statuses.count(OK)} OK, {statuses.count(WARN)} WARN, {statuses.count(FAIL)} FAIL"
    fix_lines = [line for line in cpu_report.stdout.splitlines() if line.strip().startswith("fix:")]
    assert len(fix_lines) == statuses.count(WARN) + statuses.count(FAIL)


def test_cpu_recipe_passes_on_this_machine_with_exit_zero(capsys: pytest.CaptureFixture[str]) -> None:
    if cuda_usable():
        pytest.skip("CPU machines only")
    assert main(["doctor", "--recipe", "cpu-smoke", "--no-ray"]) == 0
    lines = lines_by_name(capsys.readouterr().out)
    assert lines["recipe cpu-smoke: GPUs"].startswith(OK)
    assert lines["recipe cpu-smoke: host memory"].startswith(OK)
    assert "cluster not probed" in lines["ray"]


def test_unknown_recipe_is_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--recipe", "no-such-recipe", "--no-ray"]) == 2
    assert capsys.readouterr().err.startswith("medu1: error: unknown recipe 'no-such-recipe'; known recipes: cpu-smoke")
    assert main(["doctor", "--recipe", "medu1-grpo-no-budget", "--no-ray"]) == 2
    assert "(did you mean 'medu1-grpo-nobudget'?)" in capsys.readouterr().err


@pytest.mark.slow
def test_module_imports_no_heavy_library() -> None:
    code = "import sys, med_u1.doctor; print(sorted({'torch', 'verl', 'ray', 'vllm'} & set(sys.modules)))"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert completed.stdout.strip() == "[]", completed.stderr


# --- recipe fit on declared figures --------------------------------------------------------


def statuses(checks) -> dict[str, str]:
    return {check.name.split(": ")[1]: check.status for check in checks}


def needs_of(name: str) -> HardwareNeeds:
    return hardware_needs(RECIPES[name])


SMALL_3B = HardwareNeeds(gpus=8, min_gpus=4, gpu_memory_gib=80, host_memory_gib=64, cpu_cores=16)
BIG_7B = HardwareNeeds(gpus=8, min_gpus=8, gpu_memory_gib=80, host_memory_gib=200, cpu_cores=32)
LORA_7B = HardwareNeeds(gpus=8, min_gpus=4, gpu_memory_gib=40, host_memory_gib=128, cpu_cores=16)
CPU = HardwareNeeds(gpus=0, min_gpus=0, gpu_memory_gib=0, host_memory_gib=3, cpu_cores=2)


def test_every_recipe_declares_consistent_hardware_figures() -> None:
    for name in RECIPES:
        needs = needs_of(name)
        assert 0 <= needs.min_gpus <= needs.gpus, name
        assert (needs.gpu_memory_gib > 0) == (needs.gpus > 0), name
        assert needs.host_memory_gib > 0 and needs.cpu_cores > 0, name


def test_gpu_count_comes_from_the_recipe_overrides() -> None:
    assert needs_of("cpu-smoke").gpus == 0  # trainer.device=cpu, although it sets n_gpus_per_node=1
    assert configured_gpus(["trainer.n_gpus_per_node=4", "trainer.nnodes=2"]) == 8
    assert configured_gpus(["trainer.nnodes=2"]) == 16  # verl's default of 8 GPUs per node
    four = dataclasses.replace(RECIPES["medu1-grpo"], overrides=("trainer.n_gpus_per_node=2",))
    assert hardware_needs(four).gpus == 2 and hardware_needs(four).min_gpus == 2


def test_the_figures_are_the_recipes_own() -> None:
    figures = dataclasses.replace(RECIPES["medu1-grpo"].figures, host_memory_gib=512)
    needs = hardware_needs(dataclasses.replace(RECIPES["medu1-grpo"], figures=figures))
    assert needs == dataclasses.replace(SMALL_3B, gpus=4, host_memory_gib=512)


def test_an_8_gpu_80gb_node_fits_every_recipe() -> None:
    node = Machine(gpus=8, gpu_memory_gib=(H100,) * 8, host_memory_gib=1007.0, cpu_cores=96)
    for name in RECIPES:
        assert set(statuses(recipe_fit(name, needs_of(name), node)).values()) == {OK}, name


def test_fewer_gpus_warn_down_to_the_minimum_then_fail() -> None:
    four = recipe_fit("medu1-grpo", SMALL_3B, Machine(4, (H100,) * 4, 512.0, 64))
    (gpus,) = [c for c in four if c.name.endswith("GPUs")]
    assert gpus.status == WARN and "--gpus-per-node 4" in gpus.fix
    assert statuses(recipe_fit("medu1-grpo", SMALL_3B, Machine(2, (H100,) * 2, 512.0, 64)))["GPUs"] == FAIL
    assert statuses(recipe_fit("r1zero-grpo", BIG_7B, Machine(4, (H100,) * 4, 512.0, 64)))["GPUs"] == FAIL


def test_gpu_memory_is_judged_by_the_smallest_card() -> None:
    forty = Machine(8, (A100_40,) * 8, 512.0, 64)
    assert statuses(recipe_fit("medu1-grpo", SMALL_3B, forty))["GPU memory"] == FAIL
    assert statuses(recipe_fit("r1zero-grpo-lora", LORA_7B, forty))["GPU memory"] == OK
    mixed = Machine(8, (H100,) * 7 + (A100_40,), 512.0, 64)
    assert statuses(recipe_fit("medu1-grpo", SMALL_3B, mixed))["GPU memory"] == FAIL


def test_gpu_memory_tolerance_counts_cards_by_their_class() -> None:
    assert fits_gpu_memory(H100, 80) and fits_gpu_memory(80.0, 80) and fits_gpu_memory(76.0, 80)
    assert not fits_gpu_memory(75.9, 80)
    assert fits_gpu_memory(A100_40, 40) and not fits_gpu_memory(A100_40, 80)


def test_host_memory_and_cores() -> None:
    small = statuses(recipe_fit("r1zero-grpo", BIG_7B, Machine(8, (H100,) * 8, 150.0, 8)))
    assert small["host memory"] == FAIL and small["CPU cores"] == WARN
    big = statuses(recipe_fit("r1zero-grpo", BIG_7B, Machine(8, (H100,) * 8, 250.0, 32)))
    assert big["host memory"] == OK and "CPU cores" not in big


def test_ray_cluster_gpus_count_and_unknown_memory_warns() -> None:
    head_without_gpus = Machine(16, (), 256.0, 32, where="the Ray cluster (2 node(s))")
    result = statuses(recipe_fit("medu1-grpo", SMALL_3B, head_without_gpus))
    assert result["GPUs"] == OK and result["GPU memory"] == WARN


def test_cpu_recipe_on_a_small_cpu_machine() -> None:
    assert set(statuses(recipe_fit("cpu-smoke", CPU, Machine(0, (), 8.0, 2))).values()) == {OK}
    one_core = statuses(recipe_fit("cpu-smoke", CPU, Machine(0, (), 2.0, 1)))
    assert one_core["host memory"] == FAIL and one_core["CPU cores"] == WARN


# --- single verdicts ---------------------------------------------------------------------


def test_python_range() -> None:
    assert [check_python(version).status for version in ((3, 10, 13), (3, 11, 7), (3, 12, 3))] == [OK, OK, OK]
    too_old, too_new = check_python((3, 9, 18)), check_python((3, 13, 0))
    assert too_old.status == too_new.status == FAIL and "3.10-3.12" in too_old.detail


def test_torch_verdicts() -> None:
    assert check_torch(None, "2.11.0")[0].status == FAIL
    no_driver = check_torch(Torch("2.11.0+cu130", "13.0", False), "2.11.0")[0]
    assert no_driver.status == WARN and "driver" in no_driver.fix
    gpus = check_torch(Torch("2.11.0+cu130", "13.0", True, (("NVIDIA H100 80GB HBM3", H100),) * 2), "2.11.0")
    assert [c.status for c in gpus] == [OK, OK, OK] and gpus[1].name == "cuda:0" and "79.2 GiB" in gpus[1].detail
    other = check_torch(Torch("2.13.0+cu130", "13.0", True, (("NVIDIA H100 80GB HBM3", H100),)), "2.11.0")[0]
    assert other.status == WARN and "2.11.0" in other.fix


def test_gpu_packages_fail_only_where_a_gpu_needs_them() -> None:
    assert check_gpu_package("vllm", None, gpu_machine=False, why="x").status == WARN
    assert check_gpu_package("vllm", None, gpu_machine=True, why="x").status == FAIL
    broken = check_gpu_package("flash-attn", "2.8.3", True, "x", problem="fails to import: undefined symbol")
    assert broken.status == FAIL and "install_gpu.sh" in broken.fix
    assert check_gpu_package("vllm", "0.24.0", True, "x").status == OK


def test_entry_point_verdicts() -> None:
    assert check_entry_point(["med_u1.plugin"], "").status == OK
    assert check_entry_point(["other.plugin"], "").status == FAIL
    assert check_entry_point(["med_u1.plugin"], "ImportError: boom").status == FAIL


def test_ray_counts_detected_gpus_not_declared_ones() -> None:
    nodes = [
        {"NodeID": "a1", "NodeManagerAddress": "10.0.0.1", "Alive": True,
         "Resources": {"CPU": 96.0, "GPU": 8.0, "accelerator_type:H100": 1.0}},
        {"NodeID": "b2", "NodeManagerAddress": "10.0.0.2", "Alive": True,
         "Resources": {"CPU": 96.0, "GPU": 8.0, "accelerator_type:H100": 1.0}},
        {"NodeID": "c3", "NodeManagerAddress": "10.0.0.3", "Alive": True,
         "Resources": {"CPU": 8.0, "GPU": 1.0}},  # a CPU node started with --num-gpus 1
    ]
    cluster = tally_ray_nodes(nodes, "10.0.0.1:6379")
    assert (cluster.nodes, cluster.gpus, cluster.declared_gpus, cluster.cpus) == (3, 16, 1, 200)
    line = check_ray("2.60.0", cluster)
    assert line.status == OK and "16 GPU(s) (H100)" in line.detail and "+1 declared" in line.detail
    assert [(check.name, check.detail) for check in ray_node_checks(cluster)] == [
        ("ray node 1", "a1 at 10.0.0.1: 96 CPU, 8 GPU (H100)"),
        ("ray node 2", "b2 at 10.0.0.2: 96 CPU, 8 GPU (H100)"),
        ("ray node 3", "c3 at 10.0.0.3: 8 CPU, 1 GPU"),
    ]
    assert ray_node_checks(RayCluster(False)) == []
    assert "no running cluster found, none started" in check_ray("2.60.0", RayCluster(False)).detail


def test_gpu_machine_report_on_faked_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real probes and report on a torch whose CUDA calls answer as an 8x H100 node would."""
    import torch

    from med_u1 import doctor as module

    properties = type("Properties", (), {"total_memory": int(H100 * module.GIB)})
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 8)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index: "NVIDIA H100 80GB HBM3")
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda index: properties)
    monkeypatch.setattr(torch.version, "cuda", "13.0")
    monkeypatch.setattr(module, "installed_version",
                        lambda name: None if name in ("vllm", "flash-attn") else importlib.metadata.version(name))
    monkeypatch.setattr(module, "host_figures", lambda: (1007.0, 96))
    checks, gpu_machine = module.run_checks("medu1-grpo", probe_cluster=False, start_ray=False)
    found = {check.name: check for check in checks}
    assert gpu_machine
    assert [found[f"cuda:{i}"].detail for i in (0, 7)] == ["NVIDIA H100 80GB HBM3, 79.2 GiB"] * 2
    assert found["vllm"].status == FAIL and found["flash-attn"].status == FAIL  # missing where a GPU needs them
    assert found["recipe medu1-grpo: GPUs"].status == OK
    assert found["recipe medu1-grpo: GPU memory"].status == OK
    assert found["recipe medu1-grpo: host memory"].status == OK
    report = module.format_report(checks, gpu_machine)
    assert not report.startswith("This machine has no usable GPU")
