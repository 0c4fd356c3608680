"""``medu1 doctor``: what to know before a long run, one OK / WARN / FAIL line each, with the fix.

It reports Python, torch and its GPUs, verl, vLLM, flash-attn, Ray (it joins a running cluster to
count its nodes and GPUs, and starts none unless asked), the ``verl.plugins`` entry point and the
``med_u1`` reward manager; with ``--recipe NAME`` it checks whether this machine, or the Ray
cluster, has the GPUs, GPU memory and host memory the recipe declares (its ``figures`` in
:mod:`med_u1.training.recipes`, read through :mod:`med_u1.training.hardware`). Heavy libraries are imported inside the checks.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import logging
import os
import platform
import sys
from typing import Sequence

from med_u1.training.cluster import describe_node
from med_u1.training.hardware import GPU_MEMORY_TOLERANCE, HardwareNeeds, hardware_needs

OK, WARN, FAIL = "OK", "WARN", "FAIL"
SUPPORTED_PYTHON = ((3, 10), (3, 12))
GIB = 1024**3
PLUGIN_GROUP = "verl.plugins"
PLUGIN_MODULE = "med_u1.plugin"
INSTALL_GPU = "scripts/install_gpu.sh"
INSTALL_CPU = 'pip install -e ".[cpu,test]"'


@dataclasses.dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, the verdict, what was found and how to fix it."""

    name: str
    status: str
    detail: str
    fix: str = ""


@dataclasses.dataclass(frozen=True)
class Machine:
    """What the recipe-fit check compares with: GPUs usable by a run (this machine's, or the Ray
    cluster's), memory of each GPU here (GiB), host memory (GiB) and CPU cores of this node."""

    gpus: int
    gpu_memory_gib: tuple[float, ...]
    host_memory_gib: float
    cpu_cores: int
    where: str = "this machine"


@dataclasses.dataclass(frozen=True)
class Torch:
    """What torch reports: version, the CUDA it was built for (None for a CPU build), whether
    CUDA works here, and each device's name and memory (GiB)."""

    version: str
    cuda_build: str | None
    cuda_usable: bool
    devices: tuple[tuple[str, float], ...] = ()
    error: str = ""


@dataclasses.dataclass(frozen=True)
class RayCluster:
    """A Ray cluster this process joined (``reachable``) or ``started`` itself: its alive nodes, the
    GPUs Ray detected on them (with their models), and GPUs only declared (``--num-gpus`` on a
    node where Ray found no GPU model: a logical resource, not counted)."""

    reachable: bool
    started: bool = False
    address: str = ""
    nodes: int = 0
    gpus: int = 0
    cpus: int = 0
    accelerators: tuple[str, ...] = ()
    declared_gpus: int = 0
    detail: str = ""
    node_lines: tuple[str, ...] = ()


# --- pure verdicts -------------------------------------------------------------------------


def check_python(version: tuple[int, int, int]) -> Check:
    low, high = SUPPORTED_PYTHON
    text = ".".join(map(str, version))
    if low <= version[:2] <= high:
        return Check("python", OK, f"{text} ({platform.machine()}, {platform.system()})")
    return Check("python", FAIL, f"{text}: Med-U1 supports Python 3.10-3.12",
                 "create a Python 3.10-3.12 environment and install Med-U1 there")


def cpu_recipes() -> list[str]:
    """The recipes that run without a GPU."""
    from med_u1.training.recipes import RECIPES

    return [name for name, recipe in RECIPES.items() if hardware_needs(recipe).gpus == 0]


def cpu_hint() -> str:
    return "use the CPU recipes: " + ", ".join(f"medu1 train --recipe {n}" for n in cpu_recipes())


def check_torch(torch: Torch | None, gpu_torch_pin: str | None) -> list[Check]:
    """torch's version and build, whether CUDA is usable, and one line per GPU."""
    if torch is None:
        return [Check("torch", FAIL, "not installed", f"{INSTALL_CPU} (CPU) or {INSTALL_GPU} (GPU)")]
    if torch.error:
        return [Check("torch", FAIL, f"{torch.version}: import failed: {torch.error}", f"reinstall torch: {INSTALL_GPU}")]
    if torch.cuda_build is None:
        return [Check("torch", WARN, f"{torch.version}: CPU-only build, no CUDA",
                      f"for GPU training run {INSTALL_GPU} on a machine with an NVIDIA GPU; here {cpu_hint()}")]
    if not torch.cuda_usable:
        return [Check("torch", WARN, f"{torch.version} (CUDA {torch.cuda_build} build) but CUDA is not usable here",
                      "check the NVIDIA driver with nvidia-smi (a CUDA 13 build needs driver >= 580); meanwhile "
                      + cpu_hint())]
    checks = [Check("torch", OK, f"{torch.version}, CUDA {torch.cuda_build}, {len(torch.devices)} GPU(s) usable")]
    if gpu_torch_pin and torch.version.split("+")[0] != gpu_torch_pin:
        checks[0] = dataclasses.replace(checks[0], status=WARN, fix=(
            f"verl's vllm and fsdp extras pin torch {gpu_torch_pin}: rerun {INSTALL_GPU}"))
    checks += [Check(f"cuda:{index}", OK, f"{name}, {memory:.1f} GiB") for index, (name, memory) in enumerate(torch.devices)]
    return checks


def check_verl(version: str | None, tested: Sequence[str]) -> Check:
    if version is None:
        return Check("verl", FAIL, "not installed", f"{INSTALL_CPU} or {INSTALL_GPU}")
    if version not in tested:
        return Check("verl", FAIL, f"{version}: Med-U1 is tested with verl {', '.join(tested)} only",
                     f"pip install verl=={tested[-1]}")
    return Check("verl", OK, version)


def check_gpu_package(name: str, version: str | None, gpu_machine: bool, why: str, problem: str = "") -> Check:
    """vLLM or flash-attn: needed on a GPU machine (FAIL when missing there), optional on a CPU one."""
    if version is None:
        status = FAIL if gpu_machine else WARN
        return Check(name, status, f"not installed ({why})", f"{INSTALL_GPU} on a GPU machine")
    if problem:
        return Check(name, FAIL, f"{version}: {problem}", f"reinstall it against the torch here: {INSTALL_GPU}")
    return Check(name, OK, version)


def check_ray(version: str | None, cluster: RayCluster | None) -> Check:
    if version is None:
        return Check("ray", FAIL, "not installed (verl's trainer runs on Ray)", f"{INSTALL_CPU} or {INSTALL_GPU}")
    if cluster is None:
        return Check("ray", OK, f"{version}; cluster not probed")
    if not cluster.reachable:
        found = f"none could be joined ({cluster.detail})" if cluster.detail else "no running cluster found"
        return Check("ray", OK, f"{version}; {found}, none started (`medu1 train` starts a local one; "
                     "for several nodes see scripts/train/multinode.sh)")
    gpus = f"{cluster.gpus} GPU(s) ({', '.join(cluster.accelerators)})" if cluster.gpus else "no GPU"
    if cluster.declared_gpus:
        gpus += f" (+{cluster.declared_gpus} declared without a detected GPU model, not counted)"
    where = "a local instance started for this check and stopped" if cluster.started else (
        f"running cluster at {cluster.address}")
    return Check("ray", OK, f"{version}; {where}: {cluster.nodes} node(s), {gpus}, {cluster.cpus} CPU(s)")


def ray_node_checks(cluster: RayCluster | None) -> list[Check]:
    """One line per alive node of the cluster: its id, address, CPUs and GPUs."""
    if cluster is None or not cluster.reachable:
        return []
    return [Check(f"ray node {index}", OK, line) for index, line in enumerate(cluster.node_lines, start=1)]


def check_entry_point(values: Sequence[str], load_error: str) -> Check:
    """The ``med_u1`` entry point of group ``verl.plugins``, and whether it imports."""
    fix = "reinstall Med-U1 (pip install -e .): entry points are written at install time"
    if PLUGIN_MODULE not in values:
        found = ", ".join(values) or "none"
        return Check("verl.plugins", FAIL, f"no med_u1 entry point (found: {found})", fix)
    if load_error:
        return Check("verl.plugins", FAIL, f"{PLUGIN_MODULE} fails to import: {load_error}", fix)
    return Check("verl.plugins", OK, f"med_u1 = {PLUGIN_MODULE} (verl loads it in every process)")


def check_reward_manager(registered: str | None, error: str) -> Check:
    if registered is None:
        return Check("reward manager", FAIL, f"'med_u1' is not in verl's reward manager registry {error}".strip(),
                     "fix the verl.plugins line above; the manager registers when verl loads med_u1.plugin")
    return Check("reward manager", OK, f"med_u1 -> {registered}")


def fits_gpu_memory(have_gib: float, need_gib: float) -> bool:
    """Whether a card reporting ``have_gib`` counts as a ``need_gib`` GB card."""
    return have_gib >= need_gib * GPU_MEMORY_TOLERANCE


def recipe_fit(name: str, needs: HardwareNeeds, machine: Machine) -> list[Check]:
    """Whether ``machine`` has the GPUs, GPU memory, host memory and cores recipe ``name`` declares."""
    label = f"recipe {name}"
    checks = []
    if needs.gpus == 0:
        checks.append(Check(f"{label}: GPUs", OK, "runs on the CPU, no GPU needed"))
    elif machine.gpus >= needs.gpus:
        checks.append(Check(f"{label}: GPUs", OK, f"{machine.gpus} on {machine.where}, needs {needs.gpus}"))
    elif machine.gpus >= needs.min_gpus:
        checks.append(Check(f"{label}: GPUs", WARN, f"{machine.gpus} on {machine.where}, configured for {needs.gpus}",
                            f"pass --gpus-per-node {machine.gpus} (batch sizes must divide by it)"))
    else:
        fix = (f"use a node with {needs.gpus} GPUs, or join nodes into a Ray cluster (scripts/train/multinode.sh)"
               + ("" if machine.gpus else f"; on a CPU machine {cpu_hint()}"))
        checks.append(Check(f"{label}: GPUs", FAIL,
                            f"{machine.gpus} on {machine.where}, needs {needs.gpus} (at least {needs.min_gpus})", fix))
    if needs.gpus and machine.gpu_memory_gib:
        smallest = min(machine.gpu_memory_gib)
        if fits_gpu_memory(smallest, needs.gpu_memory_gib):
            checks.append(Check(f"{label}: GPU memory", OK, f"{smallest:.1f} GiB per GPU, needs {needs.gpu_memory_gib:g}"))
        else:
            checks.append(Check(f"{label}: GPU memory", FAIL,
                                f"{smallest:.1f} GiB per GPU, needs {needs.gpu_memory_gib:g} GB cards",
                                "use bigger cards, or lower the micro-batch sizes and "
                                "actor_rollout_ref.rollout.gpu_memory_utilization and offload parameters"))
    elif needs.gpus and machine.gpus:
        checks.append(Check(f"{label}: GPU memory", WARN, "unknown: no GPU on this node",
                            "run medu1 doctor on a GPU node of the cluster"))
    if machine.host_memory_gib >= needs.host_memory_gib:
        checks.append(Check(f"{label}: host memory", OK,
                            f"{machine.host_memory_gib:.1f} GiB on this node, needs {needs.host_memory_gib:g}"))
    else:
        checks.append(Check(f"{label}: host memory", FAIL,
                            f"{machine.host_memory_gib:.1f} GiB on this node, needs {needs.host_memory_gib:g}",
                            "use a node with more memory, or offload less to the host"))
    if machine.cpu_cores < needs.cpu_cores:
        checks.append(Check(f"{label}: CPU cores", WARN, f"{machine.cpu_cores} on this node, needs {needs.cpu_cores}",
                            "expect slow data loading and rollouts; Ray may not place every worker"))
    return checks


# --- probes of this machine ------------------------------------------------------------------


def installed_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def requirements(distribution: str) -> list[str]:
    """The Requires-Dist lines of an installed distribution (none when it is absent)."""
    try:
        return importlib.metadata.requires(distribution) or []
    except importlib.metadata.PackageNotFoundError:
        return []


def verl_pin(extra: str, package: str) -> str | None:
    """The ``==`` version verl pins ``package`` at in its ``extra`` (None when it pins none)."""
    from packaging.requirements import Requirement

    for line in requirements("verl"):
        req = Requirement(line)
        if req.name == package and req.marker is not None and req.marker.evaluate({"extra": extra}):
            spec = str(req.specifier)
            return spec[2:] if spec.startswith("==") else None
    return None


def probe_torch() -> Torch | None:
    version = installed_version("torch")
    if version is None:
        return None
    try:
        import torch
    except Exception as error:  # a broken install is a finding, not a crash
        return Torch(version, None, False, error=f"{type(error).__name__}: {error}")
    usable = torch.cuda.is_available()
    devices = tuple(
        (torch.cuda.get_device_name(i), torch.cuda.get_device_properties(i).total_memory / GIB)
        for i in range(torch.cuda.device_count() if usable else 0)
    )
    return Torch(torch.__version__, torch.version.cuda, usable, devices)


def torch_mismatch(package: str, torch_version: str | None) -> str:
    """How ``package``'s pinned torch differs from the installed one ('' when it agrees or pins none)."""
    from packaging.requirements import Requirement

    if torch_version is None:
        return ""
    for line in requirements(package):
        req = Requirement(line)
        if req.name == "torch" and req.marker is None and not req.specifier.contains(torch_version.split("+")[0]):
            return f"requires torch{req.specifier}, torch here is {torch_version}"
    return ""


def flash_attn_problem() -> str:
    """'' when flash-attn's CUDA extension imports; else why not (e.g. built for another torch)."""
    try:
        import flash_attn  # noqa: F401  imports its compiled flash_attn_2_cuda extension
    except Exception as error:
        return f"fails to import: {type(error).__name__}: {error}"
    return ""


def tally_ray_nodes(nodes: Sequence[dict], address: str, started: bool = False) -> RayCluster:
    """A cluster's figures from ``ray.nodes()`` entries: GPUs count where Ray detected a GPU model."""
    detected, declared, kinds = 0, 0, set()
    for node in nodes:
        resources = node.get("Resources", {})
        models = {key.split(":", 1)[1] for key in resources if key.startswith("accelerator_type:")}
        gpus = int(resources.get("GPU", 0))
        if models:
            detected, kinds = detected + gpus, kinds | models
        else:
            declared += gpus
    cpus = sum(int(node.get("Resources", {}).get("CPU", 0)) for node in nodes)
    lines = tuple(describe_node(node) for node in sorted(nodes, key=lambda node: node["NodeID"]))
    return RayCluster(True, started, address, len(nodes), detected, cpus, tuple(sorted(kinds)), declared,
                      node_lines=lines)


def probe_ray(start: bool) -> RayCluster:
    """Join the running cluster (``address='auto'``), or start a local one when ``start``."""
    import ray

    try:
        if start:
            ray.init(logging_level=logging.ERROR, log_to_driver=False, include_dashboard=False)
        else:
            ray.init(address="auto", logging_level=logging.ERROR, log_to_driver=False)
    except ConnectionError:  # no running instance on this machine or at RAY_ADDRESS
        return RayCluster(False)
    except Exception as error:  # one this Ray cannot join (another version, a dead address)
        return RayCluster(False, detail=f"{type(error).__name__}: {error}")
    try:
        nodes = [node for node in ray.nodes() if node.get("Alive")]
        address = ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
    return tally_ray_nodes(nodes, address, started=start)


def plugin_checks() -> list[Check]:
    """The ``verl.plugins`` entry point, then the reward manager it registers in verl's registry."""
    points = list(importlib.metadata.entry_points(group=PLUGIN_GROUP))
    load_error = ""
    for point in points:
        if point.value == PLUGIN_MODULE:
            try:
                point.load()
            except Exception as error:
                load_error = f"{type(error).__name__}: {error}"
    entry = check_entry_point([point.value for point in points], load_error)
    registered, error = None, ""
    try:
        from verl.experimental.reward_loop.reward_manager.registry import (
            get_reward_manager_cls,
        )

        cls = get_reward_manager_cls("med_u1")
        registered = f"{cls.__module__}.{cls.__qualname__}"
    except Exception as err:
        error = f"({type(err).__name__}: {err})"
    return [entry, check_reward_manager(registered, error)]


def host_figures() -> tuple[float, int]:
    """This node's memory (GiB) and the CPU cores this process may use."""
    import psutil

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return psutil.virtual_memory().total / GIB, cores


def machine_figures(torch: Torch | None, cluster: RayCluster | None, memory: float, cores: int) -> Machine:
    local = tuple(gib for _, gib in torch.devices) if torch else ()
    if cluster is not None and cluster.reachable:
        return Machine(cluster.gpus, local, memory, cores, f"the Ray cluster ({cluster.nodes} node(s))")
    return Machine(len(local), local, memory, cores)


# --- report ------------------------------------------------------------------------------------


def verl_checks() -> list[Check]:
    """verl's version against the ones Med-U1 is tested with (importing verl loads our plugin)."""
    version = installed_version("verl")
    if version is None:
        return [check_verl(None, ())]
    from med_u1.verl_ext.versions import TESTED_VERL_VERSIONS

    try:
        import verl  # noqa: F401  (also loads Med-U1's verl plugin)
    except Exception as error:
        return [Check("verl", FAIL, f"{version}: import failed: {type(error).__name__}: {error}",
                      f"reinstall: {INSTALL_CPU} or {INSTALL_GPU}")]
    return [check_verl(version, TESTED_VERL_VERSIONS)]


def recipe_needs(recipe: str) -> HardwareNeeds:
    """The hardware a known recipe declares; an unknown name is an error naming the known ones."""
    from med_u1.training.recipes import RECIPES

    return hardware_needs(RECIPES.get(recipe))


def run_checks(recipe: str | None, probe_cluster: bool, start_ray: bool) -> tuple[list[Check], bool]:
    """Every check, and whether this machine has a usable GPU."""
    needs = recipe_needs(recipe) if recipe is not None else None
    torch = probe_torch()
    gpu_machine = bool(torch and torch.cuda_usable and torch.devices)
    torch_version = torch.version if torch else None
    checks = [check_python(sys.version_info[:3]), *check_torch(torch, verl_pin("vllm", "torch")), *verl_checks()]
    vllm_version = installed_version("vllm")
    checks.append(check_gpu_package("vllm", vllm_version, gpu_machine, "GPU rollouts, rollout.name=vllm",
                                    torch_mismatch("vllm", torch_version) if vllm_version else ""))
    flash_version = installed_version("flash-attn")
    checks.append(check_gpu_package("flash-attn", flash_version, gpu_machine,
                                    "verl's FSDP workers default to attn_implementation=flash_attention_2",
                                    flash_attn_problem() if flash_version else ""))
    ray_version = installed_version("ray")
    cluster = probe_ray(start_ray) if ray_version and (probe_cluster or start_ray) else None
    checks.append(check_ray(ray_version, cluster))
    checks += ray_node_checks(cluster)
    checks += plugin_checks()
    memory, cores = host_figures()
    checks.append(Check("host", OK, f"{memory:.1f} GiB memory, {cores} CPU core(s)"))
    if needs is not None:
        checks += recipe_fit(recipe, needs, machine_figures(torch, cluster, memory, cores))
    return checks, gpu_machine


def format_report(checks: Sequence[Check], gpu_machine: bool) -> str:
    width = max(len(check.name) for check in checks)
    lines = []
    if not gpu_machine:
        lines.append(f"This machine has no usable GPU: the GPU recipes cannot run here; {cpu_hint()}.")
    for check in checks:
        lines.append(f"{check.status:<4}  {check.name:<{width}}  {check.detail}")
        if check.fix:
            lines.append(f"{'':<4}  {'':<{width}}  fix: {check.fix}")
    counts = {status: sum(check.status == status for check in checks) for status in (OK, WARN, FAIL)}
    lines.append(f"{counts[OK]} OK, {counts[WARN]} WARN, {counts[FAIL]} FAIL")
    return "\n".join(lines)


def handle_doctor(args: argparse.Namespace) -> int:
    checks, gpu_machine = run_checks(args.recipe, probe_cluster=not args.no_ray, start_ray=args.start_ray)
    print(format_report(checks, gpu_machine))
    return 1 if any(check.status == FAIL for check in checks) else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``doctor`` to the top-level parser."""
    parser = subparsers.add_parser(
        "doctor",
        help="check this machine (and Ray cluster) before a run",
        description="Report Python, torch and GPUs, verl, vLLM, flash-attn, Ray, the verl plugin and the med_u1 "
        "reward manager, each OK/WARN/FAIL with its fix; with --recipe, whether the hardware fits. "
        "Exits 1 when any line FAILs.",
    )
    parser.add_argument("--recipe", help="check the GPUs, GPU memory and host memory a recipe (medu1 train --list) needs")
    parser.add_argument("--no-ray", action="store_true", help="do not look for a running Ray cluster")
    parser.add_argument("--start-ray", action="store_true", help="start a local Ray instance to see what Ray sees")
    parser.set_defaults(handler=handle_doctor)
